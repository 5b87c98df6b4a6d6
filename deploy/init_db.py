"""Bring the app's database to the newest schema (Alembic migrations) and create the console admin, once.

Run it before the replicas start: scripts/run-prod.sh does, and on Kubernetes an init container
of every web and action-server pod does (deploy/k8s/). The upgrade (bot/store/schema.py) holds a
PostgreSQL advisory lock, so copies started together queue instead of colliding (creating the tables
of an empty PostgreSQL database twice at once fails); a database at head costs one query; a database
made before migrations is adopted with its rows. Creating the admin tolerates a copy creating it at
the same moment, so any number of copies may run at once. (Every process also upgrades at its first
use of the database: this makes it happen once, before them, and fail loudly here if it fails.)

    python deploy/init_db.py        # DATABASE_URL, BANDIAN_CONSOLE_USER/PASSWORD from the environment
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a script from anywhere

from sqlalchemy.engine import make_url  # noqa: E402

from bot.orders.times import naive_utc_now  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store.engine import make_engine, session_factory  # noqa: E402
from bot.store.schema import upgrade  # noqa: E402
from bot.web.console.accounts import bootstrap_admin  # noqa: E402
from bot.web.console.state import banner  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python deploy/init_db.py", description=__doc__.split("\n\n")[0].replace("\n", " "),
                            epilog="DATABASE_URL, BANDIAN_CONSOLE_USER and BANDIAN_CONSOLE_PASSWORD come from the "
                                   "environment (or .env).").parse_args(argv)
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    before, now = upgrade(engine)
    with session_factory(engine)() as session:
        generated = bootstrap_admin(session, settings.console_user, settings.console_password,
                                    naive_utc_now())  # the web app's clock: naive UTC
    engine.dispose()
    if generated:
        print(banner(settings.console_user, generated), flush=True)
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    schema = f"schema {now}" if before == now else f"schema upgraded from {before or 'no revision'} to {now}"
    print(f"database ready: {where} ({schema})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
