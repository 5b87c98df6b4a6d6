"""Which facts answer: the one selection policy for answers, bookings, deadlines and the console.

A document often sets a target per year ('2021年底前…5个工作日，2022年底前…3个工作日'). Which of them count:
- the years a question names, when it names any (and some fact is of those years);
- else, when there is a date to go by (a booking's day, an order's start), the targets in force on it: a
  target superseded by a later target already due is dropped;
- else all of them, the schedule, which an answer states in full.
Among those, the facts that use most of the policy terms a question names ('一证', '新立杆') are its focus.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from bot.knowledge.models import Fact

Focus = tuple[tuple[str, ...], ...]  # groups of interchangeable words the question names


def select(facts: list[Fact], *, years: Collection[int] = (), on: date | None = None) -> list[Fact]:
    """The facts that count, by the rules above (years named first, then the date)."""
    if years:
        return of_years(facts, years)
    return in_force(facts, on) if on else facts


def of_years(facts: list[Fact], years: Collection[int]) -> list[Fact]:
    """The facts due in the years named ('2021年底和2022年底'); all when none is of those years."""
    if not years:
        return facts
    named = [f for f in facts if f.effective_by and f.effective_by.year in years]
    return named or facts


def in_force(facts: list[Fact], on: date) -> list[Fact]:
    """Drop targets superseded by a later target already due on `on`."""
    due = [f for f in facts if f.effective_by and f.effective_by <= on]
    latest = max((f.effective_by for f in due if f.effective_by), default=None)
    return [f for f in facts if f.effective_by is None or latest is None or f.effective_by >= latest]


def focus_score(fact: Fact, focus: Focus) -> int:
    """How many of the question's policy terms a fact's statement uses."""
    return sum(any(word in fact.statement for word in words) for words in focus)


def focused(facts: list[Fact], focus: Focus) -> list[Fact]:
    """The facts that use the most of the policy terms the question names; empty when none uses any."""
    best = max((focus_score(f, focus) for f in facts), default=0)
    return [f for f in facts if focus_score(f, focus) == best] if best else []
