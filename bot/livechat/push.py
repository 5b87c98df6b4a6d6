"""Sending WeChat customers their outbox (agent replies, order notices) as customer-service messages.

Any number of web replicas may run this: a message is claimed with a conditional UPDATE before it
is sent, so exactly one replica sends it; a failed send is released and retried on the next pass.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.livechat.models import DeliveryTarget, OutboxMessage
from bot.metrics import record_push

logger = logging.getLogger(__name__)
Send = Callable[[str, str], Awaitable[None]]
PASS_LIMIT = 20


@dataclass(frozen=True)
class Pending:
    id: int
    address: str
    text: str


def claim_wechat_messages(session: Session, now: datetime, limit: int = PASS_LIMIT) -> list[Pending]:
    query = (select(OutboxMessage.id, DeliveryTarget.address, OutboxMessage.text)
             .join(DeliveryTarget, DeliveryTarget.conversation == OutboxMessage.conversation)
             .where(DeliveryTarget.channel == "wechat", OutboxMessage.delivered_at.is_(None))
             .order_by(OutboxMessage.id).limit(limit))
    claimed = []
    for message_id, address, text in session.execute(query).all():
        won = session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id,
                                                          OutboxMessage.delivered_at.is_(None))
                              .values(delivered_at=now)).rowcount
        if won:
            claimed.append(Pending(message_id, address, text))
    session.commit()
    return claimed


def release(session: Session, message_id: int) -> None:
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(delivered_at=None))
    session.commit()


async def push_once(run_db: Callable, send: Send, now: Callable[[], datetime]) -> int:
    """One pass: claim, send, release what failed. Returns how many were sent."""
    pending: list[Pending] = await run_db(lambda s: claim_wechat_messages(s, now()))
    sent = 0
    for message in pending:
        try:
            await send(message.address, message.text)
            sent += 1
            record_push(sent=True)
        except Exception:
            logger.warning("WeChat message %s not sent; will retry", message.id, exc_info=True)
            record_push(sent=False)
            await run_db(lambda s, message_id=message.id: release(s, message_id))
    return sent


async def push_forever(run_db: Callable, send: Send, now: Callable[[], datetime], interval: float = 2.0) -> None:
    while True:
        try:
            await push_once(run_db, send, now)
        except Exception:
            logger.exception("WeChat push pass failed")
        await asyncio.sleep(interval)
