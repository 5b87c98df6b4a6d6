"""Work orders: search and filter (masked), detail with history, reveal (audited). The changes made from the
detail page (advance, reassign, internal note, message to the customer, moving the visit, cancelling) are in
bot/web/console/order_actions.py.

The detail page keeps the two kinds of writing apart: an internal note (内部备注, staff only) and a message to the
customer (给客户的消息: shown in their status reply and pushed to their chat). Times are Beijing time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from sqlalchemy.orm import Session

from bot.feedback.store import audit, audit_trail
from bot.knowledge.service import KnowledgeBase
from bot.masking import contact_names, mask_names, mask_text
from bot.orders import numbers
from bot.orders.deadlines import StepDeadline, step_deadline
from bot.orders.lookup import Lockout, current_lockouts
from bot.orders.report import deadline_line, timeline_lines, warning_line
from bot.orders.runtime import lookup_policy
from bot.orders.stages import BY_ID, STAGES, UnknownStage, allowed_moves
from bot.orders.store import BEFORE_VISIT, get_order
from bot.orders.times import as_utc
from bot.orders.views import ManagerView, OrderView
from bot.web.console.auth import PATH, Agent, action, page
from bot.web.console.knowledge import business_name, category_name, kb_of, region_name, stage_name
from bot.web.console.paging import Pager, Sorting, page_number
from bot.web.console.queries import (
    ORDER_SORTS,
    OrderFilters,
    count_orders,
    find_orders,
    open_order_keys,
    region_managers,
)
from bot.web.console.render import redirect, render
from bot.web.console.reveals import allow_reveal, refusal
from bot.web.console.roles import needs
from bot.web.context import web_context

OVERDUE_SCAN = 1000  # open orders examined for the overdue filter (the longest in their stage first)
MAX_EXPORT_ROWS = 10_000  # one export at most
ACTIONS = {"reveal": "查看完整信息", "reveal_refused": "查看完整信息（超出每小时上限，未显示）", "advance": "推进阶段",
           "reassign": "改派", "note": "内部备注", "message": "给客户的消息", "reschedule": "改约上门时间",
           "cancel": "取消工单"}
NOTE_LABEL = "内部备注（客户不可见）"
MESSAGE_LABEL = "给客户的消息（客户可见，会推送）"


@dataclass(frozen=True)
class OrderRow:
    order: OrderView
    region: str
    business: str
    stage: str
    deadline: StepDeadline | None

    @property
    def overdue(self) -> bool:
        return bool(self.deadline and self.deadline.overdue)

    @property
    def remaining(self) -> str:
        return self.deadline.remaining if self.deadline and self.deadline.limit else ""

    @property
    def warning(self) -> str:
        return self.deadline.level.label() if self.deadline and self.deadline.level else ""


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    what: str
    actor: str
    note: str
    kind: str = "note"
    customer_visible: bool = False  # the customer reads this entry's note (messages, visit changes)


def deadline_of(kb: KnowledgeBase, order: OrderView, now: datetime) -> StepDeadline | None:
    try:
        return step_deadline(kb, order, now)
    except (KeyError, UnknownStage):  # a region or stage the knowledge base does not know
        return None


def order_row(kb: KnowledgeBase, order: OrderView, now: datetime) -> OrderRow:
    return OrderRow(order, region_name(kb, order.region), business_name(order.business), stage_name(order.stage),
                    deadline_of(kb, order, now))


def masked_for(order: OrderView, text: str | None) -> str:
    """Text about an order masked for staff who have not revealed it: what mask_text finds, and the order's
    contact name wherever it appears ("孙悟空您好" → "孙**您好")."""
    return mask_names(mask_text(text), contact_names([order.contact_name]))


def history_rows(order: OrderView, revealed: bool) -> list[HistoryRow]:
    """Every entry, with its kind; the page marks which notes the customer reads and which are internal."""
    rows = []
    for entry in order.history:
        what = stage_name(entry.to_stage) if entry.moved else entry.kind_name
        note = (entry.note if revealed else masked_for(order, entry.note)) if entry.note else ""
        rows.append(HistoryRow(entry.at, what, entry.actor, note, entry.kind, entry.customer_visible))
    return rows


def canonical_number(raw: str) -> str:
    number = numbers.canonical(raw)
    if number is None:
        raise web.HTTPNotFound(text="没有这张工单", content_type="text/plain")
    return number


def detail_url(number: str) -> str:
    return f"{PATH}/orders/{number}"


def read_filters(values: Mapping[str, str], kb: KnowledgeBase) -> OrderFilters:
    """The orders page's filters from a query string or a posted form (unknown values ignored)."""
    region = values.get("region", "")
    stage_id = values.get("stage", "")
    return OrderFilters(text=values.get("q", "").strip()[:64],
                        region=region if any(r.id == region for r in kb.regions) else "",
                        stage=stage_id if stage_id in BY_ID else "", overdue=values.get("overdue") == "1")


def read_sorting(values: Mapping[str, str]) -> Sorting:
    return Sorting.read(values, ORDER_SORTS, "created")


