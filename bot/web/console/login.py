"""Logging in and out of the console (with a pre-login CSRF token and a failed-login limit)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from aiohttp import web
from sqlalchemy.orm import Session

from bot.feedback.store import audit
from bot.limits import client_bucket
from bot.livechat.models import AgentPresence
from bot.livechat.store import mark_present
from bot.web.console.accounts import LOGIN_MAX_FAILURES, LOGIN_WINDOW, attempt_login, revoke_session
from bot.web.console.auth import (
    CSRF_FIELD,
    PATH,
    Agent,
    action,
    cookie_options,
    current_agent,
    end_session,
    same_origin,
    start_session,
    token_matches,
)
from bot.web.console.forms import posted_form
from bot.web.console.render import redirect, render
from bot.web.console.state import console_of
from bot.web.context import client_address, web_context

LOGIN_COOKIE = "bandian_console_login"
LOGIN_FORM_SECONDS = 3600


def safe_next(value: str | None) -> str:
    """Only a console path of this site (never //host or another scheme)."""
    if value and value.startswith(PATH) and not value.startswith("//") and "\\" not in value:
        return value
    return PATH


def failed_message(remaining: int | None) -> str:
    minutes = int(LOGIN_WINDOW / timedelta(minutes=1))
    if remaining is None:
        return "用户名或密码不正确。"
    if remaining <= 0:
        return f"用户名或密码不正确。失败次数已达上限，登录已暂停 {minutes} 分钟。"
    return f"用户名或密码不正确。还可以再试 {remaining} 次，之后将暂停登录 {minutes} 分钟。"


def _form(request: web.Request, *, status: int = 200, message: str | None = None, name: str = "",
          next_url: str = PATH) -> web.Response:
    token = secrets.token_urlsafe(24)
    exp = int(web_context(request).now().timestamp()) + LOGIN_FORM_SECONDS
    response = render(request, "login.html", None, status=status, login_token=token, username=name,
                      next_url=next_url, messages=(("error", message),) if message else (),
                      max_failures=LOGIN_MAX_FAILURES, window_minutes=int(LOGIN_WINDOW / timedelta(minutes=1)))
    value = console_of(request).sign().sign("login", {"csrf": token, "exp": exp})
    response.set_cookie(LOGIN_COOKIE, value, **cookie_options(request, LOGIN_FORM_SECONDS))  # type: ignore[arg-type]
    return response


async def login_form(request: web.Request) -> web.StreamResponse:
    next_url = safe_next(request.query.get("next"))
    if await current_agent(request, present=False) is not None:
        raise web.HTTPFound(next_url)
    return _form(request, next_url=next_url)


async def login(request: web.Request) -> web.StreamResponse:
    context = web_context(request)
    form = await posted_form(request)
    name = str(form.get("username", "")).strip()[:64]
    password = str(form.get("password", ""))[:256]
    next_url = safe_next(str(form.get("next", "")))
    issued = console_of(request).sign().unsign("login", request.cookies.get(LOGIN_COOKIE), context.now().timestamp())
    if not same_origin(request) or issued is None or not token_matches(str(form.get(CSRF_FIELD, "")),
                                                                           str(issued.get("csrf", ""))):
        return _form(request, status=403, message="登录页面已过期，请重新输入。", name=name, next_url=next_url)
    if not name or not password:
        return _form(request, status=400, message="请输入用户名和密码。", name=name, next_url=next_url)
    now = context.now()
    address = client_address(request)
    counted = client_bucket(address)  # failures are counted per IPv4 address or IPv6 /64
    outcome = await context.run_db(lambda s: attempt_login(s, name, password, counted, now))
    if outcome.limited:
        minutes = int(LOGIN_WINDOW / timedelta(minutes=1))
        return _form(request, status=429, name=name, next_url=next_url,
                     message=f"登录失败次数过多，为保护账号安全已暂停登录，请 {minutes} 分钟后再试或联系管理员。")
    if outcome.user is None:
        return _form(request, status=401, message=failed_message(outcome.remaining), name=name, next_url=next_url)
    user_name = outcome.user

    def record(session: Session) -> None:
        mark_present(session, user_name, now)
        audit(session, actor=user_name, action="login", target=user_name, now=now, detail=address)

    await context.run_db(record)
    response = web.HTTPSeeOther(next_url, headers={"Cache-Control": "no-store"})
    start_session(request, response, user_name, outcome.version)
    response.del_cookie(LOGIN_COOKIE, path=PATH)
    raise response


@action
async def logout(request: web.Request, agent: Agent) -> web.StreamResponse:
    context = web_context(request)
    now = context.now()

    def leave(session: Session) -> None:
        row = session.get(AgentPresence, agent.name)
        if row is not None:
            session.delete(row)
        revoke_session(session, agent.csrf, agent.expires_at, now)
        audit(session, actor=agent.name, action="logout", target=agent.name, now=now)

    await context.run_db(leave)
    response = redirect(request, f"{PATH}/login", "您已退出控制台。")
    end_session(response)
    raise response
