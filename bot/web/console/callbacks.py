"""Call-back tasks (回电) and the WeChat messages the push queue set aside.

/agent/callbacks             the customers' call-back requests (open first, by preferred time), the service hours;
                             标记已回电 (audited `callback_done`), 显示号码 (the full number on that response only,
                             audited `reveal` with the target `callback:{id}`)
/agent/pushes                WeChat messages set aside for good (with the reason) and those waiting for a retry
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.booking.sealed import fernet, unseal
from bot.calendar import china_now
from bot.feedback.store import audit
from bot.livechat.callbacks import SERVICE_HOURS, STATUS_NAMES, CallbackView, count_open, list_callbacks, mark_done
from bot.livechat.models import CallbackRequest, DeliveryTarget, Handoff, OutboxMessage
from bot.masking import mask_text
from bot.web.console.auth import PATH, Agent, action, page
from bot.web.console.forms import record_id
from bot.web.console.knowledge import kb_of, region_name
from bot.web.console.render import redirect, render
from bot.web.console.reveals import allow_reveal, refusal
from bot.web.console.roles import needs
from bot.web.context import web_context

STATUS_FILTERS = (("open", "待回电"), ("done", "已回电"), ("all", "全部"))
MAX_SHOWN = 200
MAX_TEXT = 120


def _callback_id(request: web.Request) -> int:
    found = record_id(request.match_info["id"])
    if found is None:
        raise web.HTTPNotFound(text="没有这个回电请求", content_type="text/plain")
    return found


async def _page(request: web.Request, agent: Agent, revealed: tuple[int, str] | None = None) -> web.StreamResponse:
    context = web_context(request)
    kb = await asyncio.to_thread(kb_of, context)
    status = request.query.get("status", "open")
    status = status if status in dict(STATUS_FILTERS) else "open"

    def load(session: Session) -> tuple[list[CallbackView], int]:
        return [CallbackView.of(row, china_now()) for row in list_callbacks(session, status, MAX_SHOWN)], \
            count_open(session)

    rows, open_count = await context.run_db(load)
    regions = {row.id: region_name(kb, row.region) for row in rows}
    return render(request, "callbacks.html", agent, active="callbacks", rows=rows, regions=regions,
                  status_filter=status, statuses=STATUS_FILTERS, open_count=open_count, service_hours=SERVICE_HOURS,
                  revealed=revealed, status_names=STATUS_NAMES)


@page
async def callbacks_page(request: web.Request, agent: Agent) -> web.StreamResponse:
    return await _page(request, agent)


@action
async def done(request: web.Request, agent: Agent) -> web.StreamResponse:
    context = web_context(request)
    callback_id = _callback_id(request)
    now = context.now()

    def work(session: Session) -> bool:
        if not mark_done(session, callback_id, agent.name, now):
            return False
        audit(session, actor=agent.name, action="callback_done", target=f"callback:{callback_id}", now=now)
        return True

    if not await context.run_db(work):
        raise redirect(request, f"{PATH}/callbacks", "这个回电请求不存在或已处理。", "error")
    raise redirect(request, f"{PATH}/callbacks", f"回电 #{callback_id} 已标记为已回电。")


@action
@needs("reveal")
async def reveal(request: web.Request, agent: Agent) -> web.StreamResponse:
    """The full number, on this response only (audited)."""
    context = web_context(request)
    callback_id = _callback_id(request)
    now = context.now()

    limit = context.settings.console_reveals_per_hour

    def work(session: Session) -> tuple[bool, str] | None:
        row = session.get(CallbackRequest, callback_id)
        if row is None:
            return None
        allowed = allow_reveal(session, actor=agent.name, target=f"callback:{callback_id}", now=now, limit=limit)
        return allowed, str(row.phone_sealed)

    found = await context.run_db(work)
    if found is None:
        raise redirect(request, f"{PATH}/callbacks", "没有这个回电请求。", "error")
    allowed, sealed = found
    if not allowed:
        raise redirect(request, f"{PATH}/callbacks", refusal(limit), "error")
    phone = unseal(sealed, fernet(context.settings))
    return await _page(request, agent, (callback_id, phone or "（无法解密：密钥已更换）"))


@dataclass(frozen=True)
class PushRow:
    id: int
    customer: str  # the conversation's short tag, as in the logs
    handoff: int | None  # the conversation's latest handoff, for a link
    kind: str
    text: str  # masked
    created_at: datetime
    attempts: int
    reason: str
    set_aside_at: datetime | None
    next_attempt_at: datetime | None


def _push_rows(session: Session, set_aside: bool) -> list[PushRow]:
    query = (select(OutboxMessage).join(DeliveryTarget, DeliveryTarget.conversation == OutboxMessage.conversation)
             .where(DeliveryTarget.channel == "wechat"))
    if set_aside:
        query = query.where(OutboxMessage.set_aside_at.is_not(None)).order_by(OutboxMessage.set_aside_at.desc(),
                                                                               OutboxMessage.id.desc())
    else:
        query = query.where(OutboxMessage.delivered_at.is_(None), OutboxMessage.set_aside_at.is_(None),
                            OutboxMessage.attempts > 0).order_by(OutboxMessage.id)
    messages = list(session.execute(query.limit(MAX_SHOWN)).scalars())
    conversations = {m.conversation for m in messages}
    handoffs = dict(session.execute(select(Handoff.conversation, Handoff.id)
                                    .where(Handoff.conversation.in_(conversations)).order_by(Handoff.id)).all()) \
        if conversations else {}
    return [PushRow(m.id, m.conversation[:8], handoffs.get(m.conversation), m.kind, mask_text(m.text)[:MAX_TEXT],
                    m.created_at, m.attempts, m.last_error or "", m.set_aside_at, m.next_attempt_at)
            for m in messages]


@page
async def pushes_page(request: web.Request, agent: Agent) -> web.StreamResponse:
    def load(session: Session) -> tuple[list[PushRow], list[PushRow]]:
        return _push_rows(session, set_aside=True), _push_rows(session, set_aside=False)

    aside, retrying = await web_context(request).run_db(load)
    return render(request, "pushes.html", agent, active="callbacks", aside=aside, retrying=retrying)
