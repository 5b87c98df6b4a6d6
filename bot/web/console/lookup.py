"""The lookup box: a question answered in agent mode (document, section, verbatim excerpt) and in
the customer's wording, ready to copy. Each lookup is stateless (a fresh context, optional region)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web

from bot.qa.context import Context
from bot.qa.planner import Answerer
from bot.web.console.auth import PATH, Agent, api, page
from bot.web.console.knowledge import answerer_of, region_name
from bot.web.console.render import render
from bot.web.context import web_context

MAX_QUESTION = 500


@dataclass(frozen=True)
class Citation:
    doc: str
    section: str
    excerpt: str
    statement: str


@dataclass(frozen=True)
class Suggestion:
    label: str
    href: str


@dataclass(frozen=True)
class Lookup:
    question: str
    agent_text: str
    customer_text: str
    citations: tuple[Citation, ...]
    answered: bool
    region: str
    suggestions: tuple[Suggestion, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {"question": self.question, "answer": self.agent_text, "customer": self.customer_text,
                "answered": self.answered, "region": self.region,
                "citations": [c.__dict__ for c in self.citations]}


def lookup(answerer: Answerer, question: str, region: str | None = None) -> Lookup:
    start = Context(region=region)
    agent = answerer.reply(question, Context(region=region, agent_mode=True))
    customer = answerer.reply(question, start)
    citations = tuple(dict.fromkeys(
        Citation(f.source.doc, f.source.section, f.source.excerpt, f.statement) for f in agent.facts))
    suggestions = tuple(
        Suggestion(label, f"{PATH}?{urlencode({'q': f'{label} {question}', 'region': region or ''})}")
        for label, _payload in agent.buttons)
    return Lookup(question, agent.text, customer.text, citations, agent.answered,
                  region_name(answerer.kb, agent.context.region), suggestions)


def _question(request: web.Request) -> tuple[str, str | None]:
    question = request.query.get("q", "").strip()[:MAX_QUESTION]
    region = request.query.get("region") or None
    return question, region


def _valid_region(answerer: Answerer, region: str | None) -> str | None:
    return region if region and any(r.id == region for r in answerer.kb.regions) else None


@page
async def lookup_page(request: web.Request, agent: Agent) -> web.StreamResponse:
    context = web_context(request)
    answerer = await asyncio.to_thread(answerer_of, context)
    question, region = _question(request)
    region = _valid_region(answerer, region)
    result = await asyncio.to_thread(lookup, answerer, question, region) if question else None
    regions = [(r.id, r.name) for r in answerer.kb.regions]
    return render(request, "lookup.html", agent, active="lookup", question=question, region=region or "",
                  regions=regions, result=result)


@api
async def lookup_api(request: web.Request, _agent: Agent) -> web.StreamResponse:
    context = web_context(request)
    answerer = await asyncio.to_thread(answerer_of, context)
    question, region = _question(request)
    if not question:
        return web.json_response({"error": "请输入问题"}, status=400)
    result = await asyncio.to_thread(lookup, answerer, question, _valid_region(answerer, region))
    return web.json_response(result.as_json(), headers={"Cache-Control": "no-store"})
