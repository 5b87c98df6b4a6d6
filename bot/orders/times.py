"""One time zone: every stored time is UTC, every shown time is Beijing time (Asia/Shanghai).

- **Storing.** The order tables' times are `UTCDateTime` columns: Python sees aware UTC datetimes, the database
  keeps naive UTC (`timestamp` without a zone, the same on SQLite and PostgreSQL). A naive datetime handed to
  one of them, or to a function of bot.orders, is read as UTC (`as_utc`), never as the machine's local time;
  the clocks of the services are `utc_now()` (aware) and, for the tables that still take naive values
  (live chat, feedback, accounts), `naive_utc_now()`.
- **Showing.** `shown()` and its siblings turn any stored or computed time into Beijing wall-clock text. The
  console, the chat and status replies, WeChat notices, the staff CLI and the exports all use them, so a
  history reads the same everywhere whatever the server's TZ is.
- **Wall-clock reasoning** (what "明天上午" means, which day a working-day deadline falls on) uses
  `beijing(moment)`: the business runs on Beijing days.

Rows written before revision 0004 were naive Beijing time (the action server and the CLI used Beijing wall
clock) or the web server's local clock (the console): 0004 converts them (docs/booking.md, "Times").
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

UTC = timezone.utc
BEIJING = ZoneInfo("Asia/Shanghai")
WEEKDAYS = "一二三四五六日"


def utc_now() -> datetime:
    """Now, aware, in UTC: what the services store."""
    return datetime.now(UTC)


def naive_utc_now() -> datetime:
    """Now in UTC without a zone, for the tables whose columns still take naive values (read as UTC)."""
    return utc_now().replace(tzinfo=None)


def as_utc(moment: datetime) -> datetime:
    """The moment as an aware UTC datetime; a naive one is taken to be UTC already (the storage rule)."""
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def naive_utc(moment: datetime) -> datetime:
    """The moment in UTC without a zone (for naive columns of other features' tables)."""
    return as_utc(moment).replace(tzinfo=None)


def beijing(moment: datetime) -> datetime:
    """The moment on Beijing wall clock (aware, Asia/Shanghai)."""
    return as_utc(moment).astimezone(BEIJING)


def beijing_now() -> datetime:
    return utc_now().astimezone(BEIJING)


def beijing_date(moment: datetime) -> date:
    return beijing(moment).date()


def at_beijing(day: date, clock: time) -> datetime:
    """A Beijing wall-clock day and time as an aware datetime."""
    return datetime.combine(day, clock, tzinfo=BEIJING)


def shown(moment: datetime | None) -> str:
    """'2025-11-26 10:00' in Beijing time ('' for none): the console, the CLI and the exports."""
    return f"{beijing(moment):%Y-%m-%d %H:%M}" if moment else ""


def shown_seconds(moment: datetime | None) -> str:
    """'2025-11-26 10:00:00' in Beijing time (CSV exports)."""
    return f"{beijing(moment):%Y-%m-%d %H:%M:%S}" if moment else ""


def shown_short(moment: datetime | None) -> str:
    """'11月26日 10:00' in Beijing time: chat and status replies, notices."""
    if not moment:
        return ""
    local = beijing(moment)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def shown_clock(moment: datetime | None) -> str:
    """'10:20' in Beijing time."""
    return f"{beijing(moment):%H:%M}" if moment else ""


def shown_day(day: date) -> str:
    """'12月2日（周二）'."""
    return f"{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"


def beijing_naive(moment: datetime | None) -> datetime | None:
    """Beijing wall clock without a zone, for spreadsheet cells (Excel has no time zones)."""
    return beijing(moment).replace(tzinfo=None) if moment else None


def visit_text(day: date, period: str | None, at: time | None = None) -> str:
    """'12月2日（周二）上午10:00', '12月2日（周二）（工作时间内）': the preferred visit (a Beijing wall-clock day)."""
    clock = f"{at.hour}:{at.minute:02d}" if at else ""
    part = "（工作时间内）" if (period or "全天") == "全天" else period
    return f"{shown_day(day)}{part}{clock}"


class UTCDateTime(TypeDecorator):
    """A time stored as naive UTC and read back as aware UTC. Naive values bound to it are read as UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return naive_utc(value)

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return as_utc(value)
