"""Which facts answer one topic of a question: the region's facts for the customer group asked, narrowed to
the steps, years and policy terms the question names (bot/knowledge/selection.py), most specific group first."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.knowledge import selection
from bot.knowledge.models import Fact, Region
from bot.knowledge.service import FactQuery, KnowledgeBase
from bot.qa.context import Context
from bot.reading.frame import Question, step_matches

MAX_FACTS = 4

WORKS_ASPECTS = ("supporting_works", "external_works")

WORKS_ASKED = re.compile(r"配套|外线|外部工程|施工|完工|工程")

NUMERIC_TOPICS = ("time_limit", "reliability", "capacity", "approval", "steps")

FIGURE_TOPICS = ("time_limit", "reliability")  # a figure answers these; general remarks only without one

RELATED_TOPICS = {"materials": ("cert_mode",), "cert_mode": ("materials",), "booking": ("channels",),
                  "channels": ("booking", "hotline", "service"), "investment": ("fees", "capacity"),
                  "fees": ("investment",), "capacity": ("investment",), "definition": ("investment", "capacity")}

def first_use(fact: Fact, focus: tuple[tuple[str, ...], ...]) -> int:
    """Where a statement first uses a term: a definition names its term first ('小微企业是指…')."""
    positions = [fact.statement.find(w) for words in focus for w in words if w in fact.statement]
    return min(positions, default=len(fact.statement))


FIGURES = {"time_limit": re.compile(r"\d+(\.\d+)?个?(工作日|天|小时|分钟|个月)"),
           "reliability": re.compile(r"\d+(\.\d+)?(小时|分钟|%|％)")}


def has_figure(fact: Fact, topic: str | None = None) -> bool:
    """Whether a fact states a figure: of the topic's own kind (days, hours) when one is given."""
    pattern = FIGURES.get(topic or "")
    return bool(pattern.search(fact.statement) if pattern else re.search(r"\d", fact.statement))



class FactChoice:
    """Part of the Answerer (bot/qa/planner.py): choosing the facts."""

    kb: KnowledgeBase

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
            facts.sort(key=lambda f: first_use(f, question.focus))
        if context.area and any(f.area == context.area for f in facts):
            facts = [f for f in facts if f.area == context.area]
        if topic in NUMERIC_TOPICS:
            facts.sort(key=lambda f: not has_figure(f))
        if topic in FIGURE_TOPICS and any(has_figure(f, topic) for f in facts):
            facts = [f for f in facts if has_figure(f, topic)]
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
