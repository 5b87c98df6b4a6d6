"""The aiohttp application: web chat (/), its JSON API (/api/*), the agent console (/agent)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from pathlib import Path

from aiohttp import web

from bot.livechat.push import push_forever
from bot.services import Services, install
from bot.settings import Settings
from bot.store.engine import database_ready
from bot.web.chat import add_chat_routes
from bot.web.console import add_console_routes
from bot.web.context import WEB_KEY, WebContext, web_context
from bot.web.metrics import add_metrics_routes, count_requests
from bot.web.security import security_headers
from bot.web.timeouts import read_body, serve

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY_BYTES = 256 * 1024


def create_app(services: Services, context: WebContext | None = None) -> web.Application:
    """The app over `services` (its database opened here), or over a context a test made."""
    context = context or WebContext.of(services)
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


def parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog="python -m bot.web",
        description="Serve the web chat (/), its JSON API (/api/*) and the agent console (/agent) on "
                    "BANDIAN_WEB_HOST:BANDIAN_WEB_PORT (default 127.0.0.1:8080). Settings come from the "
                    "environment and .env (bot/settings.py); there are no options.")


def main(argv: list[str] | None = None) -> None:
    from bot.masking import install_pii_filter

    parser().parse_args(sys.argv[1:] if argv is None else argv)  # --help: prints the usage, exits 0
    services = Services.from_settings(Settings.from_env())
    install(services)
    settings = services.settings
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_pii_filter()
    asyncio.run(serve(create_app(services), settings.web_host, settings.web_port, settings.web_read_timeout))


if __name__ == "__main__":
    main()
