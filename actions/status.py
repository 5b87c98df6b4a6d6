"""Status lookup form: order number + last four phone digits (staff in agent mode: order number alone).

The conversation remembers the orders booked (or looked up) in it (`known_orders`), so "查一下我的工单" or the
查进度 button needs no number: one remembered order is taken, several are offered as buttons. The phone suffix
is always asked for. The lookup happens inside the form: a miss (wrong number or wrong suffix, one answer for
both) keeps the form open and asks again, so "不好意思，尾号是5670" or a corrected order number is checked
without starting over. The lockout rules are bot/orders/lookup.py's, unchanged: every attempt counts.
"""

from __future__ import annotations

import logging

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.conversation import fresh_user_message, known_orders, remember_order
from actions.identity import agent_mode, is_verified, verified_mark
from actions.lookups import refused, verify
from bot.booking.business import BY_ID as BUSINESS
from bot.booking.interpret import is_interruption
from bot.booking.status import interpret_status
from bot.orders import numbers
from bot.orders.lookup import Outcome
from bot.orders.report import status_text
from bot.orders.store import BEFORE_VISIT, get_order
from bot.services import current

logger = logging.getLogger(__name__)
REQUESTED = "requested_slot"
SLOTS = {"order": "status_order", "suffix": "status_suffix"}
VERIFIED = "status_verified"  # the order number the form's lookup matched (set only by validate_status_form)
MAX_FAILURES = 3
# intents that leave the lookup for another flow (the rules switch to it)
SWITCHES = frozenset({"request_booking", "reschedule_visit", "cancel_order"})
RETRY_SUFFIX = "请重新告诉我预约时登记的手机号后四位；如果是工单号有误，也可以直接发正确的工单号。不查了请说“不查了”。"


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


def remembered(tracker: Tracker) -> str | None:
    """The one order this conversation knows, if it knows exactly one."""
    known = known_orders(tracker)
    return known[0] if len(known) == 1 else None


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
                is_interruption(intent) or intent in SWITCHES):
            return []
        only = remembered(tracker)
        if not values.get("order") and "order" not in turn.updates and only and not turn.error:
            turn.updates["order"] = only  # "查一下我的工单": the one booked in this conversation
        events: list[EventType] = [SlotSet(SLOTS[f], v) for f, v in turn.updates.items()]
        failures = int(tracker.get_slot("status_failures") or 0)
        if turn.error:
            dispatcher.utter_message(text=turn.error)
            failures += 1
        current = values | turn.updates
        following = next_status_slot(tracker, current)
        if following is None and current.get("order") and (turn.updates or not turn.error):
            return events + self._lookup(dispatcher, tracker, current, failures)
        events.append(SlotSet("status_failures", float(failures)))
        if failures >= MAX_FAILURES:
            dispatcher.utter_message(response="utter_status_help")
            return events + [SlotSet(REQUESTED, None)]
        return events + [SlotSet(REQUESTED, following)]

    def _lookup(self, dispatcher: CollectingDispatcher, tracker: Tracker, values: dict[str, str | None],
                failures: int) -> list[EventType]:
        number = str(values["order"])
        result = verify(tracker, number, values.get("suffix") if needs_suffix(tracker) else None)
        if result is not None and result.outcome is Outcome.FOUND and result.order is not None:
            return [SlotSet(VERIFIED, verified_mark(tracker, result.order.number)), SlotSet(REQUESTED, None)]
        refused(dispatcher, result)
        if result is None or result.outcome is Outcome.LOCKED:
            return [SlotSet(REQUESTED, None)]  # stop: action_check_status says nothing more
        failures += 1
        events: list[EventType] = [SlotSet("status_failures", float(failures))]
        if result.outcome is Outcome.BAD_NUMBER:
            events.append(SlotSet(SLOTS["order"], None))
        if failures >= MAX_FAILURES:
            dispatcher.utter_message(response="utter_status_gave_up")
            return events + [SlotSet(REQUESTED, None)]
        # keep the number, ask for the suffix again: a corrected suffix or number is checked without starting over
        events.append(SlotSet(SLOTS["suffix"], None))
        following = SLOTS["order"] if result.outcome is Outcome.BAD_NUMBER else SLOTS["suffix"]
        if not needs_suffix(tracker):
            following = SLOTS["order"]
            events.append(SlotSet(SLOTS["order"], None))
        return events + [SlotSet(REQUESTED, following)]


def reset_status() -> list[EventType]:
    return [SlotSet("status_order", None), SlotSet("status_suffix", None), SlotSet("status_failures", None),
            SlotSet(VERIFIED, None)]


class ActionAskStatusOrder(Action):
    """Asks for the order number, offering the orders this conversation knows as buttons."""

    def name(self) -> str:
        return "action_ask_status_order"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        known = known_orders(tracker)
        if not known:
            dispatcher.utter_message(response="utter_ask_status_order")
            return []
        buttons = [{"title": numbers.display(n), "payload": numbers.display(n)} for n in reversed(known)]
        dispatcher.utter_message(text="请问查询哪一张工单？可以直接点选本次对话中的工单，或输入10位工单号。",
                                 buttons=buttons)
        return []


class ActionAskStatusSuffix(Action):
    """Asks for the phone's last four digits; after a miss, asks again (a corrected number is welcome too)."""

    def name(self) -> str:
        return "action_ask_status_suffix"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("status_failures"):
            dispatcher.utter_message(text=RETRY_SUFFIX)
        else:
            dispatcher.utter_message(response="utter_ask_status_suffix")
        return []


def followups(order_stage: str, customer: bool) -> list[dict[str, str]]:
    """Buttons under a status reply: move the visit or cancel, while the customer may."""
    if not customer or order_stage not in BEFORE_VISIT:
        return []
    return [{"title": "改约上门时间", "payload": "/reschedule_visit"},
            {"title": "取消工单", "payload": "/cancel_order"}]


class ActionCheckStatus(Action):
    """Reports the order the form's lookup matched (the progress view); says nothing when the form stopped
    without a match (the validation has said why)."""

    def name(self) -> str:
        return "action_check_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        number = numbers.canonical(str(tracker.get_slot("status_order") or ""))
        if not number or not is_verified(tracker, tracker.get_slot(VERIFIED), number):
            return reset_status()
        now = current().clock()
        try:
            with current().session() as session:
                order = get_order(session, number)
        except SQLAlchemyError:
            logger.exception("status report failed")
            dispatcher.utter_message(response="utter_status_store_failed")
            return reset_status()
        if order is None:
            dispatcher.utter_message(response="utter_status_no_match")
            return reset_status()
        business = BUSINESS.get(order.business)
        text = status_text(current().kb, order, now, business.name if business else "")
        dispatcher.utter_message(text=text, buttons=followups(order.stage, needs_suffix(tracker)))
        return reset_status() + remember_order(tracker, order.number)


class ActionCancelStatus(Action):
    """Leaves the status lookup and forgets what was typed into it."""

    def name(self) -> str:
        return "action_cancel_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if (tracker.latest_message.get("intent") or {}).get("name") == "cancel":
            dispatcher.utter_message(response="utter_status_cancelled")
        return reset_status() + [ActiveLoop(None), SlotSet(REQUESTED, None)]
