"""Revision 0005 (handoff context, call-backs, the push queue) on a database with rows: upgrading keeps every row
and gives the new columns their defaults; the new table works; downgrading keeps the rows too."""

from __future__ import annotations

from datetime import datetime

from alembic import command
from sqlalchemy import inspect, text

from bot.store.engine import make_engine
from bot.store.schema import alembic_config, current_revision, head, upgrade
from tests.unit.migration_checks import differences

BEFORE = "0004"
AT = datetime(2026, 11, 26, 2, 0)
HANDOFF = {"id": 7, "conversation": "conv-a", "channel": "wechat", "status": "waiting", "region": "anyang",
           "category": "resident", "summary": "地区：安阳", "order_number": None, "agent": None, "created_at": AT,
           "taken_at": None, "closed_at": None, "close_reason": None}
OUTBOX = [{"id": 1, "conversation": "conv-a", "kind": "agent", "text": "您好", "created_at": AT, "delivered_at": AT},
          {"id": 2, "conversation": "conv-a", "kind": "notice", "text": "进度通知", "created_at": AT,
           "delivered_at": None}]


def insert(connection, table: str, row: dict) -> None:
    columns = ", ".join(row)
    connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(':' + c for c in row)})"), row)


def select_all(connection, table: str) -> list[dict]:
    return [dict(row._mapping) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))]


def test_upgrading_to_0005_keeps_every_row_and_downgrading_too(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'rows.db'}")
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), BEFORE)
        insert(connection, "handoffs", HANDOFF)
        insert(connection, "handoff_messages", {"id": 3, "handoff_id": 7, "at": AT, "sender": "customer",
                                                "text": "有人吗"})
        insert(connection, "delivery_targets", {"conversation": "conv-a", "channel": "wechat", "address": "openid-a",
                                                "updated_at": AT})
        for row in OUTBOX:
            insert(connection, "outbox", row)
    assert upgrade(engine) == (BEFORE, head())
    with engine.connect() as connection:
        assert current_revision(connection) == head()
        assert differences(connection) == []
        [handoff] = select_all(connection, "handoffs")
        assert {k: handoff[k] for k in ("id", "conversation", "status", "summary")} == \
            {"id": 7, "conversation": "conv-a", "status": "waiting", "summary": "地区：安阳"}
        assert handoff["announced_ahead"] is None
        assert [m["text"] for m in select_all(connection, "handoff_messages")] == ["有人吗"]
        outbox = select_all(connection, "outbox")
        assert [(m["id"], m["text"], m["attempts"], m["next_attempt_at"], m["set_aside_at"], m["last_error"])
                for m in outbox] == [(1, "您好", 0, None, None, None), (2, "进度通知", 0, None, None, None)]
        assert outbox[0]["delivered_at"] is not None and outbox[1]["delivered_at"] is None
        assert select_all(connection, "callback_requests") == []
    with engine.begin() as connection:
        insert(connection, "callback_requests", {
            "id": 1, "conversation": "conv-a", "channel": "web", "phone_sealed": "sealed:x",
            "phone_masked": "139****5678",
            "preferred_day": "2026-11-27", "preferred_period": "上午", "summary": "", "status": "open",
            "created_at": AT})
        command.downgrade(alembic_config(connection), BEFORE)
    with engine.connect() as connection:
        assert current_revision(connection) == BEFORE
        assert "callback_requests" not in inspect(connection).get_table_names()
        assert [m["text"] for m in select_all(connection, "outbox")] == ["您好", "进度通知"]
        assert "attempts" not in select_all(connection, "outbox")[0]
        assert select_all(connection, "handoffs")[0]["summary"] == "地区：安阳"
    engine.dispose()


def test_an_undelivered_message_from_before_the_upgrade_is_pushed(tmp_path):
    import asyncio

    from bot.livechat.push import push_once
    from bot.store.engine import session_factory

    engine = make_engine(f"sqlite:///{tmp_path / 'pending.db'}")
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), BEFORE)
        insert(connection, "delivery_targets", {"conversation": "conv-a", "channel": "wechat", "address": "openid-a",
                                                "updated_at": AT})
        for row in OUTBOX:
            insert(connection, "outbox", row)
    upgrade(engine)
    factory = session_factory(engine)
    sent: list[tuple[str, str]] = []

    async def send(address: str, message: str) -> None:
        sent.append((address, message))

    async def run_db(work):
        with factory() as session:
            return work(session)

    assert asyncio.run(push_once(run_db, send, lambda: AT)) == 1
    assert sent == [("openid-a", "进度通知")]
    engine.dispose()
