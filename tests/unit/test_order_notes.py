"""Internal notes and messages to the customer are different things: the customer's status reply shows stages,
visit changes and messages, never an internal note (nor the note an agent writes when advancing). The console's
order page has one input for each, clearly labelled, and can move the visit and cancel; every change is in the
history and the customer is told. Also the progress view: the timeline of stages with dates and the warning."""

from __future__ import annotations

import html
import io
from datetime import date, datetime, timedelta

from sqlalchemy import select

from bot.feedback.models import AuditEntry
from bot.livechat.models import OutboxMessage
from bot.orders.cli import main as orders_cli
from bot.orders.deadlines import step_deadline
from bot.orders.managers import add_manager
from bot.orders.report import staff_history_lines, status_text, timeline_lines, warning_line
from bot.orders.store import (
    NotChangeable,
    add_customer_message,
    add_note,
    advance_order,
    cancel_order,
    create_booking,
    get_order,
    reschedule_visit,
)
from bot.orders.times import BEIJING
from bot.services import Services
from bot.settings import Settings
from tests.unit.orders_fixtures import NOW, draft, synthetic_kb
from tests.unit.test_console_support import Harness, run_console

NOTE = "客户电话打不通，疑似空号，王工说先别派单"
MESSAGE = "客户经理明天上午10点前到，请保持电话畅通"
WEB_NOW = datetime(2025, 11, 26, 2, 0)  # the web app's clock (naive UTC): 10:00 on Wednesday in Beijing


def book(h: Harness, **changes) -> str:
    with h.session() as session:
        add_manager(session, "客户经理A-文峰", "anyang", "文峰区")
        number = create_booking(session, draft(**changes), actor="customer", channel="customer", now=NOW,
                                conversation="conversation-1").order.number
    h.clock.now = WEB_NOW
    return number


def customer_reply(h: Harness, number: str, kb) -> str:
    with h.session() as session:
        order = get_order(session, number)
    assert order is not None
    return status_text(kb, order, NOW + timedelta(hours=1))


def outbox(h: Harness) -> list[OutboxMessage]:
    with h.session() as session:
        return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def audit_actions(h: Harness) -> list[str]:
    with h.session() as session:
        return [row.action for row in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
                if row.action not in ("login", "logout")]


# ---- the regression: a note an agent writes appeared word for word in the customer's status reply -------------

def test_a_note_an_agent_writes_in_the_console_never_reaches_the_customer(tmp_path, kb):
    async def body(h: Harness) -> None:
        number = book(h)
        await h.logged_in()
        response = await h.post(f"/agent/orders/{number}/note", {"note": NOTE}, follow=True)
        page = html.unescape(await response.text())
        assert "内部备注已记录（客户看不到）" in page
        assert NOTE in page and "仅内部" in page  # staff see it, marked as internal
        reply = customer_reply(h, number, kb)
        assert NOTE not in reply and "空号" not in reply and "王工" not in reply
        assert outbox(h) == []  # and nothing was pushed
        with h.session() as session:
            entry = get_order(session, number).history[-1]  # type: ignore[union-attr]
        assert (entry.kind, entry.customer_visible, entry.actor) == ("note", False, "admin")

    run_console(tmp_path, body)


def test_the_note_written_when_advancing_is_internal_too(tmp_path, kb):
    async def body(h: Harness) -> None:
        number = book(h)
        await h.logged_in()
        await h.post(f"/agent/orders/{number}/advance", {"to_stage": "dispatched", "note": "客户说下午才在家"},
                     follow=True)
        reply = customer_reply(h, number, kb)
        assert "已派单" in reply and "客户说下午才在家" not in reply
        [notice] = outbox(h)
        assert "已派单" in notice.text and "客户说下午才在家" not in notice.text

    run_console(tmp_path, body)


def test_a_message_to_the_customer_is_in_their_reply_and_pushed(tmp_path, kb):
    async def body(h: Harness) -> None:
        number = book(h)
        await h.logged_in()
        response = await h.post(f"/agent/orders/{number}/message", {"message": MESSAGE}, follow=True)
        page = html.unescape(await response.text())
        assert "并已推送到客户的对话" in page and "客户可见" in page
        reply = customer_reply(h, number, kb)
        assert f"11月26日 10:00 留言：{MESSAGE}" in reply
        [notice] = outbox(h)
        assert notice.conversation == "conversation-1" and notice.kind == "notice"
        assert notice.text.startswith("【工单消息】") and MESSAGE in notice.text
        assert audit_actions(h) == ["message"]
        empty = await h.post(f"/agent/orders/{number}/message", {"message": " "}, follow=True)
        assert "给客户的消息不能为空" in html.unescape(await empty.text())

    run_console(tmp_path, body)


