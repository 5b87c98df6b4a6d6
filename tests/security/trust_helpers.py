"""Shared pieces of the trust-boundary tests: signed identities as the REST channel writes them, an order."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from bot.orders import create_booking, seed_demo_managers
from bot.orders.views import BookingDraft
from bot.services import current
from bot.settings import Settings
from bot.store.runtime import sessions_for
from bot.trust import ENVELOPE, Identity, seal_identity, trust_key

NOW = datetime(2025, 11, 26, 10, 0)
PHONE = "13912345678"
SECRET = "security-test-secret"  # BANDIAN_SECRET_KEY of every test here (conftest.py)
STAFF_TOKEN = "staff-token-for-tests"  # BANDIAN_STAFF_TOKEN


def identity_metadata(sender: str, *, staff: bool = False, client: str | None = None,
                      at: float | None = None) -> dict[str, Any]:
    """The metadata the REST channel records for a request (bot/rasa_plugins/rest.py)."""
    key = trust_key(Settings.from_env())
    when = time.time() if at is None else at
    return {ENVELOPE: seal_identity(key, sender, Identity(staff=staff, client=client), when)}


def make_order(url: str, phone: str = PHONE, conversation: str = "someone-else") -> str:
    """An order (安阳 文峰区, a resident) with the demo managers, booked by `conversation`."""
    with sessions_for(url)() as session:
        seed_demo_managers(session, current().kb.regions)
        draft = BookingDraft("张三", phone, "anyang", "文峰区", "安阳市文峰区中华路1号", "resident_new", "resident")
        order = create_booking(session, draft, actor="customer", channel="customer", now=NOW,
                               conversation=conversation, dispatch_within=timedelta(minutes=20)).order
        return order.number
