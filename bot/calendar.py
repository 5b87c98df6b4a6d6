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

The year files are read once per process (restart the action servers and web apps after adding
one); `python -m bot.calendar` checks them and tells which years are covered.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import yaml

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


# ------------------------------------------------------------------------------------ year files

YEAR_FILE = re.compile(r"^(\d{4})\.yml$")
FILE_KEYS = {"year", "source", "holidays", "workdays"}
LONGEST_BREAK_DAYS = 15  # no State Council break is longer; a longer range is a typing error


class CalendarError(ValueError):
    """Problems in the year files, one line each (file: what is wrong)."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Arrangements:
    """What the year files say: the years they cover and the days they decide."""

    years: dict[int, str] = field(default_factory=dict)  # year -> source (the notice)
    holidays: dict[date, str] = field(default_factory=dict)  # day off -> holiday name
    workdays: dict[date, str] = field(default_factory=dict)  # adjusted working weekend day -> holiday it makes up for


def _day(value: Any, where: str, problems: list[str]) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    problems.append(f"{where}: {value!r} is not a date (YYYY-MM-DD)")
    return None


def _near(day: date, year: int) -> bool:
    """A notice for `year` may reach into the last days of the year before and the first of the next."""
    return year - 1 <= day.year <= year + 1


def _read_year_file(path: Path, year: int, problems: list[str]) -> Arrangements | None:  # noqa: C901
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError) as error:  # ValueError: a date like 02-30
        problems.append(f"{path}: cannot be read: {error}")
        return None
    if not isinstance(data, dict):
        problems.append(f"{path}: expected the keys {', '.join(sorted(FILE_KEYS))}")
        return None
    count = len(problems)
    for key in sorted(set(data) - FILE_KEYS):
        problems.append(f"{path}: unknown key {key!r} (expected {', '.join(sorted(FILE_KEYS))})")
    if data.get("year") != year:
        problems.append(f"{path}: year is {data.get('year')!r}, but the file is named after {year}")
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        problems.append(f"{path}: source is missing: the notice the dates come from (文号 or title)")
    for key in ("holidays", "workdays"):
        if not isinstance(data.get(key) or [], list):
            problems.append(f"{path}: {key} should be a list")
            data[key] = []
    holidays: dict[date, str] = {}
    for index, entry in enumerate(data.get("holidays") or []):
        where = f"{path}: holidays[{index}]"
        if not isinstance(entry, dict) or set(entry) - {"name", "from", "to"} or "from" not in entry:
            problems.append(f"{where}: expected {{name: …, from: YYYY-MM-DD, to: YYYY-MM-DD}}")
            continue
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where}: name is missing (元旦, 春节, 清明节, 劳动节, 端午节, 中秋节, 国庆节)")
            continue
        first = _day(entry["from"], where, problems)
        last = _day(entry.get("to", entry["from"]), where, problems)
        if first is None or last is None:
            continue
        if not (first <= last and (last - first).days < LONGEST_BREAK_DAYS and _near(first, year)
                and _near(last, year)):
            problems.append(f"{where}: {first} to {last} is not a break of {year} (at most {LONGEST_BREAK_DAYS} days, "
                            "first day not after the last)")
            continue
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            if day in holidays:
                problems.append(f"{where}: {day} is already in {holidays[day]}")
            holidays[day] = name.strip()
    workdays: dict[date, str] = {}
    for index, entry in enumerate(data.get("workdays") or []):
        where = f"{path}: workdays[{index}]"
        if not isinstance(entry, dict) or set(entry) - {"day", "for"} or "day" not in entry:
            problems.append(f"{where}: expected {{day: YYYY-MM-DD, for: 春节}}")
            continue
        worked = _day(entry["day"], where, problems)
        if worked is None:
            continue
        if worked.weekday() < 5 or not _near(worked, year):
            what = "weekday" if worked.weekday() < 5 else f"day far from {year}"
            problems.append(f"{where}: {worked} is a {what}: adjusted working days are the Saturdays and Sundays "
                            "the notice says are worked")
            continue
        if worked in holidays:
            problems.append(f"{where}: {worked} is also a holiday ({holidays[worked]})")
            continue
        workdays[worked] = str(entry.get("for") or "").strip()
    if len(problems) > count:
        return None
    return Arrangements({year: str(source).strip()}, holidays, workdays)


def load_arrangements(directory: Path) -> Arrangements:
    """Every <year>.yml in `directory` (none: no arrangements). CalendarError lists all problems."""
    paths = sorted(path for path in directory.glob("*.yml") if YEAR_FILE.match(path.name)) if directory.is_dir() else []
    problems: list[str] = []
    merged = Arrangements()
    for path in paths:
        year = int(YEAR_FILE.match(path.name).group(1))  # type: ignore[union-attr]
        found = _read_year_file(path, year, problems)
        if found is None:
            continue
        clashes = set(found.holidays).intersection(merged.workdays) | set(found.workdays).intersection(merged.holidays)
        for day in sorted(clashes):
            problems.append(f"{path}: {day} is a holiday in one year file and a working day in another")
        merged.years.update(found.years)
        merged.holidays.update(found.holidays)
        merged.workdays.update(found.workdays)
    if problems:
        raise CalendarError(problems)
    return merged


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
