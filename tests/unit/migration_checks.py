"""Checks shared by the SQLite migration tests (tests/unit) and the PostgreSQL one (tests/scale)."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import DateTime, inspect, select
from sqlalchemy.engine import Connection, Engine

from bot.store.models import metadata
from bot.store.schema import alembic_config, current_revision, head, upgrade
from tests.unit.schema_before_migrations import ROWS
from tests.unit.schema_before_migrations import metadata as before_migrations

# The revision that adopts a database made before migrations (0001: its schema, 0002: orders_schema dropped):
# up to here no value changes. Later revisions may convert values on purpose (0004: order times to UTC).
ADOPTED = "0002"


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


def kept(found: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The rows without their times: what no revision may change (a revision may convert times)."""
    return {name: [{column: value for column, value in row.items()
                    if not isinstance(before_migrations.tables[name].c[column].type, DateTime)} for row in table_rows]
            for name, table_rows in found.items()}


def upgrade_made_before_migrations(engine: Engine) -> None:
    """Adopt a database made before migrations and check that no value changed, then go on to head and check
    that every row is still there and the schema is the models' (times may have been converted)."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), ADOPTED)
    assert rows(engine) == ROWS
    assert upgrade(engine) == (ADOPTED, head())
    with engine.connect() as connection:
        assert current_revision(connection) == head()
        assert differences(connection) == []
        assert "orders_schema" not in inspect(connection).get_table_names()
    assert kept(rows(engine)) == kept(ROWS)
