"""Alembic's environment for the store's migrations: the store's metadata (every feature's tables, listed in
bot/store/models.py) and the project's DATABASE_URL.

Run through bot.store.schema (`python -m bot.store upgrade`, and every process at its first use of the
database), which hands over a connection in `config.attributes["connection"]` after taking the upgrade
lock. Without one it opens DATABASE_URL (from the settings) itself; `--sql` (offline) mode writes the SQL.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from bot.settings import Settings
from bot.store.engine import make_engine
from bot.store.models import metadata

config = context.config


def database_url() -> str:
    return config.get_main_option("sqlalchemy.url") or Settings.from_env().database_url


def run_migrations(connection: Connection) -> None:
    # SQLite cannot ALTER most things: autogenerate writes batch operations there (copy, move, rename)
    context.configure(connection=connection, target_metadata=metadata, compare_type=True,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    engine = make_engine(database_url())
    try:
        with engine.begin() as own:
            run_migrations(own)
    finally:
        engine.dispose()


def run_offline() -> None:
    context.configure(url=database_url(), target_metadata=metadata, literal_binds=True,
                      dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
