"""The web chat's JSON API: messages go to Rasa's REST channel, except during a live handoff.

POST /api/session   {}                                            → {"session"} (a new conversation)
POST /api/chat      {"session", "message", "display"?, "silent"?} → {"replies", "handoff", "queue"?}
POST /api/feedback  {"session", "exchange_id", "rating": 1 | -1}   → {"ok": true}
GET  /api/updates   ?session=&after=                               → {"messages", "handoff", "queue"}
POST /api/leave     {"session"}                                    → {"ok": true} (closes an open handoff)

Session ids are issued by the server (bot/senders.py: random, signed, checked by any replica without a
database); a well-formed id the server did not issue gets 403 {"error", "renew": true} and the page asks for
a new one. The conversation's Rasa sender id is `web:<session>`. Each client address gets BANDIAN_CHAT_RATE
messages, BANDIAN_SESSION_RATE new sessions and BANDIAN_HANDOFF_RATE queued 转人工 requests (429 with
Retry-After, or a polite reply for a handoff), and BANDIAN_UPDATES_RATE polls, BANDIAN_FEEDBACK_RATE ratings and
BANDIAN_LEAVE_RATE new conversations (an IPv6 client counts as its /64: bot/limits.py).

What is recorded (the exchange, and what an agent sees during a handoff) is what Rasa was sent: `silent` is
honoured only for the page's greeting (`/greet`, not recorded; held like any message while a handoff is
open), and `display` (a button's title) only for a button payload (`/intent…`), recorded as
"title（payload）"; for any other message the text sent is the text recorded. The contact name the booking
form took in the conversation is masked in the stored exchange (the REST channel hands it over sealed:
bot/trust.py NAMES_HEADER).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any, TypeGuard

import aiohttp
from aiohttp import web

from bot.booking.sealed import fernet
from bot.feedback.store import rate, record_exchange
from bot.limits import TOO_MANY, Rate, RateLimiter, retry_after
from bot.livechat.store import (
    Routed,
    close_open_handoff,
    customer_left,
    customer_message,
    open_handoff,
    outbox_after,
    remember_target,
    waiting_ahead,
)
from bot.masking import mask_names
from bot.orders.store import conversation_key
from bot.senders import WebSessions, session_key, web_sender
from bot.trust import NAMES_HEADER, forward_headers, open_names, trust_key
from bot.untrusted import ascii_int, has_lone_surrogate
from bot.web.context import WebContext, client_address, web_context

logger = logging.getLogger(__name__)
INDEX = Path(__file__).resolve().parent / "static" / "chat" / "index.html"
MAX_MESSAGE_CHARS = 2000
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
RASA_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=5)
CHANNEL = "web"
BUSY = "助手暂时无法回复，请稍后再试；紧急情况请拨打 95598。"
RENEW = "会话已失效，请刷新页面后重试"
HANDOFF_TOO_MANY = "转人工的请求太频繁了，请稍后再试；紧急情况请拨打 95598。"
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


def add_chat_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_post("/api/session", new_session)
    app.router.add_post("/api/chat", chat)
    app.router.add_post("/api/feedback", feedback)
    app.router.add_get("/api/updates", updates)
    app.router.add_post("/api/leave", leave)
    app.cleanup_ctx.append(_rasa_client)


async def _rasa_client(app: web.Application):
    web_context(app).extras["http"] = aiohttp.ClientSession(timeout=RASA_TIMEOUT)
    yield
    await web_context(app).extras.pop("http").close()


async def index(_request: web.Request) -> web.FileResponse:
    return web.FileResponse(INDEX, headers={"Cache-Control": "no-cache"})


def conversation_of(session: str) -> str:
    """The conversation key of a web chat session (its Rasa sender id is `web:<session>`)."""
    return conversation_key(web_sender(session))


async def _sessions(context: WebContext) -> WebSessions:
    if "web_sessions" not in context.extras:  # the key file is read once, in a thread
        context.extras["web_sessions"] = WebSessions(await asyncio.to_thread(session_key, context.settings))
    return context.extras["web_sessions"]


def _limiter(context: WebContext, name: str) -> RateLimiter:
    """The app's token buckets for `name` (chat_rate, session_rate, handoff_rate, updates_rate, feedback_rate,
    leave_rate of the settings)."""
    key = f"limiter:{name}"
    if key not in context.extras:
        settings = context.settings
        context.extras[key] = RateLimiter(Rate.parse(getattr(settings, name)),
                                          limit_loopback=settings.rate_limit_loopback)
    return context.extras[key]


def _too_many(wait: float) -> web.Response:
    response = _error(TOO_MANY, 429)
    response.headers["Retry-After"] = retry_after(wait)
    return response


async def _unknown(context: WebContext, session: str) -> web.Response | None:
    """403 with `renew` for a session id this server did not issue (e.g. another channel's id)."""
    if (await _sessions(context)).valid(session):
        return None
    return _respond({"error": RENEW, "renew": True}, status=403)


async def new_session(request: web.Request) -> web.Response:
    context = web_context(request)
    wait = _limiter(context, "session_rate").take(client_address(request))
    if wait is not None:
        return _too_many(wait)
    return _respond({"session": (await _sessions(context)).issue()})


async def chat(request: web.Request) -> web.Response:
    context = web_context(request)
    wait = _limiter(context, "chat_rate").take(client_address(request))
    if wait is not None:
        return _too_many(wait)
    try:
        asked = parse_chat(await _json(request))
    except BadInput as error:
        return _error(str(error), 400)
    if (unknown := await _unknown(context, asked.session)) is not None:
        return unknown
    conversation = conversation_of(asked.session)
    routed = await context.run_db(lambda s: _route(s, context, conversation, asked))
    if routed.held:
        return _respond({"replies": [], "handoff": routed.handoff})
    names: list[str] = []  # the conversation's contact names, as the REST channel reports them
    try:
        messages = await ask_rasa(context, asked, client_address(request), names)
    except (aiohttp.ClientError, TimeoutError, ValueError):
        logger.warning("Rasa did not answer (conversation %s)", conversation[:8])
        return _error(BUSY, 502)
    replies = [_reply(message) for message in messages if message.get("text")]
    if routed.notice:
        replies.insert(0, {"id": None, "text": routed.notice, "buttons": []})
    record = bool(replies) and not asked.silent
    answer = "\n".join(reply["text"] for reply in replies)

    def finish(session: Any) -> tuple[str, int | None]:  # one database call: the exchange (with its id), the handoff
        if record:
            replies[-1]["id"] = record_exchange(session, conversation=conversation, channel=CHANNEL,
                                                question=mask_names(asked.display, names), answer=answer,
                                                now=context.now())
        return handoff_state(session, conversation), waiting_ahead(session, conversation)

    state, ahead = await context.run_db(finish)
    if state != "none" and _limiter(context, "handoff_rate").take(client_address(request)) is not None:
        # this message queued a handoff (none was open before it), one too many from this client
        await context.run_db(lambda s: close_open_handoff(s, conversation, context.now(), "too_many"))
        replies, state, ahead = [{"id": None, "text": HANDOFF_TOO_MANY, "buttons": []}], "none", None
    return _respond({"replies": replies, "handoff": state, "queue": ahead})


def _route(session: Any, context: WebContext, conversation: str, asked: ChatRequest) -> Routed:
    remember_target(session, conversation, CHANNEL, "", context.now())
    if asked.silent:  # the greeting: not for an agent, and not answered by the bot while one is in charge
        row = open_handoff(session, conversation)
        return Routed(held=False) if row is None else Routed(held=True, handoff=str(row.status))
    return customer_message(session, conversation, asked.display, context.now())


async def ask_rasa(context: WebContext, asked: ChatRequest, address: str = "",
                   names: list[str] | None = None) -> list[dict[str, Any]]:
    """Rasa's answer to the message; `names` gets the conversation's contact names (NAMES_HEADER), if any."""
    sender = web_sender(asked.session)  # the REST channel takes `web:` only with a session id we issued
    payload = {"sender": sender, "message": asked.message, "input_channel": CHANNEL}
    url = f"{context.settings.rasa_url}/webhooks/rest/webhook"
    if "trust_key" not in context.extras:  # the user's address, signed for the REST channel (bot/trust.py)
        context.extras["trust_key"] = await asyncio.to_thread(trust_key, context.settings)
    headers = forward_headers(context.extras["trust_key"], sender, address) if address else {}
    async with context.extras["http"].post(url, json=payload, headers=headers) as response:
        if response.status != 200:
            raise ValueError(f"Rasa answered {response.status}")
        body = await response.json(content_type=None)
        sealed = response.headers.get(NAMES_HEADER)
    if sealed and names is not None:
        if "names_box" not in context.extras:
            context.extras["names_box"] = await asyncio.to_thread(fernet, context.settings)
        names.extend(open_names(sealed, context.extras["names_box"]))
    if not isinstance(body, list):
        raise ValueError("Rasa answered something other than a list")
    return [message for message in body if isinstance(message, dict)]


def _reply(message: dict[str, Any]) -> dict[str, Any]:
    buttons = [{"title": str(button.get("title", "")), "payload": str(button.get("payload", ""))}
               for button in message.get("buttons") or [] if isinstance(button, dict)]
    return {"id": None, "text": str(message["text"]), "buttons": buttons}


async def feedback(request: web.Request) -> web.Response:
    context = web_context(request)
    if (wait := _limiter(context, "feedback_rate").take(client_address(request))) is not None:
        return _too_many(wait)
    body = await _json(request)
    session, exchange, rating = body.get("session"), body.get("exchange_id"), body.get("rating")
    if (not _valid_session(session) or type(exchange) is not int or not 0 < exchange < 2**63
            or rating not in (1, -1) or type(rating) is not int):
        return _error("评价参数不正确", 400)
    if (unknown := await _unknown(context, session)) is not None:
        return unknown
    conversation = conversation_of(session)
    stored = await context.run_db(lambda s: rate(s, exchange_id=exchange, conversation=conversation,
                                                 rating=rating, now=context.now()))
    return _respond({"ok": True}) if stored else _error("找不到这条回答", 404)


async def updates(request: web.Request) -> web.Response:
    context = web_context(request)
    if (wait := _limiter(context, "updates_rate").take(client_address(request))) is not None:
        return _too_many(wait)
    session, after = request.query.get("session", ""), request.query.get("after", "0")
    after_id = ascii_int(after, 12)
    if not _valid_session(session) or after_id is None:
        return _error("参数不正确", 400)
    if (unknown := await _unknown(context, session)) is not None:
        return unknown
    conversation = conversation_of(session)

    def read(db: Any) -> dict[str, Any]:
        messages = [{"id": row.id, "kind": row.kind, "text": row.text,
                     "at": _utc(row.created_at).isoformat(timespec="seconds")}  # with its offset
                    for row in outbox_after(db, conversation, after_id)]
        # queue: customers ahead while the handoff waits (the status line shows it), else null
        return {"messages": messages, "handoff": handoff_state(db, conversation),
                "queue": waiting_ahead(db, conversation)}

    return _respond(await context.run_db(read))


async def leave(request: web.Request) -> web.Response:
    context = web_context(request)
    if (wait := _limiter(context, "leave_rate").take(client_address(request))) is not None:
        return _too_many(wait)
    session = (await _json(request)).get("session")
    if not _valid_session(session):
        return _error("会话标识无效", 400)
    if (unknown := await _unknown(context, session)) is not None:
        return unknown
    conversation = conversation_of(session)
    await context.run_db(lambda s: customer_left(s, conversation, context.now()))
    return _respond({"ok": True})  # the same answer whether or not a handoff was open


def _utc(moment: datetime) -> datetime:
    """The live-chat tables keep naive UTC (bot/livechat/store.py `clock`)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def handoff_state(session: Any, conversation: str) -> str:
    """The open handoff's status ("waiting", "active") or "none"."""
    row = open_handoff(session, conversation)
    return str(row.status) if row is not None else "none"


def parse_chat(body: dict[str, Any]) -> ChatRequest:
    session, message, display = body.get("session"), body.get("message"), body.get("display")
    if not _valid_session(session):
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


def _valid_session(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and SESSION_ID.fullmatch(value) is not None


async def _json(request: web.Request) -> dict[str, Any]:
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


def _respond(data: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=partial(json.dumps, ensure_ascii=False))


def _error(message: str, status: int) -> web.Response:
    return _respond({"error": message}, status=status)
