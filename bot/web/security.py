"""Headers every page gets, and turning unexpected errors into a polite JSON/HTML answer."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping

from aiohttp import web
from sqlalchemy.exc import DisconnectionError, OperationalError

logger = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

RETRY_AFTER_SECONDS = 10  # a database outage answers 503 with this hint
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as error:
        _harden(error.headers)
        raise
    except (OperationalError, DisconnectionError):  # the database is unreachable, locked too long, full
        logger.exception("database unavailable on %s %s", request.method, request.path)
        response = _internal_error(request, status=503)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    except Exception:  # never a stack trace to the user
        logger.exception("unhandled error on %s %s", request.method, request.path)
        response = _internal_error(request)
    _harden(response.headers)
    if request.path.startswith("/static/"):  # no version in the URLs: revalidate, so a deploy is seen at once
        response.headers["Cache-Control"] = "no-cache"
    return response


def _harden(headers: MutableMapping[str, str]) -> None:
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")


def _internal_error(request: web.Request, status: int = 500) -> web.Response:
    message = "系统繁忙，请稍后再试；紧急情况请拨打 95598。"
    if request.path.startswith("/api/") or "json" in request.headers.get("Accept", ""):
        return web.json_response({"error": message}, status=status)
    return web.Response(text=message, status=status, content_type="text/plain", charset="utf-8")
