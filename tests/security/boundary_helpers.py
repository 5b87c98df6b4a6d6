"""Servers for the trust-boundary tests of channels and limits: the REST channel on a real Sanic server, the
web app with a fake Rasa behind it (conftest.py gives every test its own database and BANDIAN_SECRET_KEY)."""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from sanic import Sanic

from bot.rasa_plugins.rest import CheckedRestInput
from bot.services import Services
from bot.settings import Settings
from bot.store.engine import make_engine, session_factory
from bot.store.schema import upgrade
from bot.web.app import create_app
from bot.web.context import WebContext


def free_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def fetch(port: int, method: str, path: str, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.request(method, path, body, headers or {})
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        connection.close()


async def serve_sanic(app: Sanic, work: Callable[[int], Any]) -> Any:
    """Run `work(port)` in a thread against the app served on a free port (listeners run as in `rasa run`)."""
    sock = free_socket()
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    await server.start_serving()
    try:
        return await asyncio.to_thread(work, sock.getsockname()[1])
    finally:
        await server.before_stop()
        await server.close()
        await server.after_stop()


def rest_app(seen: list[UserMessage]) -> Sanic:
    """The checked REST channel as Rasa mounts it; the "assistant" answers "好的"."""
    Sanic.test_mode = True
    app = Sanic(f"rest_{uuid.uuid4().hex[:12]}")
    app.config.MOTD = False

    async def on_new_message(message: UserMessage) -> None:
        seen.append(message)
        if isinstance(message.output_channel, CollectingOutputChannel):
            await message.output_channel.send_text_message(message.sender_id, "好的")

    app.blueprint(CheckedRestInput().blueprint(on_new_message), url_prefix="/webhooks/rest")
    return app


def rest_requests(bodies: list[Any], headers: dict[str, str] | None = None) -> tuple[list[int], list[UserMessage]]:
    """POST each body (JSON-encoded unless bytes) to the REST webhook: the statuses and what reached Rasa."""
    seen: list[UserMessage] = []

    def work(port: int) -> list[int]:
        statuses = []
        for body in bodies:
            raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
            statuses.append(fetch(port, "POST", "/webhooks/rest/webhook", raw,
                                 {"Content-Type": "application/json", **(headers or {})})[0])
        return statuses

    statuses = asyncio.run(serve_sanic(rest_app(seen), work))
    return statuses, seen


class FakeRasa:
    """Rasa's REST channel as the web app sees it: answers "答复：<message>"; a message "转人工" queues a
    handoff for the conversation (as action_handoff does) when `handoffs` is given a database."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.on_message: Callable[[dict[str, Any]], None] | None = None

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        if self.on_message is not None:
            self.on_message(body)
        return web.json_response([{"recipient_id": body["sender"], "text": f"答复：{body['message']}"}])


Body = Callable[[TestClient, WebContext, FakeRasa], Awaitable[None]]


def run_web(tmp_path: Path, body: Body, **overrides: Any) -> None:
    """The web app (settings from the environment, with `overrides`) on a fresh SQLite, a fake Rasa behind it."""

    async def main() -> None:
        fake = FakeRasa()
        rasa_app = web.Application()
        rasa_app.router.add_post("/webhooks/rest/webhook", fake.webhook)
        async with TestServer(rasa_app) as rasa:
            engine = make_engine(f"sqlite:///{tmp_path / 'web.db'}")
            upgrade(engine)
            settings = replace(Settings.from_env(), database_url=str(engine.url),
                               rasa_url=str(rasa.make_url("")).rstrip("/"), console_password="test-password",
                               **overrides)
            context = WebContext(settings=settings, factory=session_factory(engine),
                                 extras={"console_key_file": tmp_path / "console-secret.key"})
            async with TestClient(TestServer(create_app(Services.from_settings(settings), context))) as client:
                await body(client, context, fake)
            engine.dispose()

    asyncio.run(main())


async def new_session(client: TestClient) -> str:
    response = await client.post("/api/session", json={})
    assert response.status == 200, await response.text()
    return str((await response.json())["session"])


# ---- WeChat -------------------------------------------------------------------------------------------

WECHAT_TOKEN = "wechat-test-token"
APP_ID = "wx1234567890abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def wechat_signed(timestamp: int, nonce: str | None = None, token: str = WECHAT_TOKEN, **extra: str) -> str:
    from urllib.parse import urlencode

    from bot.channels.wechat_crypto import signature

    nonce = uuid.uuid4().hex[:10] if nonce is None else nonce
    stamp = str(timestamp)
    return urlencode({"signature": signature(token, stamp, nonce), "timestamp": stamp, "nonce": nonce, **extra})


def wechat_text(content: str, openid: str = "oUser-0001", msg_id: str | None = None, create_time: int = 0) -> bytes:
    msg_id = msg_id or str(uuid.uuid4().int % 10**18)
    return (f"<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>").encode()


def wechat_requests(channel: Any, requests: list[tuple[str, bytes | None]],
                    between: Callable[[int], None] | None = None) -> tuple[list[tuple[int, str]], list[UserMessage]]:
    """Send (query, body) pairs to the WeChat webhook (GET when body is None): answers and what reached Rasa.

    `between(i)` runs before request i (e.g. to move an injected clock)."""
    seen: list[UserMessage] = []
    Sanic.test_mode = True
    app = Sanic(f"wechat_{uuid.uuid4().hex[:12]}")
    app.config.MOTD = False

    async def on_new_message(message: UserMessage) -> None:
        seen.append(message)
        await message.output_channel.send_response(message.sender_id, {"text": f"答：{message.text}"})

    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/wechat")

    def work(port: int) -> list[tuple[int, str]]:
        answers = []
        for index, (query, body) in enumerate(requests):
            if between is not None:
                between(index)
            status, _, raw = fetch(port, "GET" if body is None else "POST", f"/webhooks/wechat/webhook?{query}", body,
                                   {"Content-Type": "text/xml"})
            answers.append((status, raw.decode("utf-8", "replace")))
        return answers

    answers = asyncio.run(serve_sanic(app, work))
    return answers, seen
