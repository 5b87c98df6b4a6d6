"""The initial schema: every table as bot/db.py created them before migrations (SCHEMA_VERSION 1).

Revision 0001, the first. On an empty database it creates them all. A database made before migrations
has them already (with rows): each table is created only when it is missing, so such a database is
adopted as it is, with whatever tables its older code had not made yet added.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set() if op.get_context().as_sql else set(sa.inspect(op.get_bind()).get_table_names())

    def create(name: str, *elements: sa.SchemaItem, indexed: tuple[str, ...] = (),
               named: dict[str, tuple[str, ...]] | None = None) -> None:
        """The table, an index `ix_<table>_<column>` of each indexed column, and the named indexes."""
        if name in existing:
            return
        op.create_table(name, *elements)
        for column in indexed:
            op.create_index(f"ix_{name}_{column}", name, [column])
        for index, columns in (named or {}).items():
            op.create_index(index, name, list(columns))

    # orders: customer managers, work orders, their history, status lookups; the old schema version
    create("orders_schema",
           sa.Column("component", sa.String(32), nullable=False),
           sa.Column("version", sa.Integer(), nullable=False),
           sa.PrimaryKeyConstraint("component"))
    if "orders_schema" not in existing:
        op.execute(sa.text("INSERT INTO orders_schema (component, version) VALUES ('orders', 1)"))
    create("customer_managers",
           sa.Column("id", sa.Integer(), nullable=False),
           sa.Column("name", sa.String(64), nullable=False),
           sa.Column("region", sa.String(32), nullable=False),
           sa.Column("district", sa.String(64), nullable=True),
           sa.Column("phone", sa.String(20), nullable=True),
           sa.Column("active", sa.Boolean(), nullable=False),
           sa.PrimaryKeyConstraint("id"),
           sa.UniqueConstraint("region", "district", "name", name="uq_manager_district_name"),
           indexed=("region",))
    create("work_orders",
           sa.Column("id", sa.Integer(), nullable=False),
           sa.Column("number", sa.String(16), nullable=False),
           sa.Column("region", sa.String(32), nullable=False),
           sa.Column("district", sa.String(64), nullable=True),
           sa.Column("address", sa.String(200), nullable=False),
           sa.Column("contact_name", sa.String(64), nullable=False),
           sa.Column("phone", sa.String(16), nullable=False),
           sa.Column("phone_suffix", sa.String(4), nullable=False),
           sa.Column("business", sa.String(32), nullable=False),
           sa.Column("category", sa.String(64), nullable=True),
           sa.Column("capacity", sa.String(32), nullable=True),
           sa.Column("visit_date", sa.Date(), nullable=True),
           sa.Column("visit_period", sa.String(16), nullable=True),
           sa.Column("stage", sa.String(24), nullable=False),
           sa.Column("stage_since", sa.DateTime(), nullable=False),
           sa.Column("manager_id", sa.Integer(), nullable=True),
           sa.Column("channel", sa.String(16), nullable=False),
           sa.Column("created_by", sa.String(64), nullable=False),
           sa.Column("created_at", sa.DateTime(), nullable=False),
           sa.Column("updated_at", sa.DateTime(), nullable=False),
           sa.Column("dispatch_due", sa.DateTime(), nullable=True),
           sa.Column("dedupe_key", sa.String(64), nullable=False),
           sa.Column("dedupe_bucket", sa.Integer(), nullable=False),
           sa.Column("request_id", sa.String(64), nullable=True),
           sa.Column("conversation", sa.String(64), nullable=True),
           sa.PrimaryKeyConstraint("id"),
           sa.UniqueConstraint("dedupe_key", "dedupe_bucket", name="uq_order_dedupe"),
           sa.UniqueConstraint("number"),
           sa.ForeignKeyConstraint(["manager_id"], ["customer_managers.id"]),
           sa.UniqueConstraint("request_id"),
           indexed=("created_at", "dedupe_key", "region", "stage"))
    create("order_history",
           sa.Column("id", sa.Integer(), nullable=False),
           sa.Column("order_id", sa.Integer(), nullable=False),
           sa.Column("at", sa.DateTime(), nullable=False),
           sa.Column("from_stage", sa.String(24), nullable=True),
           sa.Column("to_stage", sa.String(24), nullable=False),
           sa.Column("actor", sa.String(64), nullable=False),
           sa.Column("note", sa.Text(), nullable=True),
           sa.PrimaryKeyConstraint("id"),
           sa.ForeignKeyConstraint(["order_id"], ["work_orders.id"]),
           indexed=("order_id",))
    create("lookup_attempts",
           sa.Column("id", sa.Integer(), nullable=False),
           sa.Column("at", sa.DateTime(), nullable=False),
           sa.Column("conversation", sa.String(64), nullable=False),
           sa.Column("order_number", sa.String(16), nullable=False),
           sa.Column("success", sa.Boolean(), nullable=False),
           sa.PrimaryKeyConstraint("id"),
           indexed=("at", "conversation", "order_number"))
    create("lookup_client_failures",
           sa.Column("id", sa.Integer(), nullable=False),
           sa.Column("at", sa.DateTime(), nullable=False),
           sa.Column("client", sa.String(64), nullable=False),
           sa.PrimaryKeyConstraint("id"),
           indexed=("at", "client"))

    # live chat: handoffs, their messages, the outbox to customers, delivery targets, agents online
    create("handoffs",
           sa.Column("id", sa.Integer(), nullable=False),
           sa.Column("conversation", sa.String(64), nullable=False),
           sa.Column("channel", sa.String(16), nullable=False),
           sa.Column("status", sa.String(16), nullable=False),
           sa.Column("region", sa.String(32), nullable=True),
           sa.Column("category", sa.String(64), nullable=True),
           sa.Column("summary", sa.Text(), nullable=False),
           sa.Column("order_number", sa.String(16), nullable=True),
           sa.Column("agent", sa.String(64), nullable=True),
           sa.Column("created_at", sa.DateTime(), nullable=False),
           sa.Column("taken_at", sa.DateTime(), nullable=True),
           sa.Column("closed_at", sa.DateTime(), nullable=True),
           sa.Column("close_reason", sa.String(32), nullable=True),
           sa.PrimaryKeyConstraint("id"),
           indexed=("conversation", "status"))
    create("handoff_messages",
           sa.Column("id", sa.Integer(), nullable=False),
           sa.Column("handoff_id", sa.Integer(), nullable=False),
           sa.Column("at", sa.DateTime(), nullable=False),
           sa.Column("sender", sa.String(16), nullable=False),
           sa.Column("text", sa.Text(), nullable=False),
           sa.PrimaryKeyConstraint("id"),
           sa.ForeignKeyConstraint(["handoff_id"], ["handoffs.id"]),
           indexed=("handoff_id",))
    create("outbox",
           sa.Column("id", sa.Integer(), nullable=False),
           sa.Column("conversation", sa.String(64), nullable=False),
           sa.Column("kind", sa.String(16), nullable=False),
           sa.Column("text", sa.Text(), nullable=False),
           sa.Column("created_at", sa.DateTime(), nullable=False),
           sa.Column("delivered_at", sa.DateTime(), nullable=True),
           sa.PrimaryKeyConstraint("id"),
           indexed=("conversation",))
    create("delivery_targets",
           sa.Column("conversation", sa.String(64), nullable=False),
           sa.Column("channel", sa.String(16), nullable=False),
           sa.Column("address", sa.String(128), nullable=False),
           sa.Column("updated_at", sa.DateTime(), nullable=False),
           sa.PrimaryKeyConstraint("conversation"))
    create("agent_presence",
           sa.Column("agent", sa.String(64), nullable=False),
           sa.Column("seen_at", sa.DateTime(), nullable=False),
           sa.PrimaryKeyConstraint("agent"))

    # feedback: exchanges and their ratings, unanswered questions, the console's audit log
    create("exchanges",
           sa.Column("id", sa.Integer(), nullable=False),
           sa.Column("conversation", sa.String(64), nullable=False),
           sa.Column("channel", sa.String(16), nullable=False),
           sa.Column("question", sa.Text(), nullable=False),
           sa.Column("answer", sa.Text(), nullable=False),
           sa.Column("created_at", sa.DateTime(), nullable=False),
           sa.Column("rating", sa.Integer(), nullable=True),
           sa.Column("rated_at", sa.DateTime(), nullable=True),
           sa.PrimaryKeyConstraint("id"),
           indexed=("conversation", "created_at"))
    create("unanswered",
           sa.Column("id", sa.Integer(), nullable=False),
           sa.Column("at", sa.DateTime(), nullable=False),
           sa.Column("conversation", sa.String(64), nullable=False),
           sa.Column("region", sa.String(32), nullable=True),
           sa.Column("question", sa.Text(), nullable=False),
           sa.Column("reason", sa.String(32), nullable=False),
           sa.PrimaryKeyConstraint("id"),
           indexed=("at",))
    create("audit_log",
           sa.Column("id", sa.Integer(), nullable=False),
           sa.Column("at", sa.DateTime(), nullable=False),
           sa.Column("actor", sa.String(64), nullable=False),
           sa.Column("action", sa.String(32), nullable=False),
           sa.Column("target", sa.String(64), nullable=False),
           sa.Column("detail", sa.Text(), nullable=True),
           sa.PrimaryKeyConstraint("id"),
           indexed=("at",))

    # the agent console's accounts: users, failed logins, sessions ended by logging out
    create("console_users",
           sa.Column("id", sa.Integer(), nullable=False),
           sa.Column("name", sa.String(64), nullable=False),
           sa.Column("password_hash", sa.String(256), nullable=False),
           sa.Column("role", sa.String(16), nullable=False),
           sa.Column("active", sa.Boolean(), nullable=False),
           sa.Column("created_at", sa.DateTime(), nullable=False),
           sa.Column("password_changed_at", sa.DateTime(), nullable=False),
           sa.PrimaryKeyConstraint("id"),
           sa.UniqueConstraint("name"))
    create("console_login_failures",
           sa.Column("id", sa.Integer(), nullable=False),
           sa.Column("at", sa.DateTime(), nullable=False),
           sa.Column("username", sa.String(64), nullable=False),
           sa.Column("address", sa.String(64), nullable=False),
           sa.PrimaryKeyConstraint("id"),
           indexed=("at",), named={"ix_console_login_failures_who": ("username", "address")})
    create("console_revoked_sessions",
           sa.Column("digest", sa.String(64), nullable=False),
           sa.Column("expires_at", sa.DateTime(), nullable=False),
           sa.PrimaryKeyConstraint("digest"),
           indexed=("expires_at",))

    # the WeChat channel: the access token every process of one official account shares
    create("wechat_access_tokens",
           sa.Column("app_id", sa.String(64), nullable=False),
           sa.Column("token", sa.Text(), nullable=False),
           sa.Column("expires_at", sa.DateTime(), nullable=False),
           sa.Column("fetched_at", sa.DateTime(), nullable=False),
           sa.PrimaryKeyConstraint("app_id"))


def downgrade() -> None:
    for name in ("wechat_access_tokens", "console_revoked_sessions", "console_login_failures", "console_users",
                 "audit_log", "unanswered", "exchanges", "agent_presence", "delivery_targets", "outbox",
                 "handoff_messages", "handoffs", "lookup_client_failures", "lookup_attempts", "order_history",
                 "work_orders", "customer_managers", "orders_schema"):
        op.drop_table(name)  # its indexes go with it
