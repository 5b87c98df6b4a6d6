"""Working days in mainland China: public holidays and adjusted working weekends.

Where a day's answer comes from, first match wins:

1. a year file, knowledge/calendar/<year>.yml: the holidays and adjusted working days of the State
   Council's notice for that year, entered by staff (knowledge/calendar/template.yml says how; see
   docs/booking.md). Every day it lists is decided by it, and the rest of its year are ordinary
   weekdays and weekends, so a file for a year replaces the package's arrangement of that year;
2. `chinese_calendar`, which knows the arrangements for the years it ships (2004–2026 in 1.11.0)
   and raises NotImplementedError for any other year;
3. "Monday to Friday are working days": every result computed with such a day is flagged
   `approximate`, so replies can say the date is an estimate.

The year files are read (bot/calendar_files.py) once per process (restart the action servers and web apps
after adding one); `python -m bot.calendar` checks them and tells which years are covered.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar

from bot.calendar_files import Arrangements, CalendarError, load_arrangements

logger = logging.getLogger(__name__)

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


# ------------------------------------------------------------------------------------ year files in use

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "knowledge" / "calendar"
_directory: Path | None = None
_active: Arrangements | None = None


def calendar_dir() -> Path:
    """The year files' directory: calendar/ of the knowledge directory the services use (bot/services.py
    says which), knowledge/calendar until they say."""
    return _directory or DEFAULT_DIR


def use_directory(directory: Path) -> None:
    """Read the year files from `directory` at the next use (bot/services.py, from BANDIAN_KNOWLEDGE_DIR)."""
    global _directory, _active
    if directory != _directory:
        _directory, _active = directory, None


def arrangements() -> Arrangements:
    """The year files in use, read at first use. A broken file is left out (logged as an error: its
    year then falls back to the package or to weekdays); `python -m bot.calendar` shows why."""
    global _active
    if _active is None:
        try:
            _active = load_arrangements(calendar_dir())
        except CalendarError as error:
            logger.error("calendar year files not used:\n%s", error)
            _active = Arrangements()
    return _active


def use_arrangements(value: Arrangements | None) -> None:
    """Put other year files in place (tests); None reads knowledge/calendar again at the next use."""
    global _active
    _active = value


# ------------------------------------------------------------------------------------ days

def day_info(day: date) -> DayInfo:
    """Whether a day is a working day: from the year files, the package's calendar or the weekday fallback."""
    files = arrangements()
    if day in files.holidays:
        return DayInfo(day, False, approximate=False, holiday=files.holidays[day])
    if day in files.workdays:
        return DayInfo(day, True, approximate=False)
    if day.year in files.years:
        return DayInfo(day, day.weekday() < 5, approximate=False)
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


# ------------------------------------------------------------------------------------ command line

def package_years() -> list[int]:
    """The years chinese_calendar knows."""
    years = []
    for year in range(2000, date.today().year + 10):
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:
            continue
        years.append(year)
    return years


def _ranges(years: Iterable[int]) -> str:
    spans: list[list[int]] = []
    for year in sorted(years):
        if spans and year == spans[-1][1] + 1:
            spans[-1][1] = year
        else:
            spans.append([year, year])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in spans) or "none"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.calendar",
        description="Check the working-day calendar's year files (knowledge/calendar/<year>.yml) and say which "
                    "years are covered: by a year file, by the chinesecalendar package, or estimated (Monday to "
                    "Friday).")
    parser.add_argument("--dir", type=Path, default=None, help="the year files' folder (default: knowledge/calendar)")
    args = parser.parse_args(argv)
    directory = args.dir or calendar_dir()
    try:
        files = load_arrangements(directory)
    except CalendarError as error:
        print(f"{directory}: year files with problems (not used until fixed):", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"chinesecalendar {chinese_calendar.__version__}: {_ranges(package_years())}")
    print(f"year files in {directory}: {_ranges(files.years)}")
    for year, source in sorted(files.years.items()):
        off = sum(day.year == year for day in files.holidays)
        worked = sum(day.year == year for day in files.workdays)
        print(f"  {year}: {off} holiday days, {worked} adjusted working days ({source})")
    this_year = china_now().year
    missing = [year for year in (this_year, this_year + 1) if year not in files.years and year not in package_years()]
    if missing:
        print(f"not covered (estimated as Monday to Friday): {_ranges(missing)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
