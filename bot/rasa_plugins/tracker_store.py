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

from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from bot.masking import mask_event


def masked_tracker(tracker: DialogueStateTracker, domain: Domain) -> DialogueStateTracker:
    events = [Event.from_parameters(mask_event(event.as_dict())) for event in tracker.events]
    return DialogueStateTracker.from_events(
        tracker.sender_id, [e for e in events if e is not None], slots=domain.slots,
        max_event_history=tracker._max_event_history, sender_source=tracker.sender_source,
    )


class MaskingInMemoryTrackerStore(InMemoryTrackerStore):
    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(masked_tracker(tracker, self.domain))


class MaskingSQLTrackerStore(SQLTrackerStore):
    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(masked_tracker(tracker, self.domain))
