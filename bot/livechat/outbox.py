"""Where a conversation is reached and what waits for it there: its delivery target (the channel, and for
WeChat the openid) and the customer outbox (agents' replies, notices, system messages; the web chat polls it,
WeChat gets it pushed: bot/livechat/push.py). Every write commits before it returns.

A conversation's delivery target never moves to another channel (bot/senders.py namespaces sender ids).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.livechat.models import DeliveryTarget, OutboxMessage

logger = logging.getLogger(__name__)


def remember_target(session: Session, conversation: str, channel: str, address: str, now: datetime) -> None:
    """Where the conversation's outbox is delivered. A target changes only within its own channel: a
    message claiming another channel for the conversation (which namespaced sender ids rule out) is
    not allowed to redirect it."""
    row = session.get(DeliveryTarget, conversation)
    if row is None:
        session.add(DeliveryTarget(conversation=conversation, channel=channel, address=address, updated_at=now))
        try:
            session.commit()
        except IntegrityError:  # two first messages of one conversation at once: the other one wrote it
            session.rollback()
        return
    if row.channel != channel:
        logger.warning("conversation %s: delivery target stays on %s (a %s message cannot move it)",
                       conversation[:8], row.channel, channel)
        return
    elif row.address != address:
        row.address, row.updated_at = address, now
    else:
        return
    session.commit()


def target_of(session: Session, conversation: str) -> DeliveryTarget | None:
    return session.get(DeliveryTarget, conversation)


def queue_for_customer(session: Session, conversation: str, text: str, now: datetime,
                       kind: str = "notice") -> OutboxMessage:
    row = OutboxMessage(conversation=conversation, kind=kind, text=text, created_at=now)
    session.add(row)
    session.commit()
    return row


def outbox_after(session: Session, conversation: str, after_id: int, limit: int = 50) -> list[OutboxMessage]:
    query = (select(OutboxMessage).where(OutboxMessage.conversation == conversation, OutboxMessage.id > after_id)
             .order_by(OutboxMessage.id).limit(limit))
    return list(session.execute(query).scalars())


def mark_delivered(session: Session, message_ids: list[int], now: datetime) -> None:
    for row in session.execute(select(OutboxMessage).where(OutboxMessage.id.in_(message_ids))).scalars():
        row.delivered_at = now
    session.commit()


def latest_outbox_id(session: Session, conversation: str) -> int:
    query = select(func.max(OutboxMessage.id)).where(OutboxMessage.conversation == conversation)
    return int(session.execute(query).scalar_one() or 0)
