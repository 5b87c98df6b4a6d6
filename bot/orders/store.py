"""Creating, reading and moving work orders. Every write commits before it returns.

Every `now` is stored as UTC (bot/orders/times.py: aware values are converted, naive ones are read as UTC).
Each change adds an entry to the order's history with its kind (bot/orders/models.py HISTORY_KINDS): internal
notes (`note`) are for staff only, customer messages (`message`) and visit changes (`visit`) are what the
customer reads besides the stages.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.orders import numbers
from bot.orders.managers import find_manager, pick_manager
from bot.orders.models import StatusChange, WorkOrder
from bot.orders.stages import BY_ID, allowed_moves, next_stage, stage
from bot.orders.times import as_utc, visit_text
from bot.orders.views import BookingDraft, OrderView

DEFAULT_DEDUPE_WINDOW = timedelta(minutes=30)
_ATTEMPTS = 5


class OrderNotFound(LookupError):
    pass


class InvalidTransition(ValueError):
    pass


class NotChangeable(ValueError):
    """The order cannot be changed this way any more (it is closed, or past the visit)."""


# Stages in which the customer manager has not collected the documents yet: the visit can still be moved, and
# the customer may cancel the order from the chat. Later, staff change it (the console, the CLI).
BEFORE_VISIT = ("submitted", "dispatched")


@dataclass(frozen=True)
class BookingResult:
    order: OrderView
    created: bool
    conversation: str | None = None  # the conversation that booked the order (an earlier one, for a duplicate)


def dedupe_key(draft: BookingDraft) -> str:
    """The same phone, address and business is the same booking."""
    address = re.sub(r"[\s,，。.]+", "", unicodedata.normalize("NFKC", draft.address))
    text = "|".join((draft.phone, address, draft.business))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def conversation_key(sender_id: str) -> str:
    """A stable, non-reversible key for a conversation (raw channel ids are not stored)."""
    return hashlib.sha256(f"conversation:{sender_id}".encode()).hexdigest()[:32]


def create_booking(
    session: Session, draft: BookingDraft, *, actor: str, channel: str, now: datetime,
    request_id: str | None = None, conversation: str | None = None,
    dispatch_within: timedelta | None = None, dedupe_window: timedelta = DEFAULT_DEDUPE_WINDOW,
) -> BookingResult:
    """Create the order (committed) or return the one this request or an identical booking made.

    Two concurrent submissions of the same booking race for the unique (dedupe_key, bucket)
    or request_id; the loser rolls back and finds the winner's order.
    """
    now = as_utc(now)
    key = dedupe_key(draft)
    bucket = int(now.timestamp() // dedupe_window.total_seconds())
    for _ in range(_ATTEMPTS):
        existing = _existing(session, key, request_id, now - dedupe_window)
        if existing is not None:
            return BookingResult(OrderView.of(existing), created=False, conversation=existing.conversation)
        row = _new_order(session, draft, key, bucket, actor, channel, now, request_id, conversation, dispatch_within)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            continue
        return BookingResult(OrderView.of(row), created=True, conversation=conversation)
    raise RuntimeError("could not store the booking after several attempts")


def _existing(session: Session, key: str, request_id: str | None, since: datetime) -> WorkOrder | None:
    if request_id:
        found = session.execute(select(WorkOrder).where(WorkOrder.request_id == request_id)).scalars().first()
        if found:
            return found
    query = select(WorkOrder).where(WorkOrder.dedupe_key == key, WorkOrder.created_at >= since,
                                    WorkOrder.stage != "cancelled").order_by(WorkOrder.id)
    return session.execute(query).scalars().first()


def _new_order(
    session: Session, draft: BookingDraft, key: str, bucket: int, actor: str, channel: str, now: datetime,
    request_id: str | None, conversation: str | None, dispatch_within: timedelta | None,
) -> WorkOrder:
    manager = pick_manager(session, draft.region, draft.district)
    row = WorkOrder(
        number=numbers.new_number(), region=draft.region, district=draft.district, address=draft.address,
        contact_name=draft.contact_name, phone=draft.phone, phone_suffix=draft.phone[-4:],
        business=draft.business, category=draft.category, capacity=draft.capacity,
        visit_date=draft.visit_date, visit_period=draft.visit_period, visit_time=draft.visit_time,
        stage="submitted", stage_since=now, manager=manager, channel=channel, created_by=actor,
        created_at=now, updated_at=now, dispatch_due=now + dispatch_within if dispatch_within else None,
        dedupe_key=key, dedupe_bucket=bucket, request_id=request_id, conversation=conversation,
    )
    row.history.append(StatusChange(at=now, from_stage=None, to_stage="submitted", actor=actor, kind="stage",
                                    note=f"{'客户自助' if channel == 'customer' else '工作人员代客'}零证预约"))
    if manager is not None:
        row.history.append(StatusChange(at=now, from_stage="submitted", to_stage="submitted", actor="system",
                                        kind="manager", note=f"分配客户经理：{manager.name}"))
    session.add(row)
    return row


def _row(session: Session, number: str) -> WorkOrder:
    canonical = numbers.canonical(number) or number
    row = session.execute(select(WorkOrder).where(WorkOrder.number == canonical)).scalars().first()
    if row is None:
        raise OrderNotFound(f"找不到工单 {number}")
    return row


def get_order(session: Session, number: str) -> OrderView | None:
    try:
        return OrderView.of(_row(session, number))
    except OrderNotFound:
        return None


def list_orders(
    session: Session, *, region: str | None = None, district: str | None = None, stage_id: str | None = None,
    manager: str | None = None, open_only: bool = False, limit: int = 100,
) -> list[OrderView]:
    query = select(WorkOrder).order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc()).limit(limit)
    if region:
        query = query.where(WorkOrder.region == region)
    if district:
        query = query.where(WorkOrder.district == district)
    if stage_id:
        query = query.where(WorkOrder.stage == stage(stage_id).id)
    if open_only:
        query = query.where(WorkOrder.stage.not_in(("completed", "cancelled")))
    if manager:
        found = find_manager(session, manager)
        query = query.where(WorkOrder.manager_id == (found.id if found else -1))
    return [OrderView.of(row) for row in session.execute(query).scalars().unique()]


def advance_order(
    session: Session, number: str, *, actor: str, now: datetime, to_stage: str | None = None, note: str | None = None,
) -> OrderView:
    """Move an order to `to_stage` (default: the next stage of the flow), with a history entry (its note is the
    staff's explanation: internal)."""
    now = as_utc(now)
    row = _row(session, number)
    target = to_stage or next_stage(row.stage)
    if target is None or target not in allowed_moves(row.stage):
        raise InvalidTransition(f"{stage(row.stage).name} 不能转到 {stage(target).name if target else '下一阶段'}")
    row.history.append(StatusChange(at=now, from_stage=row.stage, to_stage=target, actor=actor, note=note,
                                    kind="stage"))
    row.stage, row.stage_since, row.updated_at = target, now, now
    if target == "cancelled":
        row.dedupe_bucket = -row.id  # a cancelled booking no longer blocks booking the same again
    session.commit()
    return OrderView.of(row)


def reassign_order(session: Session, number: str, manager: str, *, actor: str, now: datetime,
                   note: str | None = None) -> OrderView:
    now = as_utc(now)
    row = _row(session, number)
    new = find_manager(session, manager)
    if new is None:
        raise LookupError(f"no customer manager {manager!r}")
    old = row.manager.name if row.manager else "无"
    row.manager = new
    row.updated_at = now
    text = f"改派客户经理：{old} → {new.name}" + (f"（{note}）" if note else "")
    row.history.append(StatusChange(at=now, from_stage=row.stage, to_stage=row.stage, actor=actor, note=text,
                                    kind="manager"))
    session.commit()
    return OrderView.of(row)


def _entry(session: Session, number: str, kind: str, note: str, actor: str, now: datetime) -> OrderView:
    now = as_utc(now)
    row = _row(session, number)
    row.history.append(StatusChange(at=now, from_stage=row.stage, to_stage=row.stage, actor=actor, note=note,
                                    kind=kind))
    row.updated_at = now
    session.commit()
    return OrderView.of(row)


def add_note(session: Session, number: str, note: str, *, actor: str, now: datetime) -> OrderView:
    """An internal note: staff see it in the console and the CLI; the customer never does."""
    return _entry(session, number, "note", note, actor, now)


def add_customer_message(session: Session, number: str, text: str, *, actor: str, now: datetime) -> OrderView:
    """A message for the customer: shown in their status reply (notify.notify_message pushes it)."""
    return _entry(session, number, "message", text, actor, now)


def reschedule_visit(
    session: Session, number: str, day: date, period: str, at: time | None = None, *, actor: str, now: datetime,
    note: str | None = None,
) -> OrderView:
    """Move the customer manager's visit (a Beijing wall-clock day and period, checked by the caller with
    bot/booking/visit.py). Only before the documents are collected (BEFORE_VISIT); `note` is internal."""
    now = as_utc(now)
    row = _row(session, number)
    if row.stage not in BEFORE_VISIT:
        raise NotChangeable(f"工单处于「{BY_ID[row.stage].name}」，上门时间不能再改")
    before = visit_text(row.visit_date, row.visit_period, row.visit_time) if row.visit_date else "未约定"
    after = visit_text(day, period, at)
    if (row.visit_date, row.visit_period, row.visit_time) == (day, period, at):
        raise NotChangeable(f"上门时间已经是{after}")
    row.visit_date, row.visit_period, row.visit_time = day, period, at
    row.updated_at = now
    row.history.append(StatusChange(at=now, from_stage=row.stage, to_stage=row.stage, actor=actor, kind="visit",
                                    note=f"预约上门时间改为{after}（原为{before}）"))
    if note:
        row.history.append(StatusChange(at=now, from_stage=row.stage, to_stage=row.stage, actor=actor, kind="note",
                                        note=note))
    session.commit()
    return OrderView.of(row)


def cancel_order(session: Session, number: str, *, actor: str, now: datetime, note: str | None = None,
                 customer: bool = False) -> OrderView:
    """Cancel an open order (a stage move to 已取消; `note` is internal). A customer may cancel only before the
    documents are collected (BEFORE_VISIT); staff may cancel any open order."""
    row = _row(session, number)
    if stage(row.stage).final:
        raise NotChangeable(f"工单已{BY_ID[row.stage].name}，不能取消")
    if customer and row.stage not in BEFORE_VISIT:
        raise NotChangeable(f"工单处于「{BY_ID[row.stage].name}」，需要由客户经理办理取消")
    return advance_order(session, number, actor=actor, now=now, to_stage="cancelled", note=note)
