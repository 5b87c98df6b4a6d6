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
from bot.knowledge.eligibility import Eligibility, Verdict, first_paying_date, low_voltage_access
from bot.knowledge.models import Fact, Quantity, Region
from bot.knowledge.service import FactQuery, KnowledgeBase
from bot.qa.context import TOPIC_JOIN, Context, Reply, refine_category
from bot.qa.figures import exceeds_line, length_line, premise_line
from bot.qa.glossary import introduction, quoted_terms, terms_asked, unquoted
from bot.qa.special import compare_categories, compare_regions, compare_years, step_arithmetic
from bot.qa.unstated import measure_word, unmet_measure
from bot.qa.verdicts import verdict
from bot.qa.wording import Renderer, sentence, source_line
from bot.reading.forms import Form, Measure
from bot.reading.frame import Question, category_words, step_matches, understand

HOTLINE = "95598"
MAX_FACTS = 4
MAX_TOPICS = 3
MAX_CHARS = 500
WORKS_ASPECTS = ("supporting_works", "external_works")
# words of getting connected: a time question with none of them is about something else
CONNECTING = re.compile(r"办电|接电|通电|用电|报装|装表|送电|新装|增容|环节|申请|方案|验收|审批|许可|配套|外线|工程"
                        r"|施工"
                        r"|上门|派单|预约|受理|居民|企业|厂|店|全过程|全流程|低压|高压|千伏|电源|过户|办理|办")
WORKS_ASKED = re.compile(r"配套|外线|外部工程|施工|完工|工程")
SENTENCE_SCORE = 8.0  # a sentence this close to the question replaces facts that miss its subject
NUMERIC_TOPICS = ("time_limit", "reliability", "capacity", "approval", "steps")
FIGURE_TOPICS = ("time_limit", "reliability")  # a figure answers these; general remarks only without one
FIGURE_COMPARED = ("time_limit", "reliability", "capacity", "steps")  # topics whose figures are compared with a verdict
AREA_TOPICS = ("reliability", "capacity", "investment")  # topics whose figures differ by area type
# Topics whose facts also answer a question about the other when the question names a term they use.
RELATED_TOPICS = {"materials": ("cert_mode",), "cert_mode": ("materials",), "booking": ("channels",),
                  "channels": ("booking", "hotline", "service"), "investment": ("fees", "capacity"),
                  "fees": ("investment",), "capacity": ("investment",), "definition": ("investment", "capacity")}
# groups every document covers under a wider rule (居民, 低压, 高压 …): never "not mentioned"
PLAIN_GROUPS = ("all", "lv", "hv", "resident", "lv_nonresident", "lv_enterprise", "small_micro",
                "lv_nonresident_sanling", "lv_nonresident_no_sanling", "hv_10kv", "hv_35kv", "hv_single",
                "hv_double", "hv_10kv_single", "hv_10kv_double", "hv_35kv_single", "hv_35kv_double",
                "lv_no_works", "lv_with_works")
RESIDENT_CATEGORIES = ("resident", "resident_estate", "charging_resident")
REGION_FREE_TOPICS = ("definition",)
TOPIC_BUTTONS = (("要带什么资料", "materials"), ("办电要几个环节", "steps"),
                 ("办电要多久", "time_limit"), ("要不要花钱", "investment"))
CATEGORY_BUTTONS = (("居民", "resident"), ("低压企业/小微企业", "small_micro"),
                    ("10千伏", "hv_10kv"), ("35千伏及以上", "hv_35kv"))


def _first_use(fact: Fact, focus: tuple[tuple[str, ...], ...]) -> int:
    """Where a statement first uses a term: a definition names its term first ('小微企业是指…')."""
    positions = [fact.statement.find(w) for words in focus for w in words if w in fact.statement]
    return min(positions, default=len(fact.statement))


FIGURES = {"time_limit": re.compile(r"\d+(\.\d+)?个?(工作日|天|小时|分钟|个月)"),
           "reliability": re.compile(r"\d+(\.\d+)?(小时|分钟|%|％)")}


