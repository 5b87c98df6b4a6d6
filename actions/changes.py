"""Moving the visit or cancelling an order from the chat: order_change_form, then action_apply_order_change.

The customer is verified like a status lookup (order number, or the one remembered in the conversation, and the
phone's last four digits, through bot.orders.lookup_order: the same lockout), then gives the new visit time
(bot/booking/visit.py: working days, working hours, within 30 days) or confirms the cancellation. The change is
written to the order's history and the conversation that booked the order is told (bot/orders/notify.py),
unless it is this one (the reply says it). Only before the documents are collected (BEFORE_VISIT); later the
customer is sent to the customer manager or 95598.
"""

from __future__ import annotations

import logging
from datetime import datetime

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from actions.change_slots import FAILURES, KIND, SLOTS, VERIFIED, WHAT, change_kind
from actions.conversation import fresh_user_message, known_orders, remember_order
from actions.identity import agent_mode, is_verified, verified_mark
from actions.lookups import refused, verify
from bot.booking.changes import KINDS, interpret_change
from bot.booking.interpret import is_interruption
from bot.booking.visit import Visit
from bot.orders import numbers
from bot.orders.lookup import Outcome
from bot.orders.notify import notify_stage_change, notify_visit_change
from bot.orders.stages import BY_ID
from bot.orders.store import BEFORE_VISIT, NotChangeable, cancel_order, conversation_key, get_order, reschedule_visit
from bot.orders.views import OrderView
from bot.services import current

logger = logging.getLogger(__name__)
FORM = "order_change_form"
REQUESTED = "requested_slot"
MAX_FAILURES = 3
STOP = frozenset({"cancel"})  # "算了", "不改了": leave the form, nothing changes
Changed = tuple[OrderView, str, list[dict[str, str]]]  # the order changed, the reply and its buttons


def next_change_slot(kind: str, values: dict[str, object], verified: bool, customer: bool) -> str | None:
    if not values.get("order"):
        return SLOTS["order"]
    if customer and not values.get("suffix"):
        return SLOTS["suffix"]
    if not verified:
        return None  # checked by the validation before anything else is asked
    if kind == "reschedule":
        return None if values.get("visit") else SLOTS["visit"]
    return None if values.get("confirmed") is not None else SLOTS["confirmed"]


def reset_change() -> list[EventType]:
    return [SlotSet(slot, None) for slot in (*SLOTS.values(), KIND, VERIFIED, FAILURES)]


