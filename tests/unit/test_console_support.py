"""Shared harness of the console tests: the real app (create_app) on a fresh SQLite file, a fixed clock,
an aiohttp test client, and helpers to log in and post forms with the CSRF token."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.services import Services, current
from bot.settings import Settings
from bot.store.engine import make_engine, session_factory
from bot.store.schema import upgrade
from bot.web.app import create_app
from bot.web.context import WebContext

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2025, 11, 26, 10, 0)
ADMIN_PASSWORD = "admin-pass-1234"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


def settings_for(tmp_path: Path, **changes: Any) -> Settings:
    values: dict[str, Any] = dict(
        knowledge_dir=ROOT / "knowledge", seeds_dir=ROOT / "knowledge" / "seeds",
        database_url=f"sqlite:///{tmp_path / 'console.db'}", log_level="INFO", secret_key="test-secret",
        console_user="admin", console_password=ADMIN_PASSWORD)
    return replace(Settings(**values), **changes)


def fresh_engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'console.db'}")
    upgrade(engine)
    return engine


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Harness:
    client: TestClient
    factory: sessionmaker
    clock: Clock
    announced: list[str] = field(default_factory=list)

    def session(self) -> Session:
        return self.factory()

    @property
    def origin(self) -> str:
        return str(self.client.make_url("")).rstrip("/")

    async def text(self, path: str, **kwargs: Any) -> str:
        response = await self.client.get(path, **kwargs)
        assert response.status == 200, (path, response.status)
        return await response.text()

    async def login(self, name: str = "admin", password: str = ADMIN_PASSWORD) -> ClientResponse:
        form = await self.client.get("/agent/login")
        token = TOKEN.search(await form.text())
        assert token is not None
        return await self.client.post("/agent/login", allow_redirects=False,
                                      data={"csrf_token": token.group(1), "username": name, "password": password})

    async def logged_in(self, name: str = "admin", password: str = ADMIN_PASSWORD) -> None:
        response = await self.login(name, password)
        assert response.status == 303, await response.text()

    async def csrf(self) -> str:
        found = META_TOKEN.search(await self.text("/agent/feedback"))
        assert found is not None and found.group(1)
        return found.group(1)

    async def post(self, path: str, data: dict[str, str] | None = None, *, token: str | None = None,
                   follow: bool = False, headers: dict[str, str] | None = None) -> ClientResponse:
        """A form POST carrying the session's CSRF token unless `token` is given ("" for none)."""
        form = dict(data or {})
        form["csrf_token"] = await self.csrf() if token is None else token
        if not form["csrf_token"]:
            del form["csrf_token"]
        return await self.client.post(path, data=form, allow_redirects=follow, headers=headers or {})


def shared_answerer() -> Any:
    return current().answerer


def run_console(tmp_path: Path, body: Callable[[Harness], Awaitable[None]], *, announce: bool = True,
                extras: dict[str, Any] | None = None, **changes: Any) -> Harness:
    """Build the app with create_app on tmp_path's database and run `body` against it."""
    settings = settings_for(tmp_path, **changes)
    engine = fresh_engine(tmp_path)
    factory = session_factory(engine)
    clock = Clock()
    holder: dict[str, Harness] = {}

    async def main() -> None:
        context = WebContext(settings=settings, factory=factory, now=clock)
        context.extras["answerer"] = shared_answerer()
        context.extras["console_key_file"] = tmp_path / "console-secret.key"
        context.extras.update(extras or {})
        harness = Harness(None, factory, clock)  # type: ignore[arg-type]
        if announce:
            context.extras.setdefault("console_announce", harness.announced.append)
        app = create_app(Services.from_settings(settings), context=context)
        async with TestClient(TestServer(app)) as client:
            harness.client = client
            holder["harness"] = harness
            await body(harness)

    try:
        asyncio.run(main())
    finally:
        engine.dispose()
    return holder["harness"]
