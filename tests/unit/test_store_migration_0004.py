"""Revision 0004 on a database at 0003 with rows: every row is kept; existing notes become internal; the order
times written in Beijing wall clock (the action server, the CLI) and by the console (the web server's clock, UTC
here) all end up in UTC, so the history reads 08:51 then 08:52 instead of 08:51 then 00:52."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic import command

from bot.orders.report import status_text
from bot.orders.store import get_order
from bot.store.engine import make_engine, session_factory
from bot.store.schema import alembic_config, current_revision, head, upgrade
from tests.unit.migration_checks import differences

UTC = timezone.utc
NUMBER = "9350432688"
B = datetime(2025, 11, 26)  # the day; times below are naive, as 0003 stored them


def at(hour: int, minute: int) -> datetime:
    return B.replace(hour=hour, minute=minute)


HISTORY = [  # (from, to, actor, note, written at): what the old code wrote, and on whose clock
    (None, "submitted", "customer", "客户自助零证预约", at(8, 51)),  # action server: Beijing
    ("submitted", "submitted", "system", "分配客户经理：客户经理A-文峰", at(8, 51)),  # action server: Beijing
    ("submitted", "dispatched", "agent-li", "已电话联系客户13912345678", at(0, 52)),  # console: UTC
    ("dispatched", "dispatched", "agent-li", "客户说下午在家", at(0, 55)),  # console note: UTC
    ("dispatched", "dispatched", "staff", "工作人员查看了明文联系方式", at(9, 30)),  # CLI: Beijing
    ("dispatched", "dispatched", "staff", "改派客户经理：客户经理A-文峰 → 客户经理B-文峰", at(9, 40)),  # CLI
]


@pytest.fixture(autouse=True)
def machine_in_utc() -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.fixture()
def engine(tmp_path) -> Iterator[sa.engine.Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'at-0003.db'}")
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0003")
    fill(engine)
    yield engine
    engine.dispose()


def fill(engine: sa.engine.Engine) -> None:
    meta = sa.MetaData()
    meta.reflect(engine)
    t = meta.tables
    with engine.begin() as connection:
        connection.execute(t["console_users"].insert(), [{
            "id": 1, "name": "agent-li", "password_hash": "scrypt$16384$8$1$salt$hash", "role": "agent",
            "active": True, "created_at": at(0, 1), "password_changed_at": at(0, 1)}])
        connection.execute(t["customer_managers"].insert(), [
            {"id": 7, "name": "客户经理A-文峰", "region": "anyang", "district": "文峰区", "phone": None,
             "active": True},
            {"id": 8, "name": "客户经理B-文峰", "region": "anyang", "district": "文峰区", "phone": None,
             "active": True}])
        connection.execute(t["work_orders"].insert(), [{
            "id": 11, "number": NUMBER, "region": "anyang", "district": "文峰区", "address": "安阳市文峰区中华路1号",
            "contact_name": "张三", "phone": "13912345678", "phone_suffix": "5678", "business": "resident_new",
            "category": "resident", "capacity": None, "visit_date": datetime(2025, 11, 27).date(),
            "visit_period": "上午", "stage": "dispatched", "stage_since": at(0, 52), "manager_id": 8,
            "channel": "customer", "created_by": "customer", "created_at": at(8, 51), "updated_at": at(9, 40),
            "dispatch_due": at(9, 11), "dedupe_key": "k" * 64, "dedupe_bucket": 1, "request_id": "req-1",
            "conversation": "c" * 32}])
        connection.execute(t["order_history"].insert(), [
            {"id": index, "order_id": 11, "from_stage": before, "to_stage": after, "actor": actor, "note": note,
             "at": written} for index, (before, after, actor, note, written) in enumerate(HISTORY, 1)])
        connection.execute(t["lookup_attempts"].insert(), [
            {"id": 1, "at": at(9, 0), "conversation": "c" * 32, "order_number": NUMBER, "success": True}])
        connection.execute(t["lookup_client_failures"].insert(), [{"id": 1, "at": at(9, 1), "client": "203.0.113.9"}])


def raw(engine: sa.engine.Engine, query: str) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(query))]


def test_upgrading_from_0003_keeps_every_row_marks_old_notes_internal_and_moves_times_to_utc(engine, kb):
    assert upgrade(engine) == ("0003", head())
    with engine.connect() as connection:
        assert current_revision(connection) == head() and differences(connection) == []
    assert raw(engine, "SELECT count(*) FROM order_history") == [(len(HISTORY),)]
    assert raw(engine, "SELECT number, phone, contact_name, visit_period, visit_time FROM work_orders") == [
        (NUMBER, "13912345678", "张三", "上午", None)]
    with session_factory(engine)() as session:
        order = get_order(session, NUMBER)
    assert order is not None
    assert [(e.from_stage, e.to_stage, e.actor, e.note) for e in order.history] == [h[:4] for h in HISTORY]
    assert [e.kind for e in order.history] == ["stage", "manager", "stage", "note", "note", "manager"]
    assert not any(e.customer_visible for e in order.history)  # no old note reaches a customer
    utc = [e.at for e in order.history]
    assert utc == [datetime(2025, 11, 26, h, m, tzinfo=UTC) for h, m in ((0, 51), (0, 51), (0, 52), (0, 55),
                                                                        (1, 30), (1, 40))]
    assert order.created_at == datetime(2025, 11, 26, 0, 51, tzinfo=UTC)
    assert order.stage_since == datetime(2025, 11, 26, 0, 52, tzinfo=UTC)  # from its history entry
    assert order.dispatch_due == datetime(2025, 11, 26, 1, 11, tzinfo=UTC)
    assert raw(engine, "SELECT updated_at FROM work_orders")[0][0].startswith("2025-11-26 01:40")
    assert raw(engine, "SELECT at FROM lookup_attempts")[0][0].startswith("2025-11-26 01:00")
    assert raw(engine, "SELECT at FROM lookup_client_failures")[0][0].startswith("2025-11-26 01:01")
    assert raw(engine, "SELECT created_at FROM console_users")[0][0].startswith("2025-11-26 00:01")  # untouched

    reply = status_text(kb, order, datetime(2025, 11, 26, 2, 0, tzinfo=UTC))
    assert "✓ 已预约　11月26日 08:51" in reply and "● 已派单　11月26日 08:52（当前）" in reply
    assert "已电话联系" not in reply and "下午在家" not in reply and "明文" not in reply


def test_0004_goes_down_to_the_times_as_0003_wrote_them_and_up_again(engine):
    before = raw(engine, "SELECT at FROM order_history ORDER BY id")
    upgrade(engine)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0003")
    assert raw(engine, "SELECT at FROM order_history ORDER BY id") == before  # the console's in UTC again
    assert raw(engine, "SELECT created_at FROM work_orders")[0][0].startswith("2025-11-26 08:51")
    columns = {c["name"] for c in sa.inspect(engine).get_columns("order_history")}
    assert "kind" not in columns and len(raw(engine, "SELECT * FROM order_history")) == len(HISTORY)
    assert upgrade(engine) == ("0003", head())
    with session_factory(engine)() as session:
        order = get_order(session, NUMBER)
    assert order is not None and order.history[2].at - order.history[0].at == timedelta(minutes=1)
