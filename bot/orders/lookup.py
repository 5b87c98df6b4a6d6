"""Status lookups that reveal nothing to guessers: one reply for every miss, and a lockout."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.orders import numbers
from bot.orders.models import LookupAttempt, WorkOrder
from bot.orders.views import OrderView


class Outcome(str, Enum):
    FOUND = "found"
    NO_MATCH = "no_match"        # wrong number or wrong phone suffix: the same answer for both
    BAD_NUMBER = "bad_number"    # not an order number at all (length or check digit): nothing is looked up
    LOCKED = "locked"


@dataclass(frozen=True)
class LookupPolicy:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class LookupResult:
    outcome: Outcome
    order: OrderView | None = None


def phone_suffix(text: str | None) -> str | None:
    """The last four digits of a phone number as typed ('5678', '５６７８', '尾号 5678')."""
    if not text:
        return None
    digits = re.findall(r"\d+", unicodedata.normalize("NFKC", text))
    return digits[-1][-4:] if digits and len(digits[-1]) >= 4 else None


def is_locked(session: Session, conversation: str, number: str, now: datetime, policy: LookupPolicy) -> bool:
    since = now - policy.window
    failures = session.execute(select(func.count()).select_from(LookupAttempt).where(
        LookupAttempt.at >= since, LookupAttempt.success.is_(False),
        or_(LookupAttempt.conversation == conversation, LookupAttempt.order_number == number),
    )).scalar_one()
    return int(failures) >= policy.max_failures


def lookup_order(
    session: Session, number_text: str, suffix: str | None, *, conversation: str, now: datetime,
    policy: LookupPolicy = LookupPolicy(), agent: bool = False,
) -> LookupResult:
    """Find an order by its number and the last four digits of its phone (agents: number alone).

    Every attempt is recorded (committed); after `max_failures` misses within `window` from one
    conversation or for one order number, lookups are refused until the misses age out.
    """
    number = numbers.canonical(number_text)
    if number is None:
        return LookupResult(Outcome.BAD_NUMBER)
    if is_locked(session, conversation, number, now, policy):
        return LookupResult(Outcome.LOCKED)
    row = session.execute(select(WorkOrder).where(WorkOrder.number == number)).scalars().first()
    matched = row is not None and (agent or (suffix is not None and row.phone_suffix == suffix))
    session.add(LookupAttempt(at=now, conversation=conversation, order_number=number, success=matched))
    session.commit()
    if not matched or row is None:
        return LookupResult(Outcome.NO_MATCH)
    return LookupResult(Outcome.FOUND, OrderView.of(row))
