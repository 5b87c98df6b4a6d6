"""Capacity-driven answers: may this customer connect at low voltage, and who pays up to where.

Thresholds are compared only in the unit the document writes (千瓦 or 千伏安); a capacity given
in the other unit is never converted: the answer then says which unit the rule uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from enum import Enum

from bot.knowledge.models import Fact, Quantity, Region
from bot.knowledge.service import KnowledgeBase


class Verdict(str, Enum):
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    NEED_AREA = "need_area"
    UNIT_MISMATCH = "unit_mismatch"
    NO_RULE = "no_rule"


@dataclass(frozen=True)
class Eligibility:
    verdict: Verdict
    rule: Fact | None = None
    investment: tuple[Fact, ...] = ()
    areas: tuple[str, ...] = field(default=())
    alternatives: tuple[Fact, ...] = ()  # the thresholds for other areas, when the area is unknown
    investment_rules: tuple[Fact, ...] = ()  # the zero-investment rules for the place, paying or not


def threshold_rules(kb: KnowledgeBase, region: Region, topic: str, on: date) -> list[Fact]:
    """Low-voltage capacity-limited rules of a topic in force on `on` (undated rules always are);
    high-voltage measures with a capacity (e.g. a subsidy for 1250千伏安 users) are not among them."""
    return [f for f in region.facts if f.topic == topic and f.max_capacity is not None
            and "hv" not in kb.category_lineage(f.category)
            and (f.effective_by is None or f.effective_by <= on)]


def _when(fact: Fact) -> date:
    return fact.effective_by or date.min


def _applicable(kb: KnowledgeBase, region: Region, rules: list[Fact], area: str | None,
                district: str | None) -> list[Fact]:
    """The rules for the place: its district's (or every district's) and its area's (or every
    area's). A newer rule for the whole region supersedes older ones for parts of it; of the
    rules for one part only the newest counts. District rules first, then exact area, then general."""
    rules = [f for f in rules if _covers(kb, region, f, district) and (area is None or f.area in (area, None))]
    general = [_when(f) for f in rules if f.area is None and f.districts is None]
    if general:
        rules = [f for f in rules if _when(f) >= max(general)]
    newest: dict[tuple[str | None, object], date] = {}
    for fact in rules:
        part = (fact.area, fact.districts)
        newest[part] = max(newest.get(part, date.min), _when(fact))
    rules = [f for f in rules if _when(f) == newest[(f.area, f.districts)]]
    return sorted(rules, key=lambda f: (not isinstance(f.districts, tuple), f.area != area, f.area is None))


def _covers(kb: KnowledgeBase, region: Region, fact: Fact, district: str | None) -> bool:
    if district is None:
        return not isinstance(fact.districts, tuple)
    return kb.covers_district(fact, district, region)


def low_voltage_access(
    kb: KnowledgeBase,
    region: Region,
    capacity: Quantity,
    area: str | None = None,
    district: str | None = None,
    on: date | None = None,
) -> Eligibility:
    """Whether `capacity` is within the region's low-voltage access threshold for the area."""
    on = on or date.today()
    capacity_rules = threshold_rules(kb, region, "capacity", on)
    if area and not any(f.area in (area, None) for f in capacity_rules):
        # the document sets no threshold for this kind of area: the wider area it lies in, else all
        wider = kb.vocab.areas.get(area, {}).get("within", ())
        area = next((a for a in wider if any(f.area == a for f in capacity_rules)), None)
    rules = _applicable(kb, region, capacity_rules, area, district)
    investment = tuple(_applicable(kb, region, threshold_rules(kb, region, "investment", on), area, district))
    return replace(_decide(rules, capacity, area, investment), investment_rules=investment)


def _decide(rules: list[Fact], capacity: Quantity, area: str | None, investment: tuple[Fact, ...]) -> Eligibility:
    if not rules:
        return Eligibility(Verdict.NO_RULE, investment=investment)
    rule = rules[0]
    assert rule.max_capacity is not None
    if all(f.max_capacity and f.max_capacity.unit != capacity.unit for f in rules):
        return Eligibility(Verdict.UNIT_MISMATCH, rule=rule, alternatives=tuple(rules[1:]))
    areas = tuple(sorted({f.area for f in rules if f.area}))
    if area is None and len({(f.max_capacity, f.area) for f in rules}) > 1 and len(areas) > 1:
        return Eligibility(Verdict.NEED_AREA, areas=areas)
    if rule.max_capacity.unit != capacity.unit:
        return Eligibility(Verdict.UNIT_MISMATCH, rule=rule)
    verdict = Verdict.ELIGIBLE if capacity.amount <= rule.max_capacity.amount else Verdict.NOT_ELIGIBLE
    paying = tuple(f for f in investment if f.max_capacity and f.max_capacity.unit == capacity.unit
                   and capacity.amount <= f.max_capacity.amount)
    return Eligibility(verdict, rule=rule, investment=paying)


def first_paying_date(kb: KnowledgeBase, region: Region, capacity: Quantity, area: str | None = None,
                      district: str | None = None) -> tuple[date, Fact] | None:
    """Since when the grid pays up to the meter for this capacity here: the earliest target date
    whose rules, for this area and district, cover the capacity."""
    dates = sorted({f.effective_by for f in region.facts if f.topic == "investment" and f.effective_by
                    and f.max_capacity is not None})
    for when in dates:
        result = low_voltage_access(kb, region, capacity, area, district, when)
        if result.investment:
            return when, result.investment[0]
    return None
