"""The aiohttp application: web chat (/), its JSON API (/api/*), the agent console (/agent)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from aiohttp import web

from bot.livechat.push import push_forever
from bot.settings import Settings
from bot.store.engine import database_ready
from bot.store.runtime import sessions_for
from bot.web.chat import add_chat_routes
from bot.web.console import add_console_routes
from bot.web.context import WEB_KEY, WebContext, web_context
from bot.web.metrics import add_metrics_routes, count_requests
from bot.web.security import security_headers
from bot.web.timeouts import read_body, serve

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY_BYTES = 256 * 1024


def create_app(settings: Settings | None = None, context: WebContext | None = None) -> web.Application:
    settings = settings or Settings.from_env()
    context = context or WebContext(settings=settings, factory=sessions_for(settings.database_url))
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[count_requests, security_headers, read_body])
    app[WEB_KEY] = context
    add_chat_routes(app)
    add_console_routes(app)
    app.router.add_get("/healthz", health)
    app.router.add_get("/readyz", ready)
    add_metrics_routes(app)  # /metrics: Prometheus, each replica directly (not through nginx)
    app.router.add_static("/static/", STATIC, follow_symlinks=False)
    app.cleanup_ctx.append(wechat_pusher)
    return app


async def wechat_pusher(app: web.Application):
    """When a WeChat account is configured, deliver outbox messages to WeChat customers."""
    from bot.channels.wechat_api import client_from_settings

    context = app[WEB_KEY]
    client = client_from_settings(context.settings)
    if client is None:
        yield
        return
    task = asyncio.create_task(push_forever(context.run_db, client.send_text, context.now))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await client.close()


async def health(_request: web.Request) -> web.Response:
    """Liveness: the process answers (the web chat's reconnect probe too)."""
    return web.json_response({"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    """Readiness: the database answers `SELECT 1` through the store's pool; 503 when it does not."""
    factory = web_context(request).factory
    if await database_ready(lambda: factory):
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "unavailable"}, status=503)


def main() -> None:
    from bot.masking import install_pii_filter

    settings = Settings.from_env()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_pii_filter()
    asyncio.run(serve(create_app(settings), settings.web_host, settings.web_port, settings.web_read_timeout))


if __name__ == "__main__":
    main()