def _one_citation(text: str) -> str:
    """Customers get one citation line: a part's '（依据：X）' is dropped when the last line cites X too."""
    lines = text.split("\n")
    last = lines[-1]
    if not (last.startswith("（依据：") and last.endswith("）")):
        return text
    return "\n".join([line for line in lines[:-1] if line != last] + [last])


def _has_time(text: str) -> bool:
    return bool(FIGURES["time_limit"].search(text))


def _has_figure(fact: Fact, topic: str | None = None) -> bool:
    """Whether a fact states a figure: of the topic's own kind (days, hours) when one is given."""
    pattern = FIGURES.get(topic or "")
    return bool(pattern.search(fact.statement) if pattern else re.search(r"\d", fact.statement))


def parse_capacity(text: str | None) -> Quantity | None:
    match = re.fullmatch(r"([\d.]+)(千瓦|千伏安)", text or "")
    return Quantity(float(match.group(1)), match.group(2)) if match else None


class Answerer:
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
        if not reply.facts:
            said = verdict(question.text, reply.text) if reply.answered and question.asks(Form.YES_NO) else None
            return replace(reply, text=f"{said}{reply.text}") if said else reply
        lead = None
        if question.asserted and question.asks(Form.EXCEEDS):
            lead = exceeds_line(question.asserted.amount, question.asserted.unit, reply.facts, question.text)
        elif question.asserted:
            lead = premise_line(question.asserted.amount, question.asserted.unit, reply.facts)
        if not lead and question.length and question.asks(Form.YES_NO):
            lead = length_line(question.length, reply.facts, question.text)
        if not lead and question.asks(Form.YES_NO, Form.PREMISE):
            said = verdict(question.text, reply.facts[0].statement)
            if said:
                return replace(reply, text=f"{said}{reply.text}")
        unmet = unmet_measure(question.measures, reply.facts)
        if unmet and not lead:
            region = self.kb.region(reply.facts[0].region)
            lead = f"{region.document.number}未规定{measure_word([unmet])}。以下为文件的相关规定："
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
        compared = topics[0] if topics[0] in FIGURE_COMPARED else None
        summed_steps = question.asks(Form.SUM, Form.MINUS) and bool(question.steps)
        if compared in (None, "steps") and ("time_limit" in topics or Measure.DURATION in question.measures
                                            or summed_steps):
            compared = "time_limit"  # '这两个环节加起来几个工作日' asks for days
        computed = compare_years(self, region, compared, question, context) or \
            compare_categories(self, region, compared, question, context) if compared else None
        if compared == "time_limit" and not computed:
            computed = step_arithmetic(self, region, question, context)
        if computed:
            return Reply(computed[0], replace(context, topic=compared), facts=tuple(computed[1]))
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

    def _better_sentence(self, region: Region, question: Question, facts: list[Fact], context: Context) -> str | None:
        """The document's own sentence, when it names what the question is about (its rare words:
        表箱, 拉闸限电, 涉路工程) and none of the facts found does."""
        if not self.kb.seeds_dir or not facts:
            return None
        rare = self.kb.rare_terms(question.text)
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
    def _step_note(region: Region, topic: str, question: Question, shown: list[Fact]) -> str:
        """Say so when the step asked has no limit of its own in the document (its totals follow)."""
        if topic != "time_limit" or not question.steps:
            return ""
        if any(step_matches(step, f.step, f.aspect) for step in question.steps for f in shown):
            return ""
        return f"{region.document.number}未单独规定{'、'.join(question.steps)}环节的时限，以下为文件规定的相关时限。"

    def _define(self, region: Region, question: Question, context: Context) -> Reply | None:
        """A term the document puts in quotes, answered from the passage that introduces it, unless
        a definition fact of the knowledge base already states it."""
        if not self.kb.seeds_dir:
            return None
        clauses = self.kb.clauses_of(region)
        terms = terms_asked(question.text, quoted_terms(clauses))
        if not terms:
            return None
        definitions = self.topic_facts(region, "definition", replace(context, category=None))
        known = [f for f in definitions if any(t in unquoted(f.statement) for t in terms)]
        if all(any(t in unquoted(f.statement) for f in known) for t in terms):
            known.sort(key=lambda f: _first_use(f, (tuple(terms),)))  # a definition names its term first
            return Reply(self.render.facts(region, known[:MAX_FACTS], replace(context, category=None)),
                         replace(context, topic="definition"), facts=tuple(known[:MAX_FACTS]))
        passages = [(t, p) for t in terms if (p := introduction(t, clauses)) is not None]
        if not passages:
            return None
        lines, quoted = [], ""
        for term, passage in passages:
            if passage.text not in quoted:
                lines.append(f"“{term}”：{passage.text}")
                quoted += passage.text
        first = passages[0][1]
        citation = f"{first.doc} {first.section}" if context.agent_mode else first.doc
        return Reply(f"{region.name}文件中的" + "\n".join(lines) + f"\n（依据：{citation}）",
                     replace(context, topic="definition"))

    def _step_breakdown(self, region: Region, topic: str, question: Question, context: Context,
                        shown: list[Fact]) -> list[Fact]:
        """For hotline agents: the per-step limits behind an overall time limit, where the document gives them."""
        if not (context.agent_mode and topic == "time_limit" and context.category and not question.steps):
            return []
        steps = self.kb.nearest([f for f in self.topic_facts(region, topic, context) if f.aspect == "step"],
                                context.category)
        stated = "".join(f.statement for f in shown)
        return [] if all(f.step and f.step in stated for f in steps) else steps

    def select_facts(self, region: Region, topic: str, question: Question, context: Context) -> list[Fact]:
        """The facts of one topic for the region and customer group, narrowed to the step,
        year and policy terms the question names, most specific group first."""
        facts = selection.select(self.topic_facts(region, topic, context), years=question.years)
        if topic == "time_limit" and not WORKS_ASKED.search(question.text) and not question.steps:
            # how long the connection takes, not how long the grid's own construction works take
            facts = [f for f in facts if f.aspect not in WORKS_ASPECTS] or facts
        facts = self._for_steps(facts, question.steps) + self._related_facts(region, topic, context)
        nearest = self.kb.nearest(facts, context.category)
        # the policy terms named narrow the facts; the group's own rules are kept even when they
        # word it differently, and only distinctive terms reach other groups' facts
        focused = selection.focused(nearest, question.focus) or selection.focused(facts, question.anchors)
        own = [f for f in nearest if f.category == context.category]
        if own and focused and not set(own) & set(focused):
            focused = nearest  # general facts that merely use the words do not displace the group's own
        in_topic = [f for f in nearest if f.topic == topic]
        facts = self.kb.nearest(focused, context.category) if focused else in_topic
        if topic == "definition" and question.focus:
            facts.sort(key=lambda f: _first_use(f, question.focus))
        if context.area and any(f.area == context.area for f in facts):
            facts = [f for f in facts if f.area == context.area]
        if topic in NUMERIC_TOPICS:
            facts.sort(key=lambda f: not _has_figure(f))
        if topic in FIGURE_TOPICS and any(_has_figure(f, topic) for f in facts):
            facts = [f for f in facts if _has_figure(f, topic)]
        return facts

    def focus_facts(self, region: Region, question: Question, context: Context) -> list[Fact]:
        """Facts of any topic that use the policy terms the question names, for the customer
        group asked when there are any, else for any group (their statements name the group)."""
        if not question.anchors:
            return []
        for category in dict.fromkeys((context.category, None)):
            scoped = replace(context, category=category)
            pool = [f for topic in self.kb.vocab.topics for f in self.topic_facts(region, topic, scoped)]
            focused = self.kb.nearest(selection.focused(pool, question.focus), category)
            focused = [f for f in focused if selection.focus_score(f, question.anchors)]
            if focused:
                return focused
        return []

    def _low_voltage(self, category: str | None) -> bool:
        return category is None or "lv" in self.kb.category_lineage(category)

    def _area_note(self, region: Region, topic: str, facts: list[Fact], context: Context) -> str:
        """Say so when the document sets no figure for the area asked but does for other areas."""
        if topic not in AREA_TOPICS or not context.area or any(f.area == context.area for f in facts):
            return ""
        if not any(f.area for f in region.facts if f.topic == topic):
            return ""
        entry = self.kb.vocab.areas[context.area]
        if any(word in f.statement for f in facts for word in (entry["name"], *entry.get("synonyms", []))):
            return ""  # the rule shown names the area itself ('省级及以上园区')
        area = entry["name"]
        return f"{region.document.number}未单列{area}的规定，以下为文件的相关规定。"

    def topic_facts(self, region: Region, topic: str, context: Context) -> list[Fact]:
        return self.kb.facts(region, FactQuery(topic, context.category, context.area, context.district))

    def _related_facts(self, region: Region, topic: str, context: Context) -> list[Fact]:
        return [f for related in RELATED_TOPICS.get(topic, ()) for f in self.topic_facts(region, related, context)]

    @staticmethod
    def _for_steps(facts: list[Fact], steps: tuple[str, ...]) -> list[Fact]:
        """A question about steps gets those steps' limits; otherwise the overall limits come first."""
        matching = [f for f in facts if any(step_matches(step, f.step, f.aspect) for step in steps)]
        if matching:
            return matching
        overall = [f for f in facts if f.aspect != "step"]
        return overall or facts

    def _paying_since(self, region: Region, topic: str, capacity: Quantity, question: Question,
                      context: Context) -> tuple[str, list[Fact]] | None:
        """'160千瓦的小微企业哪年开始零投资' → the earliest target that covers it here."""
        if topic != "investment" or not question.asks(Form.SINCE_WHEN):
            return None
        found = first_paying_date(self.kb, region, capacity, context.area, context.district)
        if not found:
            return None
        when, fact = found
        by = f"{when.year}年底" if when.month == 12 else f"{when.year}年{when.month}月底"
        lead = f"{region.name}：{capacity}的用户从{by}起由电网投资到电能表（零投资）。"
        return f"{lead}\n{sentence(fact)}\n{source_line([fact], context.agent_mode)}", [fact]

    def _eligibility(self, region: Region, capacity: Quantity, result: Eligibility, context: Context,
                     pending: str) -> tuple[str, list[Fact]] | Reply:
        if result.verdict is Verdict.NEED_AREA:
            names = [self.kb.vocab.areas[a]["name"] for a in result.areas]
            return Reply(f"{region.name}按地区类型规定不同的低压接入容量，请问用电地点在{'还是'.join(names)}？",
                         replace(context, pending=pending), tuple((n, n) for n in names), answered=False)
        return self.render.eligibility(region, capacity, result, context, (context.topics or ("capacity",))[0])

    @staticmethod
    def _about_connecting(question: Question, context: Context) -> bool:
        """Whether a 'how long' question is about getting connected (or the steps, works and approvals
        of it) rather than about something else the utility does (抢修到场, 复电)."""
        return bool(context.category or question.steps or question.focus or question.capacity
                    or question.business or CONNECTING.search(question.text))

    def _other_time(self, region: Region, question: Question, context: Context) -> tuple[str, list[Fact]]:
        """A time asked about something other than connecting: the document's sentence when one
        names it, else plainly that the document sets no such time."""
        clause = self.render.best_clause(region, question.text, context)
        if clause and _has_time(clause):
            return clause, []
        unset = f"{region.document.number}未规定这项时限"
        if clause and any(term in clause for term in self.kb.subject_words(question.text)):
            return f"{unset}。文件的相关规定：\n{clause}", []
        return f"{unset}。为避免给您不准确的信息，具体情况请拨打供电服务热线{HOTLINE}咨询。", []

    def _not_covered(self, region: Region, topic: str, question: Question | None, context: Context) -> str:
        silence = self.kb.silence(region, topic, context.category)
        if question is not None and silence is None:
            clause = self.render.best_clause(region, question.text, context)
            if clause:
                return clause
        note = silence.note if silence else f"{region.document.number}未对这一问题作出规定"
        return (f"{region.name}：{note.rstrip('。')}。为避免给您不准确的信息，"
                f"具体情况请拨打供电服务热线{HOTLINE}咨询。")

    # ---- people: handoff and complaints -------------------------------------------

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

    # ---- clarifications and edge cases -------------------------------------------

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
