"""Sending WeChat customers their outbox (agent replies, queue updates, order notices) as customer-service messages.

A queue with three outcomes per message:

- **Sent**: `delivered_at` is set.
- **Refused for good** (`REFUSALS`: 45015 the customer has not written for 48 hours, 43004 not a follower, 40003 a
  bad openid, 45047 too many messages without a reply, 43019 blocked us; and a few about the message itself): the
  message is *set aside* (`set_aside_at`, the reason in `last_error`) and never tried again. A refusal about the
  customer sets aside all of that customer's waiting messages at once; the console lists them with the reason
  (/agent/pushes), and an agent chatting with the customer sees the reason in the chat.
- **Failed for now** (network, HTTP 5xx, a busy or misconfigured account, unknown errcodes): retried with
  exponential backoff — `next_attempt_at` = now + 10 s · 2^(attempts − 1), at most 30 minutes — and set aside
  after MAX_ATTEMPTS.

One customer never holds up the others: a pass takes the oldest waiting message of up to PASS_RECIPIENTS customers
(a customer whose oldest message is waiting for its retry is skipped, so their messages keep their order), then
up to PER_RECIPIENT of each one's messages in order, and sends to PARALLEL customers at a time.

Any number of web replicas may run this: each message is claimed with a conditional UPDATE (its attempt count)
before it is sent, and a claim holds it for LEASE, so exactly one replica sends it; a replica that dies mid-send
leaves the message to be retried when the lease ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.livechat.models import DeliveryTarget, HandoffMessage, OutboxMessage
from bot.livechat.store import open_handoff
from bot.metrics import record_push

logger = logging.getLogger(__name__)
Send = Callable[[str, str], Awaitable[None]]
RunDb = Callable[[Callable[[Session], Any]], Awaitable[Any]]

PASS_RECIPIENTS = 200  # customers served per pass (a refusal costs one quick API call)
PER_RECIPIENT = 10  # messages of one customer per pass, in order
PARALLEL = 8  # customers sent to at the same time
LEASE = timedelta(minutes=10)  # a claimed message is left alone this long by the other replicas
BACKOFF_FIRST = timedelta(seconds=10)
BACKOFF_MAX = timedelta(minutes=30)
MAX_ATTEMPTS = 10  # a message still failing after this many attempts is set aside
MAX_REASON = 200


@dataclass(frozen=True)
class Refusal:
    reason: str
    whole_recipient: bool  # True: every waiting message of this customer would be refused too


# errcodes of /cgi-bin/message/custom/send that no retry can change
REFUSALS: dict[int, Refusal] = {
    45015: Refusal("客户超过48小时未与公众号互动，微信不允许再推送（45015）", True),
    43004: Refusal("客户未关注或已取消关注公众号（43004）", True),
    40003: Refusal("客户的 openid 无效（40003）", True),
    45047: Refusal("客服消息已达下发上限，需等客户再发消息（45047）", True),
    43019: Refusal("客户已将公众号拉黑（43019）", True),
    40008: Refusal("消息类型无效（40008）", False),
    44002: Refusal("消息为空（44002）", False),
    45002: Refusal("消息内容超长（45002）", False),
    47001: Refusal("消息格式错误（47001）", False),
}


@dataclass(frozen=True)
class Pending:
    id: int
    conversation: str
    address: str
    text: str
    attempts: int  # this attempt included


def refusal_of(error: BaseException) -> Refusal | None:
    """The permanent refusal an error means, or None when it is worth retrying."""
    code = getattr(error, "errcode", None)
    return REFUSALS.get(code) if isinstance(code, int) else None


def describe(error: BaseException) -> str:
    """A short reason for the console and the logs (never the openid: the client's errors do not carry it)."""
    code = getattr(error, "errcode", None)
    text = str(error) or type(error).__name__
    return (f"errcode {code}: {text}" if isinstance(code, int) and str(code) not in text else text)[:MAX_REASON]


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 10 s, 20 s, 40 s … at most 30 minutes."""
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


def _waiting() -> ColumnElement[bool]:
    return and_(OutboxMessage.delivered_at.is_(None), OutboxMessage.set_aside_at.is_(None))


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now)


def claim_wechat_messages(session: Session, now: datetime, recipients: int = PASS_RECIPIENTS,
                          per_recipient: int = PER_RECIPIENT) -> list[list[Pending]]:
    """Claim the next messages of each WeChat customer whose oldest waiting message is due: one list per
    customer, in order."""
    heads = (select(OutboxMessage.conversation, func.min(OutboxMessage.id).label("head"))
             .join(DeliveryTarget, DeliveryTarget.conversation == OutboxMessage.conversation)
             .where(DeliveryTarget.channel == "wechat", _waiting())
             .group_by(OutboxMessage.conversation).subquery())
    due_heads = session.execute(
        select(OutboxMessage.conversation, DeliveryTarget.address)
        .join(heads, OutboxMessage.id == heads.c.head)
        .join(DeliveryTarget, DeliveryTarget.conversation == OutboxMessage.conversation)
        .where(_due(now)).order_by(OutboxMessage.id).limit(recipients)).all()
    batches = []
    for conversation, address in due_heads:
        rows = session.execute(
            select(OutboxMessage.id, OutboxMessage.text, OutboxMessage.attempts, OutboxMessage.next_attempt_at)
            .where(OutboxMessage.conversation == conversation, _waiting())
            .order_by(OutboxMessage.id).limit(per_recipient)).all()
        batch = []
        for message_id, text, attempts, next_attempt_at in rows:
            if next_attempt_at is not None and next_attempt_at > now:
                break  # a later message never overtakes one waiting for its retry
            won = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.attempts == attempts, _waiting(), _due(now))
                .values(attempts=attempts + 1, next_attempt_at=now + LEASE)
                .execution_options(synchronize_session=False)).rowcount
            if not won:
                break  # another replica has it
            batch.append(Pending(message_id, conversation, address, text, attempts + 1))
        session.commit()
        if batch:
            batches.append(batch)
    return batches


def mark_sent(session: Session, message_id: int, now: datetime) -> None:
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                    .values(delivered_at=now, next_attempt_at=None, last_error=None)
                    .execution_options(synchronize_session=False))
    session.commit()


def release(session: Session, messages: list[Pending]) -> None:
    """Claimed but not attempted (an earlier message of the customer failed): back as they were."""
    for message in messages:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id)
                        .values(attempts=message.attempts - 1, next_attempt_at=None)
                        .execution_options(synchronize_session=False))
    session.commit()


def retry_later(session: Session, message: Pending, now: datetime, reason: str) -> datetime | None:
    """A temporary failure: the next attempt after the backoff (returned), or set aside after MAX_ATTEMPTS."""
    if message.attempts >= MAX_ATTEMPTS:
        set_aside(session, message, now, f"重试{message.attempts}次仍未成功：{reason}"[:MAX_REASON],
                  whole_recipient=False)
        return None
    later = now + backoff(message.attempts)
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id)
                    .values(next_attempt_at=later, last_error=reason[:MAX_REASON])
                    .execution_options(synchronize_session=False))
    session.commit()
    return later


def set_aside(session: Session, message: Pending, now: datetime, reason: str, whole_recipient: bool) -> int:
    """Never try the message again (with all of the customer's waiting messages when the refusal is about the
    customer); an agent chatting with the customer is told why. Returns how many were set aside."""
    which = (OutboxMessage.conversation == message.conversation) if whole_recipient else \
        (OutboxMessage.id == message.id)
    count = session.execute(update(OutboxMessage).where(which, _waiting())
                            .values(set_aside_at=now, next_attempt_at=None, last_error=reason[:MAX_REASON])
                            .execution_options(synchronize_session=False)).rowcount
    handoff = open_handoff(session, message.conversation)
    if handoff is not None:
        handoff.messages.append(HandoffMessage(at=now, sender="system", text=f"消息未能送达客户：{reason}"))
    session.commit()
    return int(count or 0)


async def _deliver(batch: list[Pending], run_db: RunDb, send: Send, now: Callable[[], datetime]) -> int:
    """Send one customer's claimed messages in order; stop at a failure that is not about one message."""
    sent = 0
    for index, message in enumerate(batch):
        try:
            await send(message.address, message.text)
        except Exception as error:
            record_push(sent=False)
            refusal, rest = refusal_of(error), batch[index + 1:]
            if refusal is not None:
                logger.warning("WeChat message %s set aside: %s", message.id, refusal.reason)
                await run_db(partial(set_aside, message=message, now=now(), reason=refusal.reason,
                                     whole_recipient=refusal.whole_recipient))
                if refusal.whole_recipient:
                    return sent
                continue
            reason = describe(error)
            logger.warning("WeChat message %s not sent (attempt %d): %s", message.id, message.attempts, reason)
            await run_db(partial(retry_later, message=message, now=now(), reason=reason))
            if rest:
                await run_db(partial(release, messages=rest))
            return sent
        await run_db(partial(mark_sent, message_id=message.id, now=now()))
        record_push(sent=True)
        sent += 1
    return sent


async def push_once(run_db: RunDb, send: Send, now: Callable[[], datetime]) -> int:
    """One pass: claim, send (PARALLEL customers at a time), record each outcome. Returns how many were sent."""
    batches: list[list[Pending]] = await run_db(lambda s: claim_wechat_messages(s, now()))
    gate = asyncio.Semaphore(PARALLEL)

    async def one(batch: list[Pending]) -> int:
        async with gate:
            return await _deliver(batch, run_db, send, now)

    results = await asyncio.gather(*(one(batch) for batch in batches), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):  # its messages are retried when their claim runs out
            logger.error("WeChat push to one customer failed", exc_info=result)
    return sum(result for result in results if isinstance(result, int))


async def push_forever(run_db: RunDb, send: Send, now: Callable[[], datetime], interval: float = 2.0) -> None:
    while True:
        try:
            await push_once(run_db, send, now)
        except Exception:
            logger.exception("WeChat push pass failed")
        await asyncio.sleep(interval)
