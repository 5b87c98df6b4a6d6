"""A small stand-in for Rasa's form loop, to drive the booking and status actions turn by turn."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

_ids = itertools.count(1)


@dataclass
class Sim:
    """Keeps slots and events like Rasa would and runs the real actions with a real dispatcher."""

    sender: str = "test-user"
    slots: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    latest: dict[str, Any] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    active_loop: str | None = None
    metadata: dict[str, Any] | None = None  # sent with every message (e.g. the REST channel's signed identity)

    def say(self, text: str, intent: str = "inform") -> None:
        self.latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": [],
                       "message_id": f"m{next(_ids)}"}
        event: dict[str, Any] = {"event": "user", "text": text, "timestamp": float(len(self.events))}
        if self.metadata is not None:
            event["metadata"] = self.metadata
        self.events.append(event)

    def tracker(self, extra: list[dict[str, Any]] | None = None) -> Tracker:
        loop = {"name": self.active_loop} if self.active_loop else {}
        return Tracker(self.sender, dict(self.slots), self.latest, list(self.events) + (extra or []), False, None,
                       loop, "action_listen")

    def run(self, action: Action) -> list[dict[str, Any]]:
        dispatcher = CollectingDispatcher()
        extra: list[dict[str, Any]] = []
        if action.name().startswith("validate_"):
            # Rasa calls a form's validation action with a temporary tracker ending in the form's own
            # requested_slot and ActionExecuted events (rasa.core.actions.forms._temporary_tracker)
            form = action.name().removeprefix("validate_")
            extra = [{"event": "slot", "name": "requested_slot", "value": self.slots.get("requested_slot")},
                     {"event": "action", "name": form}]
        result = action.run(dispatcher, self.tracker(extra), {})
        events = asyncio.run(result) if asyncio.iscoroutine(result) else result
        self.events.append({"event": "action", "name": action.name()})
        for event in events:
            self.events.append(event)
            if event["event"] == "slot":
                self.slots[event["name"]] = event["value"]
            if event["event"] == "active_loop":
                self.active_loop = event["name"]
        self.messages.extend(dispatcher.messages)
        return events

    def texts(self) -> list[str]:
        return [m.get("text") or m.get("response") or "" for m in self.messages]

    def last_text(self) -> str:
        return self.texts()[-1] if self.messages else ""

    def clear(self) -> None:
        self.messages.clear()