def test_the_order_page_labels_the_two_inputs(tmp_path):
    async def body(h: Harness) -> None:
        number = book(h)
        await h.logged_in()
        page = await h.text(f"/agent/orders/{number}")
        assert '<label for="note-input">内部备注（客户不可见）</label>' in page
        assert '<label for="message-input">给客户的消息（客户可见，会推送）</label>' in page
        assert 'id="visit-input"' in page and 'id="cancel-note"' in page
        assert 'id="order-timeline"' in page and "● 已预约" in page

    run_console(tmp_path, body)


# ---- moving the visit and cancelling in the console -----------------------------------------------------------

def test_the_console_moves_the_visit_and_tells_the_customer(tmp_path, kb):
    async def body(h: Harness) -> None:
        number = book(h)
        await h.logged_in()
        refused = await h.post(f"/agent/orders/{number}/visit", {"visit": "11月29日上午"}, follow=True)
        assert "周六休息日" in html.unescape(await refused.text())  # the visit parser's rules
        response = await h.post(f"/agent/orders/{number}/visit", {"visit": "周五下午", "note": "客户来电改约"},
                                follow=True)
        page = html.unescape(await response.text())
        assert "上门时间已改为11月28日（周五）下午，已通知客户" in page
        with h.session() as session:
            order = get_order(session, number)
        assert order is not None and (order.visit_date, order.visit_period) == (date(2025, 11, 28), "下午")
        visit, note = order.history[-2:]
        assert (visit.kind, visit.actor, note.kind, note.note) == ("visit", "admin", "note", "客户来电改约")
        reply = customer_reply(h, number, kb)
        assert "预约上门时间：11月28日（周五）下午" in reply and "客户来电改约" not in reply
        assert "10:00 上门时间：预约上门时间改为11月28日（周五）下午（原为11月27日（周四）上午）" in reply
        [notice] = outbox(h)
        assert "预约上门时间已改为11月28日（周五）下午" in notice.text
        assert audit_actions(h) == ["reschedule"]

    run_console(tmp_path, body)


def test_the_console_cancels_with_a_reason_the_customer_does_not_see(tmp_path, kb):
    async def body(h: Harness) -> None:
        number = book(h)
        await h.logged_in()
        missing = await h.post(f"/agent/orders/{number}/cancel", {"note": ""}, follow=True)
        assert "请填写取消原因" in html.unescape(await missing.text())
        response = await h.post(f"/agent/orders/{number}/cancel", {"note": "客户重复预约，保留另一张"}, follow=True)
        assert "已取消，已通知客户" in html.unescape(await response.text())
        reply = customer_reply(h, number, kb)
        assert "当前阶段：已取消" in reply and "✕ 已取消　11月26日 10:00" in reply and "重复预约" not in reply
        [notice] = outbox(h)
        assert "已取消" in notice.text and "重复预约" not in notice.text
        again = await h.post(f"/agent/orders/{number}/cancel", {"note": "再取消"}, follow=True)
        assert "不能取消" in html.unescape(await again.text())
        moved = await h.post(f"/agent/orders/{number}/visit", {"visit": "周五下午"}, follow=True)
        assert "上门时间不能再改" in html.unescape(await moved.text())
        assert audit_actions(h) == ["cancel"]

    run_console(tmp_path, body)


# ---- the service functions and the progress view -------------------------------------------------------------

def test_kinds_and_visibility_in_the_store(session):
    number = create_booking(session, draft(), actor="customer", channel="customer", now=NOW).order.number
    add_note(session, number, NOTE, actor="staff", now=NOW)
    add_customer_message(session, number, MESSAGE, actor="staff", now=NOW)
    order = get_order(session, number)
    assert order is not None
    assert [(e.kind, e.customer_visible) for e in order.history] == [
        ("stage", False), ("note", False), ("message", True)]
    lines = staff_history_lines(order)
    assert any("[仅内部] 内部备注（staff）" in line and NOTE in line for line in lines)
    assert any("[客户可见] 给客户的消息（staff）" in line for line in lines)


