"""Handoff to a person (转人工) through the live-chat queue, and recording unanswered questions."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.qa import context_from
from bot.livechat.store import HandoffRequest, request_handoff
from bot.livechat.summary import handoff_summary
from bot.orders.store import conversation_key
from bot.qa.context import Context
from bot.services import answerer
from bot.store.runtime import open_session

logger = logging.getLogger(__name__)
LIVE_CHANNELS = ("web", "wechat")  # channels that can carry an agent's messages back to the customer


def user_questions(tracker: Tracker) -> list[str]:
    texts = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"]
    return [t for t in texts if t and not t.startswith("/")][:-1]  # without the 转人工 message itself


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[EventType]:
        context = context_from(tracker)
        channel = tracker.get_latest_input_channel()
        request = self._queue(tracker, context, channel) if channel in LIVE_CHANNELS else HandoffRequest(False)
        if request.queued:
            dispatcher.utter_message(response="utter_handoff_queued", position=request.position)
            return []
        dispatcher.utter_message(text=answerer().contact("handoff", context).text)
        return []

    def _queue(self, tracker: Tracker, context: Context, channel: str | None) -> HandoffRequest:
        order = tracker.get_slot("booking_order") or tracker.get_slot("status_order")
        summary = handoff_summary(answerer().kb, region=context.region, district=context.district,
                                  category=context.category, questions=user_questions(tracker), order_number=order)
        try:
            with open_session() as session:
                return request_handoff(session, conversation=conversation_key(tracker.sender_id),
                                       channel=str(channel), summary=summary, now=datetime.now(),
                                       region=context.region, category=context.category, order_number=order)
        except Exception:  # the queue being down must not lose the customer: they get 95598
            logger.exception("handoff could not be queued (conversation %s)", conversation_key(tracker.sender_id)[:8])
            return HandoffRequest(False)
