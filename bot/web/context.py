"""What every web handler needs, kept on the aiohttp application (no module-level state)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from aiohttp import web
from sqlalchemy.orm import Session, sessionmaker

from bot.limits import forwarded_client
from bot.orders.times import naive_utc_now
from bot.services import Services
from bot.settings import Settings
from bot.store.engine import session_scope

T = TypeVar("T")


@dataclass
class WebContext:
    settings: Settings
    factory: sessionmaker
    # UTC whatever the machine's time zone; naive, as the live-chat, feedback and account tables take it (read as
    # UTC: bot/orders/times.py). Shown in Beijing time by the console's `when` filter.
    now: Callable[[], datetime] = naive_utc_now
    extras: dict[str, Any] = field(default_factory=dict)
    services: Services | None = None  # the app's (bot/services.py); tests may give a context without

    @classmethod
    def of(cls, services: Services) -> WebContext:
        return cls(settings=services.settings, factory=services.sessions, services=services)

    @contextmanager
    def session(self):
        with session_scope(self.factory) as session:
            yield session

    async def run_db(self, work: Callable[[Session], T]) -> T:
        """Run blocking database work in a thread with its own session."""
        def job() -> T:
            with self.session() as session:
                return work(session)
        return await asyncio.to_thread(job)


WEB_KEY: web.AppKey[WebContext] = web.AppKey("bandian_web", WebContext)


def web_context(request_or_app: web.Request | web.Application) -> WebContext:
    app = request_or_app.app if isinstance(request_or_app, web.Request) else request_or_app
    return app[WEB_KEY]


def client_address(request: web.Request) -> str:
    """The client's address; behind our own load balancer (BANDIAN_TRUST_PROXY) the one it reports, when the
    request came from it (BANDIAN_TRUSTED_PROXIES: bot/limits.py `forwarded_client`)."""
    settings = web_context(request).settings
    address = forwarded_client(request.remote, request.headers, settings.trust_proxy, settings.trusted_proxies)
    return address or "unknown"
