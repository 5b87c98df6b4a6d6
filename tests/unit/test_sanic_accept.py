"""bot/rasa_plugins/sanic_accept.py: a malformed Accept header no longer turns Sanic's error responses into 500.

Sanic 21.12 (Rasa's web server) answered 500 "An error occurred while handling an error" for any error
response (400, 404, 405) of a request whose Accept header it could not parse, e.g. `Accept: ÿ`.
"""

from __future__ import annotations

import asyncio
import http.client
import socket
import uuid

import pytest
from sanic import Sanic, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request

from bot.rasa_plugins import sanic_accept
from bot.rasa_plugins.sanic_accept import lenient_parse_accept

MALFORMED = ["\u00ff", "zzz", "text/html;q=abc", "text/html;q=5", "a/b;x", " ", "application/json, \u00ff",
             "\udcff/\udcff, zzz"]


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch):
    monkeypatch.setattr(Sanic, "test_mode", True)  # one app per test in one process


@pytest.fixture()
def stock(monkeypatch):
    """Sanic's own property for the test (a Rasa channel or tracker store installs it for good)."""
    monkeypatch.setattr(Request, "accept", sanic_accept._STOCK)


def test_malformed_entries_are_left_out_and_well_formed_headers_parse_as_before():
    assert [str(a) for a in lenient_parse_accept("text/html, application/json;q=0.5, */*;q=0.1")] == [
        "text/html", "application/json;q=0.5", "*/*;q=0.1"]
    assert [str(a) for a in lenient_parse_accept("zzz, application/json;q=0.9, \u00ff, text/html;q=x")] == [
        "application/json;q=0.9"]
    for header in MALFORMED[:6]:
        assert list(lenient_parse_accept(header)) == [], header
    assert list(lenient_parse_accept("")) == []


def ask(port: int, method: str, path: str, accept: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest(method, path)
        connection.putheader("Accept", accept.encode("utf-8", "surrogateescape").decode("latin-1"))
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", "0")
        connection.endheaders()
        answer = connection.getresponse()
        return answer.status, answer.read().decode("utf-8", "replace")
    finally:
        connection.close()


def statuses(accepts: list[str]) -> list[tuple[str, str, int, str]]:
    """(method, path, status, body) of a refused request, a 404 and a 405 with each Accept header."""
    app = Sanic(f"accept_{uuid.uuid4().hex[:12]}")
    app.config.MOTD = False

    @app.post("/refuse")
    async def refuse(_request: Request) -> response.HTTPResponse:
        raise InvalidUsage("message must be a string")

    async def main() -> list[tuple[str, str, int, str]]:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
        assert server is not None
        await server.startup()
        await server.start_serving()
        try:
            found = []
            for accept in accepts:
                for method, path in (("POST", "/refuse"), ("GET", "/nowhere"), ("PUT", "/refuse")):
                    status, body = await asyncio.to_thread(ask, port, method, path, accept)
                    found.append((method, path, status, body))
            return found
        finally:
            await server.close()

    return asyncio.run(main())


def test_stock_sanic_answers_500_for_a_malformed_accept_header(stock):
    """The bug itself, so that this file notices when a Sanic upgrade fixes it."""
    assert {status for *_, status, _body in statuses(["\u00ff"])} == {500}


def test_error_responses_keep_their_4xx_with_a_malformed_accept_header(stock):
    sanic_accept.install()
    found = statuses(MALFORMED)
    assert [status for *_, status, _body in found] == [400, 404, 405] * len(MALFORMED)
    assert all("must be a string" in body for method, _path, _status, body in found if method == "POST")


def test_the_error_page_still_follows_a_well_formed_accept_header(stock):
    sanic_accept.install()
    found = statuses(["application/json", "text/html", "zzz, application/json"])
    assert found[0][2:] == (400, '{"description":"Bad Request","status":400,"message":"message must be a string"}')
    assert found[3][3].startswith("<!DOCTYPE html>")
    assert found[6][3].startswith('{"description":"Bad Request"')


def test_install_is_idempotent(stock):
    sanic_accept.install()
    patched = Request.__dict__["accept"]
    sanic_accept.install()
    assert Request.__dict__["accept"] is patched is not sanic_accept._STOCK
