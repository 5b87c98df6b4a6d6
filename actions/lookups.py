"""Checking an order number and phone suffix for this message's sender, and saying why a lookup found nothing.
A helper module: no actions here."""

from __future__ import annotations

import logging
import math
from datetime import datetime

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.identity import lookup_client, message_identity
from bot.metrics import record_status_lookup
from bot.orders.lookup import LookupPolicy, LookupResult, Outcome, lookup_order
from bot.orders.store import conversation_key
from bot.orders.times import as_utc
from bot.services import current

logger = logging.getLogger(__name__)


def verify(tracker: Tracker, number: str, suffix: str | None) -> LookupResult | None:
    """bot.orders.lookup_order for this message's sender (None: the store failed)."""
    identity = message_identity(tracker)
    agent = identity.staff and bool(tracker.get_slot("agent_mode"))
    try:
        with current().session() as session:
            result = lookup_order(session, number, suffix, now=current().clock(), agent=agent,
                                  conversation=conversation_key(tracker.sender_id),
                                  client=lookup_client(identity), policy=current().lookup_policy)
    except SQLAlchemyError:
        logger.exception("status lookup failed")
        record_status_lookup("error")
        return None
    record_status_lookup(result.outcome.value)
    return result


def refused(dispatcher: CollectingDispatcher, result: LookupResult | None) -> None:
    """Say why a lookup found nothing (one answer for a wrong number and a wrong suffix)."""
    if result is None:
        dispatcher.utter_message(response="utter_status_store_failed")
    elif result.outcome is Outcome.LOCKED:
        dispatcher.utter_message(response="utter_status_locked", wait=wait_text(result, current().clock(),
                                                                               current().lookup_policy))
    elif result.outcome is Outcome.BAD_NUMBER:
        dispatcher.utter_message(response="utter_status_bad_number")
    else:
        dispatcher.utter_message(response="utter_status_no_match")


def wait_text(result: LookupResult, now: datetime, policy: LookupPolicy) -> str:
    """How long a locked-out customer waits: the short window ('15分钟', the same whichever key was locked and
    however much of it is left), or the hours left of a lock for too many misses in a day ('6小时')."""
    left = as_utc(result.locked_until) - as_utc(now) if result.locked_until else policy.window
    if left <= policy.window:
        return f"{int(policy.window.total_seconds() // 60)}分钟"
    return f"{math.ceil(left.total_seconds() / 3600)}小时"
