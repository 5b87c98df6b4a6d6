"""Who is asking: the signed session cookie, same-origin and CSRF checks, and handler guards.

`page` (HTML GET: redirect to the login form), `api` (JSON GET: 401) and `action` (POST: 403 for a
cross-site Origin/Referer, 401 without a session, 403 without the session's CSRF token) all pass
the logged-in `Agent` to the handler and mark the agent present for the live-chat queue. A posted
body that cannot be read as a form (multipart without a boundary, a bad charset) is refused with 400.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

from aiohttp import web
from sqlalchemy.orm import Session

from bot.limits import is_trusted_proxy
from bot.livechat.store import mark_present
from bot.web.console.accounts import active_user, session_revoked
from bot.web.console.forms import posted_form
from bot.web.console.passwords import fingerprint
from bot.web.console.state import console_of
from bot.web.context import web_context

SESSION_COOKIE = "bandian_console"
PATH = "/agent"
SESSION_HOURS = 8
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

Response = web.StreamResponse
AgentHandler = Callable[[web.Request, "Agent"], Awaitable[Response]]
Handler = Callable[[web.Request], Awaitable[Response]]


@dataclass(frozen=True)
class Agent:
    name: str
    role: str
    csrf: str  # random per session: also the session's identity (logout revokes it)
    expires_at: datetime


def over_https(request: web.Request) -> bool:
    """Whether the browser reached us over HTTPS: directly, or (only behind our own proxy,
    BANDIAN_TRUST_PROXY, for a request from it: BANDIAN_TRUSTED_PROXIES) as the proxy reports in X-Forwarded-Proto."""
    if request.secure:
        return True
    settings = web_context(request).settings
    if not settings.trust_proxy or not is_trusted_proxy(request.remote, settings.trusted_proxies):
        return False
    return request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower() == "https"


def cookie_options(request: web.Request, max_age: int | None) -> dict[str, object]:
    secure = web_context(request).settings.cookie_secure or over_https(request)
    return {"path": PATH, "httponly": True, "samesite": "Strict", "max_age": max_age, "secure": secure or None}


def start_session(request: web.Request, response: web.StreamResponse, name: str, version: str) -> None:
    now = web_context(request).now()
    payload = {"user": name, "exp": int((now + timedelta(hours=SESSION_HOURS)).timestamp()),
               "csrf": secrets.token_urlsafe(24), "pv": version}
    value = console_of(request).sign().sign("session", payload)
    response.set_cookie(SESSION_COOKIE, value, **cookie_options(request, SESSION_HOURS * 3600))  # type: ignore[arg-type]


def end_session(response: web.StreamResponse) -> None:
    response.del_cookie(SESSION_COOKIE, path=PATH)


def _payload(request: web.Request) -> dict[str, object] | None:
    now = web_context(request).now().timestamp()
    return console_of(request).sign().unsign("session", request.cookies.get(SESSION_COOKIE), now)


async def current_agent(request: web.Request, present: bool = True) -> Agent | None:
    """The logged-in agent (still active, password unchanged since login, not logged out), marked present."""
    payload = _payload(request)
    if payload is None or not isinstance(payload.get("user"), str) or not isinstance(payload.get("csrf"), str):
        return None
    name, csrf, version = str(payload["user"]), str(payload["csrf"]), payload.get("pv")
    expires_at = datetime.fromtimestamp(float(payload["exp"]))  # type: ignore[arg-type]  # a number: unsign checked it
    context = web_context(request)
    now = context.now()

    def check(session: Session) -> Agent | None:
        user = active_user(session, name)
        if user is None or fingerprint(user.password_hash) != version or session_revoked(session, csrf):
            return None
        if present:
            mark_present(session, user.name, now)
        return Agent(user.name, user.role, csrf, expires_at)

    return await context.run_db(check)


def same_origin(request: web.Request) -> bool:
    """Origin (else Referer), when the browser sent one, must name this host; `null` never does."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        return True
    parts = urlsplit(source)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    if web_context(request).settings.cookie_secure and parts.scheme != "https":
        return False
    return parts.netloc.lower() == request.host.lower()


async def posted_token(request: web.Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    value = (await posted_form(request)).get(CSRF_FIELD)
    return value if isinstance(value, str) else ""


def token_matches(given: str, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def wants_json(request: web.Request) -> bool:
    return request.path.startswith(f"{PATH}/api/") or "application/json" in request.headers.get("Accept", "")


def refusal(request: web.Request, status: int, message: str) -> web.Response:
    if wants_json(request):
        return web.json_response({"error": message, "login": f"{PATH}/login"}, status=status,
                                 headers={"Cache-Control": "no-store"})
    body = (f"<!doctype html><meta charset=utf-8><title>{status}</title>"
            f"<p class=flash>{message}</p><p><a href=\"{PATH}/login\">登录控制台</a></p>")
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-store"})


def login_url(request: web.Request) -> str:
    return f"{PATH}/login?next={quote(request.path_qs, safe='/')}"


def page(handler: AgentHandler) -> Handler:
    @functools.wraps(handler)
    async def guarded(request: web.Request) -> Response:
        agent = await current_agent(request)
        if agent is None:
            raise web.HTTPFound(login_url(request), headers={"Cache-Control": "no-store"})
        return await handler(request, agent)
    return guarded


def api(handler: AgentHandler) -> Handler:
    @functools.wraps(handler)
    async def guarded(request: web.Request) -> Response:
        agent = await current_agent(request)
        if agent is None:
            return refusal(request, 401, "登录已过期，请重新登录")
        return await handler(request, agent)
    return guarded


def action(handler: AgentHandler) -> Handler:
    @functools.wraps(handler)
    async def guarded(request: web.Request) -> Response:
        if not same_origin(request):
            return refusal(request, 403, "请求来源不被允许")
        agent = await current_agent(request)
        if agent is None:
            return refusal(request, 401, "登录已过期，请重新登录")
        if not token_matches(await posted_token(request), agent.csrf):
            return refusal(request, 403, "页面已过期，请刷新后重试")
        return await handler(request, agent)
    return guarded


def now_of(request: web.Request) -> datetime:
    return web_context(request).now()
