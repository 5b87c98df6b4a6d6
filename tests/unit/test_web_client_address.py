"""The client address used by the console's login rate limit: the proxy's report only when trusted."""

from __future__ import annotations

from dataclasses import replace

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from bot.settings import Settings
from bot.web.context import WEB_KEY, WebContext, client_address


def request(trust: bool, headers: dict[str, str]) -> web.Request:
    app = web.Application()
    app[WEB_KEY] = WebContext(settings=replace(Settings.from_env({}), trust_proxy=trust), factory=None)  # type: ignore[arg-type]
    return make_mocked_request("POST", "/agent/login", headers=headers, app=app)


def test_forwarded_headers_are_ignored_unless_the_proxy_is_trusted():
    spoofed = {"X-Real-IP": "10.9.9.9", "X-Forwarded-For": "10.8.8.8"}
    assert client_address(request(False, spoofed)) != "10.9.9.9"
    assert client_address(request(True, spoofed)) == "10.9.9.9"
    assert client_address(request(True, {"X-Forwarded-For": "10.8.8.8, 127.0.0.1"})) == "10.8.8.8"
