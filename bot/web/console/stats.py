"""The dashboard's numbers, aggregated in the database (GROUP BY per day, stage, region, bucket) over a period of
whole days ending today; only the warning levels of open orders are computed here, from the region's document
and working days (bot/orders/deadlines.py), over at most OVERDUE_SCAN open orders, the longest waiting first.

Times are stored in UTC (bot/orders/times.py; naive columns hold naive UTC); a day is a Beijing calendar day
(UTC+8 all year: China has no daylight saving time), so rows are bucketed by their time plus 8 hours.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Interval, case, extract, func, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from bot.feedback.models import Exchange, Unanswered
from bot.knowledge.service import KnowledgeBase
from bot.livechat.models import Handoff
from bot.orders.deadlines import step_deadline
from bot.orders.models import CustomerManager, WorkOrder
from bot.orders.stages import STAGES, UnknownStage
from bot.orders.times import at_beijing, beijing_date, naive_utc, shown
from bot.orders.views import OrderView
from bot.orders.warnings import load_schemes

OVERDUE_SCAN = 2000  # open orders examined for the warning levels, the longest in their stage first
TOP_QUESTIONS = 10
TOP_MANAGERS = 15
UNASSIGNED = "待分配"
# bounds (seconds) of the handoff wait buckets, and their labels
WAIT_BUCKETS: tuple[tuple[float, str], ...] = ((60, "1分钟内"), (300, "1–5分钟"), (900, "5–15分钟"),
                                               (3600, "15–60分钟"), (float("inf"), "1小时以上"))
LEVEL_COLOURS = (("蓝", "#2e90fa"), ("橙", "#f79009"), ("黄", "#eaaa08"), ("红", "#d92d20"),
                 ("即将到期", "#fdb022"), ("已超时", "#b42318"))


@dataclass(frozen=True)
class Period:
    start: date  # Beijing days, from ...
    end: date  # ... to, inclusive

    @classmethod
    def ending(cls, today: date, days: int) -> Period:
        return cls(today - timedelta(days=days - 1), today)

    @property
    def since(self) -> datetime:
        """The first moment, as naive UTC (what the tables store)."""
        return naive_utc(at_beijing(self.start, time.min))

    @property
    def until(self) -> datetime:
        return naive_utc(at_beijing(self.end + timedelta(days=1), time.min))

    @property
    def days(self) -> list[str]:
        return [f"{self.start + timedelta(days=i):%Y-%m-%d}" for i in range((self.end - self.start).days + 1)]


def beijing_day(column: Any, dialect: str) -> ColumnElement:
    """The Beijing calendar day of a UTC time column, in SQL."""
    if dialect == "sqlite":
        return func.date(column, "+8 hours")
    return func.date(column + literal_column("INTERVAL '8 hours'", type_=Interval))


def _day(value: Any) -> str:
    """func.date(...) is a 'YYYY-MM-DD' string on SQLite and a date on PostgreSQL."""
    return f"{value:%Y-%m-%d}" if isinstance(value, date) else str(value)[:10]


def seconds_between(later: Any, earlier: Any, dialect: str) -> ColumnElement:
    if dialect == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return extract("epoch", later - earlier)  # PostgreSQL: an interval's seconds


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _series(days: Sequence[str], found: Mapping[str, float]) -> list[float]:
    return [found.get(day, 0) for day in days]


def orders_over_time(session: Session, kb: KnowledgeBase, period: Period) -> dict[str, Any]:
    """New orders per day and region in the period, and every order now by stage and region."""
    day = beijing_day(WorkOrder.created_at, _dialect(session))
    created = session.execute(select(day, WorkOrder.region, func.count())
                              .where(WorkOrder.created_at >= period.since, WorkOrder.created_at < period.until)
                              .group_by(day, WorkOrder.region)).all()
    by_region: dict[str, dict[str, float]] = defaultdict(dict)
    for when, region, count in created:
        by_region[region][_day(when)] = int(count)
    staged = session.execute(select(WorkOrder.stage, WorkOrder.region, func.count())
                             .group_by(WorkOrder.stage, WorkOrder.region)).all()
    stage_counts: dict[str, dict[str, int]] = defaultdict(dict)
    for stage_id, region, count in staged:
        stage_counts[region][stage_id] = int(count)
    regions = [(r.id, r.name) for r in kb.regions]
    known = {rid for rid, _ in regions}
    regions += [(rid, rid) for rid in sorted((set(by_region) | set(stage_counts)) - known)]
    days = period.days
    return {
        "days": days,
        "created": [{"region": rid, "name": name, "counts": _series(days, by_region.get(rid, {}))}
                    for rid, name in regions],
        "stages": [{"id": s.id, "name": s.name} for s in STAGES],
        "by_stage": [{"region": rid, "name": name, "counts": [stage_counts.get(rid, {}).get(s.id, 0) for s in STAGES]}
                     for rid, name in regions],
        "created_total": sum(int(count) for _, _, count in created),
    }


def level_colour(name: str) -> str:
    return next((colour for word, colour in LEVEL_COLOURS if word in name), "#98a2b3")


def warning_levels() -> list[str]:
    """Every level name of warning_levels.yml, least urgent first within each scheme (蓝, 橙, 黄, 红, …)."""
    names: list[str] = []
    for scheme in load_schemes().values():
        for level in sorted(scheme.levels, key=lambda lv: (lv.phase == "after", lv.at)):
            if level.name not in names:
                names.append(level.name)
    return names


def overdue_by_manager(session: Session, kb: KnowledgeBase, now: datetime, scan: int = OVERDUE_SCAN) -> dict[str, Any]:
    """Open orders that reached a warning level (蓝色预警 … 红色告警; elsewhere 即将到期, 已超时), by manager."""
    final = tuple(s.id for s in STAGES if s.final)
    rows = session.execute(
        select(WorkOrder.region, WorkOrder.category, WorkOrder.stage, WorkOrder.stage_since, CustomerManager.name)
        .outerjoin(CustomerManager, WorkOrder.manager_id == CustomerManager.id)
        .where(WorkOrder.stage.not_in(final)).order_by(WorkOrder.stage_since, WorkOrder.id).limit(scan)).all()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    overdue = 0
    for region, category, stage_id, since, manager in rows:
        view = OrderView(number="", region=region, district=None, address="", contact_name="", phone="",
                         business="", category=category, capacity=None, visit_date=None, visit_period=None,
                         stage=stage_id, stage_since=since, manager=None, channel="", created_by="", created_at=since,
                         dispatch_due=None, history=())
        try:
            deadline = step_deadline(kb, view, now)
        except (KeyError, UnknownStage):  # a region or stage the knowledge base does not know
            continue
        overdue += deadline.overdue
        if deadline.level is not None:
            counts[manager or UNASSIGNED][deadline.level.name] += 1
    levels = [name for name in warning_levels() if any(name in c for c in counts.values())]
    ranked = sorted(counts.items(), key=lambda item: (-sum(item[1].values()), item[0]))[:TOP_MANAGERS]
    return {
        "levels": [{"name": name, "colour": level_colour(name)} for name in levels],
        "managers": [{"name": name, "counts": [c.get(level, 0) for level in levels], "total": sum(c.values())}
                     for name, c in ranked],
        "open_scanned": len(rows), "overdue": overdue, "warned": sum(sum(c.values()) for c in counts.values()),
    }


def handoff_waits(session: Session, period: Period) -> dict[str, Any]:
    """Handoffs asked for in the period: per day how many, how many taken, the mean and longest wait until an
    agent took them (minutes); the waits in buckets; how many were never taken."""
    waited = seconds_between(Handoff.taken_at, Handoff.created_at, _dialect(session))
    in_period = (Handoff.created_at >= period.since, Handoff.created_at < period.until)
    day = beijing_day(Handoff.created_at, _dialect(session))
    per_day = session.execute(select(day, func.count(), func.count(Handoff.taken_at), func.avg(waited),
                                     func.max(waited)).where(*in_period).group_by(day)).all()
    bucket = case(*[(waited < bound, label) for bound, label in WAIT_BUCKETS[:-1]], else_=WAIT_BUCKETS[-1][1])
    buckets = dict(session.execute(select(bucket, func.count()).where(*in_period, Handoff.taken_at.is_not(None))
                                   .group_by(bucket)).all())
    asked = {_day(d): int(n) for d, n, _, _, _ in per_day}
    taken = {_day(d): int(t) for d, _, t, _, _ in per_day}
    mean = {_day(d): round(float(a) / 60, 1) for d, _, _, a, _ in per_day if a is not None}
    longest = {_day(d): round(float(m) / 60, 1) for d, _, _, _, m in per_day if m is not None}
    days = period.days
    total_taken = sum(taken.values())
    all_mean = session.execute(select(func.avg(waited)).where(*in_period, Handoff.taken_at.is_not(None))).scalar()
    return {
        "asked": _series(days, asked), "taken": _series(days, taken),
        "mean_minutes": [mean.get(d) for d in days], "max_minutes": [longest.get(d) for d in days],
        "buckets": [{"label": label, "count": int(buckets.get(label, 0))} for _, label in WAIT_BUCKETS],
        "total": sum(asked.values()), "total_taken": total_taken, "untaken": sum(asked.values()) - total_taken,
        "mean_minutes_all": round(float(all_mean) / 60, 1) if all_mean is not None else None,
    }


def _rate(part: float, whole: float) -> float | None:
    return round(part * 100.0 / whole, 1) if whole else None


def answer_quality(session: Session, period: Period) -> dict[str, Any]:
    """Per day: web-chat exchanges, how many were rated and 👎, questions the assistant could not answer; the
    fallback rate (unanswered ÷ exchanges) and the 👎 rate (👎 ÷ rated) in percent."""
    day = beijing_day(Exchange.created_at, _dialect(session))
    rows = session.execute(select(day, func.count(), func.count(Exchange.rating),
                                  func.sum(case((Exchange.rating == -1, 1), else_=0)))
                           .where(Exchange.created_at >= period.since, Exchange.created_at < period.until)
                           .group_by(day)).all()
    missed_day = beijing_day(Unanswered.at, _dialect(session))
    missed = {_day(d): int(n) for d, n in session.execute(
        select(missed_day, func.count()).where(Unanswered.at >= period.since, Unanswered.at < period.until)
        .group_by(missed_day)).all()}
    asked = {_day(d): int(n) for d, n, _, _ in rows}
    rated = {_day(d): int(r) for d, _, r, _ in rows}
    down = {_day(d): int(x or 0) for d, _, _, x in rows}
    days = period.days
    totals = {"exchanges": sum(asked.values()), "rated": sum(rated.values()), "down": sum(down.values()),
              "unanswered": sum(missed.values())}
    return {
        "exchanges": _series(days, asked), "rated": _series(days, rated), "down": _series(days, down),
        "unanswered": _series(days, missed),
        "fallback_rate": [_rate(missed.get(d, 0), asked.get(d, 0)) for d in days],
        "down_rate": [_rate(down.get(d, 0), rated.get(d, 0)) for d in days],
        "totals": totals | {"fallback_rate": _rate(totals["unanswered"], totals["exchanges"]),
                            "down_rate": _rate(totals["down"], totals["rated"])},
    }


def top_unanswered(session: Session, period: Period, limit: int = TOP_QUESTIONS) -> list[dict[str, Any]]:
    query = (select(Unanswered.question, func.count(), func.max(Unanswered.reason))
             .where(Unanswered.at >= period.since, Unanswered.at < period.until)
             .group_by(Unanswered.question).order_by(func.count().desc(), func.max(Unanswered.at).desc()).limit(limit))
    return [{"question": q, "count": int(n), "reason": r} for q, n, r in session.execute(query)]


def dashboard(session: Session, kb: KnowledgeBase, now: datetime, days: int) -> dict[str, Any]:
    """`now`: aware, or naive UTC."""
    period = Period.ending(beijing_date(now), days)
    return {
        "period": {"days": days, "from": f"{period.start:%Y-%m-%d}", "to": f"{period.end:%Y-%m-%d}",
                   "generated_at": shown(now)},
        "orders": orders_over_time(session, kb, period),
        "warnings": overdue_by_manager(session, kb, now),
        "handoffs": handoff_waits(session, period),
        "quality": answer_quality(session, period),
        "unanswered_top": top_unanswered(session, period),
    }
