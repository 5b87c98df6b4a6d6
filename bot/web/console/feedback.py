"""Feedback: 👍/👎 counts, disliked answers grouped by question, questions the assistant could not answer."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from sqlalchemy.orm import Session

from bot.feedback.store import Counted, disliked, rating_counts, unanswered
from bot.web.console.auth import Agent, page
from bot.web.console.render import render
from bot.web.context import web_context

REASONS = {"no_answer": "知识库无答案", "out_of_scope": "超出服务范围"}


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


def summary(session: Session) -> Summary:
    counts = rating_counts(session)
    return Summary(counts.get(1, 0), counts.get(-1, 0), disliked(session), unanswered(session))


@page
async def feedback_page(request: web.Request, agent: Agent) -> web.StreamResponse:
    found = await web_context(request).run_db(summary)
    return render(request, "feedback.html", agent, active="feedback", summary=found, reasons=REASONS)
