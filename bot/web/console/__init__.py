"""The hotline agent console at /agent: policy lookup, work orders, the live-chat queue, feedback.

Server-rendered pages (Jinja2, autoescaped) with a little JavaScript from /static/console/;
JSON endpoints under /agent/api/. See docs/console.md.
"""

from __future__ import annotations

from aiohttp import web

from bot.accounts.models import ConsoleUser, LoginFailure  # noqa: F401  (registers the console tables)
from bot.web.console import callbacks, dashboard, export, feedback, handoffs, login, lookup, order_actions, orders
from bot.web.console.state import CONSOLE_KEY, Console, console_lifetime

__all__ = ["add_console_routes"]


async def _slash(_request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/agent")


def add_console_routes(app: web.Application) -> None:
    app[CONSOLE_KEY] = Console()
    app.cleanup_ctx.append(console_lifetime)
    add = app.router
    add.add_get("/agent", lookup.lookup_page)
    add.add_get("/agent/", _slash)
    add.add_get("/agent/login", login.login_form)
    add.add_post("/agent/login", login.login)
    add.add_post("/agent/logout", login.logout)
    add.add_get("/agent/orders", orders.orders_page)
    add.add_post("/agent/orders/export.csv", export.export_csv)
    add.add_post("/agent/orders/export.xlsx", export.export_xlsx)
    add.add_get("/agent/orders/{number}", orders.order_page)
    add.add_post("/agent/orders/{number}/reveal", orders.reveal)
    add.add_post("/agent/orders/{number}/advance", order_actions.advance)
    add.add_post("/agent/orders/{number}/reassign", order_actions.reassign)
    add.add_post("/agent/orders/{number}/note", order_actions.note)
    add.add_post("/agent/orders/{number}/message", order_actions.message)
    add.add_post("/agent/orders/{number}/visit", order_actions.reschedule)
    add.add_post("/agent/orders/{number}/cancel", order_actions.cancel)
    add.add_get("/agent/handoffs", handoffs.queue_page)
    add.add_get("/agent/handoffs/{id}", handoffs.handoff_page)
    add.add_post("/agent/handoffs/{id}/take", handoffs.take)
    add.add_post("/agent/handoffs/{id}/reply", handoffs.reply)
    add.add_post("/agent/handoffs/{id}/hand-back", handoffs.give_back)
    add.add_get("/agent/callbacks", callbacks.callbacks_page)
    add.add_post("/agent/callbacks/{id}/done", callbacks.done)
    add.add_post("/agent/callbacks/{id}/reveal", callbacks.reveal)
    add.add_get("/agent/pushes", callbacks.pushes_page)
    add.add_get("/agent/feedback", feedback.feedback_page)
    add.add_post("/agent/feedback/{id}/handled", feedback.mark_handled)
    add.add_get("/agent/conversations/{key}", feedback.conversation_page)
    add.add_get("/agent/dashboard", dashboard.dashboard_page)
    add.add_get("/agent/api/dashboard", dashboard.dashboard_api)
    add.add_get("/agent/api/lookup", lookup.lookup_api)
    add.add_get("/agent/api/handoffs", handoffs.queue_api)
    add.add_get("/agent/api/handoffs/{id}/messages", handoffs.messages_api)
    add.add_post("/agent/api/handoffs/{id}/reply", handoffs.reply_api)