class ValidateOrderChangeForm(FormValidationAction):
    def name(self) -> str:
        return "validate_order_change_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        kind = change_kind(tracker)
        customer = not agent_mode(tracker)
        values = {field: tracker.get_slot(slot) for field, slot in SLOTS.items()}
        verified = is_verified(tracker, tracker.get_slot(VERIFIED), values.get("order"))
        if not fresh_user_message(tracker):
            return [SlotSet(KIND, kind), SlotSet(REQUESTED, next_change_slot(kind, values, verified, customer))]
        requested = next((f for f, s in SLOTS.items() if s == tracker.get_slot(REQUESTED)), None)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = tracker.latest_message.get("text") or ""
        turn = interpret_change(text, kind=kind, requested=requested, now=current().clock(), intent=intent)
        if intent in STOP and "confirmed" not in turn.updates:
            return [SlotSet(KIND, kind), SlotSet(SLOTS["confirmed"], False), SlotSet(REQUESTED, None)]
        if not turn.updates and requested and intent not in KINDS and (
                is_interruption(intent) or intent == "request_booking"):
            return []  # a question: the rules answer it and come back
        known = known_orders(tracker)
        if not values.get("order") and "order" not in turn.updates and len(known) == 1 and not turn.error:
            turn.updates["order"] = known[0]
        if "order" in turn.updates and turn.updates["order"] != values.get("order"):
            verified = False
        events: list[EventType] = [SlotSet(KIND, kind)] + [SlotSet(SLOTS[f], v) for f, v in turn.updates.items()]
        failures = int(tracker.get_slot(FAILURES) or 0)
        if turn.error:
            dispatcher.utter_message(text=turn.error)
            failures += 1
        wanted = values | turn.updates
        checked = self._check(dispatcher, tracker, kind, wanted, customer, verified, "visit" in turn.updates)
        if checked is None:
            return events + [SlotSet(SLOTS["order"], None), SlotSet(REQUESTED, None)]  # refused: stop
        more, missed, verified = checked
        events += more
        failures += missed
        events.append(SlotSet(FAILURES, float(failures)))
        if failures >= MAX_FAILURES:
            dispatcher.utter_message(response="utter_change_help")
            return events + [SlotSet(SLOTS["order"], None), SlotSet(REQUESTED, None)]
        return events + [SlotSet(REQUESTED, next_change_slot(kind, wanted, verified, customer))]

    def _check(self, dispatcher: CollectingDispatcher, tracker: Tracker, kind: str, wanted: dict[str, object],
               customer: bool, verified: bool, new_visit: bool) -> tuple[list[EventType], int, bool] | None:
        """Verify the order once it is known (and the suffix, for a customer), and check that a new visit differs
        from the one agreed: the events, the misses and whether the order is verified; None when refused (stop).
        `wanted` loses what has to be asked again."""
        events: list[EventType] = []
        failures = 0
        if not verified and wanted.get("order") and (wanted.get("suffix") or not customer):
            checked = self._verify(dispatcher, tracker, kind, wanted, customer)
            if checked is None:
                failures += 1
                events += [SlotSet(SLOTS["suffix"], None), SlotSet(VERIFIED, None)]
                wanted["suffix"] = None
                if not customer:
                    events.append(SlotSet(SLOTS["order"], None))
                    wanted["order"] = None
            elif checked is False:
                return None
            else:
                verified = True
                events.append(SlotSet(VERIFIED, verified_mark(tracker, str(checked))))
                if kind == "reschedule" and wanted.get("visit") and not self._visit_differs(dispatcher, wanted):
                    events.append(SlotSet(SLOTS["visit"], None))
                    wanted["visit"] = None
        elif verified and kind == "reschedule" and new_visit and not self._visit_differs(dispatcher, wanted):
            events.append(SlotSet(SLOTS["visit"], None))
            wanted["visit"] = None
            failures += 1
        return events, failures, verified

    @staticmethod
    def _verify(dispatcher: CollectingDispatcher, tracker: Tracker, kind: str, values: dict[str, object],
                customer: bool) -> str | bool | None:
        """The order number when verified and changeable; None after a miss (ask again); False to stop."""
        result = verify(tracker, str(values["order"]), str(values.get("suffix") or "") if customer else None)
        if result is None or result.outcome is Outcome.LOCKED:
            refused(dispatcher, result)
            return False
        if result.outcome is not Outcome.FOUND or result.order is None:
            refused(dispatcher, result)
            return None
        order = result.order
        if order.stage not in BEFORE_VISIT:
            stage = BY_ID[order.stage].name
            manager = order.manager.name if order.manager else "客户经理"
            if BY_ID[order.stage].final:
                dispatcher.utter_message(text=f"工单 {order.display_number} 已{stage}，不能再{WHAT[kind]}。")
            else:
                dispatcher.utter_message(text=f"工单 {order.display_number} 已进入「{stage}」，客户经理已上门收资，"
                                              f"不能在线{WHAT[kind]}。请联系{manager}或拨打95598办理。")
            return False
        if kind == "cancel":
            dispatcher.utter_message(text=f"已核对：工单 {order.display_number}（{order.masked_name}，"
                                          f"{order.masked_address}）。")
        elif order.visit_date:
            dispatcher.utter_message(text=f"已核对：工单 {order.display_number}，目前约定的上门时间是{order.visit}。")
        return order.number

    @staticmethod
    def _visit_differs(dispatcher: CollectingDispatcher, values: dict[str, object]) -> bool:
        try:
            with current().session() as session:
                order = get_order(session, str(values["order"]))
        except SQLAlchemyError:
            return True  # the change itself will report a store failure
        visit = Visit.from_slot(str(values["visit"]))
        if order is not None and (order.visit_date, order.visit_period, order.visit_time) == (
                visit.day, visit.period, visit.at):
            dispatcher.utter_message(text=f"上门时间已经是{visit.text()}了，请说一个新的时间。")
            return False
        return True


