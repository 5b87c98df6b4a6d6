"""The order change form's questions (actions/changes.py): which order, the phone's last four digits, and
whether to cancel it."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.change_slots import CONFIRM_BUTTONS, FAILURES, SLOTS, WHAT, change_kind
from actions.conversation import known_orders
from bot.orders import numbers


class ActionAskChangeOrder(Action):
    def name(self) -> str:
        return "action_ask_change_order"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        what = WHAT[change_kind(tracker)]
        known = known_orders(tracker)
        if known:
            buttons = [{"title": numbers.display(n), "payload": numbers.display(n)} for n in reversed(known)]
            dispatcher.utter_message(text=f"好的，帮您{what}。请问是哪一张工单？", buttons=buttons)
        else:
            dispatcher.utter_message(text=f"好的，帮您{what}。请告诉我工单号（10位数字，预约成功时发给您的）。")
        return []


class ActionAskChangeSuffix(Action):
    def name(self) -> str:
        return "action_ask_change_suffix"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        number = tracker.get_slot(SLOTS["order"])
        if tracker.get_slot(FAILURES):
            dispatcher.utter_message(text="请重新告诉我预约时登记的手机号后四位；如果是工单号有误，也可以直接发正确的工单号。"
                                          "不改了请说“算了”。")
        else:
            what = WHAT[change_kind(tracker)]
            dispatcher.utter_message(text=f"{what}：工单 {numbers.display(str(number))}。为保护您的信息，"
                                          "请告诉我预约时登记的手机号后四位。")
        return []


class ActionAskChangeConfirmed(Action):
    def name(self) -> str:
        return "action_ask_change_confirmed"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        number = numbers.display(str(tracker.get_slot(SLOTS["order"])))
        dispatcher.utter_message(text=f"确认取消工单 {number} 吗？取消后客户经理不再上门，需要时可以重新预约。",
                                 buttons=CONFIRM_BUTTONS)
        return []
