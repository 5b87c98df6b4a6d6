"""The store's schema from the command line (DATABASE_URL from the settings, or --database-url).

    python -m bot.store upgrade                        # to head (every process does it at its first use too)
    python -m bot.store current                        # the database's revision and this code's newest
    python -m bot.store revision --message "..."       # a new, empty migration in bot/store/migrations/versions
    python -m bot.store revision --autogenerate --message "..."   # written from the models' changes since head
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from alembic import command
from alembic.util.exc import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from bot.settings import Settings
from bot.store.engine import make_engine
from bot.store.schema import SchemaError, alembic_config, describe, head, upgrade


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot.store", description="The database schema: Alembic migrations "
                                "in bot/store/migrations/versions (see docs/architecture.md, 'The store').")
    p.add_argument("--database-url", help="SQLAlchemy URL (default: the DATABASE_URL setting)")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade", help="bring the database to the newest revision (head), keeping its rows; a database "
                                   "made before migrations is adopted")
    sub.add_parser("current", help="show the database's revision and the newest one")
    revision = sub.add_parser("revision", help="write a new migration after head")
    revision.add_argument("-m", "--message", required=True, help="what the migration does (its file name too)")
    revision.add_argument("--autogenerate", action="store_true",
                          help="write the operations from the differences between the models and head (compared "
                               "with a scratch SQLite database at head, or with --database-url's database); "
                               "read and correct them before committing")
    return p


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = parser().parse_args(argv)
    out = out or sys.stdout
    try:
        if args.command == "revision":
            return _revision(args.message, args.autogenerate, args.database_url, out)
        url = args.database_url or Settings.from_env().database_url
        where = make_url(url).render_as_string(hide_password=True)
        engine = make_engine(url)
        try:
            if args.command == "upgrade":
                before, now = upgrade(engine)
                said = "already at" if before == now else f"upgraded from {before or 'no revision'} to"
                print(f"{where}: {said} {now} (head)", file=out)
            else:
                with engine.connect() as connection:
                    state = describe(connection)
                newest = head()
                print(f"{where}: {state}" + (" (head)" if state == newest else f"; head is {newest}"), file=out)
        finally:
            engine.dispose()
    except (SchemaError, CommandError, SQLAlchemyError, ArgumentError, OSError) as error:
        reason = getattr(error, "orig", None) or error  # the driver's message, without SQLAlchemy's SQL and link
        print(f"error: {(str(reason).strip().splitlines() or [type(reason).__name__])[0]}", file=sys.stderr)
        return 1
    return 0


def _revision(message: str, autogenerate: bool, database_url: str | None, out: TextIO) -> int:
    newest = head()
    rev_id = f"{int(newest) + 1:04d}" if newest.isdigit() else None  # 0001, 0002, ...: their order at a glance
    if not autogenerate:
        written = command.revision(alembic_config(), message=message, rev_id=rev_id)
    else:
        with tempfile.TemporaryDirectory() as scratch:
            engine = make_engine(database_url or f"sqlite:///{Path(scratch) / 'head.db'}")
            try:
                if database_url is None:
                    upgrade(engine)
                with engine.begin() as connection:
                    written = command.revision(alembic_config(connection), message=message, autogenerate=True,
                                               rev_id=rev_id)
            finally:
                engine.dispose()
    for script in written if isinstance(written, list) else [written]:
        if script is not None:
            print(f"wrote {script.path}", file=out)
    return 0
