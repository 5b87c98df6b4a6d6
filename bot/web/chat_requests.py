"""The web chat API's requests and answers (bot/web/chat.py): reading a request's JSON body, checking a chat
message (session id, length, characters, `silent` and `display`), and the JSON answers, errors included."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeGuard

from aiohttp import web

from bot.limits import TOO_MANY, retry_after
from bot.untrusted import has_lone_surrogate

MAX_MESSAGE_CHARS = 2000
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
GREETING = "/greet"  # the page's hello on a first visit: the only message that may be `silent`
MAX_TITLE_CHARS = 40  # a button title recorded with its payload


class BadInput(ValueError):
    """A request the page should never send: answered 400 with a polite reason."""


@dataclass(frozen=True)
class ChatRequest:
    session: str
    message: str  # what Rasa is sent
    display: str  # what is recorded and shown to an agent (`recorded_text`)
    silent: bool  # the greeting only


def parse_chat(body: dict[str, Any]) -> ChatRequest:
    session, message, display = body.get("session"), body.get("message"), body.get("display")
    if not valid_session(session):
        raise BadInput("会话标识无效，请刷新页面后重试")
    if not isinstance(message, str) or not message.strip():
        raise BadInput("请输入您要咨询的问题")
    if len(message) > MAX_MESSAGE_CHARS:
        raise BadInput(f"消息太长了（最多 {MAX_MESSAGE_CHARS} 字），请精简后再发送")
    if display is not None and (not isinstance(display, str) or len(display) > MAX_MESSAGE_CHARS):
        raise BadInput("按钮文字不正确")
    if has_lone_surrogate(message) or has_lone_surrogate(display or ""):  # valid JSON, but no store takes it
        raise BadInput("消息里有无法识别的字符，请重新输入")
    message = message.strip()
    silent = body.get("silent") is True and message == GREETING
    return ChatRequest(session, message, recorded_text(message, display), silent)


def recorded_text(message: str, display: str | None) -> str:
    """What is recorded and shown to an agent for a message: the message itself; for a button payload
    ("/affirm") with its title, "确认提交（/affirm）" (the title alone could say anything: red team round 1, F8)."""
    title = (display or "").strip()[:MAX_TITLE_CHARS]
    if not message.startswith("/") or not title or title == message:
        return message
    return f"{title}（{message}）"


def valid_session(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and SESSION_ID.fullmatch(value) is not None


async def read_json(request: web.Request) -> dict[str, Any]:
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge as error:
        raise web.HTTPRequestEntityTooLarge(max_size=0, actual_size=0, text=_error_text("消息太长了，请精简后再发送"),
                                            content_type="application/json") from error
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: absurdly nested JSON
        body = None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text=_error_text("请求格式不正确（应为 JSON 对象）"), content_type="application/json")
    return body


def _error_text(message: str) -> str:
    return json.dumps({"error": message}, ensure_ascii=False)


def respond(data: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=partial(json.dumps, ensure_ascii=False))


def error_response(message: str, status: int) -> web.Response:
    return respond({"error": message}, status=status)


def too_many(wait: float) -> web.Response:
    response = error_response(TOO_MANY, 429)
    response.headers["Retry-After"] = retry_after(wait)
    return response
