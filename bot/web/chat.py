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
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.feedback.store import rate, record_exchange
from bot.limits import Rate, RateLimiter
from bot.livechat.outbox import outbox_after, remember_target
from bot.livechat.store import Routed, close_open_handoff, customer_left, customer_message, open_handoff, waiting_ahead
from bot.masking import mask_names
from bot.orders.store import conversation_key
from bot.senders import WebSessions, session_key, web_sender
from bot.untrusted import ascii_int
from bot.web.chat_rasa import CHANNEL, ask_rasa, chat_reply, rasa_client
from bot.web.chat_requests import (
    BadInput,
    ChatRequest,
    error_response,
    parse_chat,
    read_json,
    respond,
    too_many,
    valid_session,
)
from bot.web.context import WebContext, client_address, web_context

logger = logging.getLogger(__name__)
INDEX = Path(__file__).resolve().parent / "static" / "chat" / "index.html"
BUSY = "助手暂时无法回复，请稍后再试；紧急情况请拨打 95598。"
RENEW = "会话已失效，请刷新页面后重试"
HANDOFF_TOO_MANY = "转人工的请求太频繁了，请稍后再试；紧急情况请拨打 95598。"


def add_chat_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_post("/api/session", new_session)
    app.router.add_post("/api/chat", chat)
    app.router.add_post("/api/feedback", feedback)
    app.router.add_get("/api/updates", updates)
    app.router.add_post("/api/leave", leave)
    app.cleanup_ctx.append(rasa_client)


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


async def _unknown(context: WebContext, session: str) -> web.Response | None:
    """403 with `renew` for a session id this server did not issue (e.g. another channel's id)."""
    if (await _sessions(context)).valid(session):
        return None
    return respond({"error": RENEW, "renew": True}, status=403)


async def new_session(request: web.Request) -> web.Response:
    context = web_context(request)
    wait = _limiter(context, "session_rate").take(client_address(request))
    if wait is not None:
        return too_many(wait)
    return respond({"session": (await _sessions(context)).issue()})


async def chat(request: web.Request) -> web.Response:
    context = web_context(request)
    wait = _limiter(context, "chat_rate").take(client_address(request))
    if wait is not None:
        return too_many(wait)
    try:
        asked = parse_chat(await read_json(request))
    except BadInput as error:
        return error_response(str(error), 400)
    if (unknown := await _unknown(context, asked.session)) is not None:
        return unknown
    conversation = conversation_of(asked.session)
    routed = await context.run_db(lambda s: _route(s, context, conversation, asked))
    if routed.held:
        return respond({"replies": [], "handoff": routed.handoff})
    names: list[str] = []  # the conversation's contact names, as the REST channel reports them
    try:
        messages = await ask_rasa(context, asked, client_address(request), names)
    except (aiohttp.ClientError, TimeoutError, ValueError):
        logger.warning("Rasa did not answer (conversation %s)", conversation[:8])
        return error_response(BUSY, 502)
    replies = [chat_reply(message) for message in messages if message.get("text")]
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
    return respond({"replies": replies, "handoff": state, "queue": ahead})


def _route(session: Any, context: WebContext, conversation: str, asked: ChatRequest) -> Routed:
    remember_target(session, conversation, CHANNEL, "", context.now())
    if asked.silent:  # the greeting: not for an agent, and not answered by the bot while one is in charge
        row = open_handoff(session, conversation)
        return Routed(held=False) if row is None else Routed(held=True, handoff=str(row.status))
    return customer_message(session, conversation, asked.display, context.now())


async def feedback(request: web.Request) -> web.Response:
    context = web_context(request)
    if (wait := _limiter(context, "feedback_rate").take(client_address(request))) is not None:
        return too_many(wait)
    body = await read_json(request)
    session, exchange, rating = body.get("session"), body.get("exchange_id"), body.get("rating")
    if (not valid_session(session) or type(exchange) is not int or not 0 < exchange < 2**63
            or rating not in (1, -1) or type(rating) is not int):
        return error_response("评价参数不正确", 400)
    if (unknown := await _unknown(context, session)) is not None:
        return unknown
    conversation = conversation_of(session)
    stored = await context.run_db(lambda s: rate(s, exchange_id=exchange, conversation=conversation,
                                                 rating=rating, now=context.now()))
    return respond({"ok": True}) if stored else error_response("找不到这条回答", 404)


async def updates(request: web.Request) -> web.Response:
    context = web_context(request)
    if (wait := _limiter(context, "updates_rate").take(client_address(request))) is not None:
        return too_many(wait)
    session, after = request.query.get("session", ""), request.query.get("after", "0")
    after_id = ascii_int(after, 12)
    if not valid_session(session) or after_id is None:
        return error_response("参数不正确", 400)
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

    return respond(await context.run_db(read))


async def leave(request: web.Request) -> web.Response:
    context = web_context(request)
    if (wait := _limiter(context, "leave_rate").take(client_address(request))) is not None:
        return too_many(wait)
    session = (await read_json(request)).get("session")
    if not valid_session(session):
        return error_response("会话标识无效", 400)
    if (unknown := await _unknown(context, session)) is not None:
        return unknown
    conversation = conversation_of(session)
    await context.run_db(lambda s: customer_left(s, conversation, context.now()))
    return respond({"ok": True})  # the same answer whether or not a handoff was open


def _utc(moment: datetime) -> datetime:
    """The live-chat tables keep naive UTC (bot/livechat/store.py `clock`)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def handoff_state(session: Any, conversation: str) -> str:
    """The open handoff's status ("waiting", "active") or "none"."""
    row = open_handoff(session, conversation)
    return str(row.status) if row is not None else "none"
