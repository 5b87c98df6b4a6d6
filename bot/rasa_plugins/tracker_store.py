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

Cost: each save masks only the events that are new (the SQL store adds only those; the in-memory store
appends them to what it stored, bot/rasa_plugins/masked_conversations.py, in a worker thread), and a
contact name given later is masked in the stored events by a pass for the names alone. The event broker,
when there is one, is sent the new events, masked.

Size: a conversation session that grows past BANDIAN_TRACKER_MAX_EVENTS events or whose stored events pass
BANDIAN_TRACKER_MAX_BYTES (a client sending long message after message) is closed after the turn and a new
session started with the slots carried over, as Rasa does when a session expires; the in-memory store keeps
only the latest session of such a conversation. The in-memory store keeps the conversations saved or read
most recently: beyond BANDIAN_TRACKER_MAX_CONVERSATIONS of them, or BANDIAN_TRACKER_MEMORY_MB of stored
JSON, the least recently used is forgotten (its next message starts a new conversation).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet
from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker, TrackerEventDiffEngine

from bot.booking.sealed import unseal
from bot.masking import NAME_SLOTS, SEALED_PREFIX, mask_event
from bot.rasa_plugins import patches
from bot.rasa_plugins.masked_conversations import (
    MaskedConversation,
    continued,
    masked_conversation,
    remasked,
    stored_events,
)
from bot.rasa_plugins.tracker_sessions import (
    Limit,
    event_names,
    latest_events,
    masked_events,
    masked_tracker,
    new_session,
    requested_before,
    session_length,
    tracker_names,
)
from bot.services import current

logger = logging.getLogger(__name__)


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


