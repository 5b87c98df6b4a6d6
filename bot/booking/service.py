"""Turning a completed booking form into a committed work order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.booking.business import BY_ID as BUSINESS
from bot.booking.capacity import NOT_GIVEN
from bot.booking.reply import already_booked, confirmation
from bot.booking.visit import Visit
from bot.knowledge.service import KnowledgeBase
from bot.orders.deadlines import CLOCK_UNITS, dispatch_limit
from bot.orders.store import DEFAULT_DEDUPE_WINDOW, create_booking
from bot.orders.views import BookingDraft, OrderView

REQUIRED = ("name", "phone", "address", "region", "business")


class IncompleteBooking(ValueError):
    pass


@dataclass(frozen=True)
class Confirmation:
    order: OrderView
    created: bool
    text: str
    shown: bool = True  # False: a duplicate of another conversation's order, whose number and details stay hidden


def draft_from(fields: dict[str, Any]) -> BookingDraft:
    missing = [name for name in REQUIRED if not fields.get(name)]
    if missing or fields["business"] not in BUSINESS:
        raise IncompleteBooking(f"missing or invalid: {', '.join(missing) or 'business'}")
    visit = Visit.from_slot(fields["visit"]) if fields.get("visit") else None
    capacity = fields.get("capacity")
    return BookingDraft(
        contact_name=fields["name"], phone=fields["phone"], region=fields["region"],
        district=fields.get("district"), address=fields["address"], business=fields["business"],
        category=BUSINESS[fields["business"]].category,
        capacity=capacity if capacity and capacity != NOT_GIVEN else None,
        visit_date=visit.day if visit else None, visit_period=visit.period if visit else None,
        visit_time=visit.at if visit else None,
    )


def dispatch_window(kb: KnowledgeBase, region: str) -> timedelta | None:
    limit = dispatch_limit(kb, region)
    if limit is None:
        return None
    if limit.unit in CLOCK_UNITS:
        return CLOCK_UNITS[limit.unit] * limit.amount
    return None  # day-based dispatch limits are shown as a step deadline instead


def confirm_booking(
    kb: KnowledgeBase, session: Session, fields: dict[str, Any], *, actor: str, channel: str, now: datetime,
    request_id: str | None = None, conversation: str | None = None, dedupe_window: timedelta = DEFAULT_DEDUPE_WINDOW,
) -> Confirmation:
    """Create (or find) the order — committed before this returns — and the reply that confirms it."""
    draft = draft_from(fields)
    result = create_booking(session, draft, actor=actor, channel=channel, now=now, request_id=request_id,
                            conversation=conversation, dispatch_within=dispatch_window(kb, draft.region),
                            dedupe_window=dedupe_window)
    if result.created or result.conversation == conversation or channel == "staff":
        return Confirmation(result.order, result.created, confirmation(kb, result.order, result.created, now))
    # The same phone, address and business booked from another conversation: whoever typed them here may not
    # be that customer, and the order number is what lookups and changes check (red team round 3, R3-1).
    return Confirmation(result.order, False, already_booked(result.order), shown=False)
