"""The process's order database, opened on first use from the settings (never at import time)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy.orm import Session

from bot.db import engine_for, session_factory, session_scope
from bot.orders.lookup import LookupPolicy
from bot.settings import Settings


@contextmanager
def orders_session(settings: Settings | None = None) -> Iterator[Session]:
    settings = settings or Settings.from_env()
    with session_scope(session_factory(engine_for(settings.database_url))) as session:
        yield session


def lookup_policy(settings: Settings) -> LookupPolicy:
    return LookupPolicy(settings.lookup_max_failures, timedelta(minutes=settings.lookup_window_minutes))


def dedupe_window(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.booking_dedupe_minutes)
