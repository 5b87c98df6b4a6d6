"""Handoff to a person (转人工) through the live-chat queue; with nobody online, the offer of a call-back."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import context_from, conversation_order, summary_of
from bot.livechat.callbacks import SERVICE_HOURS, open_callback, preferred_text
from bot.livechat.store import HandoffRequest, clock, queue_acknowledgement, request_handoff
from bot.orders.store import conversation_key
from bot.qa.context import Context
from bot.services import current

logger = logging.getLogger(__name__)
LIVE_CHANNELS = ("web", "wechat")  # channels that can carry an agent's messages back to the customer
CALLBACK_BUTTON = {"title": "留电话等回电", "payload": "/request_callback"}
CHANGE_CALLBACK_BUTTON = {"title": "修改回电信息", "payload": "/request_callback"}
CALLBACK_OFFER = f"您也可以留下手机号和希望回电的时间，客服会在服务时间（{SERVICE_HOURS}）给您回电。"


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[EventType]:
        context = context_from(tracker)
        channel = tracker.get_latest_input_channel()
        request = self._queue(tracker, context, channel) if channel in LIVE_CHANNELS else HandoffRequest(False)
        if request.queued:
            dispatcher.utter_message(text=queue_acknowledgement(request.ahead))
            return []
        dispatcher.utter_message(text=current().answerer.contact("handoff", context).text)
        self._offer_callback(dispatcher, tracker)
        return []

    def _queue(self, tracker: Tracker, context: Context, channel: str | None) -> HandoffRequest:
        order = conversation_order(tracker)
        summary = summary_of(tracker, context)
        try:
            with current().session() as session:
                return request_handoff(session, conversation=conversation_key(tracker.sender_id),
                                       channel=str(channel), summary=summary, now=clock(),
                                       region=context.region, category=context.category, order_number=order)
        except Exception:  # the queue being down must not lose the customer: they get 95598
            logger.exception("handoff could not be queued (conversation %s)", conversation_key(tracker.sender_id)[:8])
            return HandoffRequest(False)

    @staticmethod
    def _offer_callback(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """Nobody can take the conversation now: offer a call-back (or remind of the one left already)."""
        try:
            with current().session() as session:
                found = open_callback(session, conversation_key(tracker.sender_id))
                left = (preferred_text(found.preferred_day, found.preferred_period, found.preferred_at),
                        found.phone_masked) if found is not None else None
        except Exception:
            logger.exception("call-backs could not be read (conversation %s)", conversation_key(tracker.sender_id)[:8])
            left = None
        if left is not None:
            dispatcher.utter_message(text=f"您已登记回电：客服将于{left[0]} 拨打 {left[1]} 给您回电。"
                                          "需要修改请点下面的按钮。", buttons=[CHANGE_CALLBACK_BUTTON])
            return
        dispatcher.utter_message(text=CALLBACK_OFFER, buttons=[CALLBACK_BUTTON])
