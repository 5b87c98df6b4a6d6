"""The human handoff queue and the live chat with a customer (the page polls for new messages)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from sqlalchemy.orm import Session

from bot.feedback.models import Exchange
from bot.feedback.store import audit, transcript
from bot.livechat.models import Handoff, HandoffMessage
from bot.livechat.store import HandoffClosed, agent_reply, get_handoff, hand_back, take_handoff, waiting_and_active
from bot.orders import numbers
from bot.web.console.auth import PATH, Agent, action, api, page
from bot.web.console.forms import field, record_id
from bot.web.console.knowledge import category_name, kb_of, region_name
from bot.web.console.paging import Pager, Sorting, page_number
from bot.web.console.queries import (
    HANDOFF_SORTS,
    HANDOFF_STATUSES,
    count_handoffs,
    find_handoffs,
    messages_after,
    newest_waiting,
)
from bot.web.console.render import redirect, render
from bot.web.console.templating import age
from bot.web.context import web_context

MAX_REPLY = 1000
STATUS_NAMES = {"waiting": "等待接入", "active": "服务中", "closed": "已结束"}


@dataclass(frozen=True)
class HandoffRow:
    id: int
    status: str
    status_name: str
    region: str
    category: str
    summary: str
    order: str
    agent: str
    age: str
    created_at: datetime
    waited: str = ""  # until an agent took it (or until it closed untaken, or until now)


@dataclass(frozen=True)
class Line:
    id: int
    at: datetime
    sender: str
    text: str

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "at": f"{self.at:%H:%M:%S}", "sender": self.sender, "text": self.text}


@dataclass(frozen=True)
class Turn:
    """One exchange with the assistant before the handoff (masked when it was stored)."""

    id: int
    at: datetime
    question: str
    answer: str
    rating: int

    @classmethod
    def of(cls, row: Exchange) -> Turn:
        return cls(row.id, row.created_at, row.question, row.answer, row.rating or 0)


def _row(handoff: Handoff, region: str, category: str, now: datetime) -> HandoffRow:
    order = numbers.display(handoff.order_number) if handoff.order_number else ""
    until = handoff.taken_at or handoff.closed_at or now
    return HandoffRow(handoff.id, handoff.status, STATUS_NAMES.get(handoff.status, handoff.status), region, category,
                      handoff.summary or "", order, handoff.agent or "", age(now - handoff.created_at),
                      handoff.created_at, age(until - handoff.created_at))


def _line(message: HandoffMessage) -> Line:
    return Line(message.id, message.at, message.sender, message.text)


def signature(items: list[tuple[int, str, str]]) -> str:
    """Changes whenever a handoff joins, is taken or leaves the queue (the page reloads then)."""
    text = ";".join(f"{i}:{status}:{agent}" for i, status, agent in items)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _handoff_id(request: web.Request) -> int:
    found = record_id(request.match_info["id"])
    if found is None:
        raise web.HTTPNotFound(text="没有这个转人工请求", content_type="text/plain")
    return found


def _url(handoff_id: int) -> str:
    return f"{PATH}/handoffs/{handoff_id}"


STATUS_FILTERS = (("open", "等待和服务中"), ("waiting", "等待接入"), ("active", "服务中"), ("closed", "已结束"),
                  ("all", "全部"))


@page
async def queue_page(request: web.Request, agent: Agent) -> web.StreamResponse:
    context = web_context(request)
    kb = await asyncio.to_thread(kb_of, context)
    now = context.now()
    status = request.query.get("status", "open")
    status = status if status in HANDOFF_STATUSES else "open"
    region = request.query.get("region", "")
    region = region if any(r.id == region for r in kb.regions) else ""
    sorting = Sorting.read(request.query, HANDOFF_SORTS, "created", default_descending=status in ("closed", "all"))
    requested = page_number(request.query)

    def load(session: Session) -> tuple[Pager, list[HandoffRow], list[tuple[int, str, str]], int]:
        total = count_handoffs(session, status, region)
        pager = Pager.make(f"{PATH}/handoffs", {"status": status if status != "open" else "", "region": region},
                           requested, total, sorting)
        found = find_handoffs(session, status, region, sorting, offset=pager.offset, limit=pager.size)
        rows = [_row(h, region_name(kb, h.region), category_name(kb, h.category), now) for h in found]
        queue = [(h.id, h.status, h.agent or "") for h in waiting_and_active(session)]
        return pager, rows, queue, newest_waiting(session)

    pager, rows, queue, newest = await context.run_db(load)
    # the signature covers the whole queue (not this page): the page reloads when the queue changes
    return render(request, "handoffs.html", agent, active="handoffs", rows=rows, pager=pager, status_filter=status,
                  region=region, regions=[(r.id, r.name) for r in kb.regions], statuses=STATUS_FILTERS,
                  signature=signature(queue), newest=newest)


@api
async def queue_api(request: web.Request, agent: Agent) -> web.StreamResponse:
    def load(session: Session) -> tuple[list[tuple[int, str, str]], int]:
        return [(h.id, h.status, h.agent or "") for h in waiting_and_active(session)], newest_waiting(session)

    items, newest = await web_context(request).run_db(load)
    return web.json_response({
        "waiting": sum(1 for _, status, _ in items if status == "waiting"),
        "mine": sum(1 for _, status, who in items if status == "active" and who == agent.name),
        "signature": signature(items),
        "newest": newest,  # the newest waiting handoff's id: the console rings when it grows
    }, headers={"Cache-Control": "no-store"})


@page
async def handoff_page(request: web.Request, agent: Agent) -> web.StreamResponse:
    context = web_context(request)
    kb = await asyncio.to_thread(kb_of, context)
    handoff_id = _handoff_id(request)
    now = context.now()

    def load(session: Session) -> tuple[HandoffRow, list[Line], list[Turn], str] | None:
        handoff = get_handoff(session, handoff_id)
        if handoff is None:
            return None
        row = _row(handoff, region_name(kb, handoff.region), category_name(kb, handoff.category), now)
        # the conversation with the assistant before it (and between earlier handoffs): shown before taking over
        before = [Turn.of(e) for e in transcript(session, handoff.conversation, handoff.closed_at or now)]
        return row, [_line(m) for m in handoff.messages], before, handoff.conversation

    found = await context.run_db(load)
    if found is None:
        return render(request, "missing.html", agent, status=404, active="handoffs", what="转人工请求")
    row, lines, before, conversation = found
    mine = row.status == "active" and row.agent == agent.name
    return render(request, "handoff.html", agent, active="handoffs", handoff=row, lines=lines, mine=mine,
                  last_id=lines[-1].id if lines else 0, before=before, conversation=conversation)


async def _step(request: web.Request, agent: Agent, step: Callable[..., object], name: str) -> bool:
    """Take or hand back a handoff (audited); False when it is no longer the agent's to change."""
    context = web_context(request)
    handoff_id = _handoff_id(request)
    now = context.now()

    def work(session: Session) -> bool:
        try:
            step(session, handoff_id, agent.name, now)
        except HandoffClosed:
            session.rollback()
            return False
        audit(session, actor=agent.name, action=name, target=f"handoff:{handoff_id}", now=now)
        return True

    return await context.run_db(work)


