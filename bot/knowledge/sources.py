"""Prove every fact against its seed document.

Three checks:
- each excerpt occurs verbatim (after whitespace/width normalisation) in the region's seed;
- each number in a fact's value, thresholds and statement occurs in its excerpts;
- each number the seed states with a unit (工作日, 千瓦, 小时, % …) appears in some fact of
  that region, so no figure of the document is left out of the knowledge base.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.knowledge.models import Fact, Region
from bot.knowledge.textnorm import _canonical, normalize, numbers_in

# a number or a list of numbers ("1.5、4、8、12") followed by a unit the policies use
_UNIT_FIGURE = re.compile(
    r"((?:\d+(?:\.\d+)?个?[、,和及至-])*\d+(?:\.\d+)?)个?"
    r"(工作日|千瓦|千伏安|小时|米|%|环节|项|分钟|天|个月|公里)"
)
_SPLIT_LIST = re.compile(r"[、,和及至-]")


def seed_text(region: Region, seeds_dir: Path) -> str:
    return (seeds_dir / region.document.seed).read_text(encoding="utf-8")


def fact_numbers(fact: Fact) -> set[str]:
    numbers = set(numbers_in(fact.statement))
    for reduction in fact.value.reductions:
        numbers.update(numbers_in(reduction.text))
    value = fact.value
    for amount in (value.amount, value.count, *(r.count for r in value.reductions)):
        if amount is not None:
            numbers.add(_canonical(str(amount)))
    for quantity in (fact.max_capacity, fact.max_length):
        if quantity is not None:
            numbers.add(_canonical(str(quantity.amount)))
    return numbers


def check_fact(fact: Fact, seed_normalized: str, where: str) -> list[str]:
    problems = []
    for excerpt in fact.source.excerpts:
        if normalize(excerpt) not in seed_normalized:
            problems.append(f"{where}: fact {fact.id}: excerpt not found in seed: {excerpt[:40]!r}")
    for reduction in fact.value.reductions:
        if not any(normalize(reduction.text) in normalize(e) for e in fact.source.excerpts):
            problems.append(f"{where}: fact {fact.id}: reduction {reduction.text!r} not in its excerpt")
    excerpt_numbers = {n for e in fact.source.excerpts for n in numbers_in(e)}
    missing = fact_numbers(fact) - excerpt_numbers
    if missing:
        problems.append(f"{where}: fact {fact.id}: number(s) {sorted(missing)} not in its excerpt")
    return problems


def check_region(region: Region, seeds_dir: Path) -> list[str]:
    seed = normalize(seed_text(region, seeds_dir))
    problems = []
    for fact in region.facts:
        problems.extend(check_fact(fact, seed, f"{region.path}:{fact.line}"))
    return problems


def unit_figures(text: str) -> set[tuple[str, str]]:
    """(number, unit) pairs a text states, lists expanded: '3、5个工作日' gives 3 and 5."""
    figures = set()
    for numbers, unit in _UNIT_FIGURE.findall(normalize(text)):
        for number in _SPLIT_LIST.split(numbers):
            number = number.rstrip("个")
            if number:
                figures.add((_canonical(number), unit))
    return figures


def uncovered_figures(region: Region, seeds_dir: Path) -> set[tuple[str, str]]:
    """Figures of the seed that no fact of the region carries in its statement or value."""
    stated: set[tuple[str, str]] = set()
    for fact in region.facts:
        stated |= unit_figures(fact.statement)
    return unit_figures(seed_text(region, seeds_dir)) - stated
