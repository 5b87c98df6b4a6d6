"""What the actions read off a conversation: the orders it knows, whether the form resumes on a fresh message,
the answer context its slots hold, the summary an agent sees. A helper module: no actions here."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from actions.identity import agent_mode
from bot.livechat.summary import handoff_summary, read_turns
from bot.qa.context import Context
from bot.services import current

FORM = "booking_form"
FORM_ACTIONS = {None, "action_listen", FORM, "validate_booking_form", "status_form", "validate_status_form",
                "order_change_form", "validate_order_change_form"}
KNOWN_ORDERS = "known_orders"  # the orders booked or looked up in this conversation (numbers only: no PII)
MAX_KNOWN = 5


def known_orders(tracker: Tracker) -> list[str]:
    value = tracker.get_slot(KNOWN_ORDERS)
    return [str(number) for number in value if number] if isinstance(value, list) else []


def conversation_order(tracker: Tracker) -> str | None:
    """The order this conversation booked, else the last one it looked up or changed with the right details;
    never a number typed in a lookup that failed (an agent would take it for the customer's own: red team R4-3)."""
    booked = tracker.get_slot("booking_order")
    known = known_orders(tracker)
    return str(booked) if booked else (known[-1] if known else None)


def remember_order(tracker: Tracker, number: str) -> list[EventType]:
    """Add an order to the ones this conversation knows (the latest last; the phone suffix is still asked for)."""
    known = [n for n in known_orders(tracker) if n != number] + [number]
    return [SlotSet(KNOWN_ORDERS, known[-MAX_KNOWN:])]


def fresh_user_message(tracker: Tracker) -> bool:
    """False when the form resumes after another action answered the latest message (e.g. a KB question)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action" and event.get("name") not in FORM_ACTIONS:
            return False
    return True
CONTEXT_SLOTS = ("region", "district", "topic", "category", "area", "capacity", "pending", "step")


def context_from(tracker: Tracker) -> Context:
    values = {name: tracker.get_slot(name) for name in CONTEXT_SLOTS}
    if not values["region"] and tracker.get_slot("booking_region"):
        # a question asked in the middle of a booking is about the place being booked
        values["region"] = tracker.get_slot("booking_region")
        values["district"] = tracker.get_slot("booking_district")
    return Context(**values, agent_mode=agent_mode(tracker))


def summary_of(tracker: Tracker, context: Context) -> str:
    """The masked summary of the conversation for an agent: place, customer type, the customer's own questions
    (not their answers to the booking's prompts), what they were unhappy about, the order."""
    questions, complaints = read_turns(tracker.events)
    order = conversation_order(tracker)
    return handoff_summary(current().kb, region=context.region, district=context.district, category=context.category,
                           questions=questions, complaints=complaints, order_number=order)
