"""Events of a conversation session, for the masking tracker stores (bot/rasa_plugins/tracker_store.py): its
contact names, the slot asked for, its length and a fresh session; the stores' bounds."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME, SESSION_START_METADATA_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, Restarted, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.masking import NAME_SLOTS, REQUESTED_SLOT, contact_names, mask_events
from bot.services import current


def event_names(events: Iterable[Event]) -> tuple[str, ...]:
    """The contact names among the events (every value the name slots had, opened)."""
    return contact_names(event.value for event in events if isinstance(event, SlotSet) and event.key in NAME_SLOTS)


def tracker_names(tracker: DialogueStateTracker) -> tuple[str, ...]:
    """The contact names the conversation gave (every value its name slots had, opened)."""
    return event_names(tracker.events)


def masked_events(events: Iterator[Event], requested: str | None = None, names: tuple[str, ...] = ()) -> list[Event]:
    masked = (Event.from_parameters(event)
              for event in mask_events((e.as_dict() for e in events), requested, names))
    return [event for event in masked if event is not None]


def masked_tracker(tracker: DialogueStateTracker, domain: Domain) -> DialogueStateTracker:
    """A masked copy of the whole tracker (replays every event: only for an event broker)."""
    return DialogueStateTracker.from_events(
        tracker.sender_id, masked_events(iter(tracker.events), names=tracker_names(tracker)), slots=domain.slots,
        max_event_history=tracker._max_event_history, sender_source=tracker.sender_source,
    )


def requested_before(events: Iterable[Event]) -> str | None:
    """The slot being asked for after these events (the context of the next user message)."""
    requested = None
    for event in events:
        if isinstance(event, SlotSet) and event.key == REQUESTED_SLOT:
            requested = event.value if isinstance(event.value, str) else None
        elif isinstance(event, (Restarted, SessionStarted)):
            requested = None
    return requested


def session_length(events: Iterable[Event]) -> int:
    """Events since the latest session start."""
    count = 0
    for event in events:
        count = 0 if isinstance(event, SessionStarted) else count + 1
    return count


def new_session(tracker: DialogueStateTracker) -> list[Event]:
    """A fresh session carrying the tracker's current slot values over (as action_session_start does)."""
    last = tracker.events[-1].timestamp if tracker.events else 0.0
    at = max(time.time(), last)
    slots = [SlotSet(name, value, timestamp=at) for name, value in tracker.current_slot_values().items()
             if value is not None and name != SESSION_START_METADATA_SLOT]
    return [ActionExecuted(ACTION_SESSION_START_NAME, timestamp=at), SessionStarted(timestamp=at), *slots,
            ActionExecuted(ACTION_LISTEN_NAME, timestamp=at)]


def latest_events(events: list[Event], max_events: int) -> list[Event]:
    """The events, or only the latest session's (from its action_session_start) when they are more than max_events."""
    if len(events) > max_events:
        starts = [i for i, event in enumerate(events) if isinstance(event, SessionStarted)]
        if starts and starts[-1] > 0:
            return events[starts[-1] - 1:]
    return events


class Limit:
    """A store's bound, read from the settings on first use (`field`, at least `floor`, times `unit`); a test
    may set it."""

    def __init__(self, field: str, floor: int, unit: int = 1) -> None:
        self.field, self.floor, self.unit = field, floor, unit

    def __set_name__(self, owner: type, name: str) -> None:
        self.attribute = f"_{name}"

    def __get__(self, instance: Any, owner: type | None = None) -> int:
        value = instance.__dict__.get(self.attribute)
        if value is None:
            value = max(getattr(current().settings, self.field), self.floor) * self.unit
            instance.__dict__[self.attribute] = value
        return int(value)

    def __set__(self, instance: Any, value: int) -> None:
        instance.__dict__[self.attribute] = value
