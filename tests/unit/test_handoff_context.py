"""Handoff with context, service level: the customer's questions read from the conversation's events, queue
places announced when they change (web chat updates carry the place), the transcript before a handoff on the
console's handoff page, the call-back tasks with the service hours, and the set-aside WeChat messages."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from bot.booking.sealed import fernet, seal
from bot.booking.visit import Visit
from bot.feedback.models import AuditEntry
from bot.feedback.store import record_exchange
from bot.livechat import outbox, store
from bot.livechat.callbacks import CallbackView, list_callbacks, parse_callback_time, preferred_text, save_callback
from bot.livechat.models import CallbackRequest, OutboxMessage
from bot.livechat.push import Pending, set_aside
from bot.livechat.summary import read_turns
from bot.web.chat import conversation_of
from tests.unit.test_console_support import NOW, Harness, run_console, settings_for
from tests.unit.test_web_chat import SESSION
from tests.unit.web_fixtures import NOW as WEB_NOW
from tests.unit.web_fixtures import run_web

# ---------------------------------------------------------------- the customer's questions


def test_questions_are_the_messages_answered_as_questions():
    events = [
        {"event": "user", "text": "枣庄居民要带什么资料", "parse_data": {"intent": {"name": "ask_materials"}}},
        {"event": "slot", "name": "region", "value": "zaozhuang"},
        {"event": "action", "name": "action_answer"}, {"event": "bot", "text": "……"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "/request_booking", "parse_data": {"intent": {"name": "request_booking"}}},
        {"event": "action", "name": "booking_form"},
        {"event": "user", "text": "张三", "parse_data": {"intent": {"name": "inform"}}},
        {"event": "action", "name": "booking_form"},
        {"event": "user", "text": "居民", "parse_data": {"intent": {"name": "inform"}}},
        {"event": "action", "name": "action_answer"},
        {"event": "user", "text": "那10千伏的呢", "parse_data": {"intent": {"name": "inform"}}},
        {"event": "action", "name": "action_answer"},
        {"event": "user", "text": "今天天气怎么样", "parse_data": {"intent": {"name": "out_of_scope"}}},
        {"event": "action", "name": "action_out_of_scope"},
        {"event": "user", "text": "气死了", "parse_data": {"intent": {"name": "complaint"}}},
        {"event": "action", "name": "action_complaint"},
        {"event": "user", "text": "转人工", "parse_data": {"intent": {"name": "human_handoff"}}},
        {"event": "action", "name": "action_handoff"},
    ]
    assert read_turns(events) == (["枣庄居民要带什么资料", "那10千伏的呢", "今天天气怎么样"], ["气死了"])


# ---------------------------------------------------------------- queue places


def queued(session, conversation: str) -> int:
    store.mark_present(session, "li", NOW)
    request = store.request_handoff(session, conversation=conversation, channel="web", summary="s", now=NOW)
    assert request.queued and request.handoff_id is not None
    return request.handoff_id


def notices(session, conversation: str) -> list[str]:
    return [m.text for m in outbox.outbox_after(session, conversation, 0) if m.kind == "system"]


def test_waiting_customers_are_told_their_new_place_once_when_the_queue_moves(session):
    first, _second, _third = (queued(session, c) for c in ("c1", "c2", "c3"))
    assert [store.waiting_ahead(session, c) for c in ("c1", "c2", "c3")] == [0, 1, 2]
    assert notices(session, "c2") == [] and notices(session, "c3") == []  # the acknowledgement told them already
    store.take_handoff(session, first, "li", NOW)
    assert notices(session, "c2") == ["排队进度：您是下一位，客服接入后会马上回复您。"]
    assert notices(session, "c3") == ["排队进度：您前面还有1位客户在等待，请稍候。"]
    assert store.announce_positions(session, NOW) == 0  # nothing moved: nobody told twice
    store.customer_left(session, "c2", NOW)  # a customer ahead leaves the queue
    assert notices(session, "c3")[-1] == "排队进度：您是下一位，客服接入后会马上回复您。"
    assert store.waiting_ahead(session, "c1") is None  # taken: not waiting any more


def test_the_acknowledgement_says_the_place():
    assert store.queue_acknowledgement(0).startswith("好的，已为您转接人工客服，您是下一位")
    assert "您前面还有2位客户在等待" in store.queue_acknowledgement(2)
    assert store.HandoffRequest(True, 1, 3).ahead == 2 and store.HandoffRequest(False).ahead == 0


def test_web_chat_updates_carry_the_place_and_the_notice(tmp_path):
    async def body(client, context, rasa):
        mine = conversation_of(SESSION)
        with context.session() as session:
            store.mark_present(session, "li", WEB_NOW)
            ahead = store.request_handoff(session, conversation="other", channel="web", summary="s", now=WEB_NOW)
            store.request_handoff(session, conversation=mine, channel="web", summary="s", now=WEB_NOW)
        data = await (await client.get("/api/updates", params={"session": SESSION, "after": "0"})).json()
        assert data["handoff"] == "waiting" and data["queue"] == 1 and data["messages"] == []
        with context.session() as session:
            store.take_handoff(session, ahead.handoff_id, "li", WEB_NOW)
        data = await (await client.get("/api/updates", params={"session": SESSION, "after": "0"})).json()
        assert data["queue"] == 0
        [notice] = data["messages"]
        assert notice["kind"] == "system" and notice["text"].startswith("排队进度：您是下一位")
        assert notice["at"].endswith("+00:00")  # stored as UTC, sent with its offset
        with context.session() as session:
            store.customer_left(session, mine, WEB_NOW)
        data = await (await client.get("/api/updates", params={"session": SESSION, "after": "0"})).json()
        assert data["handoff"] == "none" and data["queue"] is None
    run_web(tmp_path, body)


def test_a_chat_answer_carries_no_place_without_a_waiting_handoff(tmp_path):
    async def body(client, context, rasa):
        data = await (await client.post("/api/chat", json={"session": SESSION, "message": "要多久"})).json()
        assert data["handoff"] == "none" and data["queue"] is None
    run_web(tmp_path, body)


# ---------------------------------------------------------------- the console: transcript before a handoff

CONVERSATION = "d" * 32


def test_the_handoff_page_shows_the_conversation_with_the_assistant_before_taking_over(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        with h.session() as session:
            record_exchange(session, conversation=CONVERSATION, channel="web", question="枣庄10千伏双电源要多久",
                            answer="枣庄10千伏双电源用户：合计18个工作日。", now=NOW - timedelta(minutes=5))
            record_exchange(session, conversation=CONVERSATION, channel="web", question="我要预约办电",
                            answer="好的，帮您登记零证预约：……请问联系人怎么称呼？", now=NOW - timedelta(minutes=4))
            record_exchange(session, conversation=CONVERSATION, channel="web", question="张三",
                            answer="请留一个能联系到您的手机号（11位）。", now=NOW - timedelta(minutes=4))
            record_exchange(session, conversation=CONVERSATION, channel="web", question="13912345678",
                            answer="请告诉我详细的用电地址", now=NOW - timedelta(minutes=3))
            record_exchange(session, conversation="e" * 32, channel="web", question="别人的问题", answer="别人的答案",
                            now=NOW - timedelta(minutes=3))
            handoff_id = store.request_handoff(session, conversation=CONVERSATION, channel="web", summary="s",
                                               now=NOW).handoff_id
        page = await h.text(f"/agent/handoffs/{handoff_id}")
        assert 'id="bot-transcript"' in page and 'id="take"' in page  # visible before taking over
        assert page.index("枣庄10千伏双电源要多久") < page.index("我要预约办电") < page.index('id="take"')
        assert "合计18个工作日" in page and "张*" in page and "139****5678" in page
        assert "13912345678" not in page and "张三" not in page and "别人的问题" not in page
        assert "4 轮" in page and f"/agent/conversations/{CONVERSATION}" in page

    run_console(tmp_path, body)


def test_a_handoff_with_no_exchanges_says_so(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        with h.session() as session:
            handoff_id = store.request_handoff(session, conversation=CONVERSATION, channel="wechat", summary="s",
                                               now=NOW).handoff_id
        page = await h.text(f"/agent/handoffs/{handoff_id}")
        assert 'id="bot-transcript-empty"' in page

    run_console(tmp_path, body)


# ---------------------------------------------------------------- the console: call-backs


def left(tmp_path, session, conversation: str, phone: str, visit: Visit, summary: str = "") -> int:
    box = fernet(settings_for(tmp_path))
    number, _ = save_callback(session, conversation=conversation, channel="web", phone=phone,
                              phone_sealed=seal(phone, box) or "", visit=visit, now=NOW, region="anyang",
                              summary=summary)
    return number


def test_call_backs_are_listed_masked_with_the_service_hours_revealed_with_audit_and_marked_done(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        with h.session() as session:
            late = left(tmp_path, session, "c1", "13912345678", Visit(date(2020, 1, 2), "上午"),
                        summary="客户的问题：“安阳居民接电要多久 电话13912345678”")
            later = left(tmp_path, session, "c2", "13800001111", Visit(date(2099, 1, 2), "下午", time(15, 0)))
        page = await h.text("/agent/callbacks")
        assert "回电服务时间" in page and "工作日 9:00–12:00、13:30–17:30" in page
        assert "139****5678" in page and "138****1111" in page and "13912345678" not in page
        assert "1月2日（周四）上午 9:00–12:00" in page and "下午 15:00前后" in page
        assert page.index(f'data-id="{late}"') < page.index(f'data-id="{later}"')  # by preferred time
        assert "已过希望时间" in page and "安阳" in page
        revealed = await h.post(f"/agent/callbacks/{late}/reveal")
        assert revealed.status == 200 and "13912345678" in await revealed.text()
        assert "13912345678" not in await h.text("/agent/callbacks")  # on that response only
        done = await h.post(f"/agent/callbacks/{late}/done")
        assert done.status == 303
        page = await h.text("/agent/callbacks")
        assert f'data-id="{late}"' not in page and f'data-id="{later}"' in page
        assert f'data-id="{late}"' in await h.text("/agent/callbacks?status=done")
        again = await h.post(f"/agent/callbacks/{late}/done", follow=True)
        assert "不存在或已处理" in await again.text()
        with h.session() as session:
            row = session.get(CallbackRequest, late)
            assert row.status == "done" and row.done_by == "admin"
            audits = [(a.action, a.target) for a in session.execute(select(AuditEntry)).scalars()]
        assert ("reveal", f"callback:{late}") in audits and ("callback_done", f"callback:{late}") in audits
        forged = await h.client.post(f"/agent/callbacks/{later}/done", data={})
        assert forged.status == 403

    run_console(tmp_path, body)


def test_the_console_nav_links_the_call_backs(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        page = await h.text("/agent/handoffs")
        assert 'href="/agent/callbacks"' in page

    run_console(tmp_path, body)


def test_call_back_views_and_times():
    monday = datetime(2026, 11, 30, 14, 0)  # a Monday afternoon, Beijing
    assert parse_callback_time("尽快", monday).value == Visit(monday.date(), "下午")
    assert parse_callback_time("尽快", monday.replace(hour=18)).value == Visit(date(2026, 12, 1), "上午")
    assert preferred_text(date(2026, 12, 1), "全天") == "12月1日（周二） 9:00–12:00、13:30–17:30"
    row = CallbackRequest(id=1, phone_masked="139****5678", preferred_day=date(2026, 11, 30), preferred_period="上午",
                          preferred_at=None, region=None, summary="", status="open", created_at=monday,
                          done_at=None, done_by=None)
    assert CallbackView.of(row, monday).late is True
    assert CallbackView.of(row, monday.replace(hour=11)).late is False


def test_open_call_backs_come_by_preferred_time(session, tmp_path):
    left(tmp_path, session, "a", "13912345678", Visit(date(2026, 12, 2), "下午"))
    left(tmp_path, session, "b", "13912345679", Visit(date(2026, 12, 1), "下午"))
    left(tmp_path, session, "c", "13912345670", Visit(date(2026, 12, 2), "上午"))
    assert [row.conversation for row in list_callbacks(session)] == ["b", "c", "a"]


# ---------------------------------------------------------------- the console: set-aside WeChat messages


def test_set_aside_wechat_messages_are_listed_with_their_reason_and_masked(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        with h.session() as session:
            outbox.remember_target(session, "wx", "wechat", "openid-wx", NOW)
            aside = outbox.queue_for_customer(session, "wx", "您的电话13912345678已登记", NOW, kind="agent")
            retry = outbox.queue_for_customer(session, "wx2", "稍后再试的消息", NOW, kind="notice")
            outbox.remember_target(session, "wx2", "wechat", "openid-wx2", NOW)
            set_aside(session, Pending(aside.id, "wx", "openid-wx", aside.text, 1), NOW,
                      "客户超过48小时未与公众号互动，微信不允许再推送（45015）", whole_recipient=True)
            row = session.get(OutboxMessage, retry.id)
            row.attempts, row.next_attempt_at, row.last_error = 2, NOW + timedelta(seconds=20), "HTTP 502"
            session.commit()
        page = await h.text("/agent/pushes")
        assert 'id="set-aside"' in page and "（45015）" in page and "139****5678" in page
        assert "13912345678" not in page and "openid-wx" not in page
        assert 'id="retrying"' in page and "稍后再试的消息" in page and "HTTP 502" in page
        assert 'href="/agent/pushes"' in await h.text("/agent/callbacks")

    run_console(tmp_path, body)


def test_call_back_pages_refuse_odd_input_and_strangers(tmp_path):
    async def body(h: Harness) -> None:
        for path in ("/agent/callbacks", "/agent/pushes"):
            stranger = await h.client.get(path, allow_redirects=False)
            assert stranger.status in (302, 303) and "/agent/login" in stranger.headers["Location"]
        assert (await h.client.post("/agent/callbacks/1/done", data={})).status == 401
        await h.logged_in()
        for odd in ("abc", "%C2%B2", "9" * 30, "-1"):
            for op in ("done", "reveal"):
                assert (await h.post(f"/agent/callbacks/{odd}/{op}")).status == 404
        for op, message in (("done", "不存在或已处理"), ("reveal", "没有这个回电请求")):
            missing = await h.post(f"/agent/callbacks/424242/{op}", follow=True)
            assert missing.status == 200 and message in await missing.text()
        page = await h.text("/agent/callbacks?status=%3Cscript%3E")
        assert "<script>" not in page and "目前没有待回电的请求" in page

    run_console(tmp_path, body)


def test_call_back_reveals_count_towards_the_accounts_hourly_limit(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        with h.session() as session:
            number = left(tmp_path, session, "c1", "13912345678", Visit(date(2099, 1, 2), "上午"))
        assert "13912345678" in await (await h.post(f"/agent/callbacks/{number}/reveal")).text()
        refused = await h.post(f"/agent/callbacks/{number}/reveal", follow=True)
        page = await refused.text()
        assert "13912345678" not in page and "已达上限" in page
        with h.session() as session:
            actions = [a.action for a in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()]
        assert actions[-2:] == ["reveal", "reveal_refused"]

    run_console(tmp_path, body, console_reveals_per_hour=1)
