"""零证预约 booking form: thin adapters between Rasa and bot.booking / bot.orders."""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.conversation import fresh_user_message, remember_order
from actions.identity import agent_mode
from bot.booking.business import BUSINESS_TYPES
from bot.booking.form import FIELDS, LABELS, MAX_FAILURES, acknowledgement, field_name, next_field, slot_name
from bot.booking.interpret import interpret
from bot.booking.reply import summary
from bot.booking.sealed import seal, unseal
from bot.booking.service import IncompleteBooking, confirm_booking
from bot.orders.runtime import dedupe_window
from bot.orders.store import conversation_key
from bot.phones import find_phone_numbers, phone_fold
from bot.services import current

logger = logging.getLogger(__name__)
REQUESTED = "requested_slot"

STATE_SLOTS = ("booking_editing", "booking_failures")
SEALED = ("phone", "address")  # kept encrypted in slots: tracker events never hold them in clear
AFTER_BOOKING = [{"title": "查进度", "payload": "/check_status"},
                 {"title": "改约上门时间", "payload": "/reschedule_visit"}]


def booking_fields(tracker: Tracker) -> dict[str, Any]:
    """The form's values, with the sealed ones opened (in memory only)."""
    box = current().sealer
    values = {field: tracker.get_slot(slot_name(field)) for field in FIELDS}
    return {field: unseal(value, box) if field in SEALED else value for field, value in values.items()}


def slot_events(updates: dict[str, Any]) -> list[EventType]:
    box = current().sealer
    return [SlotSet(slot_name(f), seal(v, box) if f in SEALED else v) for f, v in updates.items()]


def reset_events() -> list[EventType]:
    """Forget everything the form collected (the order store keeps what the business needs)."""
    return [SlotSet(slot_name(field), None) for field in FIELDS] + [SlotSet(s, None) for s in STATE_SLOTS]


def request_id(tracker: Tracker) -> str:
    message = tracker.latest_message or {}
    key = message.get("message_id") or f"{message.get('text')}@{_latest_user_timestamp(tracker)}"
    return hashlib.sha256(f"{tracker.sender_id}|{key}".encode()).hexdigest()[:40]


def _latest_user_timestamp(tracker: Tracker) -> Any:
    return next((e.get("timestamp") for e in reversed(tracker.events) if e.get("event") == "user"), None)


_STATUS_WORDS = re.compile(r"查|进度|工单|单号|订单")


def form_intent(text: str, intent: str | None, requested: str | None) -> str | None:
    """The intent the form reads a message with. A message that is nothing but a phone number (in any format
    bot/phones.py reads: 0086-139…, 139-1234-5678, 一三九…, a landline 0371-12345678) is an answer, not a
    status query, however the classifier took it (DIET reads digits and dashes like an order number): at
    the phone prompt any such number, elsewhere a mobile number (a correction)."""
    if intent != "check_status":
        return intent
    numbers = find_phone_numbers(text)
    if not numbers or not (requested == "phone" or any(n.kind == "mobile" for n in numbers)):
        return intent
    bounds = [0, *(edge for n in numbers for edge in (n.start, n.end)), len(text)]
    rest = "".join(text[bounds[i]:bounds[i + 1]] for i in range(0, len(bounds), 2))
    if any(char.isdecimal() for char in phone_fold(rest)) or _STATUS_WORDS.search(rest):
        return intent  # an order number or a status question besides the phone number
    return "inform"


class ValidateBookingForm(FormValidationAction):
    """Reads every answer with bot.booking.interpret: fills, corrects, rejects questions, counts failures."""

    def name(self) -> str:
        return "validate_booking_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        kb = current().kb
        fields = booking_fields(tracker)
        if not fresh_user_message(tracker):
            return [SlotSet(REQUESTED, _slot(next_field(kb, fields)))]
        requested = field_name(tracker.get_slot(REQUESTED))
        text = tracker.latest_message.get("text") or ""
        intent = form_intent(text, (tracker.latest_message.get("intent") or {}).get("name"), requested)
        turn = interpret(kb, text, now=current().clock(), requested=requested, intent=intent, filled=fields)
        if turn.reject:
            return []
        note = acknowledgement(kb, fields, turn.updates, requested)
        if note:
            dispatcher.utter_message(text=note)
        events = slot_events(turn.updates)
        failures = int(tracker.get_slot("booking_failures") or 0)
        if turn.error:
            dispatcher.utter_message(text=turn.error)
            failures += 1
        elif requested is None or requested in turn.updates:
            failures = 0
        events.append(SlotSet("booking_failures", float(failures)))
        if failures >= MAX_FAILURES:  # stop instead of looping: offer 95598 or a person
            dispatcher.utter_message(response="utter_booking_help", field=LABELS.get(requested or "", "信息"))
            return events + [SlotSet(REQUESTED, None)]
        events.append(SlotSet("booking_editing", turn.editing))
        return events + [SlotSet(REQUESTED, _slot(next_field(kb, fields | turn.updates)))]


