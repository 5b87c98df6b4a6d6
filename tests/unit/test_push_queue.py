"""The WeChat push queue (bot/livechat/push.py) on a fresh SQLite with a fake clock and a fake API:
permanent refusals set aside with the reason, temporary failures retried with exponential backoff, one
customer never holding up another, messages of one customer kept in order, several replicas sending once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.channels.wechat_api import WeChatApiError
from bot.livechat import outbox, push, store
from bot.livechat.models import OutboxMessage
from bot.livechat.push import MAX_ATTEMPTS, backoff, claim_wechat_messages, push_once
from bot.store.engine import session_factory

NOW = datetime(2026, 11, 26, 2, 0)  # naive UTC, as the live-chat tables keep it


class FakeWeChat:
    """/cgi-bin/message/custom/send: refuses the openids in `refuse` with their errcode, fails while `down`."""

    def __init__(self, refuse: dict[str, int] | None = None) -> None:
        self.refuse = refuse or {}
        self.down = False
        self.sent: list[tuple[str, str]] = []
        self.calls = 0

    async def send(self, address: str, text: str) -> None:
        self.calls += 1
        if self.down:
            raise WeChatApiError("POST /cgi-bin/message/custom/send failed after 4 attempts: HTTP 502")
        if address in self.refuse:
            code = self.refuse[address]
            raise WeChatApiError(f"custom/send failed: errcode {code} refused", code)
        self.sent.append((address, text))


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture()
def db(engine):
    factory = session_factory(engine)

    async def run_db(work):
        with factory() as session:
            return work(session)

    return factory, run_db


def customer(session, conversation: str, openid: str) -> str:
    outbox.remember_target(session, conversation, "wechat", openid, NOW)
    return conversation


def queue(session, conversation: str, text: str) -> int:
    return outbox.queue_for_customer(session, conversation, text, NOW).id


def rows(factory) -> list[OutboxMessage]:
    with factory() as session:
        return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def run(run_db, api: FakeWeChat, clock) -> int:
    return asyncio.run(push_once(run_db, api.send, clock))


@pytest.mark.parametrize("code", [45015, 43004, 40003])
def test_a_permanent_refusal_is_set_aside_with_its_reason_and_never_tried_again(db, code):
    factory, run_db = db
    with factory() as session:
        customer(session, "gone", "openid-gone")
        first = queue(session, "gone", "您好，人工客服已接入")
        second = queue(session, "gone", "排队进度：您前面还有1位")
    api, clock = FakeWeChat({"openid-gone": code}), Clock()
    assert run(run_db, api, clock) == 0
    assert api.calls == 1  # the customer's other message is set aside without another call
    aside = {row.id: row for row in rows(factory)}
    for message_id in (first, second):
        assert aside[message_id].set_aside_at == NOW and aside[message_id].delivered_at is None
        assert f"（{code}）" in aside[message_id].last_error
    assert "48小时" in aside[first].last_error if code == 45015 else True
    clock.advance(days=2)
    assert run(run_db, api, clock) == 0 and api.calls == 1  # never again


def test_a_refusal_about_one_message_sets_aside_only_that_message(db):
    factory, run_db = db
    with factory() as session:
        customer(session, "c", "openid-c")
        bad, good = queue(session, "c", "太长的消息"), queue(session, "c", "正常的消息")

    class TooLong(FakeWeChat):
        async def send(self, address: str, text: str) -> None:
            if text == "太长的消息":
                raise WeChatApiError("custom/send failed: errcode 45002", 45002)
            await super().send(address, text)

    api = TooLong()
    assert run(run_db, api, Clock()) == 1
    found = {row.id: row for row in rows(factory)}
    assert found[bad].set_aside_at is not None and "45002" in found[bad].last_error
    assert found[good].delivered_at is not None and api.sent == [("openid-c", "正常的消息")]


def test_a_temporary_failure_is_retried_with_exponential_backoff_on_the_stored_schedule(db):
    factory, run_db = db
    with factory() as session:
        customer(session, "c", "openid-c")
        message_id = queue(session, "c", "人工回复")
    api, clock = FakeWeChat(), Clock()
    api.down = True
    schedule = []
    for attempt in range(1, 6):
        assert run(run_db, api, clock) == 0
        [row] = rows(factory)
        assert row.attempts == attempt and "HTTP 502" in row.last_error
        wait = row.next_attempt_at - clock.now
        schedule.append(wait)
        assert wait == backoff(attempt)
        clock.now = row.next_attempt_at - timedelta(seconds=1)
        assert run(run_db, api, clock) == 0 and api.calls == attempt  # not before its time
        clock.advance(seconds=1)
    assert schedule == [timedelta(seconds=s) for s in (10, 20, 40, 80, 160)]
    assert backoff(20) == timedelta(minutes=30)  # capped
    api.down = False
    assert run(run_db, api, clock) == 1
    [row] = rows(factory)
    assert row.id == message_id and row.delivered_at == clock.now and row.last_error is None


def test_a_message_still_failing_after_the_last_attempt_is_set_aside(db):
    factory, run_db = db
    with factory() as session:
        customer(session, "c", "openid-c")
        queue(session, "c", "人工回复")
    api, clock = FakeWeChat(), Clock()
    api.down = True
    for _ in range(MAX_ATTEMPTS):
        run(run_db, api, clock)
        clock.advance(hours=1)
    [row] = rows(factory)
    assert row.attempts == MAX_ATTEMPTS and row.set_aside_at is not None
    assert row.last_error.startswith(f"重试{MAX_ATTEMPTS}次仍未成功") and "HTTP 502" in row.last_error
    run(run_db, api, clock)
    assert api.calls == MAX_ATTEMPTS


def test_a_hundred_refused_messages_ahead_do_not_delay_a_good_one(db):
    """Today's bug: 20 refused messages at the head of the outbox stopped every WeChat push."""
    factory, run_db = db
    with factory() as session:
        customer(session, "gone", "openid-gone")
        for n in range(100):
            queue(session, "gone", f"通知{n}")
        customer(session, "ok", "openid-ok")
        good = queue(session, "ok", "您好，人工客服已接入")
    api = FakeWeChat({"openid-gone": 45015})
    assert run(run_db, api, Clock()) == 1  # the first round
    assert api.sent == [("openid-ok", "您好，人工客服已接入")]
    found = rows(factory)
    assert sum(1 for row in found if row.set_aside_at is not None) == 100
    assert next(row for row in found if row.id == good).delivered_at == NOW


