"""The call-back request form (回电): a mobile number and a preferred time, when no agent is online.

The number is read with bot/booking/phone.py and kept sealed in the slot (bot/booking/sealed.py); the time with
bot/livechat/callbacks.py (the booking's visit parser, within the service hours). Both may come in one message
("13912345678 明天上午"), also the message that starts the form. "取消" stops it (the rule in data/callback.yml);
after MAX_FAILURES answers that could not be read it stops and points to 95598.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import context_from, summary_of
from bot.booking.phone import find_phone, parse_phone
from bot.booking.sealed import seal, unseal
from bot.booking.visit import Visit
from bot.calendar import china_now
from bot.livechat.callbacks import SERVICE_HOURS, find_callback_time, parse_callback_time, preferred_text, save_callback
from bot.livechat.store import clock
from bot.masking import mask_phone
from bot.orders.store import conversation_key
from bot.services import current

logger = logging.getLogger(__name__)
REQUESTED = "requested_slot"
PHONE, TIME, FAILURES = "callback_phone", "callback_time", "callback_failures"
SLOTS = (PHONE, TIME)
MAX_FAILURES = 3
STOP_WORDS = ("取消", "不用了", "算了", "不留了", "不要了")
GAVE_UP = "抱歉，几次都没能登记成功，先不登记回电了。您可以拨打供电服务热线95598（24小时），或稍后再说“转人工”。"
STORE_FAILED = "抱歉，系统暂时无法登记回电，请稍后再试，或拨打供电服务热线95598（24小时）。"
CANCELLED = "好的，不登记回电了。需要时可以说“转人工”，或拨打供电服务热线95598（24小时）。"


def reset_events() -> list[EventType]:
    return [SlotSet(PHONE, None), SlotSet(TIME, None), SlotSet(FAILURES, None)]


def _wants_to_stop(text: str, intent: str | None) -> bool:
    return intent == "cancel" or (len(text) <= 6 and any(word in text for word in STOP_WORDS))


class ValidateCallbackForm(FormValidationAction):
    """Fills the number and the time from whatever the customer wrote; says exactly what is wrong otherwise."""

    def name(self) -> str:
        return "validate_callback_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = (tracker.latest_message.get("text") or "").strip()
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        requested = tracker.get_slot(REQUESTED)
        if requested and _wants_to_stop(text, intent):
            return []  # not an answer: the form rejects it and the cancel rule runs
        filled = {slot: tracker.get_slot(slot) for slot in SLOTS}
        events: list[EventType] = []
        errors: list[str] = []
        rest = "" if text.startswith("/") else text  # a button's payload carries no answer
        phone = (parse_phone if requested == PHONE else find_phone)(rest)
        if phone.ok and phone.value is not None:
            filled[PHONE] = seal(phone.value, current().sealer)
            events.append(SlotSet(PHONE, filled[PHONE]))
            start, end = phone.span or (0, 0)
            rest = rest[:start] + " " + rest[end:]  # the number's digits are not a time
        elif requested == PHONE and phone.error:
            errors.append(phone.error.replace("方便客户经理联系您", "方便客服给您回电"))
        when = (parse_callback_time if requested == TIME else find_callback_time)(rest, china_now())
        if when.ok and when.value is not None:
            filled[TIME] = when.value.slot()
            events.append(SlotSet(TIME, filled[TIME]))
        elif when.error and (requested == TIME or rest.strip()):
            errors.append(when.error)
        failures = int(tracker.get_slot(FAILURES) or 0)
        if errors and requested:
            dispatcher.utter_message(text=errors[0])
        if requested and any(event["name"] == requested for event in events):
            failures = 0  # the asked-for answer came (a note about the rest may have been said)
        elif errors and requested:
            failures += 1
        events.append(SlotSet(FAILURES, float(failures)))
        if failures >= MAX_FAILURES:
            dispatcher.utter_message(text=GAVE_UP)
            return events + [SlotSet(PHONE, None), SlotSet(TIME, None), SlotSet(REQUESTED, None)]
        return events + [SlotSet(REQUESTED, next((slot for slot in SLOTS if not filled[slot]), None))]


class ActionSubmitCallback(Action):
    """After the form: store the request (an open one of this conversation is updated) and confirm it."""

    def name(self) -> str:
        return "action_submit_callback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        sealed, when = tracker.get_slot(PHONE), tracker.get_slot(TIME)
        phone = unseal(sealed, current().sealer) if sealed else None
        if not phone or not when:
            return reset_events()  # stopped early: the form has said why
        visit = Visit.from_slot(when)
        context = context_from(tracker)
        conversation = conversation_key(tracker.sender_id)
        try:
            with current().session() as session:
                number, updated = save_callback(
                    session, conversation=conversation, channel=str(tracker.get_latest_input_channel() or ""),
                    phone=phone, phone_sealed=sealed, visit=visit, now=clock(), region=context.region,
                    summary=summary_of(tracker, context))
        except Exception:
            logger.exception("call-back request not stored (conversation %s)", conversation[:8])
            dispatcher.utter_message(text=STORE_FAILED)
            return reset_events()
        logger.info("call-back request %s %s (conversation %s)", number, "updated" if updated else "left",
                    conversation[:8])
        verb = "已更新您的回电登记" if updated else "已为您登记回电"
        dispatcher.utter_message(
            text=f"好的，{verb}（编号{number}）：客服将于{preferred_text(visit.day, visit.period, visit.at)} "
                 f"拨打 {mask_phone(phone)} 给您回电。回电服务时间：{SERVICE_HOURS}；紧急情况请拨打95598（24小时）。")
        return reset_events()


class ActionCancelCallback(Action):
    def name(self) -> str:
        return "action_cancel_callback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(text=CANCELLED)
        return reset_events() + [ActiveLoop(None), SlotSet(REQUESTED, None)]
