"""Year files (knowledge/calendar/<year>.yml) extend the working-day calendar beyond chinesecalendar.

The arrangement below is made up for a year no package covers (2031); it is written into a temporary
folder and never shipped.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

import bot.calendar as calendar
from bot.calendar import add_working_days, day_info, is_covered, use_arrangements, working_days_between
from bot.calendar_files import Arrangements, CalendarError, load_arrangements

ROOT = Path(__file__).resolve().parents[2]

SAMPLE_2031 = """\
year: 2031
source: 示例通知（测试用，非真实安排）
holidays:
  - {name: 元旦, from: 2031-01-01}
  - {name: 国庆节, from: 2031-10-01, to: 2031-10-07}
workdays:
  - {day: 2031-09-28, for: 国庆节}   # a Sunday
  - {day: 2031-10-11, for: 国庆节}   # a Saturday
"""


@pytest.fixture
def sample_year(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "2031.yml").write_text(SAMPLE_2031, encoding="utf-8")
    use_arrangements(load_arrangements(tmp_path))
    yield tmp_path
    use_arrangements(None)


def test_a_year_file_decides_the_days_it_lists(sample_year: Path):
    assert not day_info(date(2031, 10, 1)).working and day_info(date(2031, 10, 1)).holiday == "国庆节"
    assert not day_info(date(2031, 10, 6)).working  # a Monday inside the break
    assert day_info(date(2031, 9, 28)).working  # Sunday worked
    assert day_info(date(2031, 1, 1)).holiday == "元旦"
    assert all(not day_info(date(2031, 10, d)).approximate for d in range(1, 15))


def test_the_rest_of_its_year_is_exact_weekdays(sample_year: Path):
    assert is_covered(date(2031, 6, 3))
    assert day_info(date(2031, 6, 3)).working  # a Tuesday
    assert not day_info(date(2031, 6, 7)).working  # a Saturday
    assert not day_info(date(2031, 6, 7)).approximate


def test_deadlines_across_the_sample_break_are_exact(sample_year: Path):
    # Fri 26 Sep 2031 + 1 working day → Sun 28 Sep (worked); + 2 → Mon 29 Sep
    assert add_working_days(date(2031, 9, 26), 1) == calendar.WorkingDate(date(2031, 9, 28), approximate=False)
    # Tue 30 Sep + 1 → Wed 8 Oct (1–7 Oct off), not flagged as an estimate
    assert add_working_days(date(2031, 9, 30), 1) == calendar.WorkingDate(date(2031, 10, 8), approximate=False)
    counted = working_days_between(date(2031, 9, 30), date(2031, 10, 13))  # 8, 9, 10, 11 (Sat, worked), 13
    assert (counted.days, counted.approximate) == (5, False)


def test_other_years_keep_the_package_and_the_fallback(sample_year: Path):
    assert day_info(date(2025, 10, 1)).holiday == "国庆节"  # the package
    assert day_info(date(2030, 10, 1)).approximate  # neither: Monday to Friday, flagged
    assert add_working_days(date(2030, 12, 30), 3).approximate


def test_without_year_files_the_year_is_estimated(tmp_path: Path):
    use_arrangements(load_arrangements(tmp_path))
    try:
        assert day_info(date(2031, 10, 1)).approximate and day_info(date(2031, 10, 1)).working
    finally:
        use_arrangements(None)


def test_the_shipped_folder_has_only_valid_year_files_and_the_template_parses(tmp_path: Path):
    shipped = ROOT / "knowledge" / "calendar"
    assert (shipped / "template.yml").is_file()
    load_arrangements(shipped)  # raises on any problem in a shipped <year>.yml
    shutil.copy(shipped / "template.yml", tmp_path / "1900.yml")
    example = load_arrangements(tmp_path)
    assert list(example.years) == [1900] and date(1900, 2, 10) in example.workdays


@pytest.mark.parametrize(("text", "problem"), [
    (SAMPLE_2031.replace("year: 2031", "year: 2032"), "named after 2031"),
    (SAMPLE_2031.replace("source: 示例通知（测试用，非真实安排）", "source: ''"), "source is missing"),
    (SAMPLE_2031.replace("2031-09-28", "2031-09-29"), "is a weekday"),
    (SAMPLE_2031.replace("to: 2031-10-07", "to: 2031-11-07"), "is not a break"),
    (SAMPLE_2031.replace("2031-01-01", "2031-02-30"), "day is out of range"),
    (SAMPLE_2031.replace("2031-01-01", "'1 Jan 2031'"), "is not a date"),
    (SAMPLE_2031.replace("workdays:", "workday:"), "unknown key 'workday'"),
    (SAMPLE_2031.replace("2031-10-11, for", "2031-10-05, for"), "also a holiday"),
])
def test_mistakes_are_reported_with_the_file(tmp_path: Path, text: str, problem: str):
    (tmp_path / "2031.yml").write_text(text, encoding="utf-8")
    with pytest.raises(CalendarError) as error:
        load_arrangements(tmp_path)
    assert problem in str(error.value) and "2031.yml" in str(error.value)


def test_a_broken_file_is_left_out_at_run_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture):
    (tmp_path / "2031.yml").write_text("year: [", encoding="utf-8")
    monkeypatch.setattr(calendar, "calendar_dir", lambda: tmp_path)
    use_arrangements(None)
    try:
        assert day_info(date(2031, 10, 1)).approximate
        assert "2031.yml" in caplog.text
    finally:
        use_arrangements(None)


def test_the_command_checks_the_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    (tmp_path / "2031.yml").write_text(SAMPLE_2031, encoding="utf-8")
    assert calendar.main(["--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "2004–2026" in out and "2031: 8 holiday days, 2 adjusted working days" in out
    (tmp_path / "2031.yml").write_text(SAMPLE_2031.replace("2031-09-28", "2031-09-29"), encoding="utf-8")
    assert calendar.main(["--dir", str(tmp_path)]) == 1
    assert "is a weekday" in capsys.readouterr().err


def test_arrangements_are_read_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    calls = []
    monkeypatch.setattr(calendar, "load_arrangements", lambda d: calls.append(d) or Arrangements())
    monkeypatch.setattr(calendar, "calendar_dir", lambda: tmp_path)
    use_arrangements(None)
    try:
        day_info(date(2031, 1, 1))
        day_info(date(2031, 1, 2))
        assert calls == [tmp_path]
    finally:
        use_arrangements(None)
