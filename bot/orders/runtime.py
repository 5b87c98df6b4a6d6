"""The order rules of this deployment, from the settings: the status-lookup limits, the booking dedupe window."""

from __future__ import annotations

from datetime import timedelta

from bot.orders.lookup import LookupPolicy
from bot.settings import Settings


def lookup_policy(settings: Settings) -> LookupPolicy:
    return LookupPolicy(settings.lookup_max_failures, timedelta(minutes=settings.lookup_window_minutes),
                        settings.lookup_daily_max_failures)


def dedupe_window(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.booking_dedupe_minutes)
