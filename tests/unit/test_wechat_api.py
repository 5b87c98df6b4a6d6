"""The customer-service message client against a local fake WeChat API (no network)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from aiohttp import web

from bot.channels.wechat_api import (
    TEXT_LIMIT_BYTES,
    CustomerServiceClient,
    WeChatApiError,
    client_from_settings,
    split_text,
    utf8_len,
)
from bot.settings import Settings


@dataclass
class FakeWeChatApi:
    """/cgi-bin/token and /cgi-bin/message/custom/send with scripted failures.

    `send_script` answers the next send requests in order: an int is an HTTP status (500), a dict is
    the JSON answer ({"errcode": 40001}); when it is empty a send succeeds.
    """

    base: str = ""
    expires_in: int = 7200
    token_script: list[Any] = field(default_factory=list)
    send_script: list[Any] = field(default_factory=list)
    token_calls: int = 0
    send_calls: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)  # successfully delivered bodies
    raw_bodies: list[bytes] = field(default_factory=list)
    tokens_seen: list[str] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def token(self, request: web.Request) -> web.Response:
        self.token_calls += 1
        assert request.query["grant_type"] == "client_credential"
        assert (request.query["appid"], request.query["secret"]) == ("wxapp", "s3cret")
        if self.token_script:
            return _scripted(self.token_script.pop(0))
        return web.json_response({"access_token": f"TOKEN{self.token_calls}", "expires_in": self.expires_in})

    async def send(self, request: web.Request) -> web.Response:
        self.send_calls += 1
        self.tokens_seen.append(request.query.get("access_token", ""))
        raw = await request.read()
        if self.send_script:
            return _scripted(self.send_script.pop(0))
        if request.query.get("access_token") != f"TOKEN{self.token_calls}":
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        self.raw_bodies.append(raw)
        self.sent.append(json.loads(raw))
        self.arrived.set()
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    def texts(self) -> list[str]:
        return [body["text"]["content"] for body in self.sent]

    async def wait_sent(self, count: int, timeout: float = 3.0) -> None:
        async def enough() -> None:
            while len(self.sent) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(enough(), timeout)


def _scripted(answer: Any) -> web.Response:
    if isinstance(answer, int):
        return web.Response(status=answer, text="server error")
    return web.json_response(answer)


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


@asynccontextmanager
async def fake_api(**options: Any) -> AsyncIterator[FakeWeChatApi]:
    api = FakeWeChatApi(**options)
    app = web.Application()
    app.router.add_get("/cgi-bin/token", api.token)
    app.router.add_post("/cgi-bin/message/custom/send", api.send)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = free_socket()
    site = web.SockSite(runner, sock)
    await site.start()
    api.base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        yield api
    finally:
        await runner.cleanup()


class RecordedSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def make_client(api: FakeWeChatApi, **options: Any) -> CustomerServiceClient:
    return CustomerServiceClient("wxapp", "s3cret", api.base, **options)


async def send_with(api_options: dict[str, Any], texts: list[str], **client_options: Any
                    ) -> tuple[FakeWeChatApi, CustomerServiceClient]:
    async with fake_api(**api_options) as api:
        client = make_client(api, **client_options)
        try:
            for text in texts:
                await client.send_text("oUser1", text)
        finally:
            await client.close()
    return api, client


# ---- splitting --------------------------------------------------------------------------

def test_short_text_is_one_part():
    assert split_text("  您好，请问您在哪个城市办电？ ") == ["您好，请问您在哪个城市办电？"]
    assert split_text("   ") == []


def test_long_text_splits_at_paragraphs_within_the_byte_limit():
    paragraphs = [f"第{i}段：" + "办电资料包括身份证明和产权证明。" * 20 for i in range(8)]
    parts = split_text("\n".join(paragraphs))
    assert len(parts) > 1
    assert all(utf8_len(part) <= TEXT_LIMIT_BYTES for part in parts)
    assert all(part.startswith("第") for part in parts)  # every part begins with a paragraph
    assert "".join(parts).replace("\n", "") == "".join(paragraphs)


def test_a_long_paragraph_splits_at_sentence_ends():
    text = "".join(f"第{i}句说明居民用电报装的时限。" for i in range(300))
    parts = split_text(text)
    assert len(parts) > 1
    assert all(utf8_len(part) <= TEXT_LIMIT_BYTES and part.endswith("。") for part in parts)
    assert "".join(parts) == text


def test_text_without_any_boundary_is_cut_at_characters():
    text = "电" * 1500 + "a" * 10  # 4510 bytes, no punctuation
    parts = split_text(text, 2048)
    assert [utf8_len(p) <= 2048 for p in parts] == [True] * len(parts)
    assert "".join(parts) == text


# ---- sending ----------------------------------------------------------------------------

def test_send_posts_utf8_json_and_caches_the_token():
    api, _ = asyncio.run(send_with({}, ["你好", "再见"]))
    assert api.token_calls == 1  # one token for two sends
    assert api.texts() == ["你好", "再见"]
    assert api.sent[0] == {"touser": "oUser1", "msgtype": "text", "text": {"content": "你好"}}
    assert "你好".encode() in api.raw_bodies[0] and b"\\u" not in api.raw_bodies[0]


def test_long_text_arrives_in_order_in_parts_within_the_limit():
    text = "\n".join(f"第{i}条：" + "供电企业应在规定时限内完成装表接电。" * 15 for i in range(10))
    api, _ = asyncio.run(send_with({}, [text]))
    assert len(api.sent) > 1
    assert all(utf8_len(t) <= TEXT_LIMIT_BYTES for t in api.texts())
    assert "".join(api.texts()).replace("\n", "") == text.replace("\n", "")
    assert api.token_calls == 1


def test_token_is_fetched_again_when_the_api_refuses_it():
    api, _ = asyncio.run(send_with({"send_script": [{"errcode": 40001, "errmsg": "invalid credential"}]}, ["你好"]))
    assert api.token_calls == 2
    assert api.texts() == ["你好"]
    assert api.tokens_seen == ["TOKEN1", "TOKEN2"]


@pytest.mark.parametrize("code", [40014, 42001])
def test_invalid_or_expired_token_errcodes_refresh_too(code):
    api, _ = asyncio.run(send_with({"send_script": [{"errcode": code}]}, ["你好"]))
    assert (api.token_calls, api.texts()) == (2, ["你好"])


def test_token_is_refreshed_a_few_minutes_before_it_expires():
    now = [1000.0]

    async def scenario() -> FakeWeChatApi:
        async with fake_api(expires_in=7200) as api:
            client = make_client(api, clock=lambda: now[0])
            await client.send_text("oUser1", "一")
            now[0] += 7200 - 600  # ten minutes before expiry: still cached
            await client.send_text("oUser1", "二")
            now[0] += 400  # less than five minutes left: refreshed
            await client.send_text("oUser1", "三")
            await client.close()
            return api

    api = asyncio.run(scenario())
    assert api.token_calls == 2
    assert api.texts() == ["一", "二", "三"]


def test_server_errors_are_retried_with_exponential_backoff():
    sleep = RecordedSleep()
    api, _ = asyncio.run(send_with({"send_script": [500, 502, {"errcode": -1, "errmsg": "system busy"}]}, ["你好"],
                                   backoff=0.5, sleep=sleep))
    assert api.texts() == ["你好"]
    assert api.send_calls == 4
    assert sleep.delays == [0.5, 1.0, 2.0]


def test_the_last_failed_retry_raises():
    sleep = RecordedSleep()
    with pytest.raises(WeChatApiError, match="after 3 attempts"):
        asyncio.run(send_with({"send_script": [500, 500, 500, 500]}, ["你好"], retries=2, sleep=sleep))
    assert sleep.delays == [0.5, 1.0]


def test_a_refused_message_is_not_retried():
    sleep = RecordedSleep()
    with pytest.raises(WeChatApiError) as error:
        asyncio.run(send_with({"send_script": [{"errcode": 45015, "errmsg": "response out of time limit"}]},
                              ["你好"], sleep=sleep))
    assert error.value.errcode == 45015
    assert sleep.delays == []


def test_a_refused_token_request_raises_at_once():
    with pytest.raises(WeChatApiError) as error:
        asyncio.run(send_with({"token_script": [{"errcode": 40125, "errmsg": "invalid appsecret"}]}, ["你好"]))
    assert error.value.errcode == 40125


def test_an_unreachable_api_raises_after_the_retries():
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there: connection refused
    sleep = RecordedSleep()

    async def scenario() -> None:
        client = CustomerServiceClient("wxapp", "s3cret", f"http://127.0.0.1:{port}", timeout=1.0, sleep=sleep)
        try:
            await client.send_text("oUser1", "你好")
        finally:
            await client.close()

    with pytest.raises(WeChatApiError):
        asyncio.run(scenario())
    assert sleep.delays == [0.5, 1.0, 2.0]


def test_client_from_settings_needs_app_id_and_secret():
    settings = replace(Settings.from_env({}), wechat_app_id="wxapp", wechat_app_secret="")
    assert client_from_settings(settings) is None
    configured = replace(settings, wechat_app_secret="s3cret", wechat_api_base="http://127.0.0.1:1/")
    client = client_from_settings(configured)
    assert client is not None
    assert (client.app_id, client.api_base) == ("wxapp", "http://127.0.0.1:1")
