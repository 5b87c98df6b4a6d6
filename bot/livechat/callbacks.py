"""Call-back requests: when no agent is online, a customer leaves a mobile number and a time to be called.

- **Service hours.** Agents call back on working days (the official calendar, bot/calendar.py), 9:00–12:00 and
  13:30–17:30 Beijing time — the hours the booking's visits use (bot/booking/visit.py). A preferred time is read
  with the visit parser ("明天上午", "周五下午3点", "12月2日"); "尽快" means the next service period (today's when
  it has not ended yet). A time outside the service hours, on a day off, in the past or more than
  HORIZON_DAYS ahead is refused with the reason.
- **Personal data.** The number is parsed with bot/booking/phone.py (bot/phones.py: the masker's definition) and
  stored sealed (bot/booking/sealed.py, the key of the conversation slots) next to its masked form; lists show
  the masked form, and only the console's audited reveal opens the seal.
- **One per conversation.** A conversation has at most one open request: asking again updates it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.booking.text import Parsed, fold
from bot.booking.visit import WORKING_HOURS, Visit, find_visit
from bot.calendar import day_info, next_working_day
from bot.livechat.models import CallbackRequest
from bot.masking import mask_phone, mask_text

HORIZON_DAYS = 7
SERVICE_HOURS = "工作日 9:00–12:00、13:30–17:30"
PERIOD_HOURS = {"上午": "9:00–12:00", "下午": "13:30–17:30", "全天": "9:00–12:00、13:30–17:30"}
STATUS_NAMES = {"open": "待回电", "done": "已回电"}
SOON = ("尽快", "越快越好", "随时", "都可以", "都行", "时间不限", "马上", "现在")
# the visit parser speaks of a manager's visit; the same limits, said of a call-back
_REWORDING = (("客户经理上午9:00–12:00、下午13:30–17:30上门", "客服在工作日上午9:00–12:00、下午13:30–17:30回电"),
              ("客户经理在工作日上门", "客服在工作日回电"), ("上门服务时间", "回电服务时间"), ("上门时间", "回电时间"))
NOT_UNDERSTOOD = ("没听懂希望回电的时间，可以这样说：“今天下午”、“明天上午10点”或“尽快”"
                  f"（服务时间：{SERVICE_HOURS}）。")


def _reworded(error: str) -> str:
    for visit_words, callback_words in _REWORDING:
        error = error.replace(visit_words, callback_words)
    return re.sub(r"请选在\d+天以内", f"请选在{HORIZON_DAYS}天以内", error)


def next_service_period(now: datetime) -> Visit:
    """The service period that is on now or comes next (Beijing wall clock `now`)."""
    today = now.date()
    if day_info(today).working:
        for period in ("上午", "下午"):
            if now.time() < WORKING_HOURS[period][1]:
                return Visit(today, period)
    return Visit(next_working_day(today + timedelta(days=1)).day, "上午")


def find_callback_time(text: str, now: datetime, loose: bool = False) -> Parsed[Visit]:
    """A preferred call-back time in the text (Beijing wall clock `now`), an error when it cannot be used, or
    nothing. `loose` reads bare dates ("3号", "12/2") too, as an answer to "when" does."""
    folded = fold(text)
    asap = any(word in folded for word in SOON)
    for word in SOON:  # "尽快" alone is the next service period, not the visit parser's next working day
        folded = folded.replace(word, " " * len(word))
    found = find_visit(folded, now, loose=loose)
    if found.error:
        return Parsed(error=_reworded(found.error), span=found.span)
    if found.ok and found.value is not None:
        if found.value.day > now.date() + timedelta(days=HORIZON_DAYS):
            return Parsed(error=f"回电时间请选在{HORIZON_DAYS}天以内。", span=found.span)
        return found
    if asap:
        return Parsed(next_service_period(now))
    return Parsed()


def parse_callback_time(text: str, now: datetime) -> Parsed[Visit]:
    """The answer to "when would you like to be called": a time, or what is wrong with it."""
    found = find_callback_time(text, now, loose=True)
    if found.ok or found.error:
        return found
    return Parsed(error=NOT_UNDERSTOOD)


def preferred_text(day: date, period: str, at: time | None = None) -> str:
    """'12月2日（周三）上午 9:00–12:00' or '12月2日（周三）下午 15:00前后'."""
    weekday = "一二三四五六日"[day.weekday()]
    when = f"{day.month}月{day.day}日（周{weekday}）"
    if at is not None:
        return f"{when}{period if period != '全天' else ''} {at.hour}:{at.minute:02d}前后"
    return f"{when}{'' if period == '全天' else period} {PERIOD_HOURS.get(period, PERIOD_HOURS['全天'])}"


def period_end(day: date, period: str, at: time | None = None) -> datetime:
    """When the preferred time is over (Beijing wall clock): the end of its period (an hour after a time)."""
    if at is not None:
        return datetime.combine(day, at) + timedelta(hours=1)
    return datetime.combine(day, WORKING_HOURS["下午" if period == "全天" else period][1])


@dataclass(frozen=True)
class CallbackView:
    """A call-back request as the console lists it (masked)."""

    id: int
    phone: str
    preferred: str
    late: bool  # still open after the preferred time
    region: str | None
    summary: str
    status: str
    status_name: str
    created_at: datetime
    done_at: datetime | None
    done_by: str

    @classmethod
    def of(cls, row: CallbackRequest, beijing_now: datetime) -> CallbackView:
        late = row.status == "open" and period_end(row.preferred_day, row.preferred_period,
                                                   row.preferred_at) < beijing_now
        return cls(row.id, row.phone_masked, preferred_text(row.preferred_day, row.preferred_period, row.preferred_at),
                   late, row.region, row.summary or "", row.status, STATUS_NAMES.get(row.status, row.status),
                   row.created_at, row.done_at, row.done_by or "")


def open_callback(session: Session, conversation: str) -> CallbackRequest | None:
    query = (select(CallbackRequest).where(CallbackRequest.conversation == conversation,
                                           CallbackRequest.status == "open").order_by(CallbackRequest.id.desc()))
    return session.execute(query).scalars().first()


def save_callback(session: Session, *, conversation: str, channel: str, phone: str, phone_sealed: str,
                  visit: Visit, now: datetime, region: str | None = None, summary: str = "") -> tuple[int, bool]:
    """Store the request (or update the conversation's open one). `phone` is the plain number (only its masked
    form is stored), `phone_sealed` the same number sealed. Returns (id, whether an open one was updated)."""
    row = open_callback(session, conversation)
    updated = row is not None
    if row is None:
        row = CallbackRequest(conversation=conversation, channel=channel, status="open", created_at=now)
        session.add(row)
    row.phone_sealed, row.phone_masked = phone_sealed, mask_phone(phone)
    row.preferred_day, row.preferred_period, row.preferred_at = visit.day, visit.period, visit.at
    row.region, row.summary = region, mask_text(summary)
    session.commit()
    return int(row.id), updated


def list_callbacks(session: Session, status: str = "open", limit: int = 200) -> list[CallbackRequest]:
    """Open ones by preferred time (the earliest first); done or all ones newest first."""
    query = select(CallbackRequest)
    if status in STATUS_NAMES:
        query = query.where(CallbackRequest.status == status)
    if status == "open":
        query = query.order_by(CallbackRequest.preferred_day, CallbackRequest.preferred_period,
                               CallbackRequest.id)
    else:
        query = query.order_by(CallbackRequest.id.desc())
    return list(session.execute(query.limit(limit)).scalars())


def count_open(session: Session) -> int:
    query = select(func.count()).select_from(CallbackRequest).where(CallbackRequest.status == "open")
    return int(session.execute(query).scalar_one())


def mark_done(session: Session, callback_id: int, agent: str, now: datetime) -> bool:
    """Mark an open request called back; False when there is none open with this id."""
    row = session.get(CallbackRequest, callback_id)
    if row is None or row.status != "open":
        return False
    row.status, row.done_at, row.done_by = "done", now, agent
    session.commit()
    return True


def views(rows: Sequence[CallbackRequest], beijing_now: datetime) -> list[CallbackView]:
    return [CallbackView.of(row, beijing_now) for row in rows]
