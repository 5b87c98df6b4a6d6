"""Working days in mainland China: public holidays and adjusted working weekends.

`chinese_calendar` knows the State Council's holiday arrangements for the years it ships
(2004–2026 in 1.11.0) and raises NotImplementedError for any other year. For those years
the calendar falls back to "Monday to Friday are working days" and every result computed
with a fallback day is flagged `approximate`, so replies can say the date is an estimate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

CHINA = ZoneInfo("Asia/Shanghai")
APPROXIMATE_NOTE = "（该年度法定节假日安排尚未收录，按周一至周五估算）"
HOLIDAY_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def china_now() -> datetime:
    """The current wall-clock time in Beijing, naive (the whole service runs in one time zone)."""
    return datetime.now(CHINA).replace(tzinfo=None)


@dataclass(frozen=True)
class DayInfo:
    day: date
    working: bool
    approximate: bool
    holiday: str | None = None


@dataclass(frozen=True)
class WorkingDate:
    """A date computed over working days; `approximate` when a fallback year was involved."""

    day: date
    approximate: bool = False


@dataclass(frozen=True)
class WorkingCount:
    days: int
    approximate: bool = False


def day_info(day: date) -> DayInfo:
    """Whether a day is a working day, from the official calendar or the weekday fallback."""
    try:
        working = chinese_calendar.is_workday(day)
        _, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return DayInfo(day, day.weekday() < 5, approximate=True)
    return DayInfo(day, working, approximate=False, holiday=HOLIDAY_NAMES.get(name, name) if name else None)


def is_working_day(day: date) -> bool:
    return day_info(day).working


def is_covered(day: date) -> bool:
    """True when the official holiday arrangement for the day's year is known."""
    return not day_info(day).approximate


def add_working_days(start: date, days: int) -> WorkingDate:
    """The `days`-th working day after `start` (start itself not counted; 0 → start)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current, approximate, remaining = start, False, days
    while remaining:
        current += timedelta(days=1)
        info = day_info(current)
        approximate |= info.approximate
        remaining -= info.working
    return WorkingDate(current, approximate)


def working_days_between(start: date, end: date) -> WorkingCount:
    """Working days in (start, end]; negative when end is before start."""
    if end < start:
        count = working_days_between(end, start)
        return WorkingCount(-count.days, count.approximate)
    days, approximate, current = 0, False, start
    while current < end:
        current += timedelta(days=1)
        info = day_info(current)
        approximate |= info.approximate
        days += info.working
    return WorkingCount(days, approximate)


def next_working_day(day: date) -> WorkingDate:
    """The first working day on or after `day`."""
    info = day_info(day)
    if info.working:
        return WorkingDate(day, info.approximate)
    return add_working_days(day, 1)
