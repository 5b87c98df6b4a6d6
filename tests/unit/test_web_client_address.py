"""The client address used by the console's login rate limit: the proxy's report only when trusted."""

from __future__ import annotations

from dataclasses import replace
from unittest import mock

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from bot.settings import Settings
from bot.web.context import WEB_KEY, WebContext, client_address


def request(trust: bool, headers: dict[str, str], peer: str = "127.0.0.1") -> web.Request:
    app = web.Application()
    app[WEB_KEY] = WebContext(settings=replace(Settings.from_env({}), trust_proxy=trust), factory=None)  # type: ignore[arg-type]
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (peer, 40000) if name == "peername" else default
    return make_mocked_request("POST", "/agent/login", headers=headers, app=app, transport=transport)


def test_forwarded_headers_are_ignored_unless_the_proxy_is_trusted():
    spoofed = {"X-Real-IP": "10.9.9.9", "X-Forwarded-For": "10.8.8.8"}
    assert client_address(request(False, spoofed)) == "127.0.0.1"
    assert client_address(request(True, spoofed)) == "10.9.9.9"  # from our proxy (loopback by default)
    assert client_address(request(True, {"X-Forwarded-For": "10.8.8.8, 127.0.0.1"})) == "10.8.8.8"
    assert client_address(request(True, spoofed, peer="203.0.113.7")) == "203.0.113.7"  # not from our proxy
