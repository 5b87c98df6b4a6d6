"""The store's schema: Alembic migrations (bot/store/migrations/versions) bring a database to head.

`upgrade(engine)` is the one entry point. Every process calls it when it first opens the database
(bot/store/runtime.py), `python -m bot.store upgrade` and deploy/init_db.py call it before replicas start:

- at head already: one query, nothing else;
- otherwise the upgrade runs under a lock, so that replicas starting at the same moment queue instead of
  colliding (creating the tables of an empty PostgreSQL database twice at once fails): a PostgreSQL advisory
  lock, on SQLite files an flock on a file beside the database (never on the database file itself: closing any
  descriptor of it would drop SQLite's own locks), nothing for in-memory SQLite;
- a database made before migrations (bot/db.py's create_all, with the `orders_schema` table at version 1)
  has no alembic_version table: the initial revision finds its tables there, creates only those it lacks,
  and the later revisions run as on any other database. Nothing is lost;
- a database at a revision this code does not know (made by newer code) is refused, as it was before.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from bot.store.engine import sqlite_file

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SCHEMA_LOCK_ID = 0x62616E6469616E  # "bandian": the PostgreSQL advisory lock held while upgrading
BEFORE_MIGRATIONS_TABLE = "orders_schema"  # the version table of the schema before migrations (dropped by 0002)
BEFORE_MIGRATIONS_VERSION = 1  # the only version it ever had


class SchemaError(RuntimeError):
    """The database cannot be brought to this code's schema (made by newer code, or unknown)."""


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, without an alembic.ini: the migrations folder, file names, a connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    revision = scripts().get_current_head()
    if revision is None:
        raise SchemaError(f"no migrations in {MIGRATIONS}")
    return revision


def current_revision(connection: Connection) -> str | None:
    """The revision recorded in the database's alembic_version table (None: none there)."""
    return MigrationContext.configure(connection).get_current_revision()


def describe(connection: Connection) -> str:
    """The database's schema in words: a revision, or what it is without one."""
    revision = current_revision(connection)
    if revision is not None:
        return revision
    tables = inspect(connection).get_table_names()
    if BEFORE_MIGRATIONS_TABLE in tables:
        return "made before migrations"
    return "empty" if not tables else "no revision"


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the database to head; (the revision before, the revision now)."""
    target = head()
    with engine.connect() as connection:
        before = current_revision(connection)
    if before == target:
        return before, target
    with _upgrade_lock(engine), engine.begin() as connection:
        before = current_revision(connection)  # another process may have upgraded it while we waited
        if before == target:
            return before, target
        if before is None:
            _check_made_before_migrations(connection)
        elif before not in known_revisions():
            raise SchemaError(f"the database is at schema revision {before}, which this code does not know (its "
                              f"newest is {target}): it was upgraded by newer code; run that code, or point "
                              "DATABASE_URL at another database")
        command.upgrade(alembic_config(connection), "head")
    logger.info("database schema upgraded: %s -> %s", before or "no revision", target)
    return before, target


def known_revisions() -> set[str]:
    return {script.revision for script in scripts().walk_revisions()}


def _check_made_before_migrations(connection: Connection) -> None:
    if not inspect(connection).has_table(BEFORE_MIGRATIONS_TABLE):
        return
    version = connection.execute(text(f"SELECT version FROM {BEFORE_MIGRATIONS_TABLE} WHERE component = 'orders'"))
    found = version.scalar()
    if found not in (None, BEFORE_MIGRATIONS_VERSION):
        raise SchemaError(f"{BEFORE_MIGRATIONS_TABLE} says version {found}; only version "
                          f"{BEFORE_MIGRATIONS_VERSION} (made before migrations) can be upgraded")
    logger.warning("the database was made before migrations: adopting it (its tables and rows are kept)")


@contextmanager
def _upgrade_lock(engine: Engine) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with engine.connect() as lock:
            lock.execute(text("SELECT pg_advisory_lock(:id)"), {"id": SCHEMA_LOCK_ID})
            lock.commit()  # the lock belongs to the connection's session, not to a transaction left open
            try:
                yield
            finally:
                lock.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": SCHEMA_LOCK_ID})
                lock.commit()
        return
    file = sqlite_file(engine.url)
    if file is None:
        yield
        return
    file.parent.mkdir(parents=True, exist_ok=True)
    with open(file.with_name(file.name + ".upgrade-lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
