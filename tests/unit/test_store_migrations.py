"""The store's migrations (bot/store/migrations) on SQLite: a database made before migrations keeps every row and
ends at head; a new one gets exactly the models' schema; an upgrade at head does nothing; a database upgraded
by newer code is refused; replicas upgrading at once queue. (PostgreSQL: tests/scale/test_migrations_postgresql.py.)
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text

import bot.store.schema as schema
from bot.store.cli import main
from bot.store.engine import make_engine
from bot.store.schema import SchemaError, alembic_config, current_revision, head, upgrade
from tests.unit.migration_checks import differences, upgrade_made_before_migrations
from tests.unit.schema_before_migrations import create_before_migrations, fill
from tests.unit.schema_before_migrations import metadata as before_migrations


def sqlite_schema(path: Path) -> set[tuple[str, str, str]]:
    """The database's tables and indexes as SQLite keeps them (their CREATE statements), without Alembic's own."""
    with sqlite3.connect(path) as connection:
        found = connection.execute("SELECT type, name, sql FROM sqlite_master WHERE name != 'alembic_version' "
                                   "AND name NOT LIKE 'sqlite_autoindex_alembic%'").fetchall()
    return set(found)


def made_before_migrations(path: Path) -> str:
    """A database as the code before migrations left it (create_all, orders_schema at 1), a row in every table."""
    old = create_engine(f"sqlite:///{path}", future=True)
    create_before_migrations(old)
    fill(old)
    old.dispose()
    return f"sqlite:///{path}"


def test_a_database_made_before_migrations_keeps_every_row_and_ends_at_head(tmp_path):
    engine = make_engine(made_before_migrations(tmp_path / "old.db"))
    upgrade_made_before_migrations(engine)
    assert upgrade(engine) == (head(), head())  # once at head: nothing more to do
    engine.dispose()


def test_a_database_made_before_some_tables_existed_gets_them(tmp_path):
    """Older code made fewer tables (create_all added the new ones at the next start): 0001 adds what is missing."""
    engine = make_engine(made_before_migrations(tmp_path / "older.db"))
    with engine.begin() as connection:
        for name in ("wechat_access_tokens", "console_revoked_sessions", "lookup_client_failures"):
            connection.execute(text(f"DROP TABLE {name}"))
    assert upgrade(engine) == (None, head())
    with engine.connect() as connection:
        assert current_revision(connection) == head()
        assert differences(connection) == []
        assert connection.execute(text("SELECT number FROM work_orders")).scalar_one() == "93504-32688"
    engine.dispose()


def test_the_models_and_the_migrations_agree(tmp_path):
    """An empty database upgraded to head has the models' schema: autogenerate finds nothing to write."""
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert upgrade(engine) == (None, head())
    with engine.connect() as connection:
        assert differences(connection) == []
    engine.dispose()


def test_the_initial_revision_makes_the_schema_from_before_migrations_exactly(tmp_path):
    old = create_engine(f"sqlite:///{tmp_path / 'old.db'}", future=True)
    before_migrations.create_all(old)
    old.dispose()
    engine = make_engine(f"sqlite:///{tmp_path / 'initial.db'}")
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0001")
    engine.dispose()
    assert sqlite_schema(tmp_path / "initial.db") == sqlite_schema(tmp_path / "old.db")


def test_every_revision_goes_down_and_up_again(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'roundtrip.db'}")
    upgrade(engine)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    with engine.connect() as connection:
        assert current_revision(connection) is None
    upgrade(engine)
    with engine.connect() as connection:
        assert differences(connection) == []
    engine.dispose()


def test_a_database_upgraded_by_newer_code_is_refused(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'newer.db'}")
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaError, match="9999"):
        upgrade(engine)
    engine.dispose()


def test_processes_upgrading_at_once_queue_on_the_lock(tmp_path):
    """Replicas starting together on one new SQLite file: each upgrade waits for the other, none fails."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engines = [make_engine(url) for _ in range(4)]
    results: list[object] = []
    barrier = threading.Barrier(len(engines))

    def start(engine):
        barrier.wait()
        try:
            results.append(upgrade(engine))
        except Exception as error:  # collected: the assertion below shows it
            results.append(error)

    threads = [threading.Thread(target=start, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(map(str, results)) == sorted([str((None, head()))] + [str((head(), head()))] * 3)
    for engine in engines:
        engine.dispose()


def test_the_command_line_upgrades_and_tells_the_revision(tmp_path, capsys):
    url = made_before_migrations(tmp_path / "cli.db")
    assert main(["--database-url", url, "current"]) == 0
    assert f"made before migrations; head is {head()}" in capsys.readouterr().out
    assert main(["--database-url", url, "upgrade"]) == 0
    assert f"upgraded from no revision to {head()} (head)" in capsys.readouterr().out
    assert main(["--database-url", url, "current"]) == 0
    assert capsys.readouterr().out.strip().endswith(f"{head()} (head)")
    assert main(["--database-url", f"sqlite:///{tmp_path}", "upgrade"]) == 1  # a directory: one line, no traceback
    assert capsys.readouterr().err.startswith("error: ")


def test_a_new_revision_follows_head_and_autogenerate_finds_nothing_to_write(tmp_path, monkeypatch, capsys):
    migrations = tmp_path / "migrations"
    shutil.copytree(schema.MIGRATIONS, migrations, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(schema, "MIGRATIONS", migrations)
    schema.scripts.cache_clear()
    try:
        newest = head()
        assert main(["revision", "--autogenerate", "--message", "nothing changed"]) == 0
        written = Path(capsys.readouterr().out.split("wrote ", 1)[1].strip())
    finally:
        schema.scripts.cache_clear()
    expected = f"{int(newest) + 1:04d}"
    assert written.parent == migrations / "versions" and written.name == f"{expected}_nothing_changed.py"
    source = written.read_text(encoding="utf-8")
    assert f"down_revision = {newest!r}" in source and f"revision = {expected!r}" in source
    assert "op." not in source.split("def upgrade", 1)[1].split("def downgrade", 1)[0]  # models = head: no operation
