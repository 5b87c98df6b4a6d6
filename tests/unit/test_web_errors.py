"""Unexpected errors in the web app: a polite answer without a stack trace; 503 when the database is down."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.exc import OperationalError

from bot.web.security import RETRY_AFTER_SECONDS, security_headers


def _app(error: Exception) -> web.Application:
    async def broken(_request: web.Request) -> web.Response:
        raise error

    app = web.Application(middlewares=[security_headers])
    app.router.add_get("/api/broken", broken)
    app.router.add_get("/page", broken)
    return app


def _get(error: Exception, path: str) -> tuple[int, dict[str, str], str]:
    return asyncio.run(_fetch(error, path))


async def _fetch(error: Exception, path: str) -> tuple[int, dict[str, str], str]:
    async with TestClient(TestServer(_app(error))) as client:
        response = await client.get(path)
        return response.status, dict(response.headers), await response.text()


DATABASE_DOWN = OperationalError("INSERT INTO orders ...", {"phone": "13912345678"}, Exception("unable to open"))


@pytest.mark.parametrize("path", ["/api/broken", "/page"])
def test_database_down_is_503_with_a_retry_hint(path):
    status, headers, body = _get(DATABASE_DOWN, path)
    assert status == 503
    assert headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "95598" in body
    assert "13912345678" not in body and "INSERT" not in body and "OperationalError" not in body


def test_any_other_error_is_500_without_a_trace():
    status, headers, body = _get(KeyError("secret"), "/api/broken")
    assert status == 500
    assert "Retry-After" not in headers
    assert json.loads(body) == {"error": "系统繁忙，请稍后再试；紧急情况请拨打 95598。"}
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