def test_the_timeline_leaves_out_skipped_stages_and_shows_a_cancellation(session):
    number = create_booking(session, draft(), actor="customer", channel="customer", now=NOW).order.number
    advance_order(session, number, actor="s", now=NOW + timedelta(hours=1), to_stage="accepted")  # 已派单 skipped
    order = get_order(session, number)
    assert order is not None
    assert timeline_lines(order) == [" ✓ 已预约　11月26日 10:00", " ● 已受理　11月26日 11:00（当前）",
                                     " ○ 方案已答复", " ○ 竣工检验", " ○ 装表接电", " ○ 已接电"]
    cancelled = cancel_order(session, number, actor="s", now=datetime(2025, 11, 27, 9, 30, tzinfo=BEIJING),
                             note="客户不办了")
    assert timeline_lines(cancelled) == [" ✓ 已预约　11月26日 10:00", " ✓ 已受理　11月26日 11:00",
                                         " ✕ 已取消　11月27日 09:30"]


def test_the_warning_level_has_a_line_of_its_own(session):
    kb = synthetic_kb()
    order = create_booking(session, draft(), actor="customer", channel="customer", now=NOW).order
    assert warning_line(step_deadline(kb, order, NOW + timedelta(minutes=5))) == "预警等级：正常"
    assert warning_line(step_deadline(kb, order, NOW + timedelta(minutes=12))) == "预警等级：蓝色预警（办理预警）"
    assert warning_line(step_deadline(kb, order, NOW + timedelta(minutes=25))) == "预警等级：黄色告警（超时告警）"
    reply = status_text(kb, order, NOW + timedelta(minutes=17))
    assert "本环节时限：20分钟（依据安供电营销〔2022〕24号），应于11月26日 10:20前完成，还剩3分钟" in reply
    assert "预警等级：橙色预警（办理预警）" in reply and "预约上门时间：11月27日（周四）上午" in reply


def test_customers_change_only_before_the_visit_staff_cancel_any_open_order(session):
    number = create_booking(session, draft(), actor="customer", channel="customer", now=NOW).order.number
    advance_order(session, number, actor="s", now=NOW, to_stage="accepted")
    for change in (lambda: reschedule_visit(session, number, date(2025, 11, 28), "下午", actor="c", now=NOW),
                   lambda: cancel_order(session, number, actor="c", now=NOW, customer=True)):
        try:
            change()
        except NotChangeable:
            continue
        raise AssertionError("changed after the visit")
    assert cancel_order(session, number, actor="staff", now=NOW, note="工程取消").stage == "cancelled"


def test_the_cli_writes_notes_messages_visits_and_cancellations(tmp_path):
    services = Services.from_settings(Settings.from_env(), clock=lambda: NOW)
    url = f"sqlite:///{tmp_path / 'cli.db'}"

    def run(*args: str) -> str:
        out = io.StringIO()
        code = orders_cli(["--database-url", url, "--actor", "staff:测试", *args], out=out, services=services)
        assert code == 0, args
        return out.getvalue()

    from bot.store.runtime import sessions_for

    with sessions_for(url)() as session:
        number = create_booking(session, draft(), actor="customer", channel="customer", now=NOW,
                                conversation="conversation-1").order.number
    assert "内部备注，客户不可见" in run("note", number, NOTE)
    assert "已推送给客户" in run("message", number, MESSAGE)
    assert "上门时间 →" in run("reschedule", number, "12月1日上午", "--note", "客户出差")
    shown = run("show", number)
    assert f"留言：{MESSAGE}" in shown and "预约上门时间：12月1日（周一）上午" in shown
    assert "[仅内部] 内部备注（staff:测试）：客户电话打不通" in shown  # staff see the internal note, marked
    assert "已取消（已通知客户）" in run("cancel", number, "--note", "客户不办了")
    with sessions_for(url)() as session:
        texts = [m.text for m in session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()]
    assert len(texts) == 3 and MESSAGE in texts[0] and "12月1日（周一）上午" in texts[1] and "已取消" in texts[2]
    assert not any(NOTE in text or "客户出差" in text or "客户不办了" in text for text in texts)
