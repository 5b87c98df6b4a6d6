"""Question answering: read slots, ask the knowledge base, render, update slots."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import CONTEXT_SLOTS, context_from
from actions.gaps import note_gap
from actions.identity import AGENT_MODE_DENIED, is_staff
from bot.metrics import answer_timer, record_turn
from bot.qa.context import Context
from bot.services import current

HANDOFF_BUTTON = {"title": "转人工", "payload": "/human_handoff"}
INTENT_TOPICS = {
    "ask_materials": "materials", "ask_steps": "steps", "ask_time_limit": "time_limit",
    "ask_cost": "investment", "ask_capacity": "capacity", "ask_approval": "approval",
    "ask_reliability": "reliability", "ask_live_work": "live_work", "ask_channels": "channels",
    "ask_definition": "definition", "ask_warning": "warning",
}
# below this the intent is a guess: a message naming no topic then keeps the conversation's topic ("那公司装充电
# 设施呢" after a materials question was read as ask_cost at 0.41) or goes to clause search
HINT_MIN_CONFIDENCE = 0.5


def topic_hint(tracker: Tracker) -> str | None:
    """The topic the NLU intent suggests, when the model is fairly sure of it."""
    intent = tracker.latest_message.get("intent") or {}
    if float(intent.get("confidence") or 0.0) < HINT_MIN_CONFIDENCE:
        return None
    return INTENT_TOPICS.get(intent.get("name") or "")


def slot_events(before: Context, after: Context) -> list[EventType]:
    return [SlotSet(name, getattr(after, name)) for name in CONTEXT_SLOTS
            if getattr(before, name) != getattr(after, name)]


class ActionAnswer(Action):
    def name(self) -> str:
        return "action_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[EventType]:
        with answer_timer():
            text = tracker.latest_message.get("text") or ""
            context = context_from(tracker)
            intent = (tracker.latest_message.get("intent") or {}).get("name")
            reply = current().answerer.reply(text, context, topic_hint=topic_hint(tracker))
            buttons = [{"title": title, "payload": payload} for title, payload in reply.buttons]
            dispatcher.utter_message(text=reply.text, buttons=buttons or None)
        record_turn(intent, reply, domain)
        note_gap(tracker, reply, "no_answer")
        return slot_events(context, reply.context)


class ActionSetAgentMode(Action):
    """Agent mode for staff only: the message must be authenticated as staff (actions/identity.py);
    anyone else is told so politely and nothing changes."""

    def name(self) -> str:
        return "action_set_agent_mode"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[EventType]:
        if not is_staff(tracker):
            dispatcher.utter_message(response=AGENT_MODE_DENIED)
            return []
        dispatcher.utter_message(response="utter_agent_mode_on")
        return [SlotSet("agent_mode", True)]


class ActionSetCustomerMode(Action):
    def name(self) -> str:
        return "action_set_customer_mode"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[EventType]:
        return [SlotSet("agent_mode", False)]


class ActionContact(Action, ABC):
    """A complaint (handoff: actions/livechat.py): hotlines plus the region's own channels."""

    @property
    @abstractmethod
    def kind(self) -> str: ...

    def name(self) -> str:
        return f"action_{self.kind}"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[EventType]:
        reply = current().answerer.contact(self.kind, context_from(tracker))
        dispatcher.utter_message(text=reply.text)
        return []


class ActionComplaint(ActionContact):
    """Anger or a complaint: an apology, the hotlines, and a person offered (the 转人工 button goes to the
    handoff: the queue, or a call-back when nobody is online) — never a goodbye."""

    kind = "complaint"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[EventType]:
        reply = current().answerer.contact(self.kind, context_from(tracker))
        dispatcher.utter_message(text=reply.text, buttons=[HANDOFF_BUTTON])
        return []


class ActionOutOfScope(Action):
    """Out of scope for the NLU model, but answered from the knowledge base when the message
    names a covered region and something its document states (a misread policy question): a
    fact, or the document's own sentence found by clause search before giving up."""

    def name(self) -> str:
        return "action_out_of_scope"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[EventType]:
        context = context_from(tracker)
        reply = current().answerer.reply(tracker.latest_message.get("text") or "", context)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if reply.answered and reply.context.region and not reply.buttons:
            dispatcher.utter_message(text=reply.text)
            record_turn(intent, reply, domain)
            return slot_events(context, reply.context)
        dispatcher.utter_message(response="utter_out_of_scope")
        record_turn(intent, None, domain)
        note_gap(tracker, None, "out_of_scope")
        return []


class ActionIntroduce(Action, ABC):
    """A response that names the regions covered, as the knowledge base lists them."""

    @property
    @abstractmethod
    def response(self) -> str: ...

    def name(self) -> str:
        return self.response.replace("utter_", "action_")

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[EventType]:
        regions = "、".join(region.name for region in current().answerer.kb.regions)
        dispatcher.utter_message(response=self.response, regions=regions)
        return []


class ActionGreet(ActionIntroduce):
    response = "utter_greet"


class ActionChitchat(ActionIntroduce):
    response = "utter_chitchat"
