"""Orders in the console: masked list and detail, audited reveal, advance (with the customer's notice),
invalid moves refused, reassignment, notes, filters."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import select

from bot.feedback.models import AuditEntry
from bot.livechat.models import OutboxMessage
from bot.orders.managers import add_manager
from bot.orders.models import StatusChange, WorkOrder
from bot.orders.store import advance_order, create_booking, get_order
from tests.unit.orders_fixtures import draft
from tests.unit.test_console_support import NOW, Harness, run_console

FULL_PHONE = re.compile(r"1[3-9]\d{9}")


def book(h: Harness, **changes) -> str:
    with h.session() as session:
        add_manager(session, "客户经理A-文峰", "anyang", "文峰区")
        add_manager(session, "客户经理-安阳中心", "anyang", None)
        result = create_booking(session, draft(**changes), actor="customer", channel="customer", now=NOW,
                                conversation="conversation-1")
        return result.order.number


def audit_rows(h: Harness) -> list[tuple[str, str, str]]:
    with h.session() as session:
        rows = session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
        return [(row.actor, row.action, row.target) for row in rows if row.action not in ("login", "logout")]


def test_list_and_detail_mask_personal_data(tmp_path):
    async def body(h: Harness) -> None:
        number = book(h)
        await h.logged_in()
        listing = await h.text("/agent/orders")
        assert 'class="orders grid"' in listing and 'class="order-link' in listing
        assert "139****5678" in listing and "张*" in listing
        assert not FULL_PHONE.search(listing) and "张三" not in listing and "中华路1号" not in listing
        detail = await h.text(f"/agent/orders/{number}")
        assert 'id="reveal"' in detail and "139****5678" in detail
        assert not FULL_PHONE.search(detail) and "张三" not in detail

    run_console(tmp_path, body)


def test_reveal_shows_the_full_data_and_writes_an_audit_row(tmp_path):
    async def body(h: Harness) -> None:
        number = book(h)
        await h.logged_in()
        response = await h.post(f"/agent/orders/{number}/reveal")
        assert response.status == 200
        page = await response.text()
        assert "13912345678" in page and "张三" in page and "安阳市文峰区中华路1号" in page
        assert audit_rows(h) == [("admin", "reveal", number)]
        assert not FULL_PHONE.search(await h.text(f"/agent/orders/{number}"))  # masked again afterwards

    run_console(tmp_path, body)


def test_reveal_without_csrf_reveals_nothing(tmp_path):
    async def body(h: Harness) -> None:
        number = book(h)
        await h.logged_in()
        response = await h.post(f"/agent/orders/{number}/reveal", token="")
        assert response.status == 403
        assert "13912345678" not in await response.text()
        assert audit_rows(h) == []

    run_console(tmp_path, body)


def test_advance_moves_the_stage_writes_history_and_notifies_the_customer(tmp_path):
    async def body(h: Harness) -> None:
        number = book(h)
        await h.logged_in()
        detail = await h.text(f"/agent/orders/{number}")
        assert 'id="advance-select"' in detail and 'value="dispatched"' in detail
        h.clock.advance(minutes=5)
        response = await h.post(f"/agent/orders/{number}/advance", {"to_stage": "dispatched", "note": "已电话联系"},
                                follow=True)
        page = html.unescape(await response.text())
        assert response.status == 200 and 'class="flash flash-ok"' in page and "已通知客户" in page
        with h.session() as session:
            order = get_order(session, number)
            assert order is not None and order.stage == "dispatched"
            last = order.history[-1]
            assert (last.from_stage, last.to_stage, last.actor, last.note) == ("submitted", "dispatched", "admin",
                                                                               "已电话联系")
            notices = session.execute(select(OutboxMessage)).scalars().all()
            assert [(n.conversation, n.kind) for n in notices] == [("conversation-1", "notice")]
            assert "已派单" in notices[0].text
        assert audit_rows(h) == [("admin", "advance", number)]

    run_console(tmp_path, body)


def test_staff_orders_advance_without_a_notice(tmp_path):
    async def body(h: Harness) -> None:
        with h.session() as session:
            number = create_booking(session, draft(), actor="staff", channel="staff", now=NOW).order.number
        await h.logged_in()
        response = await h.post(f"/agent/orders/{number}/advance", {"to_stage": "accepted"}, follow=True)
        assert "已转到「已受理」" in html.unescape(await response.text())
        with h.session() as session:
            assert session.execute(select(OutboxMessage)).scalars().all() == []

    run_console(tmp_path, body)


def test_invalid_advance_shows_a_message_and_changes_nothing(tmp_path):
    async def body(h: Harness) -> None:
        number = book(h)
        with h.session() as session:
            advance_order(session, number, actor="t", now=NOW, to_stage="connecting")
            history = len(get_order(session, number).history)  # type: ignore[union-attr]
        await h.logged_in()
        for target in ("submitted", "no-such-stage", ""):
            response = await h.post(f"/agent/orders/{number}/advance", {"to_stage": target}, follow=True)
            page = await response.text()
            assert 'class="flash flash-error"' in page, target
        with h.session() as session:
            order = get_order(session, number)
            assert order is not None and order.stage == "connecting" and len(order.history) == history
            assert session.execute(select(OutboxMessage)).scalars().all() == []
        assert audit_rows(h) == []

    run_console(tmp_path, body)


def test_advance_without_csrf_changes_nothing(tmp_path):
    async def body(h: Harness) -> None:
        number = book(h)
        await h.logged_in()
        assert (await h.post(f"/agent/orders/{number}/advance", {"to_stage": "dispatched"}, token="bad")).status == 403
        crossed = await h.post(f"/agent/orders/{number}/advance", {"to_stage": "dispatched"},
                               headers={"Origin": "http://evil.example"})
        assert crossed.status == 403
        with h.session() as session:
            assert get_order(session, number).stage == "submitted"  # type: ignore[union-attr]

    run_console(tmp_path, body)


def test_reassign_to_a_manager_of_the_region(tmp_path):
    async def body(h: Harness) -> None:
        number = book(h)
        with h.session() as session:
            other = add_manager(session, "客户经理B-林州", "anyang", "林州市")
            foreign = add_manager(session, "客户经理-烟台中心", "yantai", None)
            assert get_order(session, number).manager.name == "客户经理A-文峰"  # type: ignore[union-attr]
        await h.logged_in()
        detail = await h.text(f"/agent/orders/{number}")
        assert "客户经理B-林州" in detail and "客户经理-烟台中心" not in detail
        wrong = await h.post(f"/agent/orders/{number}/reassign", {"manager": str(foreign.id)}, follow=True)
        assert 'flash-error' in await wrong.text()
        response = await h.post(f"/agent/orders/{number}/reassign", {"manager": str(other.id), "note": "就近"},
                                follow=True)
        assert "已改派给 客户经理B-林州" in html.unescape(await response.text())
        with h.session() as session:
            order = get_order(session, number)
            assert order is not None and order.manager is not None and order.manager.name == "客户经理B-林州"
            assert "客户经理A-文峰 → 客户经理B-林州" in (order.history[-1].note or "")
        assert audit_rows(h) == [("admin", "reassign", number)]

    run_console(tmp_path, body)


def test_add_note(tmp_path):
    async def body(h: Harness) -> None:
        number = book(h)
        await h.logged_in()
        response = await h.post(f"/agent/orders/{number}/note", {"note": "客户要求下午上门"}, follow=True)
        page = await response.text()
        assert "备注已记录" in page and "客户要求下午上门" in page
        with h.session() as session:
            row = session.execute(select(StatusChange).order_by(StatusChange.id.desc())).scalars().first()
            assert row is not None and (row.note, row.actor) == ("客户要求下午上门", "admin")
        empty = await h.post(f"/agent/orders/{number}/note", {"note": "  "}, follow=True)
        assert "备注不能为空" in await empty.text()

    run_console(tmp_path, body)


def test_search_and_filters(tmp_path):
    async def body(h: Harness) -> None:
        first = book(h)
        with h.session() as session:
            li = draft(contact_name="李四", phone="13800001111", address="安阳市文峰区东风路2号")
            second = create_booking(session, li, actor="staff", channel="staff",
                                    now=NOW - timedelta(days=3)).order.number
            advance_order(session, second, actor="t", now=NOW - timedelta(days=3), to_stage="dispatched")
            third = create_booking(session, draft(phone="13700002222", address="烟台市芝罘区南大街3号", region="yantai",
                                                  district="芝罘区"), actor="staff", channel="staff",
                                   now=NOW).order.number
        await h.logged_in()

        async def numbers(**params: str) -> set[str]:
            page = await h.text("/agent/orders", params=params)
            return set(re.findall(r'href="/agent/orders/(\d{10})"', page))

        assert await numbers() == {first, second, third}
        assert await numbers(q=first) == {first}
        assert await numbers(q=f"{first[:5]}-{first[5:]}") == {first}
        assert await numbers(q="1111") == {second}
        assert await numbers(q="李") == {second}
        assert await numbers(region="yantai") == {third}
        assert await numbers(stage="dispatched") == {second}
        assert await numbers(overdue="1") == set()
        h.clock.advance(minutes=30)  # 安阳's document: a booking is dispatched within 20 minutes
        assert await numbers(overdue="1") == {first}
        listing = await h.text("/agent/orders", params={"overdue": "1"})
        assert 'class="order-row overdue"' in listing and "已超时10分钟" in listing

    run_console(tmp_path, body)


def test_a_name_search_is_audited_with_the_name_masked(tmp_path):
    """Red team R3-6 and round 4: a name or phone-suffix search confirms whether someone has an order, so it is
    accounted for like a reveal; the audit log keeps the name masked, and an export's filters too."""
    async def body(h: Harness) -> None:
        from bot.feedback.store import audit_trail

        first = book(h)
        with h.session() as session:
            create_booking(session, draft(contact_name="孙八", phone="13800002222"), actor="staff",
                           channel="staff", now=NOW)
        await h.logged_in()
        await h.text("/agent/orders", params={"q": "孙八"})
        await h.text("/agent/orders", params={"q": first})  # a number: nothing personal confirmed
        await h.text("/agent/orders", params={"q": "2222"})
        await h.post("/agent/orders/export.csv", {"q": "孙八"})
        with h.session() as session:
            entries = [(e.actor, e.action, e.target, e.detail) for e in audit_trail(session)
                       if e.action in ("personal_search", "export")]
        assert ("admin", "personal_search", "orders", "q=孙* → 1 条") in entries
        assert ("admin", "personal_search", "orders", "q=2222 → 1 条") in entries  # 4 digits of a phone
        assert len([e for e in entries if e[1] == "personal_search"]) == 2  # not the order number
        assert all("孙八" not in (detail or "") for *_, detail in entries)
        assert any(action == "export" and "q=孙*" in (detail or "") for _, action, _, detail in entries)

    run_console(tmp_path, body)


