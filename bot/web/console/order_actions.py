"""Changing a work order from the console: advance, reassign, internal note, message to the customer, moving the
visit, cancelling. Each change runs in one database call, is audited, and goes back to the order's page
(bot/web/console/orders.py) with its outcome. An internal note (内部备注) is for staff only; a message to the
customer (给客户的消息) is shown in their status reply and pushed to their chat.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import NoReturn

from aiohttp import web
from sqlalchemy.orm import Session

from bot.booking.visit import parse_visit
from bot.feedback.store import audit
from bot.orders.notify import notify_message, notify_stage_change, notify_visit_change
from bot.orders.stages import UnknownStage
from bot.orders.store import (
    InvalidTransition,
    NotChangeable,
    add_customer_message,
    add_note,
    advance_order,
    cancel_order,
    get_order,
    reassign_order,
    reschedule_visit,
)
from bot.orders.times import as_utc
from bot.orders.views import OrderView
from bot.web.console.auth import Agent, action
from bot.web.console.forms import field, record_id
from bot.web.console.knowledge import stage_name
from bot.web.console.orders import canonical_number, detail_url, masked_for
from bot.web.console.queries import manager_in_region
from bot.web.console.render import redirect
from bot.web.context import web_context

MAX_NOTE = 500
Outcome = tuple[str, str]  # (kind, message) of the flash shown on the order page


async def _change_order(request: web.Request, number: str, change: Callable[[Session, OrderView], Outcome]) -> NoReturn:
    """Run `change` on the order in one database call and go back to its page with the outcome."""

    def run(session: Session) -> Outcome:
        order = get_order(session, number)
        return ("error", "没有这张工单。") if order is None else change(session, order)

    kind, message = await web_context(request).run_db(run)
    raise redirect(request, detail_url(number), message, kind)


@action
async def advance(request: web.Request, agent: Agent) -> web.StreamResponse:
    number = canonical_number(request.match_info["number"])
    to_stage = await field(request, "to_stage", 32)
    note = await field(request, "note", MAX_NOTE) or None
    now = as_utc(web_context(request).now())
    if not to_stage:
        raise redirect(request, detail_url(number), "请选择要转到的阶段。", "error")

    def move(session: Session, before: OrderView) -> Outcome:
        if to_stage == "cancelled":
            return "error", "取消工单请用“取消工单”（需填写原因）。工单未改变。"
        try:
            order = advance_order(session, number, actor=agent.name, now=now, to_stage=to_stage, note=note)
        except (InvalidTransition, UnknownStage) as error:
            return "error", f"无法推进：{error}。工单未改变。"
        notice = notify_stage_change(session, order.number, now)
        moved = f"{stage_name(before.stage)} → {stage_name(order.stage)}"
        audit(session, actor=agent.name, action="advance", target=order.number, now=now,
              detail=moved + (f"：{masked_for(before, note)}" if note else ""))
        told = "，已通知客户" if notice is not None else ""
        return "ok", f"工单 {order.display_number} 已转到「{stage_name(order.stage)}」{told}。"

    await _change_order(request, number, move)


@action
async def reassign(request: web.Request, agent: Agent) -> web.StreamResponse:
    number = canonical_number(request.match_info["number"])
    chosen = record_id(await field(request, "manager", 16))
    note = await field(request, "note", MAX_NOTE) or None
    now = as_utc(web_context(request).now())

    def change(session: Session, order: OrderView) -> Outcome:
        manager = manager_in_region(session, chosen, order.region) if chosen is not None else None
        if manager is None:
            return "error", "请选择本地区的一位客户经理。工单未改变。"
        if order.manager is not None and order.manager.id == manager.id:
            return "error", f"工单已由 {manager.name} 负责，未改变。"
        old = order.manager.name if order.manager else "无"
        reassign_order(session, number, str(manager.id), actor=agent.name, now=now, note=note)
        audit(session, actor=agent.name, action="reassign", target=number, now=now, detail=f"{old} → {manager.name}")
        return "ok", f"已改派给 {manager.name}。"

    await _change_order(request, number, change)


async def _required_text(request: web.Request, name: str, when_empty: str) -> tuple[str, str, datetime]:
    """The order number, a form field that must not be empty (else back to the order with `when_empty`), now."""
    number = canonical_number(request.match_info["number"])
    text = await field(request, name, MAX_NOTE)
    if not text:
        raise redirect(request, detail_url(number), when_empty, "error")
    return number, text, as_utc(web_context(request).now())


@action
async def note(request: web.Request, agent: Agent) -> web.StreamResponse:
    """An internal note: in the history for staff, never in the customer's status reply, never pushed."""
    number, text, now = await _required_text(request, "note", "内部备注不能为空。")

    def write(session: Session, _order: OrderView) -> Outcome:
        add_note(session, number, text, actor=agent.name, now=now)
        audit(session, actor=agent.name, action="note", target=number, now=now)
        return "ok", "内部备注已记录（客户看不到）。"

    await _change_order(request, number, write)


