"""Orders: internal notes and customer messages told apart, the visit's time of day, every order time in UTC.

Revision 0004, after 0003.

- order_history.kind (stage | note | message | visit | manager; bot/orders/models.py HISTORY_KINDS). Existing
  entries: a creation or a stage move is `stage`, 分配/改派客户经理 is `manager`, every other note is `note`,
  i.e. internal: notes written before this revision never reach a customer.
- work_orders.visit_time: the time of day a customer asked for ("明天上午10点"), Beijing wall clock.
- Times. The order tables keep UTC from now on (bot/orders/times.py). Before, the action server and the staff
  CLI wrote Beijing wall clock (bot.calendar.china_now) and the console wrote the web server's local clock
  (datetime.now), so a booking at 08:51 could be followed by a dispatch at 00:52. Converted here:
  - order_history: an entry written by the console (a stage move, note or reassignment whose actor is a
    console user) from the local time zone of the machine running this migration (the web server's: the same
    machine under `make run`, UTC in the containers of deploy/); every other entry from Beijing time;
  - work_orders.created_at and dispatch_due (written by the action server or the CLI) from Beijing time;
    stage_since from its stage entry in the history (as converted), updated_at the latest of the history and
    created_at;
  - lookup_attempts and lookup_client_failures (written by the action server) from Beijing time.
  Downgrading writes them back as that code wrote them (the inverse of the same rules).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UTC = timezone.utc
BEIJING = ZoneInfo("Asia/Shanghai")
Convert = Callable[[datetime], datetime]

work_orders = sa.table("work_orders", sa.column("id", sa.Integer), sa.column("stage", sa.String),
                       sa.column("stage_since", sa.DateTime), sa.column("created_at", sa.DateTime),
                       sa.column("updated_at", sa.DateTime), sa.column("dispatch_due", sa.DateTime))
history = sa.table("order_history", sa.column("id", sa.Integer), sa.column("order_id", sa.Integer),
                   sa.column("at", sa.DateTime), sa.column("from_stage", sa.String), sa.column("to_stage", sa.String),
                   sa.column("actor", sa.String), sa.column("note", sa.Text), sa.column("kind", sa.String))
console_users = sa.table("console_users", sa.column("name", sa.String))
LOOKUP_TABLES = ("lookup_attempts", "lookup_client_failures")


def from_beijing(moment: datetime) -> datetime:
    return moment.replace(tzinfo=BEIJING).astimezone(UTC).replace(tzinfo=None)


def from_local(moment: datetime) -> datetime:
    """A naive time of this machine's clock (datetime.now) in UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def to_beijing(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(BEIJING).replace(tzinfo=None)


def to_local(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone().replace(tzinfo=None)


def console_users_names(bind: sa.engine.Connection) -> set[str]:
    return {name for (name,) in bind.execute(sa.select(console_users.c.name))}


def upgrade() -> None:
    with op.batch_alter_table("work_orders") as table:
        table.add_column(sa.Column("visit_time", sa.Time(), nullable=True))
    with op.batch_alter_table("order_history") as table:
        table.add_column(sa.Column("kind", sa.String(16), server_default="note", nullable=False))
    moved = sa.or_(history.c.from_stage.is_(None), history.c.from_stage != history.c.to_stage)
    manager = sa.or_(history.c.note.like("分配客户经理%"), history.c.note.like("改派客户经理%"))
    op.execute(history.update().where(moved).values(kind="stage"))
    op.execute(history.update().where(sa.not_(moved), manager).values(kind="manager"))
    if op.get_context().as_sql:
        return  # offline SQL: the times need the rows (run the upgrade against the database)
    bind = op.get_bind()
    staff = console_users_names(bind)
    _convert_times(bind, lambda row: from_local if row.from_stage is not None and row.actor in staff else from_beijing,
                   from_beijing)


def downgrade() -> None:
    if not op.get_context().as_sql:
        bind = op.get_bind()
        staff = console_users_names(bind)
        _convert_times(bind, lambda row: to_local if row.from_stage is not None and row.actor in staff else to_beijing,
                       to_beijing)
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+): copying work_orders, as a batch would, is refused while
    # order_history's foreign keys point at it
    with op.batch_alter_table("order_history", recreate="never") as table:
        table.drop_column("kind")
    with op.batch_alter_table("work_orders", recreate="never") as table:
        table.drop_column("visit_time")


def _convert_times(bind: sa.engine.Connection, history_rule: Callable[[sa.Row], Convert], orders: Convert) -> None:
    """Every order time converted: the history by `history_rule` (per entry), the rest by `orders`."""
    entries: dict[int, list[tuple[datetime, str | None, str]]] = {}
    rows = bind.execute(sa.select(history.c.id, history.c.order_id, history.c.at, history.c.from_stage,
                                  history.c.to_stage, history.c.actor).order_by(history.c.id)).all()
    for row in rows:
        at = history_rule(row)(row.at)
        bind.execute(history.update().where(history.c.id == row.id).values(at=at))
        entries.setdefault(row.order_id, []).append((at, row.from_stage, row.to_stage))
    for order in bind.execute(sa.select(work_orders)).all():
        created = orders(order.created_at)
        own = entries.get(order.id, [])
        entered = [at for at, before, after in own if after == order.stage and before != after]
        stage_since = entered[-1] if entered else orders(order.stage_since)
        updated = max([created, *(at for at, _before, _after in own)])
        bind.execute(work_orders.update().where(work_orders.c.id == order.id).values(
            created_at=created, stage_since=stage_since, updated_at=updated,
            dispatch_due=orders(order.dispatch_due) if order.dispatch_due else None))
    for name in LOOKUP_TABLES:
        table = sa.table(name, sa.column("id", sa.Integer), sa.column("at", sa.DateTime))
        for row in bind.execute(sa.select(table.c.id, table.c.at)).all():
            bind.execute(table.update().where(table.c.id == row.id).values(at=orders(row.at)))
