"""Answers that compute from facts: comparisons with a verdict, sums and differences of step
limits, and several years asked at once. Each returns None when the facts do not allow it, so the
plain answer is given instead."""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from bot.knowledge import selection
from bot.knowledge.models import Fact, Reduction, Region
from bot.knowledge.service import KnowledgeBase
from bot.qa.context import Context, refine_category
from bot.qa.figures import Side, comparison_line, each_line, figure, step_sum_line
from bot.qa.wording import source_line
from bot.reading.forms import Form
from bot.reading.frame import Question, step_matches


class Answerer(Protocol):
    """What the computations need of the planner: its knowledge base and its fact selection."""

    kb: KnowledgeBase

    def select_facts(self, region: Region, topic: str, question: Question, context: Context) -> list[Fact]: ...

    def topic_facts(self, region: Region, topic: str, context: Context) -> list[Fact]: ...

COMPARE_FORMS = (Form.SAME, Form.WHICH_FASTER, Form.HOW_MANY_MORE)


def _label(answerer: Answerer, region: Region, category: str | None, with_region: bool) -> str:
    name = answerer.kb.vocab.categories[category]["name"] if category else ""
    return (region.name if with_region else "") + name


def _side(answerer: Answerer, region: Region, topic: str, question: Question, context: Context,
          label: str) -> Side | None:
    facts = answerer.select_facts(region, topic, question, context)
    step = question.steps[0] if question.steps else None
    found = figure(topic, facts, question.text, step)
    return Side(label, *found) if found else None


def _lines(heading: str, sides: list[Side], context: Context, verdict: bool = True) -> tuple[str, list[Fact]]:
    facts = list(dict.fromkeys(s.fact for s in sides))
    figures = comparison_line(sides) if verdict else each_line(sides)
    lines = [heading + figures] + [f"· {f.statement}" for f in facts]
    return "\n".join(lines + [source_line(facts, context.agent_mode)]), facts


def compare_years(answerer: Answerer, region: Region, topic: str, question: Question,
                  context: Context) -> tuple[str, list[Fact]] | None:
    """'2022年底比2021年底少几天' → each year's target and the difference."""
    if not question.asks(*COMPARE_FORMS) or len(question.years) != 2:
        return None
    sides = []
    for year in question.years:
        side = _side(answerer, region, topic, replace(question, years=(year,)), context, f"{year}年")
        if side is None or not side.fact.effective_by or side.fact.effective_by.year != year:
            return None
        sides.append(side)
    return _lines(f"{region.name}：", sides, context)


def compare_regions(answerer: Answerer, topic: str, question: Question, context: Context,
                    regions: list[Region]) -> tuple[str, list[Fact]] | None:
    """'连云港和黔东南谁更短？差几天？' → the verdict and the difference, each side cited."""
    if not question.asks(*COMPARE_FORMS) or len(regions) != 2:
        return None
    categories: list[str | None] = [*question.categories] or [context.category]
    sides = []
    for index, region in enumerate(regions):
        category = categories[min(index, len(categories) - 1)]
        scoped = replace(context, region=region.id, category=category,
                         district=context.district if question.place else None)
        side = _side(answerer, region, topic, question, scoped, region.name)
        if side is None:
            return None
        sides.append(side)
    lines = [comparison_line(sides)]
    for side in sides:
        cited = source_line([side.fact], context.agent_mode).strip("（）")
        lines.append(f"· {side.fact.statement.rstrip('。')}（{cited}）")
    return "\n".join(lines), [s.fact for s in sides]


