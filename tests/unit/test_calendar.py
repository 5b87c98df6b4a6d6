"""Working days across holidays, adjusted working weekends, and the fallback for unknown years."""

from __future__ import annotations

from datetime import date

import pytest

from bot.calendar import add_working_days, day_info, is_covered, is_working_day, next_working_day, working_days_between


@pytest.mark.parametrize(("day", "working"), [
    (date(2025, 9, 28), True),    # Sunday, adjusted working day before 国庆
    (date(2025, 10, 1), False),   # 国庆
    (date(2025, 10, 8), False),   # last day of the 2025 国庆+中秋 break
    (date(2025, 10, 11), True),   # Saturday, adjusted working day
    (date(2025, 10, 12), False),  # ordinary Sunday
    (date(2025, 1, 26), True),    # Sunday worked before 春节 2025
    (date(2025, 1, 28), False),   # 除夕 2025
    (date(2025, 2, 8), True),     # Saturday worked after 春节 2025
    (date(2026, 2, 14), True),    # Saturday worked before 春节 2026
    (date(2026, 2, 23), False),   # 春节 2026, a Monday
])
def test_official_calendar(day, working):
    info = day_info(day)
    assert info.working is working and not info.approximate
    assert is_working_day(day) is working


def test_holiday_names_are_chinese():
    assert day_info(date(2025, 10, 1)).holiday == "国庆节"
    assert day_info(date(2025, 1, 28)).holiday == "春节"


def test_add_working_days_across_national_day():
    # Tue 30 Sep 2025 + 1 working day skips 1–8 Oct and lands on Thu 9 Oct
    assert add_working_days(date(2025, 9, 30), 1).day == date(2025, 10, 9)
    # Fri 26 Sep + 1 → Sun 28 Sep (adjusted working day)
    assert add_working_days(date(2025, 9, 26), 1).day == date(2025, 9, 28)
    # Thu 9 Oct + 2 → Sat 11 Oct (adjusted working day), then Mon 13 Oct
    assert add_working_days(date(2025, 10, 9), 2).day == date(2025, 10, 11)
    assert add_working_days(date(2025, 10, 9), 3).day == date(2025, 10, 13)


def test_add_working_days_across_spring_festival():
    # Mon 27 Jan 2025 + 1 → Wed 5 Feb (28 Jan–4 Feb off)
    assert add_working_days(date(2025, 1, 27), 1).day == date(2025, 2, 5)
    # Fri 24 Jan + 1 → Sun 26 Jan (adjusted working day)
    assert add_working_days(date(2025, 1, 24), 1).day == date(2025, 1, 26)
    # Fri 13 Feb 2026 + 1 → Sat 14 Feb (worked), + 2 → Tue 24 Feb
    assert add_working_days(date(2026, 2, 13), 1).day == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 13), 2).day == date(2026, 2, 24)


def test_zero_days_and_negative_days():
    assert add_working_days(date(2025, 10, 1), 0).day == date(2025, 10, 1)
    with pytest.raises(ValueError):
        add_working_days(date(2025, 10, 1), -1)


def test_working_days_between_counts_the_end_not_the_start():
    assert working_days_between(date(2025, 9, 30), date(2025, 10, 9)).days == 1
    assert working_days_between(date(2025, 10, 9), date(2025, 9, 30)).days == -1
    assert working_days_between(date(2025, 11, 24), date(2025, 11, 24)).days == 0
    assert working_days_between(date(2025, 11, 21), date(2025, 11, 28)).days == 5


def test_next_working_day():
    assert next_working_day(date(2025, 10, 4)).day == date(2025, 10, 9)
    assert next_working_day(date(2025, 10, 9)).day == date(2025, 10, 9)


def test_fallback_year_counts_weekdays_and_says_so():
    assert not is_covered(date(2030, 10, 1))
    info = day_info(date(2030, 10, 1))  # a Tuesday: a working day by the fallback, flagged
    assert info.working and info.approximate
    assert not day_info(date(2030, 10, 5)).working  # Saturday
    result = add_working_days(date(2030, 10, 4), 1)  # Friday → Monday
    assert result.day == date(2030, 10, 7) and result.approximate
    assert working_days_between(date(2030, 10, 4), date(2030, 10, 11)).approximate


def test_crossing_into_an_unknown_year_is_flagged_but_known_years_are_not():
    assert not add_working_days(date(2026, 12, 28), 2).approximate
    crossing = add_working_days(date(2026, 12, 30), 3)
    assert crossing.approximate and crossing.day.year == 2027
    assert is_covered(date(2004, 1, 1)) and not is_covered(date(2003, 12, 31))
