"""The dashboard: charts of orders, warning levels by manager, handoff waits, answer quality (drawn by the
vendored Chart.js from /agent/api/dashboard, aggregated on the server: bot/web/console/stats.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from bot.web.console.auth import Agent, api, page
from bot.web.console.knowledge import kb_of
from bot.web.console.render import render
from bot.web.console.stats import dashboard
from bot.web.context import web_context

PERIODS = (7, 30, 90)
DEFAULT_DAYS = 30


def period_days(value: str | None) -> int:
    return int(value) if value and value.isascii() and value.isdigit() and int(value) in PERIODS else DEFAULT_DAYS


async def _numbers(request: web.Request, days: int) -> dict[str, Any]:
    context = web_context(request)
    kb = await asyncio.to_thread(kb_of, context)
    now = context.now()

    def load(session: Session) -> dict[str, Any]:
        return dashboard(session, kb, now, days)

    return await context.run_db(load)


@page
async def dashboard_page(request: web.Request, agent: Agent) -> web.StreamResponse:
    days = period_days(request.query.get("days"))
    numbers = await _numbers(request, days)  # the tables under the charts work without JavaScript
    return render(request, "dashboard.html", agent, active="dashboard", numbers=numbers, days=days,
                  periods=PERIODS, scripts=("vendor/chart.umd.min.js", "dashboard.js"))


@api
async def dashboard_api(request: web.Request, _agent: Agent) -> web.StreamResponse:
    numbers = await _numbers(request, period_days(request.query.get("days")))
    return web.json_response(numbers, headers={"Cache-Control": "no-store"})
