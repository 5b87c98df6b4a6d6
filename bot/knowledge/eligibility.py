"""Capacity-driven answers: may this customer connect at low voltage, and who pays up to where.

Thresholds are compared only in the unit the document writes (千瓦 or 千伏安); a capacity given
in the other unit is never converted: the answer then says which unit the rule uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


def threshold_rules(kb: KnowledgeBase, region: Region, topic: str, on: date) -> list[Fact]:
    """Capacity-limited rules of a topic already in force on `on` (undated ones always)."""
    rules = [f for f in region.facts if f.topic == topic and f.max_capacity is not None]
    in_force = [f for f in rules if f.effective_by is None or f.effective_by <= on]
    return in_force or rules


def _applicable(rules: list[Fact], area: str | None, district: str | None) -> list[Fact]:
    """Rules that apply to the place: those for its district (or for every district) and for its
    area (or for every area); the newest in force, district-specific and exact-area rules first."""
    rules = [f for f in rules if _covers(f, district) and (area is None or f.area in (area, None))]
    rules = _latest(rules)
    return sorted(rules, key=lambda f: (not isinstance(f.districts, tuple), f.area != area))


def _covers(fact: Fact, district: str | None) -> bool:
    if isinstance(fact.districts, tuple):
        return district in fact.districts
    return fact.districts != "others" or district is not None


def _latest(rules: list[Fact]) -> list[Fact]:
    dated = [f.effective_by for f in rules if f.effective_by]
    if not dated:
        return rules
    newest = max(dated)
    return [f for f in rules if f.effective_by == newest or f.effective_by is None]


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
    rules = _applicable(threshold_rules(kb, region, "capacity", on), area, district)
    investment = tuple(_applicable(threshold_rules(kb, region, "investment", on), area, district))
    return _decide(rules, capacity, area, investment)


def _decide(rules: list[Fact], capacity: Quantity, area: str | None, investment: tuple[Fact, ...]) -> Eligibility:
    if not rules:
        return Eligibility(Verdict.NO_RULE, investment=investment)
    areas = tuple(sorted({f.area for f in rules if f.area}))
    if area is None and len({(f.max_capacity, f.area) for f in rules}) > 1 and len(areas) > 1:
        return Eligibility(Verdict.NEED_AREA, areas=areas)
    rule = rules[0]
    assert rule.max_capacity is not None
    if rule.max_capacity.unit != capacity.unit:
        return Eligibility(Verdict.UNIT_MISMATCH, rule=rule)
    verdict = Verdict.ELIGIBLE if capacity.amount <= rule.max_capacity.amount else Verdict.NOT_ELIGIBLE
    paying = tuple(f for f in investment if f.max_capacity and f.max_capacity.unit == capacity.unit
                   and capacity.amount <= f.max_capacity.amount)
    return Eligibility(verdict, rule=rule, investment=paying)
