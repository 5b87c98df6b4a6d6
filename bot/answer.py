"""Compose a reply to a question from the knowledge base, with conversation context.

No Rasa here: the action passes the message text and the slot values in and gets a reply
and the new context back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

from bot.knowledge.eligibility import Verdict, low_voltage_access
from bot.knowledge.models import Fact, Quantity, Region
from bot.knowledge.service import FactQuery, KnowledgeBase
from bot.understand import Question, step_matches, understand

HOTLINE = "95598"
MAX_FACTS = 4
MAX_TOPICS = 3
CLAUSE_MIN_SCORE = 4.0
TOPIC_BUTTONS = (("要带什么资料", "materials"), ("办电要几个环节", "steps"),
                 ("办电要多久", "time_limit"), ("要不要花钱", "investment"))
CATEGORY_BUTTONS = (("居民", "resident"), ("低压企业/小微企业", "small_micro"),
                    ("10千伏", "hv_10kv"), ("35千伏及以上", "hv_35kv"))


@dataclass(frozen=True)
class Context:
    """What the conversation has established so far (kept in Rasa slots)."""

    region: str | None = None
    district: str | None = None
    topic: str | None = None
    category: str | None = None
    area: str | None = None
    capacity: str | None = None
    agent_mode: bool = False


@dataclass(frozen=True)
class Reply:
    text: str
    context: Context
    buttons: tuple[tuple[str, str], ...] = ()
    answered: bool = True
    facts: tuple[Fact, ...] = field(default=(), repr=False)


VOLTAGES = ("hv_10kv", "hv_35kv")
SUPPLIES = ("single", "double")


def refine_category(previous: str | None, new: str) -> str:
    """'那双电源呢' after a 10千伏单电源 question means 10千伏双电源, not any 双电源 user."""
    if previous is None:
        return new
    voltage = next((v for v in VOLTAGES if previous.startswith(v) or new.startswith(v)), None)
    supply = next((s for s in SUPPLIES if new.endswith("_" + s)), None)
    if new in ("hv_single", "hv_double") and voltage and previous.startswith(voltage):
        return f"{voltage}_{supply}"
    previous_supply = next((s for s in SUPPLIES if previous.endswith("_" + s)), None)
    if new in VOLTAGES and previous_supply and previous.startswith("hv_"):
        return f"{new}_{previous_supply}"
    return new


class Answerer:
    def __init__(self, kb: KnowledgeBase, today: date | None = None):
        self.kb = kb
        self.today = today

    def reply(self, message: str, context: Context = Context(), topic_hint: str | None = None) -> Reply:
        """Answer `message` in `context`; `topic_hint` (e.g. from the NLU intent) is used when
        the words of the question name no topic themselves."""
        question = understand(self.kb, message)
        context = self._merge(question, context)
        if question.unknown_place and not question.places:
            return self._uncovered_region(question.unknown_place, context)
        fallback = topic_hint or context.topic
        topics = question.topics or ([fallback] if fallback else [])
        if not topics:
            return self._no_topic(question, context)
        if len(question.places) > 1:
            return self._compare(question, topics[0], context)
        if context.region is None:
            return self._ask_region(replace(context, topic=topics[0]))
        region = self.kb.region(context.region)
        parts, facts = [], []
        for topic in topics[:MAX_TOPICS]:
            part = self._answer_topic(region, topic, question, context)
            if isinstance(part, Reply):
                return part
            parts.append(part[0])
            facts.extend(part[1])
        text = "\n".join(p for p in parts if p)
        return Reply(text, replace(context, topic=topics[0]), answered=bool(facts), facts=tuple(facts))

    # ---- context -------------------------------------------------------------

    def _merge(self, question: Question, context: Context) -> Context:
        place = question.place
        if place and place.region.id != context.region:
            context = replace(context, region=place.region.id, district=place.district)
        elif place and place.district:
            context = replace(context, district=place.district)
        if question.category:
            context = replace(context, category=refine_category(context.category, question.category))
        if question.area:
            context = replace(context, area=question.area)
        if question.capacity:
            context = replace(context, capacity=str(question.capacity))
        return context

    # ---- answers ----------------------------------------------------------------

    def _answer_topic(self, region: Region, topic: str, question: Question,
                      context: Context) -> tuple[str, list[Fact]] | Reply:
        if topic in ("investment", "capacity") and context.capacity:
            return self._eligibility(region, context)
        query = FactQuery(topic, context.category, context.area, context.district)
        facts = self._for_step(self._in_year(self.kb.facts(region, query), question.text), question.step)
        facts = self.kb.nearest(facts, context.category)
        if not facts:
            return self._not_covered(region, topic, question, context), []
        if context.category is None and len({f.category for f in facts}) > 1 and len(facts) > MAX_FACTS:
            return self._ask_category(region, facts, replace(context, topic=topic))
        return self._render(region, facts[:MAX_FACTS], context), facts[:MAX_FACTS]

    @staticmethod
    def _for_step(facts: list[Fact], step: str | None) -> list[Fact]:
        """A question about one step gets that step's limit; otherwise the overall limits come first."""
        if step:
            matching = [f for f in facts if f.aspect == "step" and step_matches(step, f.step)]
            if matching:
                return matching
        overall = [f for f in facts if f.aspect != "step"]
        return overall or facts

    @staticmethod
    def _in_year(facts: list[Fact], text: str) -> list[Fact]:
        year = re.search(r"(20\d\d)年", text)
        if not year:
            return facts
        same_year = [f for f in facts if f.effective_by and f.effective_by.year == int(year.group(1))]
        return same_year or facts

    def _render(self, region: Region, facts: list[Fact], context: Context) -> str:
        scope = self._scope(region, context)
        lines = [f"{scope}：" + facts[0].statement.rstrip("。") + "。"] if len(facts) == 1 else \
            [f"{scope}："] + [f"· {f.statement.rstrip('。')}。" for f in facts]
        lines.append(self._source_line(facts, context))
        return "\n".join(lines)

    def _scope(self, region: Region, context: Context) -> str:
        place = region.name + (f"（{context.district}）" if context.district else "")
        if context.category:
            return place + self.kb.vocab.categories[context.category]["name"]
        return place

    @staticmethod
    def _source_line(facts: list[Fact], context: Context) -> str:
        doc = facts[0].source.doc
        if not context.agent_mode:
            return f"（依据：{doc}）"
        cited = []
        for fact in facts:
            cited.append(f"【{doc} {fact.source.section}】“{fact.source.excerpt}”")
        return "依据：\n" + "\n".join(cited)

    def _eligibility(self, region: Region, context: Context) -> tuple[str, list[Fact]] | Reply:
        assert context.capacity is not None
        amount, unit = re.match(r"([\d.]+)(.+)", context.capacity).groups()  # type: ignore[union-attr]
        result = low_voltage_access(self.kb, region, Quantity(float(amount), unit),
                                    context.area, context.district, self.today)
        if result.verdict is Verdict.NEED_AREA:
            names = [self.kb.vocab.areas[a]["name"] for a in result.areas]
            buttons = tuple((n, n) for n in names)
            return Reply(f"{region.name}按地区类型规定不同的低压接入容量，请问用电地点在{'还是'.join(names)}？",
                         context, buttons, answered=False)
        if result.verdict is Verdict.NO_RULE or result.rule is None:
            return self._not_covered(region, "capacity", None, context), []
        rule = result.rule
        assert rule.max_capacity is not None
        if result.verdict is Verdict.UNIT_MISMATCH:
            text = (f"{region.name}的低压接入标准按{rule.max_capacity.unit}规定：{rule.statement.rstrip('。')}。"
                    f"您提供的容量单位是{unit}，两者不能直接换算，请按{rule.max_capacity.unit}确认容量。")
            return text + "\n" + self._source_line([rule], context), [rule]
        within = result.verdict is Verdict.ELIGIBLE
        outcome = "在低压接入标准内，可以低压方式接入" if within else "超过了低压接入标准，需按高压方式接入"
        lines = [f"{region.name}：您的容量{context.capacity}{outcome}（标准为{rule.max_capacity}及以下）。",
                 f"适用规定：{rule.statement.rstrip('。')}。"]
        shown = [rule]
        if within:
            for fact in result.investment[:2]:
                lines.append(f"费用：{fact.statement.rstrip('。')}。")
                shown.append(fact)
        lines.append(self._source_line(shown, context))
        return "\n".join(lines), shown

    def _not_covered(self, region: Region, topic: str, question: Question | None, context: Context) -> str:
        silence = self.kb.silence(region, topic, context.category)
        if question is not None:
            clause = self._best_clause(region, question.text)
            if clause:
                return clause
        note = silence.note if silence else f"{region.document.number}未对这一问题作出规定"
        return (f"{region.name}：{note.rstrip('。')}。为避免给您不准确的信息，"
                f"具体情况请拨打供电服务热线{HOTLINE}咨询。")

    def _best_clause(self, region: Region, text: str) -> str | None:
        clauses = self.kb.search_clauses(text, region) if self.kb.seeds_dir else []
        if not clauses or clauses[0].score < CLAUSE_MIN_SCORE:
            return None
        clause = clauses[0]
        excerpt = clause.text if len(clause.text) <= 160 else clause.text[:160] + "……"
        return f"{region.name}文件中的相关规定：“{excerpt}”\n（依据：{clause.doc} {clause.section}）"

    # ---- clarifications and edge cases -------------------------------------------

    def _ask_region(self, context: Context) -> Reply:
        names = [r.name for r in self.kb.regions]
        return Reply(f"请问您在哪个城市办电？目前可查询{'、'.join(names)}的办电政策。",
                     context, tuple((n, n) for n in names), answered=False)

    def _ask_category(self, region: Region, facts: list[Fact], context: Context) -> Reply:
        present = {f.category for f in facts}
        buttons = tuple((title, title) for title, cat in CATEGORY_BUTTONS
                        if any(c in present for c in [cat, *self._children(cat)]))
        if not buttons:
            buttons = tuple((self.kb.vocab.categories[c]["name"],) * 2 for c in sorted(present))[:5]
        return Reply(f"{region.name}不同类型用户的规定不同，请问您是居民还是企业？用电电压等级是低压还是10千伏？",
                     context, buttons, answered=False)

    def _children(self, category: str) -> list[str]:
        return [c for c in self.kb.vocab.categories if category in self.kb.category_lineage(c)]

    def _uncovered_region(self, place: str, context: Context) -> Reply:
        names = "、".join(r.name for r in self.kb.regions)
        return Reply(f"抱歉，目前只收录了{names}五个地区的办电政策，暂未收录{place}的规定。"
                     f"{place}的办电问题请拨打供电服务热线{HOTLINE}咨询当地供电公司。",
                     context, answered=False)

    def _no_topic(self, question: Question, context: Context) -> Reply:
        if context.region:
            region = self.kb.region(context.region)
            clause = self._best_clause(region, question.text) if len(question.text) > 6 else None
            if clause:
                return Reply(clause, context)
            return Reply(f"好的，{region.name}。请问您想了解办电的哪方面？", context,
                         tuple((title, title) for title, _ in TOPIC_BUTTONS), answered=False)
        return Reply("抱歉，我没太理解您的问题。您可以问我办电要带什么资料、有几个环节、要多久、要不要花钱，"
                     f"或者拨打{HOTLINE}咨询。", context, tuple((t, t) for t, _ in TOPIC_BUTTONS), answered=False)

    def _compare(self, question: Question, topic: str, context: Context) -> Reply:
        query = FactQuery(topic, context.category, context.area)
        parts, facts = [], []
        for place in question.places:
            found = self._in_year(self.kb.best_facts(place.region, query), question.text)[:2]
            if found:
                parts.append(self._render(place.region, found, context))
                facts.extend(found)
            else:
                parts.append(self._not_covered(place.region, topic, None, context))
        return Reply("\n".join(parts), replace(context, topic=topic), answered=bool(facts), facts=tuple(facts))