def test_the_contact_name_is_masked_in_notes_messages_and_the_audit_log(tmp_path):
    """Red team round 4, F1: staff wrote the customer's name into a message and a note; the unrevealed page and
    the audit log showed it in full (mask_text only finds names after cue words like 我叫)."""
    async def body(h: Harness) -> None:
        from bot.feedback.store import audit_trail

        with h.session() as session:
            number = create_booking(session, draft(contact_name="孙悟空", phone="13512348888"), actor="staff",
                                    channel="staff", now=NOW).order.number
        await h.logged_in()
        await h.post(f"/agent/orders/{number}/message", {"message": "孙悟空您好，客户经理明天会联系您。"})
        await h.post(f"/agent/orders/{number}/note", {"note": "孙悟空先生的申请已受理"})
        page = await h.text(f"/agent/orders/{number}")
        assert "孙悟空" not in page and "孙**您好" in page and "孙**先生" in page
        revealed = await (await h.post(f"/agent/orders/{number}/reveal")).text()
        assert "孙悟空您好" in revealed  # the reveal (audited) shows what was written
        with h.session() as session:
            details = [e.detail or "" for e in audit_trail(session, number)]
        assert details and all("孙悟空" not in detail for detail in details)

    run_console(tmp_path, body)


def test_unknown_order_is_not_found(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        assert (await h.client.get("/agent/orders/1234567890")).status == 404
        assert (await h.client.get("/agent/orders/abc")).status == 404

    run_console(tmp_path, body)


def test_empty_list(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        assert "没有符合条件的工单" in await h.text("/agent/orders")
        with h.session() as session:
            assert session.execute(select(WorkOrder)).scalars().all() == []

    run_console(tmp_path, body)


def test_reveals_stop_at_the_hourly_limit_of_the_account_and_resume_an_hour_later(tmp_path):
    async def body(h: Harness) -> None:
        number = book(h)
        await h.logged_in()
        for _ in range(2):
            assert "13912345678" in await (await h.post(f"/agent/orders/{number}/reveal")).text()
        refused = await h.post(f"/agent/orders/{number}/reveal", follow=True)
        page = await refused.text()
        assert "13912345678" not in page and "已达上限" in page
        assert audit_rows(h)[-1] == ("admin", "reveal_refused", number)
        h.clock.advance(minutes=61)
        assert "13912345678" in await (await h.post(f"/agent/orders/{number}/reveal")).text()

    run_console(tmp_path, body, console_reveals_per_hour=2)