def test_a_hundred_refusing_customers_ahead_do_not_delay_a_good_one(db):
    factory, run_db = db
    with factory() as session:
        refuse = {}
        for n in range(100):
            customer(session, f"gone-{n}", f"openid-gone-{n}")
            queue(session, f"gone-{n}", "进度通知")
            refuse[f"openid-gone-{n}"] = 43004
        customer(session, "ok", "openid-ok")
        queue(session, "ok", "进度通知")
    api = FakeWeChat(refuse)
    assert run(run_db, api, Clock()) == 1
    assert api.sent == [("openid-ok", "进度通知")]


def test_one_customer_waiting_for_a_retry_holds_up_neither_others_nor_their_own_order(db):
    factory, run_db = db
    with factory() as session:
        customer(session, "slow", "openid-slow")
        customer(session, "ok", "openid-ok")
        queue(session, "slow", "第一条")
        queue(session, "slow", "第二条")
        queue(session, "ok", "别人的消息")

    class FlakyFirst(FakeWeChat):
        async def send(self, address: str, text: str) -> None:
            if text == "第一条" and self.calls == 0:
                self.calls += 1
                raise ConnectionError("connection reset")
            await super().send(address, text)

    api, clock = FlakyFirst(), Clock()
    assert run(run_db, api, clock) == 1
    assert api.sent == [("openid-ok", "别人的消息")]  # 第二条 did not overtake 第一条
    second = next(row for row in rows(factory) if row.text == "第二条")
    assert second.attempts == 0 and second.next_attempt_at is None and second.delivered_at is None
    clock.advance(seconds=10)
    assert run(run_db, api, clock) == 2
    assert api.sent[1:] == [("openid-slow", "第一条"), ("openid-slow", "第二条")]


def test_two_replicas_send_each_message_once(db):
    factory, _run_db = db
    with factory() as session:
        customer(session, "c", "openid-c")
        for n in range(3):
            queue(session, "c", f"消息{n}")
    with factory() as first, factory() as second:
        claimed = claim_wechat_messages(first, NOW)
        assert [len(batch) for batch in claimed] == [3]
        assert claim_wechat_messages(second, NOW) == []  # held by the first replica's claim
        later = NOW + push.LEASE + timedelta(seconds=1)
        [again] = claim_wechat_messages(second, later)  # the first replica died mid-send: retried, in order
        assert [(m.text, m.attempts) for m in again] == [("消息0", 2), ("消息1", 2), ("消息2", 2)]
        assert claim_wechat_messages(first, later) == []


def test_an_agent_chatting_with_the_customer_is_told_why_a_reply_did_not_arrive(db):
    factory, run_db = db
    with factory() as session:
        customer(session, "wx", "openid-wx")
        store.mark_present(session, "li", NOW)
        handoff = store.request_handoff(session, conversation="wx", channel="wechat", summary="s", now=NOW).handoff_id
        store.take_handoff(session, handoff, "li", NOW)
        store.agent_reply(session, handoff, "li", "请问您的工单号？", NOW)
    run(run_db, FakeWeChat({"openid-wx": 45015}), Clock())
    with factory() as session:
        texts = [m.text for m in store.get_handoff(session, handoff).messages]
    assert texts[-1].startswith("消息未能送达客户：") and "45015" in texts[-1]


def test_web_chat_messages_are_never_pushed(db):
    factory, run_db = db
    with factory() as session:
        outbox.remember_target(session, "web", "web", "", NOW)
        queue(session, "web", "网页消息")
    api = FakeWeChat()
    assert run(run_db, api, Clock()) == 0 and api.calls == 0
    [row] = rows(factory)
    assert row.attempts == 0 and row.delivered_at is None and row.set_aside_at is None
