"""Tracker stores that mask personal data before conversation events are stored, and bound their size.

A Rasa plug-in (bot/rasa_plugins holds the modules outside bot/nlu that import Rasa).
Use it in endpoints.yml, e.g.

    tracker_store:
      type: bot.rasa_plugins.tracker_store.MaskingSQLTrackerStore   # same settings as type: SQL
      dialect: postgresql
      ...

or `type: bot.rasa_plugins.tracker_store.MaskingInMemoryTrackerStore` for a single process.

What is stored (bot/masking.py): phone numbers, house numbers and contact names in user and bot texts
masked; a user message that answers "请问联系人怎么称呼？" (the `requested_slot` was booking_name) has the
name masked; every event's metadata (e.g. what a REST caller sent as `metadata`) and structured slot
values (session_started_metadata) masked string by string. The live conversation is unaffected: NLU has
already read the message, booking slots hold the phone number and address sealed (bot/booking/sealed.py),
which masking leaves alone, and the contact name slot is sealed by the store itself and opened again
when the conversation is read back. The contact names the booking form took in the conversation (the
name slot's values in its events) are masked wherever they appear in its texts and metadata, also
without a cue ("呼延灼灼 139…" answering the name question, "王小明，139…，…" as a first message), and are
kept in this process's memory for the channels (`contact_names_of`): the REST channel hands them, sealed,
to the web app, and the WeChat channel masks them, so that exchanges are stored masked the same way.

Size: a conversation session that grows past BANDIAN_TRACKER_MAX_EVENTS events (a client sending message
after message) is closed after the turn and a new session started with the slots carried over, as Rasa
does when a session expires; the in-memory store keeps only the latest session of such a conversation.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

from cryptography.fernet import Fernet
from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME, SESSION_START_METADATA_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, Restarted, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.booking.sealed import seal, unseal
from bot.masking import NAME_SLOTS, REQUESTED_SLOT, SEALED_PREFIX, contact_names, mask_event, mask_events
from bot.rasa_plugins import patches
from bot.services import current

logger = logging.getLogger(__name__)


def _sealed_names(event: dict[str, Any], box: Fernet) -> dict[str, Any]:
    value = event.get("value")
    if event.get("event") == "slot" and event.get("name") in NAME_SLOTS and isinstance(value, str):
        return {**event, "value": seal(value, box)}
    return event


def stored_events(events: Iterable[dict[str, Any]], box: Fernet, requested: str | None = None,
                  names: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Serialised events as they are stored: contact name slots sealed, everything else masked (`names`: the
    conversation's contact names, masked wherever they appear)."""
    return mask_events((_sealed_names(event, box) for event in events), requested, names)


def tracker_names(tracker: DialogueStateTracker) -> tuple[str, ...]:
    """The contact names the conversation gave (every value its name slots had, opened)."""
    return contact_names(event.value for event in tracker.events
                         if isinstance(event, SlotSet) and event.key in NAME_SLOTS)


MAX_REMEMBERED = 10_000  # conversations whose contact names this process keeps for its channels
_contact_names: OrderedDict[str, tuple[str, ...]] = OrderedDict()


def remember_contact_names(sender_id: str, names: tuple[str, ...]) -> None:
    """Kept when the tracker is saved (within the turn, before the channel answers), the oldest forgotten first."""
    _contact_names.pop(sender_id, None)
    if names:
        _contact_names[sender_id] = names
        while len(_contact_names) > MAX_REMEMBERED:
            _contact_names.popitem(last=False)


def contact_names_of(sender_id: str) -> tuple[str, ...]:
    """The contact names of a conversation this process saved (empty when none was given)."""
    return _contact_names.get(sender_id, ())


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


