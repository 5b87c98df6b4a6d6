"""The handoff queue, live messages, the outbox and WeChat pushing, on a fresh SQLite."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.livechat import outbox, store
from bot.livechat.models import OutboxMessage
from bot.livechat.push import push_once
from bot.orders.notify import notify_stage_change
from bot.orders.store import advance_order, create_booking
from tests.unit.orders_fixtures import draft

NOW = datetime(2026, 11, 26, 10, 0)


def queued(session, conversation: str = "c1") -> int:
    store.mark_present(session, "li", NOW)
    request = store.request_handoff(session, conversation=conversation, channel="web", summary="地区：安阳", now=NOW)
    assert request.queued
    return request.handoff_id


def test_nobody_online_queues_nothing(session):
    assert store.request_handoff(session, conversation="c1", channel="web", summary="s", now=NOW).queued is False
    assert store.waiting_and_active(session) == []


def test_queue_positions_and_asking_twice_keeps_one_place(session):
    first, second = queued(session, "c1"), queued(session, "c2")
    again = store.request_handoff(session, conversation="c2", channel="web", summary="s", now=NOW)
    assert (again.handoff_id, again.position) == (second, 2)
    assert [h.id for h in store.waiting_and_active(session)] == [first, second]


def test_only_one_agent_can_take_a_handoff(session):
    handoff = queued(session)
    store.take_handoff(session, handoff, "li", NOW)
    with pytest.raises(store.HandoffClosed):
        store.take_handoff(session, handoff, "wang", NOW)
    assert store.get_handoff(session, handoff).agent == "li"


def test_only_the_agent_who_took_it_replies_and_hands_back(session):
    handoff = queued(session)
    store.take_handoff(session, handoff, "li", NOW)
    with pytest.raises(store.HandoffClosed):
        store.agent_reply(session, handoff, "wang", "我来", NOW)
    store.agent_reply(session, handoff, "li", "您好", NOW)
    store.hand_back(session, handoff, "li", NOW)
    assert store.open_handoff(session, "c1") is None
    assert store.customer_message(session, "c1", "还在吗", NOW).held is False
    texts = [m.text for m in outbox.outbox_after(session, "c1", 0)]
    assert texts[1] == "您好" and "转回智能助手" in texts[-1]


def test_customer_messages_are_held_for_the_agent_and_masked(session):
    handoff = queued(session)
    assert store.customer_message(session, "c1", "我电话13912345678", NOW).held
    assert [m.text for m in store.get_handoff(session, handoff).messages] == ["我电话139****5678"]


def test_a_waiting_customer_is_released_with_95598_when_every_agent_left(session):
    queued(session)
    later = NOW + store.PRESENCE_WINDOW + timedelta(seconds=1)
    routed = store.customer_message(session, "c1", "有人吗", later)
    assert not routed.held and "95598" in routed.notice and store.open_handoff(session, "c1") is None


def test_a_stage_change_notifies_only_customer_bookings(session):
    own = create_booking(session, draft(), actor="customer", channel="customer", now=NOW, conversation="conv-a").order
    staff = create_booking(session, draft(phone="13800001111"), actor="agent", channel="staff", now=NOW).order
    for order in (own, staff):
        advance_order(session, order.number, actor="li", now=NOW)
    assert notify_stage_change(session, own.number, NOW).conversation == "conv-a"
    assert notify_stage_change(session, staff.number, NOW) is None


def test_wechat_outbox_is_pushed_once_and_failures_are_retried(session, engine):
    from bot.store.engine import session_factory

    factory = session_factory(engine)
    outbox.remember_target(session, "wx", "wechat", "openid-1", NOW)
    outbox.remember_target(session, "web", "web", "", NOW)
    outbox.queue_for_customer(session, "wx", "进度通知", NOW)
    outbox.queue_for_customer(session, "web", "网页消息", NOW)
    sent: list[tuple[str, str]] = []
    failing = {"on": True}

    async def send(address: str, text: str) -> None:
        if failing["on"]:
            raise OSError("network down")
        sent.append((address, text))

    async def run_db(work):
        with factory() as db:
            return work(db)

    assert asyncio.run(push_once(run_db, send, lambda: NOW)) == 0
    failing["on"] = False
    assert asyncio.run(push_once(run_db, send, lambda: NOW)) == 0  # the retry waits for its backoff
    later = NOW + timedelta(seconds=10)
    assert asyncio.run(push_once(run_db, send, lambda: later)) == 1
    assert asyncio.run(push_once(run_db, send, lambda: later)) == 0
    assert sent == [("openid-1", "进度通知")]
    web = session.execute(select(OutboxMessage).where(OutboxMessage.conversation == "web")).scalar_one()
    assert web.delivered_at is None  # web chat polls its own messages


def test_two_first_messages_of_one_conversation_at_once_both_succeed(engine, session):
    """Both requests see no delivery target and both insert one; the second insert loses the race and
    must not turn the customer's message into a 500 (found by the reliability suite's web-chat fuzz)."""
    from sqlalchemy.orm import Session

    from bot.livechat.models import DeliveryTarget

    with Session(engine) as other:
        outbox.remember_target(other, "race", "web", "", NOW)
    original_get = session.get
    session.get = lambda model, key, *a, **k: None if model is DeliveryTarget else original_get(model, key, *a, **k)
    outbox.remember_target(session, "race", "web", "", NOW)  # no IntegrityError
    session.get = original_get
    assert outbox.target_of(session, "race").channel == "web"
