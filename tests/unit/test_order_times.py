"""One time zone: order times are stored in UTC and shown in Beijing time everywhere (status replies, the console,
the staff CLI and its CSV, notices), on a machine whose clock runs in UTC (TZ=UTC) and with fixed clocks.

Before: the action server and the CLI wrote Beijing wall clock, the console the web server's clock (UTC), so a
booking at 08:51 was followed by a dispatch at 00:52.
"""

from __future__ import annotations

import csv
import html
import io
import os
import sqlite3
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone

import pytest

from bot.booking.service import confirm_booking
from bot.orders.cli import main as orders_cli
from bot.orders.deadlines import step_deadline
from bot.orders.managers import add_manager
from bot.orders.report import deadline_line, status_text
from bot.orders.store import advance_order, create_booking, get_order
from bot.orders.times import BEIJING, as_utc, beijing, shown, shown_short, visit_text
from bot.orders.views import OrderView
from tests.unit.orders_fixtures import draft, synthetic_kb
from tests.unit.test_console_support import Harness, run_console

UTC = timezone.utc
BOOKED = datetime(2025, 11, 26, 0, 51, tzinfo=UTC)  # 08:51 in Beijing, a Wednesday


@pytest.fixture(autouse=True)
def machine_in_utc() -> Iterator[None]:
    """The machine's clock in UTC, as on the servers and in CI."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Shanghai"])
def test_shown_is_beijing_time_whatever_the_machine_zone(zone):
    os.environ["TZ"] = zone
    time.tzset()
    assert shown(BOOKED) == "2025-11-26 08:51"
    assert shown(BOOKED.replace(tzinfo=None)) == "2025-11-26 08:51"  # a naive time is UTC, never local
    assert shown(BOOKED.astimezone(BEIJING)) == "2025-11-26 08:51"
    assert shown_short(datetime(2025, 11, 26, 17, 5, tzinfo=UTC)) == "11月27日 01:05"  # the next day in Beijing
    assert shown(None) == ""
    assert as_utc(datetime(2025, 11, 26, 8, 51, tzinfo=BEIJING)) == BOOKED


def test_the_store_keeps_utc_and_gives_back_aware_times(engine, session):
    number = create_booking(session, draft(), actor="customer", channel="customer",
                            now=datetime(2025, 11, 26, 8, 51, tzinfo=BEIJING)).order.number
    order = get_order(session, number)
    assert order is not None and order.created_at == BOOKED and order.created_at.tzinfo is not None
    assert order.history[0].at.utcoffset() == timedelta(0)
    database = engine.url.database
    with sqlite3.connect(database) as raw:
        stored = raw.execute("SELECT created_at, stage_since FROM work_orders").fetchone()
        [(at,)] = raw.execute("SELECT at FROM order_history").fetchall()
    assert stored == ("2025-11-26 00:51:00.000000", "2025-11-26 00:51:00.000000") and at.startswith("2025-11-26 00:51")


def test_a_booking_at_0851_then_a_console_dispatch_read_0851_and_0852_everywhere(tmp_path, kb):
    """The report of the issue, end to end: booked through the action server's clock, dispatched in the console
    a minute later (the web app's clock is naive UTC), then read in the chat, the console and the CLI."""
    holder: dict[str, str] = {}

    async def body(h: Harness) -> None:
        with h.session() as session:
            add_manager(session, "客户经理A-文峰", "anyang", "文峰区")
            number = create_booking(session, draft(), actor="customer", channel="customer", now=BOOKED,
                                    conversation="conversation-1").order.number
        holder["number"] = number
        await h.logged_in()
        h.clock.now = datetime(2025, 11, 26, 0, 52)  # the web app's clock: naive UTC
        response = await h.post(f"/agent/orders/{number}/advance", {"to_stage": "dispatched"}, follow=True)
        assert response.status == 200
        page = html.unescape(await h.text(f"/agent/orders/{number}"))
        assert "2025-11-26 08:51" in page and "2025-11-26 08:52" in page and "00:5" not in page
        with h.session() as session:
            order = get_order(session, number)
        assert order is not None
        reply = status_text(kb, order, BOOKED + timedelta(minutes=5))
        assert "✓ 已预约　11月26日 08:51" in reply and "● 已派单　11月26日 08:52（当前）" in reply
        assert "00:51" not in reply and "00:52" not in reply

    run_console(tmp_path, body)
    url = f"sqlite:///{tmp_path / 'console.db'}"
    out = io.StringIO()
    assert orders_cli(["--database-url", url, "list"], out=out) == 0
    assert "2025-11-26 08:52" in out.getvalue()  # entered 已派单 at 08:52 Beijing
    out = io.StringIO()
    assert orders_cli(["--database-url", url, "show", holder["number"]], out=out) == 0
    shown_text = out.getvalue()
    assert "11月26日 08:51" in shown_text and "2025-11-26 08:52 [客户可见] 已派单（admin）" in shown_text
    out = io.StringIO()
    assert orders_cli(["--database-url", url, "export-csv"], out=out) == 0
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert (row["created_at"], row["stage_since"]) == ("2025-11-26 08:51:00", "2025-11-26 08:52:00")


def test_the_dispatch_deadline_in_the_confirmation_is_beijing_time(session, kb):
    add_manager(session, "客户经理A-文峰", "anyang", "文峰区")
    fields = {"name": "张三", "phone": "13912345678", "address": "安阳市文峰区中华路1号", "region": "anyang",
              "district": "文峰区", "business": "resident_new", "visit": "2025-11-27 上午"}
    text = confirm_booking(kb, session, fields, actor="customer", channel="customer", now=BOOKED).text
    assert "预约工单在20分钟内（09:11前）派发给客户经理" in text
    assert "11月27日（周四）上午" in text


def test_working_day_deadlines_count_beijing_days():
    """A stage entered at 17:00 UTC on Wednesday was entered on Thursday morning in Beijing: 3 working days from
    Thursday end on Tuesday (counting from the UTC date would say Monday)."""
    entered = datetime(2025, 11, 26, 17, 0, tzinfo=UTC)
    view = OrderView(number="1234567890", region="anyang", district="文峰区", address="x", contact_name="张三",
                     phone="13912345678", business="resident_new", category="resident", capacity=None,
                     visit_date=None, visit_period=None, stage="accepted", stage_since=entered, manager=None,
                     channel="customer", created_by="customer", created_at=entered, dispatch_due=None, history=())
    kb = synthetic_kb()
    deadline = step_deadline(kb, view, datetime(2025, 11, 27, 3, 0, tzinfo=UTC))
    assert deadline.due is not None and beijing(deadline.due).date() == date(2025, 12, 2)
    assert "应于12月2日（周二）前完成，还剩3个工作日" in deadline_line(kb, view, deadline)


def test_clock_deadlines_are_shown_in_beijing_time(session):
    kb = synthetic_kb()
    order = create_booking(session, draft(), actor="customer", channel="customer", now=BOOKED).order
    line = deadline_line(kb, order, step_deadline(kb, order, BOOKED + timedelta(minutes=12)))
    assert "应于11月26日 09:11前完成，还剩8分钟【蓝色预警（办理预警）】" in line


def test_advance_from_a_naive_utc_clock_and_an_aware_one_agree(session):
    number = create_booking(session, draft(), actor="customer", channel="customer", now=BOOKED).order.number
    advance_order(session, number, actor="a", now=datetime(2025, 11, 26, 0, 52), to_stage="dispatched")
    advance_order(session, number, actor="b", now=datetime(2025, 11, 26, 8, 53, tzinfo=BEIJING), to_stage="accepted")
    order = get_order(session, number)
    assert order is not None
    assert [shown(entry.at) for entry in order.history if entry.moved] == [
        "2025-11-26 08:51", "2025-11-26 08:52", "2025-11-26 08:53"]


def test_visit_times_are_beijing_wall_clock_as_said():
    assert visit_text(date(2025, 11, 28), "下午") == "11月28日（周五）下午"
    assert visit_text(date(2025, 11, 28), "全天") == "11月28日（周五）（工作时间内）"