@action
async def message(request: web.Request, agent: Agent) -> web.StreamResponse:
    """A message to the customer: in their status reply, and pushed to the chat that booked the order."""
    number, text, now = await _required_text(request, "message", "给客户的消息不能为空。")

    def send(session: Session, order: OrderView) -> Outcome:
        add_customer_message(session, number, text, actor=agent.name, now=now)
        pushed = notify_message(session, number, text, now) is not None
        audit(session, actor=agent.name, action="message", target=number, now=now, detail=masked_for(order, text))
        where = "，并已推送到客户的对话。" if pushed else "（此工单没有可推送的客户对话）。"
        return "ok", "消息已记录，客户查询进度时可以看到" + where

    await _change_order(request, number, send)


@action
async def reschedule(request: web.Request, agent: Agent) -> web.StreamResponse:
    """Move the visit (read like the customer's answer: bot/booking/visit.py); the customer is told."""
    number = canonical_number(request.match_info["number"])
    wanted = await field(request, "visit", 64)
    note = await field(request, "note", MAX_NOTE) or None
    now = as_utc(web_context(request).now())
    parsed = parse_visit(wanted, now) if wanted else None
    if parsed is None or parsed.value is None:
        problem = parsed.error if parsed is not None and parsed.error else "请填写新的上门时间。"
        raise redirect(request, detail_url(number), f"{problem}工单未改变。", "error")
    visit = parsed.value

    def change(session: Session, _order: OrderView) -> Outcome:
        try:
            order = reschedule_visit(session, number, visit.day, visit.period, visit.at, actor=agent.name, now=now,
                                     note=note)
        except NotChangeable as error:
            return "error", f"{error}。工单未改变。"
        told = notify_visit_change(session, number, now) is not None
        audit(session, actor=agent.name, action="reschedule", target=number, now=now, detail=order.visit)
        return "ok", f"上门时间已改为{order.visit}" + ("，已通知客户。" if told else "。")

    await _change_order(request, number, change)


@action
async def cancel(request: web.Request, agent: Agent) -> web.StreamResponse:
    """Cancel an open order (the reason is an internal note); the customer is told."""
    number, reason, now = await _required_text(request, "note", "请填写取消原因（内部备注）。工单未改变。")

    def change(session: Session, before: OrderView) -> Outcome:
        try:
            order = cancel_order(session, number, actor=agent.name, now=now, note=reason)
        except NotChangeable as error:
            return "error", f"{error}。工单未改变。"
        told = notify_stage_change(session, number, now) is not None
        audit(session, actor=agent.name, action="cancel", target=number, now=now,
              detail=f"{stage_name(before.stage)} → 已取消：{masked_for(before, reason)}")
        return "ok", f"工单 {order.display_number} 已取消" + ("，已通知客户。" if told else "。")

    await _change_order(request, number, change)
