"""Database engines and sessions from a SQLAlchemy URL (SQLite under var/ by default)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

SCHEMA_LOCK_ID = 0x62616E6469616E  # "bandian": PostgreSQL advisory lock held while creating tables


def make_engine(url: str, **kwargs: Any) -> Engine:
    """A 2.0-style engine; SQLite files get their directory, WAL mode, foreign keys, a busy timeout and a
    connection pool (SQLAlchemy 1.4 would open the file and set the pragmas again for every session)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, future=True, pool_pre_ping=True, **kwargs)
    file = Path(parsed.database) if parsed.database and parsed.database != ":memory:" else None
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("poolclass", QueuePool)
    engine = create_engine(url, future=True, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
    event.listen(engine, "connect", _sqlite_pragmas)
    if file is not None:
        _drop_connections_to_a_replaced_file(engine, file)
    return engine


def _file_identity(file: Path) -> tuple[int, int] | None:
    try:
        stat = file.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _drop_connections_to_a_replaced_file(engine: Engine, file: Path) -> None:
    """A pooled connection keeps its file open: after the database file was moved away or replaced (a
    restore, an operator's mistake) it would go on reading and writing the old one. Checked at checkout
    (one stat); such a connection is discarded and a new one opens whatever is at the path now."""

    def remember(_dbapi_connection: Any, record: Any) -> None:
        record.info["file"] = _file_identity(file)

    def still_the_same_file(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if record.info.get("file") != _file_identity(file):
            raise DisconnectionError(f"{file} was moved or replaced")

    event.listen(engine, "connect", remember)
    event.listen(engine, "checkout", still_the_same_file)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, future=True, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker) -> Iterator[Session]:
    """A session that is closed afterwards (callers commit explicitly; errors roll back)."""
    session: Session = factory()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    """One engine per URL per process, created on first use (never at import time)."""
    engine = make_engine(url)
    ensure_all_tables(engine)
    return engine


def ensure_all_tables(engine: Engine) -> None:
    """Create the tables of every store (orders, live chat, feedback, console) on one metadata.

    Processes creating the tables of an empty PostgreSQL database at the same moment collide
    (duplicate pg_type rows), so there every caller queues on one advisory lock first.
    """
    import bot.accounts.models  # noqa: F401
    import bot.channels.wechat_tokens  # noqa: F401
    import bot.feedback.models  # noqa: F401  (registers its tables)
    import bot.livechat.models  # noqa: F401
    from bot.orders.models import ensure_schema

    if engine.dialect.name != "postgresql":
        ensure_schema(engine)
        return
    with engine.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(:id)"), {"id": SCHEMA_LOCK_ID})
        try:
            ensure_schema(engine)
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": SCHEMA_LOCK_ID})