def _slot(field: str | None) -> str | None:
    return slot_name(field) if field else None


class ActionAskBookingDistrict(Action):
    def name(self) -> str:
        return "action_ask_booking_district"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        region = current().kb.region(tracker.get_slot("booking_region"))
        buttons = [{"title": d.name, "payload": d.name} for d in region.districts]
        dispatcher.utter_message(text=f"请问用电地址在{region.name}的哪个区县？", buttons=buttons)
        return []


class ActionAskBookingRegion(Action):
    def name(self) -> str:
        return "action_ask_booking_region"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        regions = current().kb.regions
        buttons = [{"title": r.name, "payload": r.name} for r in regions]
        names = "、".join(r.name for r in regions)
        dispatcher.utter_message(text=f"请问用电地址在哪个城市？目前可预约：{names}。", buttons=buttons)
        return []


class ActionAskBookingBusiness(Action):
    def name(self) -> str:
        return "action_ask_booking_business"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        buttons = [{"title": b.name, "payload": b.name} for b in BUSINESS_TYPES]
        dispatcher.utter_message(text="请问办理哪类业务？", buttons=buttons)
        return []


class ActionAskBookingConfirmed(Action):
    """Shows the summary (masked) and asks for an explicit confirmation."""

    def name(self) -> str:
        return "action_ask_booking_confirmed"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("booking_editing"):
            dispatcher.utter_message(response="utter_booking_what_to_change")
            return []
        buttons = [{"title": "确认提交", "payload": "/affirm"}, {"title": "要修改", "payload": "/deny"},
                   {"title": "取消预约", "payload": "/cancel"}]
        dispatcher.utter_message(text=summary(current().kb, booking_fields(tracker)), buttons=buttons)
        return []


class ActionConfirmBooking(Action):
    """After the form: create the order (committed) and confirm it, or explain why nothing was booked."""

    def name(self) -> str:
        return "action_confirm_booking"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("booking_confirmed") is not True:
            return reset_events()  # the form stopped early (repeated invalid input) and has said why
        services = current()
        staff = agent_mode(tracker)  # a staff booking only from a staff message (actions/identity.py)
        try:
            with current().session() as session:
                result = confirm_booking(
                    current().kb, session, booking_fields(tracker), now=current().clock(),
                    actor="agent" if staff else "customer", channel="staff" if staff else "customer",
                    request_id=request_id(tracker), conversation=conversation_key(tracker.sender_id),
                    dedupe_window=dedupe_window(services.settings))
        except IncompleteBooking:
            dispatcher.utter_message(response="utter_booking_incomplete")
            return reset_events()
        except SQLAlchemyError:
            logger.exception("booking could not be stored (conversation %s)", conversation_key(tracker.sender_id))
            dispatcher.utter_message(response="utter_booking_store_failed")
            return [SlotSet("booking_confirmed", None)]
        logger.info("booking %s %s", result.order.number, "created" if result.created else "already existed")
        if not result.shown:  # another conversation's order: its number is not this conversation's to know
            dispatcher.utter_message(text=result.text)
            return reset_events()
        dispatcher.utter_message(text=result.text, buttons=AFTER_BOOKING)
        return reset_events() + [SlotSet("booking_order", result.order.number)] + remember_order(
            tracker, result.order.number)


class ActionCancelBooking(Action):
    def name(self) -> str:
        return "action_cancel_booking"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_booking_cancelled")
        return reset_events() + [ActiveLoop(None), SlotSet(REQUESTED, None)]