@action
async def take(request: web.Request, agent: Agent) -> web.StreamResponse:
    if not await _step(request, agent, take_handoff, "take"):
        raise redirect(request, f"{PATH}/handoffs", "该请求已被其他客服接入或已结束。", "error")
    raise redirect(request, _url(_handoff_id(request)), "已接入，请回复客户。")


async def _reply(request: web.Request, agent: Agent) -> tuple[Line | None, str]:
    context = web_context(request)
    handoff_id = _handoff_id(request)
    text = await field(request, "text", MAX_REPLY)
    if not text:
        return None, "回复不能为空。"
    now = context.now()

    def work(session: Session) -> Line | None:
        try:
            agent_reply(session, handoff_id, agent.name, text, now)
        except HandoffClosed:
            session.rollback()
            return None
        handoff = get_handoff(session, handoff_id)
        return _line(handoff.messages[-1]) if handoff is not None and handoff.messages else None

    line = await context.run_db(work)
    return line, "" if line else "会话已结束或不由您接待，消息未发送。"


@action
async def reply(request: web.Request, agent: Agent) -> web.StreamResponse:
    _, problem = await _reply(request, agent)
    raise redirect(request, _url(_handoff_id(request)), problem or None, "error")


@action
async def reply_api(request: web.Request, agent: Agent) -> web.StreamResponse:
    line, problem = await _reply(request, agent)
    if line is None:
        return web.json_response({"error": problem}, status=409)
    return web.json_response({"message": line.as_json()})


@action
async def give_back(request: web.Request, agent: Agent) -> web.StreamResponse:
    if not await _step(request, agent, hand_back, "hand_back"):
        raise redirect(request, _url(_handoff_id(request)), "会话已结束或不由您接待。", "error")
    raise redirect(request, f"{PATH}/handoffs", "已交还智能助手，会话结束。")


@api
async def messages_api(request: web.Request, agent: Agent) -> web.StreamResponse:
    handoff_id = _handoff_id(request)
    after = record_id(request.query.get("after", "0")) or 0

    def load(session: Session) -> tuple[str, str, list[Line]] | None:
        handoff = get_handoff(session, handoff_id)
        if handoff is None:
            return None
        return handoff.status, handoff.agent or "", [_line(m) for m in messages_after(session, handoff_id, after)]

    found = await web_context(request).run_db(load)
    if found is None:
        return web.json_response({"error": "没有这个转人工请求"}, status=404)
    status, who, lines = found
    return web.json_response({
        "status": status, "agent": who, "mine": status == "active" and who == agent.name,
        "messages": [line.as_json() for line in lines],
    }, headers={"Cache-Control": "no-store"})
