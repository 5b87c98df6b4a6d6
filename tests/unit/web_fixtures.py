"""A web app on a fresh SQLite with a fake Rasa REST channel, driven by aiohttp's test client."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.services import Services
from bot.settings import Settings
from bot.store.engine import make_engine, session_factory
from bot.store.schema import upgrade
from bot.web.app import create_app
from bot.web.context import WebContext

NOW = datetime(2026, 11, 26, 10, 0)


class FakeRasa:
    """Answers like Rasa's REST channel: '答复：<message>' with two buttons; 'boom' → 500."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        if body["message"] == "boom":
            return web.Response(status=500)
        return web.json_response([
            {"recipient_id": body["sender"], "text": f"答复：{body['message']}"},
            {"recipient_id": body["sender"], "text": "还想了解什么？",
             "buttons": [{"title": "枣庄", "payload": "枣庄"}, {"title": "安阳", "payload": "/inform"}]},
        ])


def run_web(tmp_path: Path, body: Callable[[TestClient, WebContext, FakeRasa], Awaitable[None]],
            rasa_up: bool = True) -> None:
    asyncio.run(_run(tmp_path, body, rasa_up))


async def _run(tmp_path: Path, body: Callable[..., Awaitable[None]], rasa_up: bool) -> None:
    fake = FakeRasa()
    rasa_app = web.Application()
    rasa_app.router.add_post("/webhooks/rest/webhook", fake.webhook)
    rasa = TestServer(rasa_app)
    await rasa.start_server()
    url = str(rasa.make_url("")).rstrip("/") if rasa_up else "http://127.0.0.1:9"
    if not rasa_up:
        await rasa.close()
    engine = make_engine(f"sqlite:///{tmp_path / 'web.db'}")
    upgrade(engine)
    settings = replace(Settings.from_env({}), database_url=str(engine.url), rasa_url=url,
                       console_password="test-password", secret_key="")
    context = WebContext(settings=settings, factory=session_factory(engine), now=lambda: NOW,
                         extras={"console_key_file": tmp_path / "console-secret.key"})
    async with TestClient(TestServer(create_app(Services.from_settings(settings), context))) as client:
        await body(client, context, fake)
    if rasa_up:
        await rasa.close()
    engine.dispose()
