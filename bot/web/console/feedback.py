"""Feedback: 👍/👎 counts; every rated answer (filtered by rating, date, region and handled, paged and sorted),
each linked to its conversation and marked handled by an agent; disliked answers grouped by question;
questions the assistant could not answer.

An exchange records no region (the web chat does not know it): the region filter keeps the exchanges whose
question or answer names the region, one of its other names or one of its districts; every regional answer
names its region ("枣庄（滕州市）…"). Unanswered questions carry the region the assistant had understood.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from bot.feedback.models import Exchange, Unanswered
from bot.feedback.store import Counted, audit
from bot.knowledge.service import KnowledgeBase
from bot.livechat.models import Handoff
from bot.orders.models import WorkOrder
from bot.orders.times import at_beijing, naive_utc
from bot.orders.views import OrderView
from bot.web.console.auth import PATH, Agent, action, page
from bot.web.console.forms import field, record_id
from bot.web.console.knowledge import kb_of, region_name, stage_name
from bot.web.console.paging import Pager, Sorting, page_number
from bot.web.console.render import redirect, render
from bot.web.console.roles import needs
from bot.web.context import web_context

REASONS = {"no_answer": "知识库无答案", "out_of_scope": "超出服务范围"}
RATINGS = (("", "全部评价"), ("down", "👎 没帮助"), ("up", "👍 有帮助"))
HANDLED = (("", "全部"), ("open", "未处理"), ("done", "已处理"))
FEEDBACK_SORTS = {"created": Exchange.created_at, "rated": Exchange.rated_at, "rating": Exchange.rating,
                  "handled": Exchange.handled_at}
CONVERSATION = re.compile(r"[A-Za-z0-9_\-]{1,64}")
GROUP_LIMIT = 20
LIKE_SPECIAL = re.compile(r"([\\%_])")


def contains(text: str) -> str:
    """A LIKE pattern (escape character \\) for text anywhere in a column."""
    return "%" + LIKE_SPECIAL.sub(r"\\\1", text) + "%"


@dataclass(frozen=True)
class FeedbackFilters:
    rating: str = ""  # "" | up | down
    handled: str = ""  # "" | open | done
    start: date | None = None  # the day the question was asked, from ...
    end: date | None = None  # ... to (inclusive)
    region: str = ""
    region_terms: tuple[str, ...] = ()

    def params(self) -> dict[str, str]:
        return {"rating": self.rating, "handled": self.handled, "from": f"{self.start:%Y-%m-%d}" if self.start else "",
                "to": f"{self.end:%Y-%m-%d}" if self.end else "", "region": self.region}

    def _span(self, column: Any, query: Select) -> Select:
        """Beijing days (the stored times are naive UTC: bot/orders/times.py)."""
        if self.start:
            query = query.where(column >= naive_utc(at_beijing(self.start, time.min)))
        if self.end:
            query = query.where(column < naive_utc(at_beijing(self.end + timedelta(days=1), time.min)))
        return query

    def exchanges(self, query: Select, *, rated_only: bool = True, rating: bool = True) -> Select:
        """The exchanges of these filters (`rating=False`: whatever their rating and handling, for the counts)."""
        if rated_only:
            query = query.where(Exchange.rating.is_not(None))
        if rating and self.rating:
            query = query.where(Exchange.rating == (1 if self.rating == "up" else -1))
        if rating and self.handled:
            done = Exchange.handled_at.is_not(None)
            query = query.where(done if self.handled == "done" else ~done)
        query = self._span(Exchange.created_at, query)
        if self.region_terms:
            likes = [column.like(contains(term), escape="\\")
                     for term in self.region_terms for column in (Exchange.question, Exchange.answer)]
            query = query.where(or_(*likes))
        return query

    def unanswered(self, query: Select) -> Select:
        query = self._span(Unanswered.at, query)
        if self.region:
            query = query.where(Unanswered.region == self.region)
        return query


def region_terms(kb: KnowledgeBase, region_id: str) -> tuple[str, ...]:
    """The words that name a region in a question or an answer: its names and its districts'."""
    region = next((r for r in kb.regions if r.id == region_id), None)
    if region is None:
        return ()
    return tuple(dict.fromkeys(t for t in (*region.all_names(), *(d.name for d in region.districts)) if t))


def read_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()[:10]) if text.strip() else None
    except ValueError:
        return None


def read_filters(query: Mapping[str, str], kb: KnowledgeBase) -> FeedbackFilters:
    get = query.get
    rating = get("rating", "")
    handled = get("handled", "")
    region = get("region", "")
    region = region if any(r.id == region for r in kb.regions) else ""
    start, end = read_date(get("from", "")), read_date(get("to", ""))
    if start and end and start > end:
        start, end = end, start
    return FeedbackFilters(rating if rating in ("up", "down") else "", handled if handled in ("open", "done") else "",
                           start, end, region, region_terms(kb, region))


@dataclass(frozen=True)
class Row:
    id: int
    conversation: str
    question: str
    answer: str
    rating: int
    created_at: datetime
    rated_at: datetime | None
    handled_at: datetime | None
    handled_by: str

    @classmethod
    def of(cls, row: Exchange) -> Row:
        return cls(row.id, row.conversation, row.question, row.answer, row.rating or 0, row.created_at, row.rated_at,
                   row.handled_at, row.handled_by or "")


@dataclass(frozen=True)
class Summary:
    up: int
    down: int
    disliked: list[Counted]
    unanswered: list[Counted]

    @property
    def rated(self) -> int:
        return self.up + self.down

    @property
    def up_share(self) -> str:
        return f"{self.up * 100 // self.rated}%" if self.rated else "—"


