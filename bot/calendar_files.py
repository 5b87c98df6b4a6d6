"""The working-day calendar's year files, knowledge/calendar/<year>.yml: the holidays and adjusted working
days of the State Council's notice for a year, entered by staff (knowledge/calendar/template.yml says how;
docs/booking.md). Read and checked here; bot/calendar.py decides the days with them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

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


def _read_year_file(path: Path, year: int, problems: list[str]) -> Arrangements | None:
    """One year file's arrangements; None when it has problems (added to `problems`)."""
    data = _load(path, problems)
    if data is None:
        return None
    count = len(problems)
    source = _check_keys(path, year, data, problems)
    holidays = _read_holidays(path, year, data.get("holidays") or [], problems)
    workdays = _read_workdays(path, year, data.get("workdays") or [], holidays, problems)
    if len(problems) > count:
        return None
    return Arrangements({year: str(source).strip()}, holidays, workdays)


def _load(path: Path, problems: list[str]) -> dict[Any, Any] | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError) as error:  # ValueError: a date like 02-30
        problems.append(f"{path}: cannot be read: {error}")
        return None
    if not isinstance(data, dict):
        problems.append(f"{path}: expected the keys {', '.join(sorted(FILE_KEYS))}")
        return None
    return data


def _check_keys(path: Path, year: int, data: dict[Any, Any], problems: list[str]) -> Any:
    """The file's source (the notice), after checking its keys; a holidays or workdays that is no list is
    reported and read as empty."""
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
    return source


def _read_holidays(path: Path, year: int, entries: list[Any], problems: list[str]) -> dict[date, str]:
    holidays: dict[date, str] = {}
    for index, entry in enumerate(entries):
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
    return holidays


def _read_workdays(path: Path, year: int, entries: list[Any], holidays: dict[date, str],
                   problems: list[str]) -> dict[date, str]:
    workdays: dict[date, str] = {}
    for index, entry in enumerate(entries):
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
    return workdays


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
