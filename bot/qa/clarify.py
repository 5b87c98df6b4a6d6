"""What the Answerer says when it cannot answer yet or at all: the clarifying question (which city, which
customer group, which topic), '文件未规定…' with 95598, and the contact lines for a handoff or a complaint."""

from __future__ import annotations

from dataclasses import replace

from bot.knowledge import selection
from bot.knowledge.models import Fact, Region
from bot.qa.choosing import MAX_FACTS, FactChoice
from bot.qa.context import Context, Reply
from bot.qa.wording import Renderer
from bot.reading.frame import Question, category_words

HOTLINE = "95598"

PLAIN_GROUPS = ("all", "lv", "hv", "resident", "lv_nonresident", "lv_enterprise", "small_micro",
                "lv_nonresident_sanling", "lv_nonresident_no_sanling", "hv_10kv", "hv_35kv", "hv_single",
                "hv_double", "hv_10kv_single", "hv_10kv_double", "hv_35kv_single", "hv_35kv_double",
                "lv_no_works", "lv_with_works")

TOPIC_BUTTONS = (("要带什么资料", "materials"), ("办电要几个环节", "steps"),
                 ("办电要多久", "time_limit"), ("要不要花钱", "investment"))

CATEGORY_BUTTONS = (("居民", "resident"), ("低压企业/小微企业", "small_micro"),
                    ("10千伏", "hv_10kv"), ("35千伏及以上", "hv_35kv"))



class Clarifying(FactChoice):
    """Part of the Answerer (bot/qa/planner.py): clarifications, edge cases and contacts."""

    render: Renderer

    def _not_covered(self, region: Region, topic: str, question: Question | None, context: Context) -> str:
        silence = self.kb.silence(region, topic, context.category)
        if question is not None and silence is None:
            clause = self.render.best_clause(region, question.text, context)
            if clause:
                return clause
        note = silence.note if silence else f"{region.document.number}未对这一问题作出规定"
        return (f"{region.name}：{note.rstrip('。')}。为避免给您不准确的信息，"
                f"具体情况请拨打供电服务热线{HOTLINE}咨询。")

    def contact(self, kind: str, context: Context) -> Reply:
        """A handoff with no agent online ('handoff') or a complaint ('complaint'): 95598 (and 12398 for complaints)
        plus what the region's own document says about its channels or supervision lines."""
        focus: tuple[tuple[str, ...], ...]
        if kind == "complaint":
            text = ("非常抱歉给您带来不好的体验。您可以拨打95598供电服务热线反映，或拨打12398能源监管热线投诉举报；"
                    "需要的话也可以说“转人工”。")
            topic, focus = "hotline", (("12398", "监督"),)
        else:
            text = "抱歉，现在没有人工客服在线，请直接拨打国家电网供电服务热线95598（24小时服务）。"
            topic, focus = "channels", (("电话", "公众号", "APP", "营业厅"),)
        if context.region:
            region = self.kb.region(context.region)
            facts = selection.focused(self.topic_facts(region, topic, context), focus)[:2]
            if facts:
                text += "\n" + self.render.facts(region, facts, replace(context, category=None))
        return Reply(text, context, answered=True)

    def _topic_buttons(self) -> tuple[tuple[str, str], ...]:
        return tuple((title, title) for title, _ in TOPIC_BUTTONS)

    def _ask_region(self, context: Context) -> Reply:
        names = [r.name for r in self.kb.regions]
        return Reply(f"请问您在哪个城市办电？目前可查询{'、'.join(names)}的办电政策。",
                     context, tuple((n, n) for n in names), answered=False)

    def _ask_category(self, region: Region, facts: list[Fact], business: bool, context: Context) -> Reply:
        present = {f.category for f in facts}
        buttons = tuple((title, title) for title, cat in CATEGORY_BUTTONS
                        if any(c in present for c in [*self.kb.category_lineage(cat), *self.kb.subgroups(cat)])
                        and not (business and cat == "resident"))
        ask = "请问您的用电电压是低压还是10千伏、35千伏？" if business else \
            "请问您是居民还是企业？用电电压是低压还是10千伏、35千伏？"
        return Reply(f"{region.name}对不同类型用户的规定不同，{ask}",
                     context, buttons or tuple((t, t) for t, _ in CATEGORY_BUTTONS), answered=False)

    def _uncovered_region(self, place: str, context: Context) -> Reply:
        names = "、".join(r.name for r in self.kb.regions)
        return Reply(f"抱歉，目前只收录了{names}五个地区的办电政策，暂未收录{place}的规定，"
                     f"不能用其他地区的标准答复您。{place}的办电问题请拨打供电服务热线{HOTLINE}咨询当地供电公司。",
                     replace(context, region=None, district=None), answered=False)

    def _no_topic(self, question: Question, context: Context) -> Reply:
        if context.region and question.anchors:
            region = self.kb.region(context.region)
            facts = self.focus_facts(region, question, context)[:MAX_FACTS]
            if facts:
                return Reply(self.render.facts(region, facts, context), context, facts=tuple(facts))
        if context.region:
            region = self.kb.region(context.region)
            unnamed = self._group_not_named(region, context)
            if unnamed:
                return Reply(unnamed, context, answered=False)
            clause = self.render.best_clause(region, question.text, context) if len(question.text) > 6 else None
            if clause:
                return Reply(clause, context)
            return Reply(f"好的，{region.name}。请问您想了解办电的哪方面？", context,
                         self._topic_buttons(), answered=False)
        if question.anchors:
            return self._ask_region(replace(context, pending=question.text))
        return Reply("抱歉，我没太理解您的问题。您可以问我办电要带什么资料、有几个环节、要多久、要不要花钱，"
                     f"或者拨打{HOTLINE}咨询。", context, self._topic_buttons(), answered=False)

    def _group_not_named(self, region: Region, context: Context) -> str | None:
        """A special group (5G基站, 充电桩, 机井 …) that the region's document never mentions: say so
        rather than quote a sentence about something else."""
        category = context.category
        if not category or category in PLAIN_GROUPS or any(f.category == category for f in region.facts):
            return None
        words = [w for w in category_words(category) if len(w) >= 2]
        document = "".join(clause.text for clause in self.kb.clauses_of(region)) if self.kb.seeds_dir else ""
        if not words or any(word.lower() in document.lower() for word in words):
            return None
        name = self.kb.vocab.categories[category]["name"]
        return (f"{region.document.number}未单独规定{name}的办电政策。为避免给您不准确的信息，"
                f"具体情况请拨打供电服务热线{HOTLINE}咨询。")
