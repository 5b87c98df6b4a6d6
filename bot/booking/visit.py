"""The preferred visit time: 明天上午, 周五下午, 11月30日, 12月1日上午10点, 尽快 …

Visits are on working days (official calendar), within working hours, never in the past and
no further ahead than the booking horizon.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.booking.text import Parsed, fold
from bot.calendar import day_info, next_working_day
from bot.orders.times import beijing, visit_text

WORKING_HOURS = {"上午": (time(9, 0), time(12, 0)), "下午": (time(13, 30), time(17, 30))}
HORIZON_DAYS = 30
WEEKDAYS = "一二三四五六日"
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

_FULL_DATE = re.compile(r"(?<!\d)(\d{4})[年\-/.](\d{1,2})[月\-/.](\d{1,2})[日号]?")
_MONTH_DAY = re.compile(r"(?<!\d)(\d{1,2})月(\d{1,2})[日号]?")
_SLASH_DATE = re.compile(r"^\s*(\d{1,2})[/\-.](\d{1,2})\s*$")
_DAY_ONLY = re.compile(r"(?<![\d\u4e00-\u9fff])(\d{1,2})[日号](?![\d楼院门铺栋房])")
_RELATIVE = re.compile(r"大后天|后天|明天|明日|今天|今日")
_WEEKDAY = re.compile(r"(这|本|下下|下)?(?:个)?(?:周|星期|礼拜)([一二三四五六日天1-7])")
_PERIOD = re.compile(r"上午|早上|早晨|早点|下午|午后|中午|晚上|夜里|夜间|傍晚|凌晨|半夜")
_HOUR = re.compile(r"(?<!\d)(\d{1,2})(?:[:：](\d{2})|点(半|(\d{1,2})分?)?)")
_SOON = re.compile(r"尽快|越快越好|随时|都可以|都行|时间不限|哪天都")
DayMatch = tuple[date | None, tuple[int, int] | None, str | None]
_RELATIVE_DAYS = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}
_HOURS_TEXT = "客户经理上午9:00–12:00、下午13:30–17:30上门"
_OFF_HOURS = {"中午", "晚上", "夜里", "夜间", "傍晚", "凌晨", "半夜"}


@dataclass(frozen=True)
class Visit:
    day: date
    period: str  # 上午, 下午 or 全天
    at: time | None = None

    def slot(self) -> str:
        return " ".join([self.day.isoformat(), self.period] + ([self.at.strftime("%H:%M")] if self.at else []))

    @classmethod
    def from_slot(cls, value: str) -> Visit:
        parts = value.split()
        at = time.fromisoformat(parts[2]) if len(parts) > 2 else None
        return cls(date.fromisoformat(parts[0]), parts[1], at)

    def text(self) -> str:
        return visit_text(self.day, self.period, self.at)


def chinese_numerals_to_digits(text: str) -> str:
    """十一月三十日 → 11月30日, 下午三点 → 下午3点 (numbers up to 99 before 月/日/号/点)."""
    def convert(match: re.Match[str]) -> str:
        word = match.group(1)
        tens, _, ones = word.partition("十")
        if "十" not in word:
            return str(_CN_DIGITS[word]) + match.group(2)
        value = (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
        return str(value) + match.group(2)
    return re.sub(r"([零一二两三四五六七八九十]{1,3})(月|日|号|点)", convert, text)


def _find_day(text: str, today: date, loose: bool) -> DayMatch:
    match = _FULL_DATE.search(text)
    if match:
        return _safe_date(int(match[1]), int(match[2]), int(match[3]), match.span())
    match = _MONTH_DAY.search(text) or (_SLASH_DATE.search(text) if loose else None)
    if match:
        return _in_coming_year(int(match[1]), int(match[2]), today, match.span())
    match = _RELATIVE.search(text)
    if match:
        return today + timedelta(days=_RELATIVE_DAYS[match.group()]), match.span(), None
    match = _WEEKDAY.search(text)
    if match:
        return _weekday(match, today)
    match = _DAY_ONLY.search(text) if loose else None
    if match:
        day_of_month = int(match[1])
        candidate = _safe_date(today.year, today.month, day_of_month, match.span())
        if candidate[0] and candidate[0] < today:  # "3号" late in the month means next month's 3rd
            year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
            return _safe_date(year, month, day_of_month, match.span())
        return candidate
    return None, None, None


def _safe_date(year: int, month: int, day: int, span: tuple[int, int]) -> DayMatch:
    try:
        return date(year, month, day), span, None
    except ValueError:
        return None, span, f"没有{month}月{day}日这一天，请重新说一个日期。"


def _in_coming_year(month: int, day: int, today: date, span: tuple[int, int]) -> DayMatch:
    result = _safe_date(today.year, month, day, span)
    if result[0] and result[0] < today:
        return _safe_date(today.year + 1, month, day, span)
    return result


def _weekday(match: re.Match[str], today: date) -> DayMatch:
    prefix, name = match.group(1) or "", match.group(2)
    target = 6 if name in "日天7" else ("一二三四五六".index(name) if not name.isdigit() else int(name) - 1)
    monday = today - timedelta(days=today.weekday())
    if prefix in ("这", "本"):
        return monday + timedelta(days=target), match.span(), None
    if prefix:
        return monday + timedelta(days=7 * len(prefix) + target), match.span(), None
    return today + timedelta(days=(target - today.weekday()) % 7), match.span(), None


def _find_time(text: str) -> tuple[str | None, time | None, list[tuple[int, int]], str | None]:
    spans: list[tuple[int, int]] = []
    period_match = _PERIOD.search(text)
    period = None
    if period_match:
        spans.append(period_match.span())
        word = period_match.group()
        if word in _OFF_HOURS:
            return None, None, spans, f"{word}不在上门服务时间内，{_HOURS_TEXT}，请换个时间。"
        period = "上午" if word in ("上午", "早上", "早晨", "早点") else "下午"
    hour_match = _HOUR.search(text)
    if not hour_match:
        return period, None, spans, None
    spans.append(hour_match.span())
    hour, minute = int(hour_match[1]), _minute(hour_match)
    if (period == "下午" and hour < 12) or (period is None and 1 <= hour <= 6):
        hour += 12
    if hour > 23 or minute > 59:
        return None, None, spans, "这个钟点不对，请重新说一个时间，比如“明天上午10点”。"
    at = time(hour, minute)
    for name, (start, end) in WORKING_HOURS.items():
        if start <= at < end and period in (None, name):
            return name, at, spans, None
    return None, None, spans, "这个钟点不在上门服务时间内（上午9:00–12:00，下午13:30–17:30），请换个时间。"


def _minute(match: re.Match[str]) -> int:
    if match[2]:
        return int(match[2])
    if match[3] == "半":
        return 30
    return int(match[4]) if match[4] else 0


def wall_clock(now: datetime) -> datetime:
    """Beijing wall clock, naive: an aware `now` is converted; a naive one is taken as Beijing wall clock already."""
    return beijing(now).replace(tzinfo=None) if now.tzinfo is not None else now


def find_visit(text: str, now: datetime, loose: bool = False) -> Parsed[Visit]:
    """A visit time mentioned in the text (error when one is mentioned but cannot be used). `now`: see wall_clock."""
    now = wall_clock(now)
    folded = chinese_numerals_to_digits(fold(text))
    soon = _SOON.search(folded)
    day, span, error = _find_day(folded, now.date(), loose)
    if error:
        return Parsed(error=error, span=span)
    period, at, time_spans, time_error = _find_time(folded)
    if day is None:
        if soon:
            return _check(Visit(_first_bookable_day(now), "全天"), now, soon.span())
        if not time_spans:
            return Parsed()
        day = now.date()  # "下午3点" alone means today
    spans = [s for s in [span, *time_spans] if s]
    whole = (min(s[0] for s in spans), max(s[1] for s in spans))
    if time_error:
        return Parsed(error=time_error, span=whole)
    return _check(Visit(day, period or "全天", at), now, whole)


def parse_visit(text: str, now: datetime) -> Parsed[Visit]:
    """The answer to 'when should the manager come'."""
    found = find_visit(text, now, loose=True)
    if found.ok or found.error:
        return found
    return Parsed(error="没听懂上门时间，可以这样说：“明天上午”、“周五下午”或“11月30日”。")


def _first_bookable_day(now: datetime) -> date:
    return next_working_day(now.date() + timedelta(days=1)).day


def _check(visit: Visit, now: datetime, span: tuple[int, int] | None) -> Parsed[Visit]:
    today = now.date()
    label = f"{visit.day.month}月{visit.day.day}日"
    if visit.day < today:
        return Parsed(error=f"{label}已经过去了，请选择今天以后的时间。", span=span)
    if visit.day > today + timedelta(days=HORIZON_DAYS):
        return Parsed(error=f"上门时间请选在{HORIZON_DAYS}天以内，{label}太远了。", span=span)
    info = day_info(visit.day)
    if not info.working:
        why = f"{info.holiday}假期" if info.holiday else f"周{WEEKDAYS[visit.day.weekday()]}休息日"
        return Parsed(error=f"{label}是{why}，客户经理在工作日上门，请换一个工作日。", span=span)
    if visit.day == today and _ends_before(visit, now.time()):
        return Parsed(error="今天这个时间已经过去了，请选择之后的时间。", span=span)
    return Parsed(visit, span=span)


def _ends_before(visit: Visit, clock: time) -> bool:
    if visit.at:
        return visit.at <= clock
    end = WORKING_HOURS["下午"][1] if visit.period == "全天" else WORKING_HOURS[visit.period][1]
    return end <= clock
