"""Readiness: the web app's /readyz and the action server's /readyz answer 200 when the database answers
`SELECT 1` through the store, 503 when it does not; /healthz (liveness) does not look at the database."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pluggy
import pytest
from rasa_sdk import plugin
from sanic import Sanic
from sqlalchemy import create_engine, inspect
from sqlalchemy.orm import sessionmaker

import rasa_sdk_plugins
from bot.store.schema import head
from tests.unit.web_fixtures import run_web


def unreachable() -> sessionmaker:
    """Sessions of a database that cannot be opened (its directory does not exist)."""
    return sessionmaker(create_engine(f"sqlite:////nonexistent-{uuid.uuid4().hex}/bandian.db", future=True))


def test_the_web_app_is_ready_while_the_database_answers(tmp_path):
    async def body(client, context, _rasa):
        ready = await client.get("/readyz")
        assert (ready.status, await ready.json()) == (200, {"status": "ok"})
        context.factory = unreachable()
        down = await client.get("/readyz")
        assert (down.status, await down.json()) == (503, {"status": "unavailable"})
        assert (await client.get("/healthz")).status == 200  # alive all the same: no restart for a database outage

    run_web(tmp_path, body)


def action_server(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Sanic:
    """rasa_sdk's Sanic app with the project's plug-in hook applied, as `rasa run actions` makes it."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setattr(Sanic, "test_mode", True)  # one app per test in one process
    manager = pluggy.PluginManager("rasa_sdk")
    manager.add_hookspecs(plugin)
    rasa_sdk_plugins.init_hooks(manager)
    app = Sanic(f"readiness_{uuid.uuid4().hex[:12]}")
    manager.hook.attach_sanic_app_extensions(app=app)
    return app


def start(app: Sanic) -> None:
    """What the server does once it listens: the listeners registered for after_server_start."""
    for future in app._future_listeners:
        if future.event == "after_server_start" and future.listener.__name__ == "open_database":
            asyncio.run(future.listener(app, None))


def ready_status(app: Sanic) -> int:
    handler = next(route.handler for route in app.router.routes if route.path == "readyz")
    return asyncio.run(handler(None)).status


def test_the_action_server_opens_the_database_at_start_and_is_ready(monkeypatch, tmp_path: Path):
    database = tmp_path / "actions.db"
    app = action_server(monkeypatch, f"sqlite:///{database}")
    start(app)
    engine = create_engine(f"sqlite:///{database}", future=True)
    with engine.connect() as connection:  # opened at start: upgraded to head before any action ran
        assert "work_orders" in inspect(connection).get_table_names()
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head()
    engine.dispose()
    assert ready_status(app) == 200


def test_the_action_server_is_not_ready_without_its_database(monkeypatch, tmp_path: Path):
    app = action_server(monkeypatch, f"sqlite:///{tmp_path}")  # a directory: SQLite cannot open it
    start(app)  # logged, not raised: the server goes on serving
    assert ready_status(app) == 503