class _Masking:
    """Masked event streaming, sealed contact names, and the size bound (mixed into Rasa's stores)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        patches.install()  # Rasa builds its tracker store at start-up, whatever the channels
        super().__init__(*args, **kwargs)

    domain: Domain
    event_broker: Any
    _box: Fernet | None = None
    _max_events: int | None = None

    @property
    def box(self) -> Fernet:
        if self._box is None:
            self._box = current().sealer
        return self._box

    @property
    def max_events(self) -> int:
        if self._max_events is None:
            self._max_events = max(current().settings.tracker_max_events, 50)
        return self._max_events

    @max_events.setter
    def max_events(self, value: int) -> None:
        self._max_events = value

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        if self.event_broker is not None:
            await super().stream_events(masked_tracker(tracker, self.domain))  # type: ignore[misc]

    def too_long(self, tracker: DialogueStateTracker) -> bool:
        if session_length(tracker.events) <= self.max_events:
            return False
        logger.info("conversation %s: the session passed %d events; a new one starts (slots carried over)",
                    _tag(tracker.sender_id), self.max_events)
        return True

    def opened(self, tracker: DialogueStateTracker | None) -> DialogueStateTracker | None:
        """The tracker as read back, with the sealed contact name slots opened again."""
        if tracker is None:
            return None
        for event in tracker.events:
            if isinstance(event, SlotSet) and event.key in NAME_SLOTS and _is_sealed(event.value):
                event.value = unseal(event.value, self.box)
        for name in NAME_SLOTS:
            slot = tracker.slots.get(name)
            if slot is not None and _is_sealed(slot.value):
                slot.value = unseal(slot.value, self.box)
        return tracker

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        return self.opened(await super().retrieve(sender_id))  # type: ignore[misc]

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        return self.opened(await super().retrieve_full_tracker(sender_id))  # type: ignore[misc]


def _is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(SEALED_PREFIX)


def _tag(sender_id: str) -> str:
    from bot.orders.store import conversation_key

    return conversation_key(sender_id)[:8]


class MaskingInMemoryTrackerStore(_Masking, InMemoryTrackerStore):
    async def save(self, tracker: DialogueStateTracker) -> None:
        """As InMemoryTrackerStore.save, with the serialised events masked (no replay of the tracker)."""
        await self.stream_events(tracker)
        names = tracker_names(tracker)
        remember_contact_names(tracker.sender_id, names)
        dialogue = tracker.as_dialogue().as_dict()
        events = dialogue["events"]
        if len(events) > self.max_events:  # keep the latest session only ...
            starts = [i for i, event in enumerate(events) if event.get("event") == "session_started"]
            if starts and starts[-1] > 0:
                events = events[starts[-1] - 1:]  # (from its action_session_start)
            if self.too_long(tracker):  # ... and a new one when that session is too long itself
                events = [event.as_dict() for event in new_session(tracker)]
        dialogue["events"] = stored_events(events, self.box, names=names)
        self.store[tracker.sender_id] = json.dumps(dialogue)


class MaskingSQLTrackerStore(_Masking, SQLTrackerStore):
    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        """The events SQLTrackerStore.save is about to store (the ones not stored yet), masked."""
        stored = self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False).count()
        requested = requested_before(itertools.islice(tracker.events, 0, stored))
        new = (event.as_dict() for event in itertools.islice(tracker.events, stored, len(tracker.events)))
        names = tracker_names(tracker)
        masked = (Event.from_parameters(event) for event in stored_events(new, self.box, requested, names))
        return iter([event for event in masked if event is not None])

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        names = tracker_names(tracker)
        remember_contact_names(tracker.sender_id, names)
        if self.too_long(tracker):
            self._store(tracker.sender_id, new_session(tracker), names)

    def _store(self, sender_id: str, events: list[Event], names: tuple[str, ...] = ()) -> None:
        """Add events after the stored ones (as SQLTrackerStore.save adds a tracker's new events)."""
        with self.session_scope() as session:
            for data in stored_events((event.as_dict() for event in events), self.box, names=names):
                session.add(self.SQLEvent(sender_id=sender_id, type_name=data["event"], timestamp=data.get("timestamp"),
                                          intent_name=None, action_name=data.get("name"), data=json.dumps(data)))
            session.commit()


__all__ = ["MaskingInMemoryTrackerStore", "MaskingSQLTrackerStore", "mask_event", "masked_events", "masked_tracker"]
