"""Read timeouts for the web app. aiohttp waits for a request's headers and body as long as a client likes,
so a few slow clients (sending a byte now and then) can hold every connection the server has.

- headers: a connection whose first request's headers have not all arrived `read_timeout` seconds after it
  was opened is closed (`TimedAppRunner`); between requests on a kept-alive connection, aiohttp's own
  keep-alive timeout (set to the same value) closes a connection that does not complete the next request;
- body: `read_body` reads a request's body within `read_timeout` seconds, else 408 (multipart bodies,
  which aiohttp parses as a stream, are left to the handler).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from bot.web.context import web_context
from bot.web.security import Handler

logger = logging.getLogger(__name__)
SLOW = "请求发送太慢，连接已超时，请重试。"
TOO_LARGE = "消息太长了，请精简后再发送"


def _handled_a_request(handler: RequestHandler) -> bool:
    return getattr(handler, "_request_count", 1) > 0  # (read defensively: a private counter of aiohttp's)


class _TimedServer:
    """aiohttp's protocol factory, arming a header timeout on each new connection.

    Closing a slow connection logs nothing by itself: a summary line at most once a minute counts them
    (a flood of slow clients must not flood the log; `force_close` closes the transport and forgets it,
    so nothing more is called on it: red team round 1, F5)."""

    SUMMARY_SECONDS = 60.0

    def __init__(self, server: web.Server, timeout: float) -> None:
        self._server, self._timeout = server, timeout
        self._closed, self._since = 0, 0.0

    def __call__(self) -> RequestHandler:
        handler = self._server()
        asyncio.get_running_loop().call_later(self._timeout, self._check, handler)
        return handler

    def _check(self, handler: RequestHandler) -> None:
        if handler.transport is not None and not _handled_a_request(handler):
            handler.force_close()  # closes the transport (and sets it to None)
            self._count_closed(asyncio.get_running_loop().time())

    def _count_closed(self, now: float) -> None:
        self._closed += 1
        if now - self._since >= self.SUMMARY_SECONDS:
            logger.info("closed %d connection(s) whose request headers did not arrive within %gs",
                        self._closed, self._timeout)
            self._closed, self._since = 0, now

    def __getattr__(self, name: str) -> Any:  # everything else is the server's
        return getattr(self._server, name)


class TimedAppRunner(web.AppRunner):
    def __init__(self, app: web.Application, *, read_timeout: float, **kwargs: Any) -> None:
        super().__init__(app, keepalive_timeout=read_timeout, **kwargs)
        self._read_timeout = read_timeout

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        return _TimedServer(server, self._read_timeout)  # type: ignore[return-value]


async def serve(app: web.Application, host: str, port: int, read_timeout: float) -> None:
    """Serve until SIGINT or SIGTERM (as web.run_app does), with the read timeouts."""
    runner = TimedAppRunner(app, read_timeout=read_timeout, access_log=None)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await web.TCPSite(runner, host, port).start()
        await stop.wait()
    finally:
        await runner.cleanup()


@web.middleware
async def read_body(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Read the body within the read timeout (handlers then get it from aiohttp's cache)."""
    if request.body_exists and not request.content_type.startswith("multipart/"):
        timeout = web_context(request).settings.web_read_timeout
        try:
            await asyncio.wait_for(request.read(), timeout)
        except asyncio.TimeoutError:
            raise _error(web.HTTPRequestTimeout, request, SLOW) from None
        except web.HTTPRequestEntityTooLarge:
            if request.path.startswith("/api/"):
                raise _error(web.HTTPRequestEntityTooLarge, request, TOO_LARGE, max_size=0, actual_size=0) from None
            raise
    return await handler(request)


def _error(kind: Any, request: web.Request, message: str, **kwargs: Any) -> web.HTTPException:
    if request.path.startswith("/api/"):
        return kind(text=json.dumps({"error": message}, ensure_ascii=False), content_type="application/json", **kwargs)
    return kind(text=message, content_type="text/plain", **kwargs)
