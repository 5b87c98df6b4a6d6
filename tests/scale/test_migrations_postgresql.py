"""The store's migrations on PostgreSQL (the topology's server; tests/unit/test_store_migrations.py does SQLite).

Each test works in a schema of its own inside the app's database (search_path), dropped afterwards: a database
made before migrations keeps every row and ends at head, a new one gets the models' schema exactly, and
replicas upgrading one empty database at the same moment queue on the advisory lock instead of colliding.
The live app tables (public) are only read: they are at head too.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.store.engine import make_engine
from bot.store.schema import current_revision, head, upgrade
from tests.scale.topology import together
from tests.unit.migration_checks import differences, upgrade_made_before_migrations
from tests.unit.schema_before_migrations import create_before_migrations, fill


@pytest.fixture()
def scratch() -> Iterator[str]:
    """A fresh schema in the app's database; engines of `in_scratch` see only it."""
    name = f"migrations_{uuid.uuid4().hex[:10]}"
    admin = make_engine(os.environ["DATABASE_URL"])
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {name}"))
    try:
        yield name
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {name} CASCADE"))
        admin.dispose()


def in_scratch(schema: str) -> Engine:
    return make_engine(os.environ["DATABASE_URL"], connect_args={"options": f"-csearch_path={schema}"})


def test_a_postgresql_database_made_before_migrations_keeps_every_row_and_ends_at_head(scratch):
    engine = in_scratch(scratch)
    create_before_migrations(engine)
    fill(engine)
    upgrade_made_before_migrations(engine)
    engine.dispose()


def test_replicas_upgrading_a_new_postgresql_database_at_once_queue_and_agree_with_the_models(scratch):
    engines = [in_scratch(scratch) for _ in range(4)]
    results = together(len(engines), lambda index: upgrade(engines[index]))
    assert sorted(results, key=str) == sorted([(None, head())] + [(head(), head())] * 3, key=str)
    with engines[0].connect() as connection:
        assert differences(connection) == []
    for engine in engines:
        engine.dispose()


def test_the_running_app_database_is_at_head():
    engine = make_engine(os.environ["DATABASE_URL"])
    with engine.connect() as connection:
        assert current_revision(connection) == head()
        assert differences(connection) == []
    engine.dispose()