def compare_categories(answerer: Answerer, region: Region, topic: str, question: Question,
                       context: Context) -> tuple[str, list[Fact]] | None:
    """'10千伏双电源比单电源多几天' → both groups' limits in one region and the difference; '低压无配套和
    有配套工程全流程时长' (two groups, no comparison asked) → each group's figure."""
    if len(question.categories) < 2:
        return None
    first = refine_category(context.category, question.categories[0])
    second = refine_category(first, question.categories[1])
    sides = []
    for category in (first, second):
        side = _side(answerer, region, topic, question, replace(context, category=category),
                     _label(answerer, region, category, False))
        if side is None:
            return None
        sides.append(side)
    if sides[0].fact == sides[1].fact:
        return None
    return _lines(f"{region.name}：", sides, context, verdict=question.asks(*COMPARE_FORMS))


def step_arithmetic(answerer: Answerer, region: Region, question: Question,
                    context: Context) -> tuple[str, list[Fact]] | None:
    """Sums of the named steps' limits, or the total without the named steps."""
    if not question.asks(Form.SUM, Form.MINUS) or not context.category:
        return None
    facts = answerer.kb.nearest(
        selection.select([f for f in answerer.topic_facts(region, "time_limit", context)
                          if f.aspect == "step" and f.value.quantity], years=question.years),
        context.category)
    own = [f for f in facts if f.category == facts[0].category] if facts else []
    steps = list({f.step: f for f in own}.values())
    named = [f for f in steps if any(step_matches(s, f.step) for s in question.steps)]
    if not named or len(steps) < 2:
        return None
    label = f"{region.name}{_label(answerer, region, own[0].category, False)}"
    if question.asks(Form.MINUS):
        rest = [f for f in steps if f not in named]
        if not rest:
            return None
        text, shown = step_sum_line(label, rest, named), rest + named
    elif len(named) >= 2:
        text, shown = step_sum_line(label, named), named
    else:
        return None
    lines = [text] + [f"· {f.statement}" for f in shown] + [source_line(shown, context.agent_mode)]
    return "\n".join(lines), shown


def fewer_steps(answerer: Answerer, region: Region, question: Question,
                context: Context) -> tuple[str, list[Fact]] | None:
    """'高压新装，既投资到红线又主动办电，最多剩几个环节' → the group's count less the reductions the
    question names (the document says they add up). None for one condition that a fact of the
    group states on its own (its steps are named there), or a group the reductions do not cover."""
    if not context.category:
        return None
    facts = answerer.topic_facts(region, "steps", context)
    counts = answerer.kb.nearest([f for f in facts if f.aspect == "count" and f.value.count], context.category)
    rule = next((f for f in facts if f.value.reductions), None)
    if not counts or rule is None:
        return None
    base = counts[0]
    named = [r for r in rule.value.reductions if base.category in r.groups and _names(question.text, r)]
    if not named or (len(named) == 1 and any(_names(f.statement, named[0]) for f in facts
                                               if f.category == base.category and f.value.count)):
        return None
    left = (base.value.count or 0) - sum(r.count for r in named)
    if left < 1:
        return None
    label = f"{region.name}{_label(answerer, region, base.category, False)}"
    sums = "−".join([str(base.value.count)] + [str(r.count) for r in named])
    conditions = "，".join(r.text for r in named)
    text = (f"{label}：办电环节最多{left}个（一般不超过{base.value.count}个，{conditions}：{sums}={left}）。\n"
            f"{source_line([rule], context.agent_mode)}")
    return text, [rule]


def _names(text: str, reduction: Reduction) -> bool:
    return any(word in text for word in reduction.when)


def compare_districts(answerer: Answerer, region: Region, topic: str, question: Question,
                      context: Context) -> tuple[str, list[Fact]] | None:
    """'台儿庄和滕州农村停电时间各是多少，差几个小时' → each district's figure (and the difference when
    asked) from the rules the document sets for each."""
    if len(question.districts) != 2:
        return None
    sides = []
    for district in question.districts:
        side = _side(answerer, region, topic, question, replace(context, district=district), district)
        if side is None:
            return None
        sides.append(side)
    return _lines(f"{region.name}：", sides, context, verdict=question.asks(*COMPARE_FORMS))
