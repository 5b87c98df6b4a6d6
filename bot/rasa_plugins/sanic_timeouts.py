"""A whole request to Rasa within REQUEST_TIMEOUT: headers and body, counted from the request's first byte.

Sanic 21.12 (Rasa 3.6's) has an idle timer, not a deadline: `HttpProtocol.data_received` sets `_time` on
every byte, and `check_timeouts` compares with it. So a client sending a header byte every 19 s is never
cut off (REQUEST_TIMEOUT 20 s), and a request body is read in the HANDLER stage, where only
RESPONSE_TIMEOUT applies (Rasa sets it to 3600 s): a POST that declares `Content-Length: 1000` and sends
nothing more held its connection for an hour, and a few thousand of those exhaust Rasa's descriptors.

`install()` changes two methods of `sanic.server.protocols.http_protocol.HttpProtocol` (neither is one of
Sanic's "touch-up" methods, which Sanic recompiles at start-up):

- `data_received` no longer refreshes `_time` while a request is arriving (stage REQUEST, or HANDLER
  while its body is still being read); the first byte of a request (stage IDLE) still does. So `_time` is
  when the request began, and REQUEST_TIMEOUT is a deadline for its headers and its body together;
- `check_timeouts` (Sanic's own, plus:) answers 408 and closes the connection when a body has not
  arrived within REQUEST_TIMEOUT of the request's first byte (or, when Sanic drains the rest of a body
  after its answer, within REQUEST_TIMEOUT of that answer), and checks every tenth of the shortest
  timeout, at most every second (Sanic checks every half of it: 10 s with Rasa's 20 s), so a slow
  request is cut within a second of its deadline.

Idle keep-alive connections keep Sanic's timer (KEEP_ALIVE_TIMEOUT from the last response; Rasa sets 120 s,
bot/rasa_plugins/rest.py lowers it to BANDIAN_RASA_KEEP_ALIVE_TIMEOUT). Streaming handlers, which read
their body themselves, would be held to the same deadline; Rasa's routes do not stream request bodies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from time import monotonic
from typing import Any

logger = logging.getLogger(__name__)
_installed = False


def _reading(http: Any, stage: Any) -> bool:
    """Whether the connection is receiving a request: its headers, a body the handler waits for, or the rest
    of a body Sanic drains after answering without it."""
    if http is None:
        return False
    if http.stage is stage.REQUEST:
        return True
    body = getattr(http, "request_body", None)  # (slots Sanic sets only once a request begins)
    if http.stage is stage.IDLE:
        return bool(body)
    return http.stage is stage.HANDLER and bool(body) and not getattr(http, "upgrade_websocket", False)


def install() -> None:
    """Idempotent. Only for Sanic 21.12 (what Rasa 3.6 pins); another version is left alone with a warning."""
    global _installed
    if _installed:
        return
    import sanic
    from sanic.exceptions import RequestTimeout, ServiceUnavailable
    from sanic.http import Stage
    from sanic.server.protocols.http_protocol import HttpProtocol

    if not str(getattr(sanic, "__version__", "")).startswith("21.12."):
        logger.warning("sanic %s: request deadlines not installed (written for 21.12)", sanic.__version__)
        _installed = True
        return
    received = HttpProtocol.data_received
    HttpProtocol.data_received = _data_received(received, Stage)  # type: ignore[method-assign, assignment]
    HttpProtocol.check_timeouts = _check_timeouts(Stage, RequestTimeout, ServiceUnavailable)  # type: ignore[method-assign]
    _installed = True


def _data_received(received: Callable[[Any, bytes], None], Stage: Any) -> Callable[[Any, bytes], None]:
    """Sanic's data_received, keeping a request's start time while the request arrives."""

    def data_received(self: Any, data: bytes) -> None:
        arriving = _reading(getattr(self, "_http", None), Stage)
        began = self._time
        received(self, data)
        if arriving:
            self._time = began  # a request's deadline runs from its first byte, not from its latest one

    return data_received


def _check_timeouts(Stage: Any, RequestTimeout: type[Exception],  # (Sanic's names)
                    ServiceUnavailable: type[Exception]) -> Callable[[Any], None]:
    """Sanic's check_timeouts with the deadline for a request's headers and body (the module's docstring)."""

    def check_timeouts(self: Any) -> None:
        """Sanic 21.12's check_timeouts, with the body's deadline and a finer interval."""
        try:
            if not self._task:
                return
            http = self._http
            duration = monotonic() - self._time
            stage = http.stage
            if stage is Stage.IDLE and duration > self.keep_alive_timeout:
                logger.debug("KeepAlive Timeout. Closing connection.")
            elif _reading(http, Stage) and duration > self.request_timeout:
                logger.debug("Request Timeout. Closing connection.")
                http.exception = RequestTimeout("Request Timeout")
                http.keep_alive = False
                http.request_body = None  # answer 408 and close: do not wait for the rest of the body
            elif stage is Stage.HANDLER and getattr(http, "upgrade_websocket", False):
                return
            elif stage in (Stage.HANDLER, Stage.RESPONSE, Stage.FAILED) and duration > self.response_timeout:
                logger.debug("Response Timeout. Closing connection.")
                http.exception = ServiceUnavailable("Response Timeout")
            else:
                shortest = min(self.keep_alive_timeout, self.request_timeout, self.response_timeout)
                self.loop.call_later(min(max(0.1, shortest / 10), 1.0), self.check_timeouts)
                return
            self._task.cancel()
        except Exception:
            logger.exception("protocol.check_timeouts")

    return check_timeouts


def installed() -> bool:
    return _installed