def overdue_ids(session: Session, kb: KnowledgeBase, filters: OrderFilters, now: datetime) -> list[int]:
    """The open orders of the filters past their current step's deadline (computed in working days from the
    region's document, as `python -m bot.orders show`), among the OVERDUE_SCAN longest in their stage."""
    return [order_id for order_id, order in open_order_keys(session, filters, OVERDUE_SCAN)
            if (deadline := deadline_of(kb, order, now)) is not None and deadline.overdue]


@page
async def orders_page(request: web.Request, agent: Agent) -> web.StreamResponse:
    context = web_context(request)
    kb = await asyncio.to_thread(kb_of, context)
    filters = read_filters(request.query, kb)
    sorting = read_sorting(request.query)
    requested = page_number(request.query)
    now = context.now()
    policy = lookup_policy(context.settings)

    def load(session: Session) -> tuple[Pager, list[OrderView], list[Lockout]]:
        ids = overdue_ids(session, kb, filters, now) if filters.overdue else None
        total = count_orders(session, filters, ids)
        pager = Pager.make(f"{PATH}/orders", filters.params(), requested, total, sorting)
        found = find_orders(session, filters, sorting, offset=pager.offset, limit=pager.size, ids=ids) if total else []
        if filters.by_personal_data:  # it confirms whether someone has an order: accounted for like a reveal
            audit(session, actor=agent.name, action="personal_search", target="orders", now=now,
                  detail=f"{filters.described()} → {total} 条")
        return pager, found, current_lockouts(session, now, policy)

    pager, found, lockouts = await context.run_db(load)
    rows = [order_row(kb, order, now) for order in found]
    return render(request, "orders.html", agent, active="orders", rows=rows, text=filters.text,
                  region=filters.region, stage=filters.stage, overdue=filters.overdue, pager=pager,
                  regions=[(r.id, r.name) for r in kb.regions], stages=[(s.id, s.name) for s in STAGES],
                  lockouts=lockouts, max_export=MAX_EXPORT_ROWS, overdue_scan=OVERDUE_SCAN,
                  lookup_window=int(policy.window.total_seconds() // 60), lookup_max=policy.max_failures,
                  lookup_daily_max=policy.daily_max_failures)


async def _detail(request: web.Request, agent: Agent, number: str, revealed: bool) -> web.Response:
    context = web_context(request)
    kb = await asyncio.to_thread(kb_of, context)
    now = as_utc(context.now())

    limit = context.settings.console_reveals_per_hour
    refused = False

    def load(session: Session) -> tuple[OrderView | None, list[ManagerView], list[tuple[datetime, str, str, str]]]:
        nonlocal refused
        order = get_order(session, number)
        if order is None:
            return None, [], []
        if revealed:
            refused = not allow_reveal(session, actor=agent.name, target=order.number, now=now, limit=limit)
        trail = [(e.at, e.actor, ACTIONS.get(e.action, e.action), masked_for(order, e.detail) if e.detail else "")
                 for e in audit_trail(session, order.number, limit=50)]
        return order, region_managers(session, order.region), trail

    order, managers, trail = await context.run_db(load)
    if order is None:
        return render(request, "missing.html", agent, status=404, active="orders", what="工单")
    if refused:
        raise redirect(request, f"{PATH}/orders/{order.number}", refusal(limit), "error")
    deadline, warning = _deadline(kb, order, now)
    known = order.stage in BY_ID
    return render(
        request, "order.html", agent, active="orders", order=order, revealed=revealed,
        region=region_name(kb, order.region), business=business_name(order.business),
        category=category_name(kb, order.category), stage=stage_name(order.stage),
        customer_text=BY_ID[order.stage].customer_text if known else "",
        deadline=deadline, warning=warning, timeline=timeline_lines(order) if known else [],
        history=history_rows(order, revealed), trail=trail,
        moves=[(s, stage_name(s)) for s in allowed_moves(order.stage) if s != "cancelled"] if known else [],
        may_reschedule=order.stage in BEFORE_VISIT, may_cancel=known and not BY_ID[order.stage].final,
        notifiable=order.channel == "customer",
        note_label=NOTE_LABEL, message_label=MESSAGE_LABEL, managers=managers)


def _deadline(kb: KnowledgeBase, order: OrderView, now: datetime) -> tuple[str, str]:
    """The current step's deadline line and warning level, or blanks for a stage the flow does not know."""
    try:
        step = step_deadline(kb, order, now)
        return deadline_line(kb, order, step, level=False), warning_line(step)
    except (KeyError, UnknownStage):
        return "", ""


@page
async def order_page(request: web.Request, agent: Agent) -> web.StreamResponse:
    return await _detail(request, agent, canonical_number(request.match_info["number"]), revealed=False)


@action
@needs("reveal")
async def reveal(request: web.Request, agent: Agent) -> web.StreamResponse:
    return await _detail(request, agent, canonical_number(request.match_info["number"]), revealed=True)