class ActionApplyOrderChange(Action):
    """After the form: move the visit or cancel (committed, in the history, the customer told), or say why not."""

    def name(self) -> str:
        return "action_apply_order_change"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        kind = change_kind(tracker)
        number = tracker.get_slot(SLOTS["order"])
        if tracker.get_slot(SLOTS["confirmed"]) is False:
            dispatcher.utter_message(response="utter_change_kept")
            return reset_change()
        if not is_verified(tracker, tracker.get_slot(VERIFIED), number):
            return reset_change()  # the form stopped (refused, or too many misses) and has said why
        staff = agent_mode(tracker)
        actor = "agent" if staff else "customer"
        here = conversation_key(tracker.sender_id)
        now = current().clock()
        try:
            with current().session() as session:
                change = self._reschedule if kind == "reschedule" else self._cancel
                done = change(session, tracker, str(number), staff, now, here)
                if done is None:
                    return reset_change()
                order, text, buttons = done
        except NotChangeable as error:
            dispatcher.utter_message(text=f"抱歉，{error}。如需帮助请拨打95598。")
            return reset_change()
        except SQLAlchemyError:
            logger.exception("order change failed (conversation %s)", here)
            dispatcher.utter_message(response="utter_change_store_failed")
            return reset_change()
        logger.info("order %s: %s by %s", order.number, kind, actor)
        dispatcher.utter_message(text=text, buttons=buttons)
        return reset_change() + remember_order(tracker, order.number)

    @staticmethod
    def _reschedule(session: Session, tracker: Tracker, number: str, staff: bool, now: datetime,
                    here: str) -> Changed | None:
        """The visit moved (None: no new visit in the form)."""
        if not tracker.get_slot(SLOTS["visit"]):
            return None
        visit = Visit.from_slot(str(tracker.get_slot(SLOTS["visit"])))
        order = reschedule_visit(session, number, visit.day, visit.period, visit.at,
                                 actor="agent" if staff else "customer", now=now)
        notify_visit_change(session, order.number, now, skip=here)
        manager = order.manager.name if order.manager else "客户经理"
        text = (f"好的，已为您把工单 {order.display_number} 的上门时间改为{order.visit}，"
                f"{manager}将按新的时间上门。这次改约已记入办理记录。")
        return order, text, [{"title": "查进度", "payload": "/check_status"}]

    @staticmethod
    def _cancel(session: Session, tracker: Tracker, number: str, staff: bool, now: datetime,
                here: str) -> Changed | None:
        """The order cancelled (None: the cancellation was not confirmed)."""
        if tracker.get_slot(SLOTS["confirmed"]) is not True:
            return None
        order = cancel_order(session, number, actor="agent" if staff else "customer", now=now, customer=not staff,
                             note="客户在对话中取消" if not staff else "工作人员在对话中取消")
        notify_stage_change(session, order.number, now, skip=here)
        return order, f"工单 {order.display_number} 已取消，客户经理不会再上门。需要时随时说“预约办电”重新登记。", []


class ActionStopOrderChange(Action):
    """Leaves the change form (another flow starts) and forgets what was typed into it."""

    def name(self) -> str:
        return "action_stop_order_change"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return reset_change() + [ActiveLoop(None), SlotSet(REQUESTED, None)]


class ActionNothingToCancel(Action):
    """取消 outside any form: nothing is being filled in; a remembered order can be cancelled with 取消工单."""

    def name(self) -> str:
        return "action_nothing_to_cancel"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        known = known_orders(tracker)
        if not known or not self._open(known[-1]):
            dispatcher.utter_message(response="utter_nothing_to_cancel")
            return []
        number = numbers.display(known[-1])
        dispatcher.utter_message(text=f"好的。目前没有正在填写的预约。要取消已提交的工单 {number}，请点“取消工单”。",
                                 buttons=[{"title": "取消工单", "payload": "/cancel_order"}])
        return []

    @staticmethod
    def _open(number: str) -> bool:
        """Whether the order can still be cancelled by the customer (a store failure: say nothing about it)."""
        try:
            with current().session() as session:
                order = get_order(session, number)
        except SQLAlchemyError:
            return False
        return order is not None and order.stage in BEFORE_VISIT
