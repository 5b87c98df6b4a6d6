"""Status lookups that reveal nothing to guessers: one reply for every miss, and a lockout."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.orders import numbers
from bot.orders.models import LookupAttempt, LookupClientFailure, WorkOrder
from bot.orders.times import as_utc
from bot.orders.views import OrderView


class Outcome(str, Enum):
    FOUND = "found"
    NO_MATCH = "no_match"        # wrong number or wrong phone suffix: the same answer for both
    BAD_NUMBER = "bad_number"    # not an order number at all (length or check digit): nothing is looked up
    LOCKED = "locked"


@dataclass(frozen=True)
class LookupPolicy:
    """At most `max_failures` misses per `window`, and — so that a patient guesser cannot try all 10⁴
    suffixes of one order at 5 per 15 minutes (red team R3-7) — at most `daily_max_failures` per `day`."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    daily_max_failures: int = 20
    day: timedelta = timedelta(hours=24)

    @property
    def limits(self) -> tuple[tuple[int, timedelta], ...]:
        """(misses, within) pairs, longest window last."""
        return tuple(sorted(((self.max_failures, self.window), (self.daily_max_failures, self.day)),
                            key=lambda limit: limit[1]))


@dataclass(frozen=True)
class LookupResult:
    outcome: Outcome
    order: OrderView | None = None
    locked_until: datetime | None = None  # LOCKED: when lookups are allowed again


def phone_suffix(text: str | None) -> str | None:
    """The last four digits of a phone number as typed ('5678', '５６７８', '尾号 5678')."""
    if not text:
        return None
    digits = re.findall(r"\d+", unicodedata.normalize("NFKC", text))
    return digits[-1][-4:] if digits and len(digits[-1]) >= 4 else None


LOCK_KINDS = {"order": "工单号", "conversation": "会话", "client": "客户端地址"}


@dataclass(frozen=True)
class Lockout:
    """Lookups refused for one order number, conversation or client address until `until`."""

    kind: str  # a key of LOCK_KINDS
    key: str
    failures: int
    until: datetime

    @property
    def kind_name(self) -> str:
        return LOCK_KINDS[self.kind]


def _failures(kind: str, since: datetime) -> tuple[Any, Any]:
    """(key column, time column) of the failed attempts counted for `kind`, as a subquery since `since`."""
    if kind == "client":
        rows = select(LookupClientFailure.client.label("key"), LookupClientFailure.at.label("at")).where(
            LookupClientFailure.at >= since)
    else:
        column = LookupAttempt.order_number if kind == "order" else LookupAttempt.conversation
        rows = select(column.label("key"), LookupAttempt.at.label("at")).where(
            LookupAttempt.at >= since, LookupAttempt.success.is_(False))
    table = rows.subquery()
    return table.c.key, table.c.at


def locked_until(session: Session, conversation: str, number: str, now: datetime, policy: LookupPolicy,
                 client: str | None = None) -> datetime | None:
    """When lookups are allowed again, if too many misses came from this conversation or this client address,
    or were made for this order number, within a window of the policy; None when they are allowed now."""
    now = as_utc(now)
    keys = {"conversation": conversation, "order": number, "client": client}
    ends = []
    for kind, key in keys.items():
        if key is None:
            continue
        key_column, at_column = _failures(kind, now - policy.limits[-1][1])
        times = [as_utc(at) for at in session.execute(select(at_column).where(key_column == key)).scalars()]
        ends += [end for end in [_lock_end(times, now, policy)] if end is not None]
    return max(ends) if ends else None


def _lock_end(times: list[datetime], now: datetime, policy: LookupPolicy) -> datetime | None:
    """The end of the longest lock these misses cause at `now`: when enough of them have aged out of a
    window to leave fewer than its limit."""
    ends = []
    for limit, window in policy.limits:
        recent = sorted(at for at in times if at >= now - window)
        if len(recent) >= limit:
            ends.append(recent[len(recent) - limit] + window)
    return max(ends) if ends else None


def current_lockouts(session: Session, now: datetime, policy: LookupPolicy) -> list[Lockout]:
    """Every lockout in force: the key, its misses in the longest window, and when the lock ends."""
    now = as_utc(now)
    found = []
    for kind in LOCK_KINDS:
        key_column, at_column = _failures(kind, now - policy.limits[-1][1])
        by_key: dict[str, list[datetime]] = {}
        for key, at in session.execute(select(key_column, at_column)).all():
            by_key.setdefault(key, []).append(as_utc(at))
        for key, times in by_key.items():
            until = _lock_end(times, now, policy)
            if until is not None:
                found.append(Lockout(kind, key, len(times), until))
    return sorted(found, key=lambda lockout: lockout.until, reverse=True)


def lookup_order(
    session: Session, number_text: str, suffix: str | None, *, conversation: str, now: datetime,
    policy: LookupPolicy = LookupPolicy(), agent: bool = False, client: str | None = None,
) -> LookupResult:
    """Find an order by its number and the last four digits of its phone (agents: number alone).

    Every attempt is recorded (committed); after too many misses (the policy's limits) from one
    conversation, from one client address (whatever sender ids it uses) or for one order number,
    lookups are refused with one answer (LOCKED, whichever limit it was) until the misses age out.
    Refused attempts are not counted, so a lockout ends one window after the misses that caused it.
    """
    now = as_utc(now)
    number = numbers.canonical(number_text)
    if number is None:
        return LookupResult(Outcome.BAD_NUMBER)
    client = client[:64] if client else None
    until = locked_until(session, conversation, number, now, policy, client)
    if until is not None:
        return LookupResult(Outcome.LOCKED, locked_until=until)
    row = session.execute(select(WorkOrder).where(WorkOrder.number == number)).scalars().first()
    matched = row is not None and (agent or (suffix is not None and row.phone_suffix == suffix))
    session.add(LookupAttempt(at=now, conversation=conversation, order_number=number, success=matched))
    if not matched and client:
        session.add(LookupClientFailure(at=now, client=client))
    session.commit()
    if not matched or row is None:
        return LookupResult(Outcome.NO_MATCH)
    return LookupResult(Outcome.FOUND, OrderView.of(row))
