"""Deadlines of the current step: time limits from the region's document, counted in working days.

Days are Beijing days (a stage entered at 01:00 UTC was entered on that Beijing morning); `due` is aware.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.calendar import APPROXIMATE_NOTE, WorkingCount, add_working_days, working_days_between
from bot.knowledge import selection
from bot.knowledge.models import Fact
from bot.knowledge.service import FactQuery, KnowledgeBase
from bot.orders.stages import Stage, stage
from bot.orders.times import BEIJING, as_utc, beijing_date
from bot.orders.views import OrderView
from bot.orders.warnings import WarningLevel, scheme_for

CLOCK_UNITS = {"分钟": timedelta(minutes=1), "小时": timedelta(hours=1)}
DAY_UNITS = ("工作日", "天")


@dataclass(frozen=True)
class TimeLimit:
    amount: float
    unit: str
    fact: Fact

    @property
    def text(self) -> str:
        amount = int(self.amount) if float(self.amount).is_integer() else self.amount
        return f"{amount}{'个' if self.unit == '工作日' else ''}{self.unit}"


@dataclass(frozen=True)
class StepDeadline:
    stage: Stage
    limit: TimeLimit | None
    due: datetime | None = None
    overdue: bool = False
    remaining: str = ""
    level: WarningLevel | None = None
    approximate: bool = False

    @property
    def note(self) -> str:
        return APPROXIMATE_NOTE if self.approximate else ""


def _duration(fact: Fact) -> tuple[float, str] | None:
    value = fact.value
    if value.amount is None or value.unit not in (*DAY_UNITS, *CLOCK_UNITS):
        return None
    return value.amount, value.unit


def dispatch_limit(kb: KnowledgeBase, region: str) -> TimeLimit | None:
    """The document's 派单时限 for pre-booking work orders (安阳: 20分钟), if it sets one."""
    for fact in kb.facts(region, FactQuery(topic="booking", aspect="dispatch")):
        duration = _duration(fact)
        if duration:
            return TimeLimit(*duration, fact)
    return None


def step_limit(
    kb: KnowledgeBase, region: str, category: str | None, names: tuple[str, ...], on: date,
) -> TimeLimit | None:
    """The time limit the region's document sets for a step, for the category or its parents."""
    facts = kb.facts(region, FactQuery(topic="time_limit", category=category or "all", aspect="step"))
    facts = selection.select([f for f in facts if f.step and any(n in f.step or f.step in n for n in names)], on=on)
    for fact in facts:
        duration = _duration(fact)
        if duration:
            return TimeLimit(*duration, fact)
    return None


def stage_limit(kb: KnowledgeBase, order: OrderView, on: date) -> TimeLimit | None:
    current = stage(order.stage)
    if current.final:
        return None
    if current.dispatch:
        return dispatch_limit(kb, order.region)
    return step_limit(kb, order.region, order.category, current.steps, on) if current.steps else None


def step_deadline(kb: KnowledgeBase, order: OrderView, now: datetime) -> StepDeadline:
    now = as_utc(now)
    current = stage(order.stage)
    limit = stage_limit(kb, order, beijing_date(now))
    if limit is None:
        return StepDeadline(current, None)
    if limit.unit in CLOCK_UNITS:
        return _clock_deadline(current, limit, order, now)
    return _day_deadline(current, limit, order, now)


def _clock_deadline(current: Stage, limit: TimeLimit, order: OrderView, now: datetime) -> StepDeadline:
    span = CLOCK_UNITS[limit.unit] * limit.amount
    since = as_utc(order.stage_since)
    due = since + span
    used = (now - since) / span
    overrun = (now - due) / span if now > due else None
    level = scheme_for(order.region).level(used, overrun)
    minutes = int(abs((due - now).total_seconds()) // 60)
    remaining = f"已超时{minutes}分钟" if overrun is not None else f"还剩{minutes}分钟"
    return StepDeadline(current, limit, due, overrun is not None, remaining, level)


def _day_deadline(current: Stage, limit: TimeLimit, order: OrderView, now: datetime) -> StepDeadline:
    start, today, amount = beijing_date(order.stage_since), beijing_date(now), int(limit.amount)
    if limit.unit == "工作日":
        result = add_working_days(start, amount)
        due_day, approximate = result.day, result.approximate
        used_count = working_days_between(start, today)
        left = working_days_between(today, due_day)
        unit = "个工作日"
    else:
        due_day, approximate = start + timedelta(days=amount), False
        used_count = WorkingCount((today - start).days)
        left = WorkingCount((due_day - today).days)
        unit = "天"
    overdue = today > due_day
    overrun = -left.days / amount if overdue else None
    level = scheme_for(order.region).level(used_count.days / amount if amount else 1.0, overrun)
    if overdue:
        remaining = f"已超时{-left.days}{unit}" if left.days else "已过截止日期"
    else:
        remaining = f"还剩{left.days}{unit}" if left.days else "今天到期"
    approximate = approximate or used_count.approximate or left.approximate
    return StepDeadline(current, limit, datetime.combine(due_day, time(23, 59), tzinfo=BEIJING), overdue, remaining,
                        level, approximate)

