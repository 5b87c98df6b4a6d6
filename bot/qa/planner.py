"""Compose a reply to a question from the knowledge base, with conversation context.

No Rasa here: the action passes the message text and the slot values in and gets a reply
and the new context back. Every figure in a reply is a fact's statement for the region and
customer group asked about; when the facts are silent the reply says so and offers 95598.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from bot.knowledge import selection
from bot.knowledge.eligibility import Verdict, low_voltage_access
from bot.knowledge.models import Fact, Quantity, Region
from bot.knowledge.service import KnowledgeBase
from bot.qa.choosing import MAX_FACTS
from bot.qa.context import TOPIC_JOIN, Context, Reply, refine_category
from bot.qa.figures import agreed_time, exceeds_line, premise_line
from bot.qa.particulars import Particulars
from bot.qa.special import (
    COMPARE_FORMS,
    compare_categories,
    compare_districts,
    compare_regions,
    compare_years,
    fewer_steps,
    step_arithmetic,
)
from bot.qa.unstated import measure_word, unmet_measure
from bot.qa.verdicts import verdict
from bot.qa.wording import Renderer
from bot.reading.focus import asked_part
from bot.reading.forms import Form, Measure
from bot.reading.frame import Question, understand

MAX_TOPICS = 3
MAX_CHARS = 500
# words of getting connected: a time question with none of them is about something else
CONNECTING = re.compile(r"办电|接电|通电|用电|报装|装表|送电|新装|增容|环节|申请|方案|验收|审批|许可|配套|外线|工程"
                        r"|施工"
                        r"|上门|派单|预约|受理|居民|企业|厂|店|全过程|全流程|低压|高压|千伏|电源|过户|办理|办")
SENTENCE_SCORE = 8.0  # a sentence this close to the question replaces facts that miss its subject
FIGURE_COMPARED = ("time_limit", "reliability", "capacity", "steps")  # topics whose figures are compared with a verdict
# Topics whose facts also answer a question about the other when the question names a term they use.
# groups every document covers under a wider rule (居民, 低压, 高压 …): never "not mentioned"
RESIDENT_CATEGORIES = ("resident", "resident_estate", "charging_resident")
REGION_FREE_TOPICS = ("definition",)
def _one_citation(text: str) -> str:
    """Customers get one citation line: a part's '（依据：X）' is dropped when the last line cites X too."""
    lines = text.split("\n")
    last = lines[-1]
    if not (last.startswith("（依据：") and last.endswith("）")):
        return text
    return "\n".join([line for line in lines[:-1] if line != last] + [last])


def parse_capacity(text: str | None) -> Quantity | None:
    match = re.fullmatch(r"([\d.]+)(千瓦|千伏安)", text or "")
    return Quantity(float(match.group(1)), match.group(2)) if match else None


