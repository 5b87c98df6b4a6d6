"""bot.store.engine.make_engine for SQLite files: pooled connections, and none left pointing at a replaced file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import QueuePool

from bot.store.engine import make_engine


def _count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM t")).scalar_one()


@pytest.fixture
def engine(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path}/db/bandian.db")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
    yield engine
    engine.dispose()


def test_a_database_file_is_opened_once_and_reused(engine):
    assert isinstance(engine.pool, QueuePool)
    _count(engine)
    assert engine.pool.checkedin() == 1
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"


def test_nothing_is_written_to_a_database_moved_away_while_pooled(engine, tmp_path: Path):
    _count(engine)  # a connection to the file now waits in the pool
    (tmp_path / "db").rename(tmp_path / "away")
    with pytest.raises(OperationalError), engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (2)"))
    (tmp_path / "away").rename(tmp_path / "db")
    assert _count(engine) == 1


def test_in_memory_databases_keep_sqlalchemy_s_pool():
    assert not isinstance(make_engine("sqlite://").pool, QueuePool)
