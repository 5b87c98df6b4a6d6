"""Telling the customer who booked an order what changed (where the channel allows it).

The order keeps only its conversation key; the notice goes to that conversation's outbox, which web chat
shows in the open conversation and a WeChat pusher sends as a customer-service message. Orders registered by
staff (no customer conversation) are not notified. A change the customer made in that same conversation is
not notified there again (`skip`: the reply already said it). Times in notices are Beijing time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.livechat.models import OutboxMessage
from bot.livechat.outbox import queue_for_customer
from bot.orders import numbers
from bot.orders.models import WorkOrder
from bot.orders.stages import stage
from bot.orders.times import naive_utc, visit_text


def stage_notice(number: str, stage_id: str) -> str:
    current = stage(stage_id)
    return f"【办电进度】您的零证预约工单 {numbers.display(number)} 已进入「{current.name}」：{current.customer_text}。"


def visit_notice(row: WorkOrder) -> str:
    when = visit_text(row.visit_date, row.visit_period, row.visit_time) if row.visit_date else "待约定"
    return (f"【办电进度】您的零证预约工单 {numbers.display(row.number)} 的预约上门时间已改为{when}，"
            f"客户经理{'（' + row.manager.name + '）' if row.manager else ''}将按新的时间上门。")


def message_notice(number: str, text: str) -> str:
    return f"【工单消息】关于您的零证预约工单 {numbers.display(number)}：{text}"


def _order(session: Session, number: str) -> WorkOrder | None:
    return session.execute(select(WorkOrder).where(WorkOrder.number == number)).scalars().first()


def notify_customer(session: Session, number: str, text: str, now: datetime, *,
                    skip: str | None = None) -> OutboxMessage | None:
    """Queue `text` for the conversation that booked the order (None: nobody to tell, or it is `skip`)."""
    row = _order(session, number)
    if row is None or not row.conversation or row.channel != "customer" or row.conversation == skip:
        return None
    # the outbox's columns take naive times, read as UTC (bot/orders/times.py)
    return queue_for_customer(session, row.conversation, text, naive_utc(now), kind="notice")


def notify_stage_change(session: Session, number: str, now: datetime, *, skip: str | None = None
                        ) -> OutboxMessage | None:
    row = _order(session, number)
    if row is None:
        return None
    return notify_customer(session, number, stage_notice(row.number, row.stage), now, skip=skip)


def notify_visit_change(session: Session, number: str, now: datetime, *, skip: str | None = None
                        ) -> OutboxMessage | None:
    row = _order(session, number)
    if row is None:
        return None
    return notify_customer(session, number, visit_notice(row), now, skip=skip)


def notify_message(session: Session, number: str, text: str, now: datetime) -> OutboxMessage | None:
    return notify_customer(session, number, message_notice(number, text), now)
