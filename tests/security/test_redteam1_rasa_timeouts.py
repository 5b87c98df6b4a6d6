"""Red team round 1, F3: a request to Rasa must arrive, headers and body, within BANDIAN_RASA_REQUEST_TIMEOUT.

Before: Sanic 21.12's REQUEST_TIMEOUT is an idle timer for the headers only, and a body is read in the handler
stage, where Rasa's RESPONSE_TIMEOUT (3600 s) applies. 300 POSTs declaring `Content-Length: 1000` and sending
nothing more were all still open after 75 s (Rasa's descriptors 22 → 322); headers sent one byte every 10 s
were never cut; a kept-alive connection whose next request trickled in lived 110 s+.

Now (bot/rasa_plugins/sanic_timeouts.py, installed by the channel): the deadline runs from a request's first
byte and covers its body; 408 and the connection closed. Tested against a Sanic server configured as `rasa run`
configures it (KEEP_ALIVE_TIMEOUT 120, RESPONSE_TIMEOUT 3600) with our REST channel, in a subprocess, with
BANDIAN_RASA_REQUEST_TIMEOUT=2.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from boundary_helpers import fetch, free_socket

from bot.services import install

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 2.0  # BANDIAN_RASA_REQUEST_TIMEOUT in the server under test
WAIT = 8.0  # how long a probe waits (before the fix: nothing for an hour)


@pytest.fixture(scope="module")
def rasa_port() -> Iterator[int]:
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BANDIAN_RASA_REQUEST_TIMEOUT": str(int(TIMEOUT)),
           "BANDIAN_SECRET_KEY": "rasa-timeouts-test", "BANDIAN_STAFF_TOKEN": "x", "DATABASE_URL": "sqlite://"}
    for name in ("SANIC_REQUEST_TIMEOUT", "SANIC_KEEP_ALIVE_TIMEOUT", "BANDIAN_RASA_KEEP_ALIVE_TIMEOUT"):
        env.pop(name, None)
    server = subprocess.Popen([sys.executable, str(Path(__file__).with_name("rasa_like_server.py")), str(port)],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if fetch(port, "GET", "/version")[0] == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the server did not start: {server.stderr.read() if server.stderr else ''}")
            time.sleep(0.2)
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


async def _until_closed(reader: asyncio.StreamReader, began: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and when it closed it."""
    answer = b""
    try:
        while chunk := await asyncio.wait_for(reader.read(4096), WAIT):
            answer += chunk
    except asyncio.TimeoutError:
        return answer, float("inf")
    except ConnectionError:  # reset: a byte we trickled reached a socket the server had closed
        pass
    return answer, time.monotonic() - began


async def bodiless_post(port: int) -> tuple[bytes, float]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /webhooks/rest/webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 1000\r\n\r\n")
    await writer.drain()
    try:
        return await _until_closed(reader, time.monotonic())
    finally:
        writer.close()


async def trickle(port: int, first: bytes, then: bytes, every: float = 0.5) -> tuple[bytes, float]:
    """Send `first` at once (a whole request, or the start of one), then `then` one byte every `every` s."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(first)
    await writer.drain()
    if first.endswith(b"\r\n\r\n") and b"Content-Length" not in first:  # a whole request: take its answer
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
        await asyncio.wait_for(reader.read(4096), WAIT)
    began = time.monotonic()
    closed = asyncio.ensure_future(_until_closed(reader, began))
    try:
        for byte in then:
            if closed.done():
                break
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(every)
    except ConnectionError:
        pass
    try:
        return await asyncio.wait_for(closed, WAIT)
    finally:
        writer.close()


def test_a_post_whose_body_never_comes_gets_408_and_is_closed(rasa_port):
    answers = asyncio.run(_all(bodiless_post(rasa_port) for _ in range(20)))
    for answer, seconds in answers:
        assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
        assert seconds <= TIMEOUT * 1.5, seconds


def test_headers_a_body_or_a_second_request_trickling_in_are_cut_off_at_the_deadline(rasa_port):
    slow_headers = trickle(rasa_port, b"POST /webhooks/rest/webhook HTTP/1.1\r\nHost: x\r\n", b"X-Pad: " + b"a" * 60)
    slow_body = trickle(rasa_port, b"POST /webhooks/rest/webhook HTTP/1.1\r\nHost: x\r\n"
                                   b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n", b" " * 60)
    kept_alive = trickle(rasa_port, b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n",
                         b"GET /version HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 60)
    results = asyncio.run(_all([slow_headers, slow_body, kept_alive]))
    for name, (answer, seconds) in zip(("headers", "body", "keep-alive"), results, strict=True):
        assert seconds <= TIMEOUT * 1.5 + 0.6, (name, seconds, answer[:80])  # one trickled byte late at most
        assert answer.startswith(b"HTTP/1.1 408"), (name, answer[:80])


def test_a_normal_request_is_still_answered(rasa_port):
    status, _, body = fetch(rasa_port, "POST", "/webhooks/rest/webhook", '{"sender": "t", "message": "你好"}'.encode(),
                            {"Content-Type": "application/json"})
    assert status == 200 and json.loads(body)[0]["text"] == "好的"


def test_rasas_idle_connections_are_closed_sooner_than_its_default(monkeypatch):
    """KEEP_ALIVE_TIMEOUT: Rasa's 120 s lowered to BANDIAN_RASA_KEEP_ALIVE_TIMEOUT (20 s), not raised."""
    from boundary_helpers import rest_app, serve_sanic

    for configured, rasa_default, expected in ((None, 120, 20), ("7", 120, 7), ("300", 120, 120)):
        if configured is None:
            monkeypatch.delenv("BANDIAN_RASA_KEEP_ALIVE_TIMEOUT", raising=False)
        else:
            monkeypatch.setenv("BANDIAN_RASA_KEEP_ALIVE_TIMEOUT", configured)
        install(None)  # a Rasa started now reads this environment
        app = rest_app([])
        app.config.KEEP_ALIVE_TIMEOUT = rasa_default
        asyncio.run(serve_sanic(app, lambda port: None))
        assert (configured, app.config.KEEP_ALIVE_TIMEOUT) == (configured, expected)


async def _all(probes):  # type: ignore[no-untyped-def]
    return await asyncio.gather(*probes)
