"""Engines and sessions from a SQLAlchemy URL (SQLite under var/ by default, PostgreSQL in production)."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

logger = logging.getLogger(__name__)
READY_TIMEOUT = 2.0  # seconds: a database that has not answered `SELECT 1` by then counts as unreachable


def make_engine(url: str, **kwargs: Any) -> Engine:
    """A 2.0-style engine; SQLite files get their directory, mode 0600 (`private_sqlite_file`), WAL mode,
    foreign keys, a busy timeout and a connection pool (SQLAlchemy 1.4 would open the file and set the pragmas
    again for every session)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, future=True, pool_pre_ping=True, **kwargs)
    file = sqlite_file(url)
    if file is not None:
        private_sqlite_file(file)
        kwargs.setdefault("poolclass", QueuePool)
    engine = create_engine(url, future=True, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
    event.listen(engine, "connect", _sqlite_pragmas)
    if file is not None:
        _drop_connections_to_a_replaced_file(engine, file)
    return engine


def sqlite_file(url: str | URL) -> Path | None:
    """The file of a SQLite URL; None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_sqlite_file(file: Path) -> None:
    """The database holds names, phone numbers and addresses: readable by its owner only. A new file is
    created empty with mode 0600 before SQLite opens it (SQLite gives the -wal and -shm files it creates
    the database file's mode), in a new directory with mode 0700; an existing database and its -wal, -shm
    and -journal files are tightened to 0600 (a file another user owns is left alone)."""
    if not file.parent.exists():
        file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.close(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as error:  # a read-only or missing place: SQLite reports it when it opens the file
        logger.debug("could not create %s beforehand: %s", file, error)
    for path in (file, *(file.with_name(file.name + suffix) for suffix in SQLITE_COMPANIONS)):
        try:
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)
        except OSError:
            continue


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


def ping(factory: sessionmaker) -> None:
    """`SELECT 1` through a pooled connection; raises when the database cannot be reached."""
    with session_scope(factory) as session:
        session.execute(select(1))


async def database_ready(sessions: Callable[[], sessionmaker], timeout: float = READY_TIMEOUT) -> bool:
    """Whether the database answers `SELECT 1` within the timeout, in a worker thread (readiness endpoints).
    `sessions` gives the sessionmaker there (opening the database may be part of what is checked)."""
    try:
        await asyncio.wait_for(asyncio.to_thread(lambda: ping(sessions())), timeout)
    except Exception as error:  # whatever it is, not ready; the reason goes to the log
        logger.warning("database not ready: %s", (str(error).strip().splitlines() or [type(error).__name__])[0])
        return False
    return True
