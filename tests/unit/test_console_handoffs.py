"""The handoff queue and live chat: take, reply (queued for the customer), poll, hand back; presence."""

from __future__ import annotations

from sqlalchemy import select

from bot.feedback.models import AuditEntry
from bot.livechat.models import Handoff, OutboxMessage
from bot.livechat.store import agents_online, customer_message, request_handoff
from bot.web.console.accounts import add_user
from tests.unit.test_console_support import NOW, Harness, run_console

CONVERSATION = "c" * 32


def queue_one(h: Harness) -> int:
    with h.session() as session:
        queued = request_handoff(session, conversation=CONVERSATION, channel="web", now=NOW,
                                 summary="客户问：枣庄10千伏双电源要多久，电话13912345678", region="zaozhuang",
                                 category="hv_10kv_double", order_number="3841209357")
        assert queued.queued and queued.handoff_id is not None
        return queued.handoff_id


def outbox(h: Harness) -> list[tuple[str, str]]:
    with h.session() as session:
        return [(row.kind, row.text) for row in session.execute(select(OutboxMessage).order_by(OutboxMessage.id))
                .scalars()]


def test_queue_shows_the_summary_and_take_opens_the_chat(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()  # the console page load marks the agent present, so a handoff can queue
        handoff_id = queue_one(h)
        h.clock.advance(minutes=3)
        queue = await h.text("/agent/handoffs")
        assert 'class="handoff-row handoff-waiting"' in queue and 'class="take button primary"' in queue
        assert "枣庄" in queue and "10千伏双电源用户" in queue and "38412-09357" in queue and "3分钟" in queue
        assert "13912345678" not in queue  # the summary was masked when stored
        response = await h.post(f"/agent/handoffs/{handoff_id}/take")
        assert response.status == 303 and response.headers["Location"] == f"/agent/handoffs/{handoff_id}"
        chat = await h.text(f"/agent/handoffs/{handoff_id}")
        assert 'id="reply-input"' in chat and 'id="reply-send"' in chat and 'id="hand-back"' in chat
        assert "人工客服 admin 已接入" in chat
        assert outbox(h)[-1][0] == "agent"
        again = await h.post(f"/agent/handoffs/{handoff_id}/take", follow=True)
        assert "已被其他客服接入" in await again.text()

    run_console(tmp_path, body)


def test_reply_goes_to_the_customer_and_polling_returns_new_messages(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        handoff_id = queue_one(h)
        await h.post(f"/agent/handoffs/{handoff_id}/take")
        first = await h.client.get(f"/agent/api/handoffs/{handoff_id}/messages", params={"after": "0"})
        data = await first.json()
        assert data["status"] == "active" and data["mine"] is True
        last = data["messages"][-1]["id"]
        response = await h.post(f"/agent/handoffs/{handoff_id}/reply", {"text": "您好，10千伏双电源合计18个工作日。"})
        assert response.status == 303
        assert outbox(h)[-1] == ("agent", "您好，10千伏双电源合计18个工作日。")
        with h.session() as session:
            assert customer_message(session, CONVERSATION, "好的谢谢", NOW).held
        polled = await (await h.client.get(f"/agent/api/handoffs/{handoff_id}/messages",
                                           params={"after": str(last)})).json()
        assert [(m["sender"], m["text"]) for m in polled["messages"]] == [
            ("agent", "您好，10千伏双电源合计18个工作日。"), ("customer", "好的谢谢")]
        api = await h.client.post(f"/agent/api/handoffs/{handoff_id}/reply", data={"text": "不客气"},
                                  headers={"X-CSRF-Token": await h.csrf()})
        assert api.status == 200 and (await api.json())["message"]["text"] == "不客气"
        assert outbox(h)[-1] == ("agent", "不客气")
        forged = await h.client.post(f"/agent/api/handoffs/{handoff_id}/reply", data={"text": "x"})
        assert forged.status == 403
        assert outbox(h)[-1] == ("agent", "不客气")

    run_console(tmp_path, body)


def test_hand_back_closes_the_handoff(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        handoff_id = queue_one(h)
        await h.post(f"/agent/handoffs/{handoff_id}/take")
        response = await h.post(f"/agent/handoffs/{handoff_id}/hand-back", follow=True)
        assert "已交还智能助手" in await response.text()
        with h.session() as session:
            row = session.get(Handoff, handoff_id)
            assert row is not None and (row.status, row.close_reason) == ("closed", "handed_back")
            actions = session.execute(select(AuditEntry.action).where(AuditEntry.target == f"handoff:{handoff_id}")
                                      .order_by(AuditEntry.id)).scalars().all()
            assert actions == ["take", "hand_back"]
        assert outbox(h)[-1][0] == "system"
        assert "目前没有等待或服务中的转人工请求" in await h.text("/agent/handoffs")
        late = await h.post(f"/agent/handoffs/{handoff_id}/reply", {"text": "还在吗"}, follow=True)
        assert "会话已结束或不由您接待" in await late.text()

    run_console(tmp_path, body)


def test_another_agents_chat_is_read_only(tmp_path):
    async def body(h: Harness) -> None:
        with h.session() as session:
            add_user(session, "agent2", "agent2-password", NOW)
        await h.logged_in()
        handoff_id = queue_one(h)
        await h.post(f"/agent/handoffs/{handoff_id}/take")
        await h.post("/agent/logout")
        await h.logged_in("agent2", "agent2-password")
        chat = await h.text(f"/agent/handoffs/{handoff_id}")
        assert 'id="reply-input"' not in chat and "您只能查看" in chat
        refused = await h.post(f"/agent/handoffs/{handoff_id}/reply", {"text": "插话"}, follow=True)
        assert "消息未发送" in await refused.text()
        assert ("agent", "插话") not in outbox(h)

    run_console(tmp_path, body)


def test_polling_keeps_the_agent_online(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        h.clock.advance(minutes=5)
        with h.session() as session:
            assert agents_online(session, h.clock.now) == 0
        response = await h.client.get("/agent/api/handoffs")
        assert (await response.json())["waiting"] == 0
        with h.session() as session:
            assert agents_online(session, h.clock.now) == 1

    run_console(tmp_path, body)


def test_unknown_handoff(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        assert (await h.client.get("/agent/handoffs/999")).status == 404
        assert (await h.client.get("/agent/api/handoffs/999/messages")).status == 404
        missing = await h.post("/agent/handoffs/999/take", follow=True)
        assert "已被其他客服接入或已结束" in await missing.text()

    run_console(tmp_path, body)
