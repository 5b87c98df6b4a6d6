"""The REST channel writes who sent a message, never the caller (bot/rasa_plugins/rest.py, bot/trust.py).

Before: the channel passed the body's `metadata` through untouched and said nothing about the sender, so
the action server had nothing to tell a hotline agent from an anonymous caller by. Now `bandian_auth` is
always the channel's own, signed: staff only with the staff token, the client's address from the web
app's signed header (or our proxy's X-Real-IP with BANDIAN_TRUST_PROXY, or the peer).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import time
import uuid
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from trust_helpers import STAFF_TOKEN

from bot.rasa_plugins.rest import CheckedRestInput
from bot.services import Services, install
from bot.settings import Settings
from bot.trust import (
    CLIENT_HEADER,
    CLIENT_SIGNATURE_HEADER,
    ENVELOPE,
    STAFF_HEADER,
    Identity,
    forward_headers,
    open_identity,
    trust_key,
)


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch):
    monkeypatch.setattr(Sanic, "test_mode", True)  # one app per test in one process


def post(port: int, body: dict[str, Any], headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", "/webhooks/rest/webhook", json.dumps(body).encode(),
                           {"Content-Type": "application/json", **headers})
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


def received(requests: list[tuple[dict[str, Any], dict[str, str]]]) -> list[UserMessage]:
    """The messages the channel hands to Rasa for these requests (a real Sanic server on a free port)."""
    app = Sanic(f"rest_{uuid.uuid4().hex[:12]}")
    app.config.MOTD = False
    seen: list[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        seen.append(message)

    app.blueprint(CheckedRestInput().blueprint(on_new_message), url_prefix="/webhooks/rest")

    async def main() -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
        assert server is not None
        await server.startup()
        await server.start_serving()
        try:
            for body, headers in requests:
                assert await asyncio.to_thread(post, port, body, headers) == 200
        finally:
            await server.close()

    asyncio.run(main())
    return seen


def identity_of(message: UserMessage) -> Identity:
    return open_identity(trust_key(Settings.from_env()), message.sender_id, (message.metadata or {}).get(ENVELOPE),
                         time.time())


def test_staff_only_with_the_staff_token_and_forged_metadata_is_replaced():
    forged = {"staff": True, "client": "198.51.100.1", "at": int(time.time()), "sig": "0" * 64}
    messages = received([
        ({"sender": "a", "message": "/agent"}, {}),
        ({"sender": "b", "message": "/agent", "metadata": {ENVELOPE: forged, "other": 1}}, {}),
        ({"sender": "c", "message": "/agent"}, {STAFF_HEADER: "wrong-token"}),
        ({"sender": "d", "message": "/agent"}, {STAFF_HEADER: STAFF_TOKEN}),
    ])
    assert [identity_of(m).staff for m in messages] == [False, False, False, True]
    assert messages[1].metadata["other"] == 1 and messages[1].metadata[ENVELOPE] != forged
    assert identity_of(messages[1]).client == "127.0.0.1"  # the peer, not what the body claimed


def test_the_client_address_is_the_web_apps_signed_one_else_the_peer(monkeypatch):
    key = trust_key(Settings.from_env())
    messages = received([
        ({"sender": "s1", "message": "hi"}, forward_headers(key, "s1", "203.0.113.7")),
        ({"sender": "s2", "message": "hi"}, forward_headers(key, "another-sender", "203.0.113.7")),
        ({"sender": "s3", "message": "hi"}, {CLIENT_HEADER: "203.0.113.7", CLIENT_SIGNATURE_HEADER: "x"}),
        ({"sender": "s4", "message": "hi"}, {"X-Real-IP": "203.0.113.8"}),  # not behind our proxy: ignored
    ])
    assert [identity_of(m).client for m in messages] == ["203.0.113.7", "127.0.0.1", "127.0.0.1", "127.0.0.1"]
    monkeypatch.setenv("BANDIAN_TRUST_PROXY", "true")
    install(None)  # a process started now reads this environment
    [behind_proxy] = received([({"sender": "s5", "message": "hi"}, {"X-Real-IP": "203.0.113.8"})])
    assert identity_of(behind_proxy).client == "203.0.113.8"


def test_without_a_staff_token_nobody_is_staff(monkeypatch, tmp_path):
    """No BANDIAN_STAFF_TOKEN and no var/staff-token: the channel creates none, and an empty header is no token."""
    monkeypatch.setenv("BANDIAN_STAFF_TOKEN", "")
    install(None)  # a process started now reads this environment
    monkeypatch.setattr("bot.trust.STAFF_TOKEN_FILE", tmp_path / "staff-token")
    [message] = received([({"sender": "x", "message": "/agent"}, {STAFF_HEADER: ""})])
    assert identity_of(message) == Identity(staff=False, client="127.0.0.1")
    assert not (tmp_path / "staff-token").exists()


def test_the_web_chat_signs_its_users_address_for_the_rest_channel(tmp_path):
    """bot/web/chat.py forwards the chat user's address (X-Bandian-Client, signed for the session)."""
    from dataclasses import replace

    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from bot.store.engine import make_engine, session_factory
    from bot.store.schema import upgrade
    from bot.web.app import create_app
    from bot.web.context import WebContext

    seen: list[dict[str, str]] = []
    sessions: list[str] = []

    async def webhook(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        return web.json_response([{"text": "好的"}])

    async def main() -> None:
        rasa_app = web.Application()
        rasa_app.router.add_post("/webhooks/rest/webhook", webhook)
        async with TestServer(rasa_app) as rasa:
            engine = make_engine(f"sqlite:///{tmp_path / 'web.db'}")
            upgrade(engine)
            settings = replace(Settings.from_env(), database_url=str(engine.url),
                               rasa_url=str(rasa.make_url("")).rstrip("/"), console_password="test-password")
            context = WebContext(settings=settings, factory=session_factory(engine),
                                 extras={"console_key_file": tmp_path / "console-secret.key"})
            async with TestClient(TestServer(create_app(Services.from_settings(settings), context))) as client:
                session = (await (await client.post("/api/session", json={})).json())["session"]  # server-issued
                response = await client.post("/api/chat", json={"session": session, "message": "你好"})
                assert response.status == 200
                sessions.append(session)
            engine.dispose()

    asyncio.run(main())
    [headers] = seen
    key = trust_key(Settings.from_env())
    expected = forward_headers(key, f"web:{sessions[0]}", "127.0.0.1")  # the chat's Rasa sender id
    assert {name: headers.get(name) for name in expected} == expected
    assert STAFF_HEADER not in headers  # the web chat is a public channel
