"""Rule-based reading of a customer's question: place, topic(s), customer category, area, capacity.

Plain Python over the knowledge-base vocabulary; the Rasa NLU pipeline and the actions both
use it, and it is tested without Rasa.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from bot.knowledge.models import Quantity
from bot.knowledge.service import KnowledgeBase, Place
from bot.reading.cues import (
    _STEP_COUNT,
    _UTILITY,
    BUSINESS_CUES,
    CATEGORY_RULES,
    DEFINITION_TERMS,
    EVERY_REGION_CUES,
    HOW_TO_CUES,
    SPOKEN_UNITS,
    STEP_CUES,
    TIME_IS_SECONDARY_TO,
    TOPIC_CUES,
    TYPOS,
)
from bot.reading.focus import find_focus
from bot.reading.forms import Asserted, Form, Measure, asserted_figure, measures, question_forms, years
from bot.reading.places import china_gazetteer, sound_alike
from bot.reading.quantities import first_capacity, first_length


@dataclass
class Question:
    text: str
    places: list[Place] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    category: str | None = None
    business: bool = False
    area: str | None = None
    capacity: Quantity | None = None
    unknown_place: str | None = None
    every_region: bool = False
    asks_meaning: bool = False
    steps: tuple[str, ...] = ()
    focus: tuple[tuple[str, ...], ...] = ()
    # the question frame: how it is asked and what measure it wants
    forms: frozenset[Form] = frozenset({Form.WHAT})
    measures: tuple[Measure, ...] = ()
    years: tuple[int, ...] = ()
    asserted: Asserted | None = None
    categories: tuple[str, ...] = ()  # every group named, in order ('双电源比单电源' names two)
    districts: tuple[str, ...] = ()  # every district named, when all are of one region ('台儿庄和滕州')
    length: Quantity | None = None  # a line length the customer gives ('管线有250米')

    def asks(self, *forms: Form) -> bool:
        return any(form in self.forms for form in forms)

    @property
    def anchors(self) -> tuple[tuple[str, ...], ...]:
        """The focus terms distinctive enough to find facts across all topics."""
        return tuple(words for words in self.focus if words not in WEAK_FOCUS)

    @property
    def place(self) -> Place | None:
        return self.places[0] if len(self.places) == 1 else None


# Typing slips (pinyin input picks a homophone) seen in customer messages → the intended word.
def normalize_text(text: str) -> str:
    """Full-width to half-width, lower-case Latin, no spaces, common typing slips fixed."""
    folded = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()
    for typo, word in TYPOS:
        folded = folded.replace(typo, word)
    for pattern, replacement in SPOKEN_UNITS:
        folded = pattern.sub(replacement, folded)
    return folded


def find_capacity(text: str) -> Quantity | None:
    """The first capacity in the text, read by the one quantity reader (一百五千瓦 = 150千瓦)."""
    return first_capacity(text)


PROCESS_FACETS = ("materials", "steps", "time_limit")


def find_topics(text: str) -> list[str]:
    found = []
    for topic, cues in TOPIC_CUES:
        if any(cue in text for cue in cues) and topic not in found:
            found.append(topic)
    if not found and any(term in text for term in DEFINITION_TERMS):
        found.append("definition")
    if "time_limit" in found and any(t in found for t in TIME_IS_SECONDARY_TO):
        found.remove("time_limit")
    if "time_limit" in found and "steps" in found and not _STEP_COUNT.search(text):
        found.remove("steps")
    if "definition" in found and len(found) > 1:
        found.remove("definition")
    if "transfer" in found:  # the documents' materials, steps and limits are for connecting, not for a transfer
        found = ["transfer", *(t for t in found if t not in ("transfer", *PROCESS_FACETS))]
    if not found and any(cue in text for cue in HOW_TO_CUES):
        found.extend(("materials", "steps"))
    if not found and find_steps(text):
        # a step named alone: "还要设计审查吗" asks whether it remains, "10kv双电源 中间检查" its time limit
        found.append("steps" if re.search(r"吗|么|吧|有没有|还要|需不需要|要不要|取消|少不了|必须|省掉|免", text)
                     else "time_limit")
    return found


# Focus words that narrow a topic's facts but are too common to look for across all topics.
WEAK_FOCUS = frozenset({("农村",), ("小微",), ("重要",), ("机井",), ("充电",), ("5G",), ("临时用电",),
                        ("居住区", "小区"), ("全过程", "全流程"), ("设计审查",), ("中间检查",), ("竣工",),
                        ("电话",), ("营业执照",), ("电能表",), ("投资界面", "红线", "投资至", "投资到")})


_CLAUSE_BREAK = re.compile(r"[，,。？?！!；;]")
# '从报装申请到装表接电' names the span of the whole process, not a step
_FROM_TO = re.compile(r"从[^，,。？?]{0,12}到[^，,。？?]{0,6}")
_TIME_ASKED = re.compile(r"多久|几天|多少天|几个工作日|多少个?工作日|多长时间|时限|时长|多快"
                         r"|加起来|合计|总共|一共|扣|其余|剩")


def _time_clauses(text: str) -> str:
    """In a message asking several things ('要带啥材料？多少个工作日能接上电？'), a step named in
    another part ('用电申请要准备啥材料') is not the step whose time is asked."""
    clauses = [c for c in _CLAUSE_BREAK.split(text) if c]
    if len(clauses) < 2 or len(find_topics(text)) < 2:
        return text
    return "，".join(c for c in clauses if _TIME_ASKED.search(c)) or text


def find_steps(text: str) -> tuple[str, ...]:
    """The process steps a question is about ('供电方案答复要几天' → 供电方案答复)."""
    return tuple(step for step, cues in STEP_CUES if any(cue in text for cue in cues))


# Steps the documents state as an aspect of their own rather than as a named step.
STEP_ASPECTS = {"外部工程": ("supporting_works", "external_works")}


def step_matches(step: str, fact_step: str | None, fact_aspect: str | None = None) -> bool:
    """Whether a fact is about the step asked (named as its document names it)."""
    if fact_aspect in STEP_ASPECTS.get(step, ()):
        return True
    if not fact_step:
        return False
    cues = dict(STEP_CUES).get(step, (step,))
    return any(cue in fact_step or fact_step in cue for cue in cues)


_NEGATION = re.compile(r"(?:不是|并非|不属于|不需要|不用|无需|不涉及|没有|没|不|无|非)$")


def says(text: str, cue: str) -> bool:
    """Whether `text` uses `cue` without negating it ('不是双电源', '非居民' do not say 双电源, 居民)."""
    start = text.find(cue)
    while start >= 0:
        if not _NEGATION.search(text[max(0, start - 3):start]) and _whole_quantity(text, cue, start):
            return True
        start = text.find(cue, start + 1)
    return False


def _whole_quantity(text: str, cue: str, start: int) -> bool:
    """'20千伏' is not inside '120千伏安': a number cue starts a number and a voltage is no capacity."""
    end = start + len(cue)
    if cue[:1].isdigit() and start > 0 and (text[start - 1].isdigit() or text[start - 1] == "."):
        return False
    return not (cue.endswith(("千伏", "kv")) and text[end:end + 1] in ("安", "a"))


def category_words(category: str) -> tuple[str, ...]:
    """The words that set a group apart ('无工程' for the no-works group, '双电源' for 10千伏双电源)."""
    return tuple(dict.fromkeys(word for name, cues, also in CATEGORY_RULES if name == category
                               for word in (also or cues)))


def find_category(text: str, whole: str | None = None) -> str | None:
    """The group `text` names; a rule's second condition may also be met in `whole`, the message that
    `text` is a part of ('低压无配套和有配套工程': 有配套工程 is low-voltage too)."""
    for category, cues, also in CATEGORY_RULES:
        if any(says(text, c) for c in cues) and (not also or any(says(whole or text, a) for a in also)):
            return category
    return None


def find_categories(text: str) -> tuple[str, ...]:
    """Every group a comparison names, in the order named: '10千伏双电源比单电源' → the double
    supply group, then the single one (refined to the same voltage by the caller)."""
    parts = re.split(r"比|和|与|跟|同|还是|vs|对比", text)
    found = [category for part in parts if (category := find_category(part) or find_category(part, text))]
    return tuple(dict.fromkeys(found))


def find_area(kb: KnowledgeBase, text: str) -> str | None:
    """The area type named: the longest synonym, the first named on a tie ('县城里' is a county town)."""
    best: tuple[int, int, str] | None = None
    for area, entry in kb.vocab.areas.items():
        for synonym in entry.get("synonyms", []):
            position = text.find(synonym)
            if position >= 0 and (best is None or (len(synonym), -position) > best[:2]):
                best = (len(synonym), -position, area)
    return best[2] if best else None


# the question also asks for the whole region's figure ('全口径…？城区的又是多少？')
WHOLE_SCOPE = ("全口径",)


def area_asked(kb: KnowledgeBase, text: str) -> str | None:
    """The one area type a question is about: none when it also asks for the whole region's figure
    or names two area types in different parts ('城区和农村分别多少'), so every area's rule is given."""
    if any(word in text for word in WHOLE_SCOPE):
        return None
    named = {area for part in re.split(r"和|与|跟|还是|、|，|,|？|\?|。", text) if (area := find_area(kb, part))}
    return named.pop() if len(named) == 1 else None


