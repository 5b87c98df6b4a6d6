"""The schema as the code before migrations made it, frozen: bot/db.py's `ensure_all_tables` ran
`Base.metadata.create_all` over these tables and wrote version 1 into orders_schema (bot/orders/models.py's
`ensure_schema`). The migration tests make such a database, fill every table and upgrade it.

A copy of those models as they were (columns, indexes, constraints, in their order): do not edit it to follow
the models, which the migrations follow instead.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Engine

metadata = MetaData()

Table("orders_schema", metadata,
      Column("component", String(32), primary_key=True),
      Column("version", Integer, nullable=False))
Table("customer_managers", metadata,
      Column("id", Integer, primary_key=True),
      Column("name", String(64), nullable=False),
      Column("region", String(32), nullable=False, index=True),
      Column("district", String(64), nullable=True),
      Column("phone", String(20), nullable=True),
      Column("active", Boolean, nullable=False),
      UniqueConstraint("region", "district", "name", name="uq_manager_district_name"))
Table("work_orders", metadata,
      Column("id", Integer, primary_key=True),
      Column("number", String(16), nullable=False, unique=True),
      Column("region", String(32), nullable=False, index=True),
      Column("district", String(64), nullable=True),
      Column("address", String(200), nullable=False),
      Column("contact_name", String(64), nullable=False),
      Column("phone", String(16), nullable=False),
      Column("phone_suffix", String(4), nullable=False),
      Column("business", String(32), nullable=False),
      Column("category", String(64), nullable=True),
      Column("capacity", String(32), nullable=True),
      Column("visit_date", Date, nullable=True),
      Column("visit_period", String(16), nullable=True),
      Column("stage", String(24), nullable=False, index=True),
      Column("stage_since", DateTime, nullable=False),
      Column("manager_id", Integer, ForeignKey("customer_managers.id"), nullable=True),
      Column("channel", String(16), nullable=False),
      Column("created_by", String(64), nullable=False),
      Column("created_at", DateTime, nullable=False, index=True),
      Column("updated_at", DateTime, nullable=False),
      Column("dispatch_due", DateTime, nullable=True),
      Column("dedupe_key", String(64), nullable=False, index=True),
      Column("dedupe_bucket", Integer, nullable=False),
      Column("request_id", String(64), nullable=True, unique=True),
      Column("conversation", String(64), nullable=True),
      UniqueConstraint("dedupe_key", "dedupe_bucket", name="uq_order_dedupe"))
Table("order_history", metadata,
      Column("id", Integer, primary_key=True),
      Column("order_id", Integer, ForeignKey("work_orders.id"), nullable=False, index=True),
      Column("at", DateTime, nullable=False),
      Column("from_stage", String(24), nullable=True),
      Column("to_stage", String(24), nullable=False),
      Column("actor", String(64), nullable=False),
      Column("note", Text, nullable=True))
Table("lookup_attempts", metadata,
      Column("id", Integer, primary_key=True),
      Column("at", DateTime, nullable=False, index=True),
      Column("conversation", String(64), nullable=False, index=True),
      Column("order_number", String(16), nullable=False, index=True),
      Column("success", Boolean, nullable=False))
Table("lookup_client_failures", metadata,
      Column("id", Integer, primary_key=True),
      Column("at", DateTime, nullable=False, index=True),
      Column("client", String(64), nullable=False, index=True))
Table("handoffs", metadata,
      Column("id", Integer, primary_key=True),
      Column("conversation", String(64), nullable=False, index=True),
      Column("channel", String(16), nullable=False),
      Column("status", String(16), nullable=False, index=True),
      Column("region", String(32), nullable=True),
      Column("category", String(64), nullable=True),
      Column("summary", Text, nullable=False),
      Column("order_number", String(16), nullable=True),
      Column("agent", String(64), nullable=True),
      Column("created_at", DateTime, nullable=False),
      Column("taken_at", DateTime, nullable=True),
      Column("closed_at", DateTime, nullable=True),
      Column("close_reason", String(32), nullable=True))
Table("handoff_messages", metadata,
      Column("id", Integer, primary_key=True),
      Column("handoff_id", Integer, ForeignKey("handoffs.id"), nullable=False, index=True),
      Column("at", DateTime, nullable=False),
      Column("sender", String(16), nullable=False),
      Column("text", Text, nullable=False))
Table("outbox", metadata,
      Column("id", Integer, primary_key=True),
      Column("conversation", String(64), nullable=False, index=True),
      Column("kind", String(16), nullable=False),
      Column("text", Text, nullable=False),
      Column("created_at", DateTime, nullable=False),
      Column("delivered_at", DateTime, nullable=True))
Table("delivery_targets", metadata,
      Column("conversation", String(64), primary_key=True),
      Column("channel", String(16), nullable=False),
      Column("address", String(128), nullable=False),
      Column("updated_at", DateTime, nullable=False))
Table("agent_presence", metadata,
      Column("agent", String(64), primary_key=True),
      Column("seen_at", DateTime, nullable=False))
Table("exchanges", metadata,
      Column("id", Integer, primary_key=True),
      Column("conversation", String(64), nullable=False, index=True),
      Column("channel", String(16), nullable=False),
      Column("question", Text, nullable=False),
      Column("answer", Text, nullable=False),
      Column("created_at", DateTime, nullable=False, index=True),
      Column("rating", Integer, nullable=True),
      Column("rated_at", DateTime, nullable=True))
Table("unanswered", metadata,
      Column("id", Integer, primary_key=True),
      Column("at", DateTime, nullable=False, index=True),
      Column("conversation", String(64), nullable=False),
      Column("region", String(32), nullable=True),
      Column("question", Text, nullable=False),
      Column("reason", String(32), nullable=False))
Table("audit_log", metadata,
      Column("id", Integer, primary_key=True),
      Column("at", DateTime, nullable=False, index=True),
      Column("actor", String(64), nullable=False),
      Column("action", String(32), nullable=False),
      Column("target", String(64), nullable=False),
      Column("detail", Text, nullable=True))
Table("console_users", metadata,
      Column("id", Integer, primary_key=True),
      Column("name", String(64), nullable=False, unique=True),
      Column("password_hash", String(256), nullable=False),
      Column("role", String(16), nullable=False),
      Column("active", Boolean, nullable=False),
      Column("created_at", DateTime, nullable=False),
      Column("password_changed_at", DateTime, nullable=False))
Table("console_login_failures", metadata,
      Column("id", Integer, primary_key=True),
      Column("at", DateTime, nullable=False, index=True),
      Column("username", String(64), nullable=False),
      Column("address", String(64), nullable=False),
      Index("ix_console_login_failures_who", "username", "address"))
Table("console_revoked_sessions", metadata,
      Column("digest", String(64), primary_key=True),
      Column("expires_at", DateTime, nullable=False, index=True))
Table("wechat_access_tokens", metadata,
      Column("app_id", String(64), primary_key=True),
      Column("token", Text, nullable=False),
      Column("expires_at", DateTime, nullable=False),
      Column("fetched_at", DateTime, nullable=False))


def create_before_migrations(engine: Engine) -> None:
    """What `ensure_all_tables` did on an empty database: the tables, and orders_schema at version 1."""
    metadata.create_all(engine, checkfirst=True)
    with engine.begin() as connection:
        connection.execute(metadata.tables["orders_schema"].insert().values(component="orders", version=1))


AT = datetime(2024, 3, 1, 9, 30)

# One row for every table (foreign keys point at the rows before them), as the old code wrote them.
ROWS: dict[str, list[dict[str, Any]]] = {
    "customer_managers": [{"id": 7, "name": "客户经理A-文峰", "region": "anyang", "district": "文峰区",
                           "phone": "13900000000", "active": True}],
    "work_orders": [{"id": 11, "number": "93504-32688", "region": "anyang", "district": "文峰区",
                     "address": "安阳市文峰区中华路1号", "contact_name": "张三", "phone": "13800001111",
                     "phone_suffix": "1111", "business": "residential_new", "category": "居民", "capacity": None,
                     "visit_date": date(2024, 3, 4), "visit_period": "上午", "stage": "dispatched",
                     "stage_since": AT, "manager_id": 7, "channel": "rest", "created_by": "customer",
                     "created_at": AT, "updated_at": AT, "dispatch_due": AT, "dedupe_key": "k" * 64,
                     "dedupe_bucket": 28483, "request_id": "req-1", "conversation": "c" * 64}],
    "order_history": [{"id": 3, "order_id": 11, "at": AT, "from_stage": None, "to_stage": "dispatched",
                       "actor": "system", "note": "预约登记"}],
    "lookup_attempts": [{"id": 5, "at": AT, "conversation": "c" * 64, "order_number": "93504-32688",
                         "success": False}],
    "lookup_client_failures": [{"id": 6, "at": AT, "client": "203.0.113.9"}],
    "handoffs": [{"id": 2, "conversation": "c" * 64, "channel": "web", "status": "active", "region": "anyang",
                  "category": "居民", "summary": "用户问：居民新装要带什么资料", "order_number": "93504-32688",
                  "agent": "agent1", "created_at": AT, "taken_at": AT, "closed_at": None, "close_reason": None}],
    "handoff_messages": [{"id": 4, "handoff_id": 2, "at": AT, "sender": "customer", "text": "你好"}],
    "outbox": [{"id": 8, "conversation": "c" * 64, "kind": "agent", "text": "您好，我是坐席", "created_at": AT,
                "delivered_at": None}],
    "delivery_targets": [{"conversation": "c" * 64, "channel": "wechat", "address": "openid-1", "updated_at": AT}],
    "agent_presence": [{"agent": "agent1", "seen_at": AT}],
    "exchanges": [{"id": 9, "conversation": "c" * 64, "channel": "web", "question": "接电要多久",
                   "answer": "不超过7个工作日", "created_at": AT, "rating": 1, "rated_at": AT}],
    "unanswered": [{"id": 10, "at": AT, "conversation": "c" * 64, "region": None, "question": "杭州呢",
                    "reason": "uncovered_region"}],
    "audit_log": [{"id": 12, "at": AT, "actor": "admin", "action": "reveal", "target": "93504-32688",
                   "detail": "phone"}],
    "console_users": [{"id": 1, "name": "admin", "password_hash": "scrypt$16384$8$1$salt$hash", "role": "admin",
                       "active": True, "created_at": AT, "password_changed_at": AT}],
    "console_login_failures": [{"id": 13, "at": AT, "username": "admin", "address": "203.0.113.9"}],
    "console_revoked_sessions": [{"digest": "d" * 64, "expires_at": AT}],
    "wechat_access_tokens": [{"app_id": "wx0123456789", "token": "t" * 512, "expires_at": AT, "fetched_at": AT}],
}


def fill(engine: Engine) -> None:
    with engine.begin() as connection:
        for name, rows in ROWS.items():
            connection.execute(metadata.tables[name].insert(), rows)
