"""Checks shared by the SQLite migration tests (tests/unit) and the PostgreSQL one (tests/scale)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection, Engine

from bot.store.models import metadata
from bot.store.schema import current_revision, head
from tests.unit.schema_before_migrations import ROWS
from tests.unit.schema_before_migrations import metadata as before_migrations


def differences(connection: Connection) -> list[Any]:
    """What `revision --autogenerate` would write: the models against the database (nothing = they agree)."""
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, metadata)


def rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables that ROWS filled, by the old table definitions (a column the upgrade lost or
    renamed would fail here)."""
    found = {}
    with engine.connect() as connection:
        for name in ROWS:
            table = before_migrations.tables[name]
            found[name] = [dict(row._mapping) for row in connection.execute(select(table).order_by(*table.primary_key))]
    return found


def assert_at_head_with_every_row(engine: Engine) -> None:
    with engine.connect() as connection:
        assert current_revision(connection) == head()
        assert differences(connection) == []
        assert "orders_schema" not in inspect(connection).get_table_names()
    assert rows(engine) == ROWS
