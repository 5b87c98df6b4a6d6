"""Telling the customer who booked an order that its stage changed (where the channel allows it).

The order keeps only its conversation key; the notice goes to that conversation's outbox, which
web chat shows in the open conversation and a WeChat pusher sends as a customer-service message.
Orders registered by staff (no customer conversation) are not notified.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.livechat.models import OutboxMessage
from bot.livechat.store import queue_for_customer
from bot.orders import numbers
from bot.orders.models import WorkOrder
from bot.orders.stages import stage


def stage_notice(number: str, stage_id: str) -> str:
    current = stage(stage_id)
    return f"【办电进度】您的零证预约工单 {numbers.display(number)} 已进入「{current.name}」：{current.customer_text}。"


def notify_stage_change(session: Session, number: str, now: datetime) -> OutboxMessage | None:
    row = session.execute(select(WorkOrder).where(WorkOrder.number == number)).scalars().first()
    if row is None or not row.conversation or row.channel != "customer":
        return None
    return queue_for_customer(session, row.conversation, stage_notice(row.number, row.stage), now, kind="notice")