class Answerer(Particulars):
    def __init__(self, kb: KnowledgeBase, today: date | None = None):
        self.kb = kb
        self.today = today
        self.render = Renderer(kb)

    def reply(self, message: str, context: Context = Context(), topic_hint: str | None = None) -> Reply:
        """Answer `message` in `context`; `topic_hint` (e.g. from the NLU intent) is used when
        the words of the question name no topic themselves."""
        question = understand(self.kb, message[:MAX_CHARS])
        if not re.search(r"[\u4e00-\u9fffA-Za-z0-9]", question.text):
            return Reply("抱歉，我没看懂这条消息😅 请用文字描述您的办电问题，例如“枣庄居民办电要带什么资料”。",
                         context, self._topic_buttons(), answered=False)
        if context.pending and not question.topics:
            question = understand(self.kb, f"{context.pending} {question.text}")
        return self._lead(question, self._respond(question, context, topic_hint))

    def _lead(self, question: Question, reply: Reply) -> Reply:
        """Put first what the customer most needs to hear: the verdict on a figure they stated,
        or that the document states no figure of the kind they asked for."""
        lead = None
        if question.asserted and question.asks(Form.EXCEEDS) and reply.facts:
            lead = exceeds_line(question.asserted.amount, question.asserted.unit, reply.facts, question.text)
        elif question.asserted and reply.facts:
            lead = premise_line(question.asserted.amount, question.asserted.unit, reply.facts)
        if not lead and question.asks(Form.YES_NO, Form.PREMISE) and reply.answered:
            lead, reply = self._approval_verdict(question, reply, question.capacity
                                                 or parse_capacity(reply.context.capacity))
        if not reply.facts:  # (a verdict above has added its rule to the facts)
            said = verdict(question.text, reply.text) if reply.answered and question.asks(Form.YES_NO) else None
            return replace(reply, text=f"{said}{reply.text}") if said else reply
        if not lead and question.asks(Form.YES_NO, Form.PREMISE):
            said = verdict(question.text, reply.facts[0].statement)
            if said:
                return replace(reply, text=f"{said}{reply.text}")
        unmet = unmet_measure(question.measures, reply.facts)
        if unmet and not lead:
            region = self.kb.region(reply.facts[0].region)
            lead = f"{region.document.number}未规定{measure_word([unmet])}。以下为文件的相关规定："
        if not lead and Measure.DURATION in question.measures and not question.asks(*COMPARE_FORMS) \
                and len(question.places) <= 1:
            lead = agreed_time(reply.facts)
        return replace(reply, text=f"{lead}\n{reply.text}") if lead else reply

    def _respond(self, question: Question, context: Context, topic_hint: str | None) -> Reply:
        context = self._merge(question, replace(context, pending=None))
        if question.unknown_place and not question.places:
            return self._uncovered_region(question.unknown_place, context)
        topics = question.topics or ([topic_hint] if topic_hint else list(context.topics))
        if not topics:
            return self._no_topic(question, context)
        if len(question.places) > 1:
            return self._compare(question, topics[0], context, [p.region for p in question.places])
        if question.every_region and not question.places:
            return self._compare(question, topics[0], context, list(self.kb.regions))
        if context.region is None:
            if (topics[0] in REGION_FREE_TOPICS or question.asks_meaning) and question.focus:
                return self._across_regions(question, topics[0], context)
            return self._ask_region(replace(context, topic=topics[0], pending=question.text))
        if context.step and not question.steps:
            question = replace(question, steps=(context.step,))  # a follow-up keeps the step
        return self._answer(self.kb.region(context.region), question, topics, context)

    # ---- context -------------------------------------------------------------

    def _merge(self, question: Question, context: Context) -> Context:
        place = question.place
        if place and place.region.id != context.region:
            context = replace(context, region=place.region.id, district=place.district)
        elif place and place.district:
            context = replace(context, district=place.district)
        if question.category:
            context = replace(context, category=refine_category(context.category, question.category))
        elif question.business and context.category in RESIDENT_CATEGORIES:
            context = replace(context, category=None)
        if question.area:
            context = replace(context, area=question.area)
        if question.capacity:
            context = replace(context, capacity=str(question.capacity))
        if question.steps or question.topics:
            context = replace(context, step=question.steps[0] if question.steps else None)
        return context

    def _infer_category(self, region: Region, question: Question, context: Context) -> tuple[Context, str]:
        """A business that gives its capacity but not its voltage: the region's low-voltage
        threshold decides whether it is answered as a low-voltage small business or as a
        high-voltage customer, and the reply says which rule decided it."""
        capacity = parse_capacity(context.capacity)
        if context.category or not question.business or capacity is None:
            return context, ""
        result = low_voltage_access(self.kb, region, capacity, context.area, context.district, self.today)
        if result.rule is None or result.rule.max_capacity is None:
            return context, ""
        standard = f"{region.name}低压接入标准（{result.rule.max_capacity}及以下）"
        if result.verdict is Verdict.ELIGIBLE:
            return replace(context, category="small_micro"), f"您的容量{capacity}在{standard}内，按低压小微企业答复。"
        if result.verdict is Verdict.NOT_ELIGIBLE:
            return replace(context, category="hv"), f"您的容量{capacity}超过{standard}，按高压用户答复。"
        return context, ""

    # ---- answers ----------------------------------------------------------------

    def _answer(self, region: Region, question: Question, topics: list[str], context: Context) -> Reply:
        context, note = self._infer_category(region, question, context)
        if "definition" in topics or question.asks_meaning:
            defined = self._define(region, question, context)
            if defined:
                return defined
        computed = self._computed(region, question, topics, context)
        if computed:
            return computed
        across = self.focus_facts(region, question, context)  # the same for every topic asked
        parts: list[str] = [note] if note else []
        facts: list[Fact] = []
        for topic in topics[:MAX_TOPICS]:
            part = self._answer_topic(region, topic, question, context, across)
            if isinstance(part, Reply):
                return part
            text, found = part
            new = [f for f in found if f not in facts]
            if found and not new:
                continue  # another topic of the question already stated these facts
            if len(new) < len(found):
                text = self.render.facts(region, new, context)
            parts.append(text)
            facts.extend(new)
        sentence = self._better_sentence(region, question, facts, context)
        if sentence:
            return Reply(sentence, replace(context, topic=topics[0]))
        text = _one_citation("\n".join(p for p in parts if p))
        # a follow-up ('那赣榆呢') asks again everything this question asked
        return Reply(text, replace(context, topic=TOPIC_JOIN.join(topics[:MAX_TOPICS])), answered=bool(facts),
                     facts=tuple(facts))

    def _computed(self, region: Region, question: Question, topics: list[str], context: Context) -> Reply | None:
        """An answer computed from the facts' figures: a comparison, a sum of steps, steps left."""
        compared = topics[0] if topics[0] in FIGURE_COMPARED else None
        summed_steps = question.asks(Form.SUM, Form.MINUS) and bool(question.steps)
        if compared in (None, "steps") and ("time_limit" in topics or Measure.DURATION in question.measures
                                            or summed_steps):
            compared = "time_limit"  # '这两个环节加起来几个工作日' asks for days
        computed = compare_years(self, region, compared, question, context) or \
            compare_categories(self, region, compared, question, context) or \
            compare_districts(self, region, compared, question, context) if compared else None
        if compared == "time_limit" and not computed:
            computed = step_arithmetic(self, region, question, context)
        if topics[0] == "steps" and not computed:
            computed, compared = fewer_steps(self, region, question, context), "steps"
        if not computed:
            return None
        return Reply(computed[0], replace(context, topic=compared), facts=tuple(computed[1]))

    def _better_sentence(self, region: Region, question: Question, facts: list[Fact], context: Context) -> str | None:
        """The document's own sentence, when it names what the question is about (its rare words:
        表箱, 拉闸限电, 涉路工程) and none of the facts found does."""
        if not self.kb.seeds_dir or not facts:
            return None
        rare = self.kb.rare_terms(asked_part(question.text))
        if not rare or any(term in f.statement for term in rare for f in facts):
            return None
        best = self.kb.search_sentences(question.text, region, limit=1)
        named = {term for term in rare if term in best[0].text} if best else set()
        distinct = {t for t in named if not any(t != other and t in other for other in named)}
        if not best or best[0].score < SENTENCE_SCORE or len(distinct) < 2:
            return None
        return self.render.best_clause(region, question.text, context)

    def _answer_topic(self, region: Region, topic: str, question: Question, context: Context,
                      across: list[Fact]) -> tuple[str, list[Fact]] | Reply:
        """One topic's answer; `across` are the facts of any topic that use the question's
        distinctive terms, which replace the topic's own when they match the question better."""
        capacity = parse_capacity(context.capacity)
        if topic in ("investment", "capacity") and capacity is not None and self._low_voltage(context.category):
            since = self._paying_since(region, topic, capacity, question, context)
            if since:
                return since
            on = date(question.years[0], 12, 31) if question.years else self.today
            result = low_voltage_access(self.kb, region, capacity, context.area, context.district, on)
            if result.verdict is not Verdict.NO_RULE:
                return self._eligibility(region, capacity, result, replace(context, topic=topic), question.text)
        if topic == "time_limit" and not self._about_connecting(question, context):
            return self._other_time(region, question, context)
        facts = self.select_facts(region, topic, question, context)
        if across and selection.focus_score(across[0], question.anchors) > max(
                (selection.focus_score(f, question.focus) for f in facts), default=0):
            facts = across
        if not facts:
            return self._not_covered(region, topic, question, context), []
        if context.category is None and len(facts) > MAX_FACTS:
            general = [f for f in facts if f.category == "all"]
            if not general:
                return self._ask_category(region, facts, question.business,
                                          replace(context, topic=topic, pending=question.text))
            facts = general
        shown = facts[:MAX_FACTS]
        note = self._step_note(region, topic, question, shown) or self._area_note(region, topic, shown, context)
        text = self.render.facts(region, shown, context, note)
        breakdown = self._step_breakdown(region, topic, question, context, shown)
        if breakdown:
            text += "\n" + self.render.breakdown(breakdown, context, cited=shown)
        return text, shown + breakdown

    @staticmethod
    def _about_connecting(question: Question, context: Context) -> bool:
        """Whether a 'how long' question is about getting connected (or the steps, works and approvals
        of it) rather than about something else the utility does (抢修到场, 复电)."""
        return bool(context.category or question.steps or question.focus or question.capacity
                    or question.business or CONNECTING.search(question.text))

    def _compare(self, question: Question, topic: str, context: Context, regions: list[Region]) -> Reply:
        computed = compare_regions(self, topic, question, context, regions) if topic in FIGURE_COMPARED else None
        if computed:
            return Reply(computed[0], replace(context, topic=topic), facts=tuple(computed[1]))
        parts, facts = [], []
        for region in regions:
            found = self.select_facts(region, topic, question, context)[:2]
            if found:
                parts.append(self.render.facts(region, found, context))
                facts.extend(found)
            else:
                parts.append(self._not_covered(region, topic, None, context))
        return Reply("\n".join(parts), replace(context, topic=topic), answered=bool(facts), facts=tuple(facts))

    def _across_regions(self, question: Question, topic: str, context: Context) -> Reply:
        """A definition asked without a city: each document's own wording, labelled by region."""
        parts, facts = ["各地文件的规定如下（如需某地详细政策，请告诉我城市）："], []
        for region in self.kb.regions:
            found = selection.focused(self.select_facts(region, topic, question, context), question.focus)[:1]
            if found:
                parts.append(self.render.facts(region, found, context))
                facts.extend(found)
        if not facts:
            return self._ask_region(replace(context, topic=topic))
        return Reply("\n".join(parts), replace(context, topic=topic), facts=tuple(facts))