def summary(session: Session, filters: FeedbackFilters = FeedbackFilters()) -> Summary:
    counts = dict(session.execute(filters.exchanges(select(Exchange.rating, func.count()), rating=False)
                                  .group_by(Exchange.rating)).all())
    disliked = filters.exchanges(
        select(Exchange.question, func.count(), func.max(Exchange.rated_at), func.max(Exchange.answer))
        .where(Exchange.rating == -1), rating=False)
    disliked = disliked.group_by(Exchange.question).order_by(func.count().desc(), func.max(Exchange.rated_at).desc())
    missed = filters.unanswered(select(Unanswered.question, func.count(), func.max(Unanswered.at),
                                       func.max(Unanswered.reason)))
    missed = missed.group_by(Unanswered.question).order_by(func.count().desc(), func.max(Unanswered.at).desc())
    return Summary(int(counts.get(1, 0)), int(counts.get(-1, 0)),
                   [Counted(q, n, at, a) for q, n, at, a in session.execute(disliked.limit(GROUP_LIMIT))],
                   [Counted(q, n, at, r) for q, n, at, r in session.execute(missed.limit(GROUP_LIMIT))])


def count_rows(session: Session, filters: FeedbackFilters) -> int:
    return int(session.execute(filters.exchanges(select(func.count()).select_from(Exchange))).scalar_one())


def find_rows(session: Session, filters: FeedbackFilters, sorting: Sorting, offset: int, limit: int) -> list[Row]:
    column = FEEDBACK_SORTS.get(sorting.key, Exchange.created_at)
    ordered = (column.desc(), Exchange.id.desc()) if sorting.descending else (column.asc(), Exchange.id.asc())
    query = filters.exchanges(select(Exchange)).order_by(*ordered).offset(offset).limit(limit)
    return [Row.of(row) for row in session.execute(query).scalars()]


@page
async def feedback_page(request: web.Request, agent: Agent) -> web.StreamResponse:
    context = web_context(request)
    kb = await asyncio.to_thread(kb_of, context)
    filters = read_filters(request.query, kb)
    sorting = Sorting.read(request.query, FEEDBACK_SORTS, "created")
    requested = page_number(request.query)

    def load(session: Session) -> tuple[Summary, Pager, list[Row]]:
        total = count_rows(session, filters)
        pager = Pager.make(f"{PATH}/feedback", filters.params(), requested, total, sorting)
        return summary(session, filters), pager, find_rows(session, filters, sorting, pager.offset, pager.size)

    found, pager, rows = await context.run_db(load)
    return render(request, "feedback.html", agent, active="feedback", summary=found, reasons=REASONS, rows=rows,
                  pager=pager, filters=filters, ratings=RATINGS, handled_options=HANDLED,
                  regions=[(r.id, r.name) for r in kb.regions])


def _back(value: str) -> str:
    """Where to go after marking: the feedback list or a conversation page of this console, else the list."""
    if value.startswith((f"{PATH}/feedback", f"{PATH}/conversations/")) and "\\" not in value and "//" not in value:
        return value
    return f"{PATH}/feedback"


@action
@needs("handle_feedback")
async def mark_handled(request: web.Request, agent: Agent) -> web.StreamResponse:
    context = web_context(request)
    exchange_id = record_id(request.match_info["id"])
    done = await field(request, "handled", 1) != "0"
    back = _back(await field(request, "next", 1000))
    now = context.now()
    if exchange_id is None:
        raise web.HTTPNotFound(text="没有这条反馈", content_type="text/plain")

    def work(session: Session) -> bool:
        row = session.get(Exchange, exchange_id)
        if row is None or row.rating is None:
            return False
        row.handled_at, row.handled_by = (now, agent.name) if done else (None, None)
        session.commit()
        audit(session, actor=agent.name, action="feedback_handled" if done else "feedback_reopened",
              target=f"exchange:{exchange_id}", now=now)
        return True

    if not await context.run_db(work):
        raise redirect(request, back, "没有这条反馈（或它没有评价）。", "error")
    raise redirect(request, back, "已标记为已处理。" if done else "已改回未处理。")


@dataclass(frozen=True)
class Conversation:
    key: str
    exchanges: list[Row]
    unrated: int
    handoffs: list[tuple[int, str, datetime, str]]  # id, status, created, region
    orders: list[tuple[str, str, str]]  # number, display number, stage name


@page
async def conversation_page(request: web.Request, agent: Agent) -> web.StreamResponse:
    context = web_context(request)
    kb = await asyncio.to_thread(kb_of, context)
    key = request.match_info["key"]
    if not CONVERSATION.fullmatch(key):
        return render(request, "missing.html", agent, status=404, active="feedback", what="会话")

    def load(session: Session) -> Conversation | None:
        exchanges = [Row.of(row) for row in session.execute(
            select(Exchange).where(Exchange.conversation == key).order_by(Exchange.id).limit(500)).scalars()]
        handoffs = [(h.id, h.status, h.created_at, region_name(kb, h.region)) for h in session.execute(
            select(Handoff).where(Handoff.conversation == key).order_by(Handoff.id).limit(50)).scalars()]
        orders = [OrderView.of(o) for o in session.execute(
            select(WorkOrder).where(WorkOrder.conversation == key).order_by(WorkOrder.id).limit(50)).scalars().unique()]
        if not exchanges and not handoffs and not orders:
            return None
        return Conversation(key, exchanges, sum(1 for e in exchanges if not e.rating), handoffs,
                            [(o.number, o.display_number, stage_name(o.stage)) for o in orders])

    found = await context.run_db(load)
    if found is None:
        return render(request, "missing.html", agent, status=404, active="feedback", what="会话")
    return render(request, "conversation.html", agent, active="feedback", conversation=found,
                  here=f"{PATH}/conversations/{key}")
