"""Tracker stores that mask phone numbers and house numbers before conversation events are stored.

A Rasa plug-in (bot/rasa_plugins holds the modules outside bot/nlu that import Rasa).
Use it in endpoints.yml, e.g.

    tracker_store:
      type: bot.rasa_plugins.tracker_store.MaskingSQLTrackerStore   # same settings as type: SQL
      dialect: postgresql
      ...

or `type: bot.rasa_plugins.tracker_store.MaskingInMemoryTrackerStore` for a single process. The
live conversation is unaffected: NLU has already read the message, and booking slots hold the
phone number and address sealed (bot/booking/sealed.py), which masking leaves alone.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from bot.masking import mask_event


def masked_events(events: Iterator[Event]) -> list[Event]:
    masked = (Event.from_parameters(mask_event(event.as_dict())) for event in events)
    return [event for event in masked if event is not None]


def masked_tracker(tracker: DialogueStateTracker, domain: Domain) -> DialogueStateTracker:
    """A masked copy of the whole tracker (replays every event: only for an event broker)."""
    return DialogueStateTracker.from_events(
        tracker.sender_id, masked_events(iter(tracker.events)), slots=domain.slots,
        max_event_history=tracker._max_event_history, sender_source=tracker.sender_source,
    )


class _MaskedStreaming:
    """Events published to an event broker (if one is configured) are masked too."""

    domain: Domain
    event_broker: Any

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        if self.event_broker is not None:
            await super().stream_events(masked_tracker(tracker, self.domain))  # type: ignore[misc]


class MaskingInMemoryTrackerStore(_MaskedStreaming, InMemoryTrackerStore):
    async def save(self, tracker: DialogueStateTracker) -> None:
        """As InMemoryTrackerStore.save, with the serialised events masked (no replay of the tracker)."""
        await self.stream_events(tracker)
        dialogue = tracker.as_dialogue().as_dict()
        dialogue["events"] = [mask_event(event) for event in dialogue["events"]]
        self.store[tracker.sender_id] = json.dumps(dialogue)


class MaskingSQLTrackerStore(_MaskedStreaming, SQLTrackerStore):
    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        """The events SQLTrackerStore.save is about to store (the ones not stored yet), masked."""
        stored = self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False).count()
        return iter(masked_events(itertools.islice(tracker.events, stored, len(tracker.events))))