class _Masking:
    """Masked event streaming, sealed contact names, and the size bound (mixed into Rasa's stores)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        patches.install()  # Rasa builds its tracker store at start-up, whatever the channels
        super().__init__(*args, **kwargs)

    domain: Domain
    event_broker: Any
    _box: Fernet | None = None
    max_events = Limit("tracker_max_events", 50)
    max_bytes = Limit("tracker_max_bytes", 50_000)

    @property
    def box(self) -> Fernet:
        if self._box is None:
            self._box = current().sealer
        return self._box

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """The event broker is sent the events not stored yet, masked (as Rasa sends them, unmasked)."""
        if self.event_broker is None:
            return
        new = TrackerEventDiffEngine.event_difference(await self.retrieve(tracker.sender_id), tracker)
        before = itertools.islice(tracker.events, 0, len(tracker.events) - len(new))
        masked = masked_events(iter(new), requested_before(before), tracker_names(tracker))
        await self._stream_new_events(self.event_broker, masked, tracker.sender_id)  # type: ignore[attr-defined]

    def too_long(self, tracker: DialogueStateTracker, size: int = 0) -> bool:
        """Whether the session passed its bounds: max_events events, or max_bytes bytes stored (`size`)."""
        length = session_length(tracker.events)
        if length <= self.max_events and size <= self.max_bytes:
            return False
        logger.info("conversation %s: the session passed %d events or %d bytes (%d, %d); a new one starts (slots "
                    "carried over)", _tag(tracker.sender_id), self.max_events, self.max_bytes, length, size)
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
    """Conversations kept as masked JSON, the least recently used forgotten beyond max_conversations or
    memory_bytes."""

    store: OrderedDict[str, str]
    max_conversations = Limit("tracker_max_conversations", 1)
    memory_bytes = Limit("tracker_memory_mb", 1, 1024 * 1024)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.store = OrderedDict()
        self._masked: dict[str, MaskedConversation] = {}
        self._stored_bytes = 0

    async def save(self, tracker: DialogueStateTracker) -> None:
        """As InMemoryTrackerStore.save, with the serialised events masked: only the new ones (no replay)."""
        await self.stream_events(tracker)
        sender, names, box = tracker.sender_id, tracker_names(tracker), self.box
        remember_contact_names(sender, names)
        conversation = None
        if not self.too_long(tracker):
            previous = self._masked.get(sender)
            if previous is not None and self.store.get(sender) is not previous.document:
                previous = None  # stored by someone else: mask it all
            events = latest_events(list(tracker.events), self.max_events)
            conversation = await asyncio.to_thread(continued, previous, sender, events, box, names)
        if conversation is None or self.too_long(tracker, conversation.session_bytes()):
            conversation = masked_conversation(sender, new_session(tracker), box, names)
        self.keep(sender, conversation)

    def keep(self, sender_id: str, conversation: MaskedConversation) -> None:
        """Store the conversation as the most recently used; forget the least recently used beyond the bounds."""
        previous = self.store.pop(sender_id, None)
        self._stored_bytes += len(conversation.document) - len(previous or "")
        self.store[sender_id] = conversation.document
        self._masked[sender_id] = conversation
        while len(self.store) > 1 and (len(self.store) > self.max_conversations
                                       or self._stored_bytes > self.memory_bytes):
            oldest, document = self.store.popitem(last=False)
            self._masked.pop(oldest, None)
            self._stored_bytes -= len(document)
            logger.debug("conversation %s forgotten (least recently used)", _tag(oldest))

    def touch(self, sender_id: str) -> None:
        if sender_id in self.store:
            self.store.move_to_end(sender_id)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        self.touch(sender_id)
        return await super().retrieve(sender_id)

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        self.touch(sender_id)
        return await super().retrieve_full_tracker(sender_id)


class MaskingSQLTrackerStore(_Masking, SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._session_bytes: dict[str, int] = {}
        super().__init__(*args, **kwargs)

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        """The events SQLTrackerStore.save is about to store (the ones not stored yet), masked; the stored ones
        masked for a contact name given now; the session's size kept for the bound."""
        stored, size = self._stored_size(session, tracker.sender_id)
        before = list(itertools.islice(tracker.events, 0, stored))
        names = tracker_names(tracker)
        learned = set(names) - set(event_names(before))
        if stored and learned:
            size = self._mask_stored(session, tracker.sender_id, names, learned)
        new = (event.as_dict() for event in itertools.islice(tracker.events, stored, len(tracker.events)))
        masked = stored_events(new, self.box, requested_before(before), names)
        self._session_bytes[tracker.sender_id] = size + sum(len(json.dumps(event)) for event in masked)
        events = (Event.from_parameters(event) for event in masked)
        return iter([event for event in events if event is not None])

    def _stored_size(self, session: Any, sender_id: str) -> tuple[int, int]:
        """How many events the latest session has stored, and their size."""
        query = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).order_by(None)
        count, size = query.with_entities(sa.func.count(self.SQLEvent.id),
                                          sa.func.sum(sa.func.length(self.SQLEvent.data))).one()
        return int(count or 0), int(size or 0)

    def _mask_stored(self, session: Any, sender_id: str, names: tuple[str, ...], learned: set[str]) -> int:
        """The latest session's stored events that hold a newly given contact name masked again for the names
        (saved with the new events); their size."""
        size = 0
        for row in self._event_query(session, sender_id, fetch_events_from_all_sessions=False):
            data = remasked(row.data, names, learned)
            if data != row.data:
                row.data = data
            size += len(data)
        return size

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        names = tracker_names(tracker)
        remember_contact_names(tracker.sender_id, names)
        if self.too_long(tracker, self._session_bytes.pop(tracker.sender_id, 0)):
            self._store(tracker.sender_id, new_session(tracker), names)

    def _store(self, sender_id: str, events: list[Event], names: tuple[str, ...] = ()) -> None:
        """Add events after the stored ones (as SQLTrackerStore.save adds a tracker's new events)."""
        with self.session_scope() as session:
            for data in stored_events((event.as_dict() for event in events), self.box, names=names):
                session.add(self.SQLEvent(sender_id=sender_id, type_name=data["event"], timestamp=data.get("timestamp"),
                                          intent_name=None, action_name=data.get("name"), data=json.dumps(data)))
            session.commit()


__all__ = ["MaskingInMemoryTrackerStore", "MaskingSQLTrackerStore", "mask_event", "masked_events", "masked_tracker"]
