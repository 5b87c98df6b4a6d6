"""Status lookup form: order number + last four phone digits (staff in agent mode: order number alone)."""

from __future__ import annotations

import logging

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.booking import fresh_user_message
from actions.identity import agent_mode, lookup_client, message_identity
from bot.booking.business import BY_ID as BUSINESS
from bot.booking.interpret import is_interruption
from bot.booking.status import interpret_status
from bot.calendar import china_now
from bot.metrics import record_status_lookup
from bot.orders.lookup import Outcome, lookup_order
from bot.orders.report import status_text
from bot.orders.runtime import lookup_policy
from bot.orders.store import conversation_key
from bot.services import knowledge_base
from bot.settings import Settings
from bot.store.runtime import open_session

logger = logging.getLogger(__name__)
REQUESTED = "requested_slot"
SLOTS = {"order": "status_order", "suffix": "status_suffix"}
MAX_FAILURES = 3


def needs_suffix(tracker: Tracker) -> bool:
    """Customers always give the phone suffix too; only a staff message in agent mode may look up by number
    alone (actions/identity.py). Who booked the order does not matter: a sender id is whatever the
    caller of a public channel says it is."""
    return not agent_mode(tracker)


def next_status_slot(tracker: Tracker, values: dict[str, str | None]) -> str | None:
    if not values.get("order"):
        return SLOTS["order"]
    if not values.get("suffix") and needs_suffix(tracker):
        return SLOTS["suffix"]
    return None


class ValidateStatusForm(FormValidationAction):
    def name(self) -> str:
        return "validate_status_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        values = {f: tracker.get_slot(s) for f, s in SLOTS.items()}
        if not fresh_user_message(tracker):
            return [SlotSet(REQUESTED, next_status_slot(tracker, values))]
        requested = next((f for f, s in SLOTS.items() if s == tracker.get_slot(REQUESTED)), None)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        turn = interpret_status(tracker.latest_message.get("text") or "", requested)
        if not turn.updates and requested and intent != "check_status" and (
                is_interruption(intent) or intent == "request_booking"):
            return []
        events: list[EventType] = [SlotSet(SLOTS[f], v) for f, v in turn.updates.items()]
        failures = int(tracker.get_slot("status_failures") or 0)
        if turn.error:
            dispatcher.utter_message(text=turn.error)
            failures += 1
        events.append(SlotSet("status_failures", float(failures)))
        if failures >= MAX_FAILURES:
            dispatcher.utter_message(response="utter_status_help")
            return events + [SlotSet(REQUESTED, None)]
        return events + [SlotSet(REQUESTED, next_status_slot(tracker, values | turn.updates))]


def reset_status() -> list[EventType]:
    return [SlotSet("status_order", None), SlotSet("status_suffix", None), SlotSet("status_failures", None)]


class ActionCheckStatus(Action):
    """Looks the order up (rate limited per conversation, client address and order; one answer for every
    miss and one for every refusal) and reports its stage and deadline."""

    def name(self) -> str:
        return "action_check_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        number = tracker.get_slot("status_order")
        if not number:
            return reset_status()
        settings = Settings.from_env()
        identity = message_identity(tracker, settings)
        agent = identity.staff and bool(tracker.get_slot("agent_mode"))
        now = china_now()
        try:
            with open_session(settings) as session:
                result = lookup_order(session, number, tracker.get_slot("status_suffix"), now=now, agent=agent,
                                      conversation=conversation_key(tracker.sender_id),
                                      client=lookup_client(identity), policy=lookup_policy(settings))
        except SQLAlchemyError:
            logger.exception("status lookup failed")
            record_status_lookup("error")
            dispatcher.utter_message(response="utter_status_store_failed")
            return reset_status()
        record_status_lookup(result.outcome.value)
        if result.outcome is Outcome.FOUND and result.order:
            business = BUSINESS.get(result.order.business)
            text = status_text(knowledge_base(), result.order, now, business.name if business else "")
            dispatcher.utter_message(text=text)
        elif result.outcome is Outcome.LOCKED:
            dispatcher.utter_message(response="utter_status_locked", minutes=settings.lookup_window_minutes)
        elif result.outcome is Outcome.BAD_NUMBER:
            dispatcher.utter_message(response="utter_status_bad_number")
        else:
            dispatcher.utter_message(response="utter_status_no_match")
        return reset_status()


class ActionCancelStatus(Action):
    """Leaves the status lookup and forgets what was typed into it."""

    def name(self) -> str:
        return "action_cancel_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if (tracker.latest_message.get("intent") or {}).get("name") == "cancel":
            dispatcher.utter_message(response="utter_status_cancelled")
        return reset_status() + [ActiveLoop(None), SlotSet(REQUESTED, None)]
