"""Rendering pages, and one-shot flash messages carried across a redirect in a signed cookie."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.web.console.auth import PATH, Agent, cookie_options
from bot.web.console.roles import allowed, role_name
from bot.web.console.state import console_of
from bot.web.context import web_context

FLASH_COOKIE = "bandian_console_flash"
FLASH_SECONDS = 120
NAV = (("lookup", "政策查询", PATH), ("orders", "工单", f"{PATH}/orders"),
       ("handoffs", "转人工", f"{PATH}/handoffs"), ("callbacks", "回电", f"{PATH}/callbacks"),
       ("feedback", "反馈", f"{PATH}/feedback"),
       ("dashboard", "统计", f"{PATH}/dashboard"))
Flash = tuple[str, str]  # (kind: ok | error, text)


def _flashes(request: web.Request) -> list[Flash]:
    now = web_context(request).now().timestamp()
    payload = console_of(request).sign().unsign("flash", request.cookies.get(FLASH_COOKIE), now)
    if payload is None:
        return []
    return [(str(kind), str(text)) for kind, text in payload.get("m", [])]


def render(request: web.Request, template: str, agent: Agent | None, *, status: int = 200,
           messages: tuple[Flash, ...] = (), **values: Any) -> web.Response:
    console = console_of(request)
    flashes = [*_flashes(request), *messages]
    values.setdefault("active", "")
    values.setdefault("scripts", ())  # page scripts under /static/console/, after console.js
    html = console.templates.get_template(template).render(
        agent=agent, csrf=agent.csrf if agent else "", flashes=flashes, nav=NAV, base=PATH,
        version=console.static_version, may=allowed, role_name=role_name, **values)
    response = web.Response(text=html, status=status, content_type="text/html", charset="utf-8",
                            headers={"Cache-Control": "no-store"})
    if FLASH_COOKIE in request.cookies:
        response.del_cookie(FLASH_COOKIE, path=PATH)
    return response


def redirect(request: web.Request, location: str, message: str | None = None, kind: str = "ok") -> web.HTTPSeeOther:
    """A 303 redirect after a POST, with a message for the next page (raise it)."""
    found = web.HTTPSeeOther(location, headers={"Cache-Control": "no-store"})
    if message:
        exp = int(web_context(request).now().timestamp()) + FLASH_SECONDS
        value = console_of(request).sign().sign("flash", {"m": [[kind, message]], "exp": exp})
        found.set_cookie(FLASH_COOKIE, value, **cookie_options(request, FLASH_SECONDS))  # type: ignore[arg-type]
    return found