def find_unknown_place(kb: KnowledgeBase, text: str) -> str | None:
    """A real place of China the KB does not cover ('杭州', '西湖区'); words that merely contain
    市/省/县 (市场监管, 省级园区, 县城) are not places."""
    for name in kb.vocab.other_places:
        if name in text:
            return name
    return china_gazetteer().find(text, kb.names_in(text))


def find_places(kb: KnowledgeBase, text: str) -> list[Place]:
    """Covered places named in the text, else one typed as a homophone slip (凯利 → 凯里)."""
    places = kb.places_in(text)
    if places:
        return places
    intended = sound_alike(text, kb.place_names)
    return kb.places_in(intended) if intended else []


def understand(kb: KnowledgeBase, raw: str) -> Question:
    text = normalize_text(raw)
    places = find_places(kb, text)
    question = Question(
        text=text,
        places=_dedupe_regions(places),
        districts=_districts_of_one_region(places),
        topics=find_topics(text),
        category=find_category(text),
        business=any(c in _UTILITY.sub("", text) for c in BUSINESS_CUES),
        area=area_asked(kb, text),
        capacity=find_capacity(text),
        steps=find_steps(_FROM_TO.sub("", _time_clauses(text))),
        focus=find_focus(text),
        forms=question_forms(text),
        measures=measures(text),
        years=years(text),
        categories=find_categories(text),
        length=first_length(text),
    )
    if question.asks(Form.PREMISE, Form.EXCEEDS):
        question.asserted = asserted_figure(text)
    if question.asks(Form.EXCEEDS) and question.asserted and question.asserted.unit == "工作日":
        # '用了6个工作日，算不算超时' asks about the time limit, not about the warning rules
        question.topics = ["time_limit", *(t for t in question.topics if t not in ("warning", "time_limit"))]
    question.every_region = any(cue in text for cue in EVERY_REGION_CUES)
    question.asks_meaning = any(cue in text for cue in dict(TOPIC_CUES)["definition"])
    if not question.places:
        question.unknown_place = find_unknown_place(kb, text)
    return question


def _districts_of_one_region(places: list[Place]) -> tuple[str, ...]:
    if len({p.region.id for p in places}) != 1:
        return ()
    return tuple(dict.fromkeys(p.district for p in places if p.district))


def _dedupe_regions(places: list[Place]) -> list[Place]:
    """One place per region, preferring the district (it is more specific)."""
    by_region: dict[str, Place] = {}
    for place in places:
        current = by_region.get(place.region.id)
        if current is None or (current.district is None and place.district):
            by_region[place.region.id] = place
    return list(by_region.values())
