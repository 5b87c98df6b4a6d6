"""Conversations masked once: each save masks only the events that are new (red team round 3, R3-2).

Masking a 2,000-character message takes milliseconds; masking a whole 1,000-event session again on every
turn took seconds, on Rasa's event loop. So the in-memory tracker store keeps, with each conversation's
stored JSON (what InMemoryTrackerStore reads back: {"name": …, "events": […]}), a `MaskedConversation`:
the length of each masked event's JSON in it, a key of the tracker event it was made from (type, time,
and action or slot name: the same before and after masking), the slot asked for after the last one, and
the contact names it was masked with. A tracker that continues what is stored (Rasa retrieves the latest
session, appends the turn's events and saves) has only its new events masked and appended.

The contact names the booking form takes are masked in every event of the conversation, those before
the name was given too: when a save brings a name the stored events were not masked with, the stored
events that hold it are masked again for the names (`names_masked`: what `mask_event` does with
`names`, in the same places), not masked again in full. A tracker that does not continue what is stored
(replaced through Rasa's HTTP API, or no record) is masked in full.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet

from bot.booking.sealed import seal
from bot.masking import NAME_SLOTS, SEALED_PREFIX, contact_names, mask_events, mask_names, requested_after

Key = tuple[str, float | None, str | None]
_SEPARATOR = ", "
_TAIL = "]}"
_MAX_DEPTH = 21  # mask_value stops at 20 levels


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


def _names_in(value: Any, names: tuple[str, ...], depth: int = 0) -> Any:
    if isinstance(value, str):
        return mask_names(value, names)
    if depth >= _MAX_DEPTH:
        return value
    if isinstance(value, dict):
        return {mask_names(str(key), names): _names_in(item, names, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_names_in(item, names, depth + 1) for item in value]
    return value


def names_masked(event: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """A stored (already masked) event with the contact names masked where `mask_event` masks them: user and
    bot texts, the parse data's text, entities and metadata, bot data, metadata, and slot values other than
    the (sealed) name slots."""
    masked = dict(event)
    kind = masked.get("event")
    if kind in ("user", "bot") and isinstance(masked.get("text"), str):
        masked["text"] = mask_names(masked["text"], names)
    if kind == "user" and isinstance(masked.get("parse_data"), dict):
        parse = dict(masked["parse_data"])
        if isinstance(parse.get("text"), str):
            parse["text"] = mask_names(parse["text"], names)
        for key in ("entities", "metadata"):
            if key in parse:
                parse[key] = _names_in(parse[key], names)
        masked["parse_data"] = parse
    if kind == "bot" and "data" in masked:
        masked["data"] = _names_in(masked["data"], names)
    if masked.get("metadata"):
        masked["metadata"] = _names_in(masked["metadata"], names)
    value = masked.get("value")
    if kind == "slot" and isinstance(value, str) and not value.startswith(SEALED_PREFIX):
        if masked.get("name") not in NAME_SLOTS:
            masked["value"] = mask_names(value, names)
    elif kind == "slot" and isinstance(value, (dict, list)):
        masked["value"] = _names_in(value, names)
    return masked


def mentions(serialised: str, names: Iterable[str]) -> bool:
    """Whether an event's JSON (json.dumps, ASCII) may hold one of the names (no false negatives)."""
    return any(json.dumps(name)[1:-1] in serialised for name in names)


def remasked(serialised: str, names: tuple[str, ...], learned: Iterable[str]) -> str:
    """A stored event's JSON with the contact names masked, when it holds one of the `learned` ones."""
    if not mentions(serialised, learned):
        return serialised
    return json.dumps(names_masked(json.loads(serialised), names))


def event_key(event: Event) -> Key:
    """What identifies a tracker event before and after masking (masking changes texts, not these)."""
    name = event.action_name if isinstance(event, ActionExecuted) else event.key if isinstance(event, SlotSet) else None
    return event.type_name, event.timestamp, name


@dataclass(frozen=True)
class MaskedConversation:
    """A conversation as stored, and what it was made from."""

    document: str  # the JSON the store holds
    lengths: tuple[int, ...]  # of each event's JSON in it, in order
    keys: tuple[Key, ...]  # of the tracker event each was made from
    requested: str | None  # the slot asked for after the last event
    names: tuple[str, ...]  # the contact names the events were masked with

    def body(self, start: int = 0) -> str:
        """The events from the start-th on, as they are written in the document."""
        end = len(self.document) - len(_TAIL)
        count = len(self.lengths) - start
        return self.document[end - sum(self.lengths[start:]) - len(_SEPARATOR) * max(count - 1, 0):end]

    def parts(self, start: int = 0) -> list[str]:
        """Each event's JSON, from the start-th on."""
        body, parts, offset = self.body(start), [], 0
        for length in self.lengths[start:]:
            parts.append(body[offset:offset + length])
            offset += length + len(_SEPARATOR)
        return parts

    def session_bytes(self) -> int:
        """The size of the events since the latest session start (the session's size bound)."""
        starts = [i for i, key in enumerate(self.keys) if key[0] == SessionStarted.type_name]
        return len(self.body(starts[-1] if starts else 0))


def _conversation(sender_id: str, body: str, lengths: tuple[int, ...], keys: tuple[Key, ...], new: list[str],
                  requested: str | None, names: tuple[str, ...]) -> MaskedConversation:
    head = '{"name": ' + json.dumps(sender_id) + ', "events": ['
    added = _SEPARATOR.join(new)
    document = "".join((head, body, _SEPARATOR if body and added else "", added, _TAIL))
    return MaskedConversation(document, lengths + tuple(map(len, new)), keys, requested, names)


def _masked(events: Sequence[Event], box: Fernet, requested: str | None,
            names: tuple[str, ...]) -> tuple[list[str], str | None]:
    """The events' masked JSON, and the slot asked for after them."""
    serialised = [event.as_dict() for event in events]
    parts = [json.dumps(event) for event in stored_events(serialised, box, requested, names)]
    for event in serialised:
        requested = requested_after(event, requested)
    return parts, requested


def masked_conversation(sender_id: str, events: Sequence[Event], box: Fernet,
                        names: tuple[str, ...]) -> MaskedConversation:
    """Every event masked (a new conversation, or a tracker that does not continue what is stored)."""
    parts, requested = _masked(events, box, None, names)
    return _conversation(sender_id, "", (), tuple(map(event_key, events)), parts, requested, names)


def _overlap(stored: tuple[Key, ...], keys: tuple[Key, ...]) -> int | None:
    """Where in the stored events the tracker's events begin, when the tracker continues them (it holds every
    stored event from there on, in order); None when it does not."""
    if not stored or not keys:
        return None
    candidates = [i for i, key in enumerate(stored) if key == keys[0]][:4]
    return next((i for i in candidates if stored[i:] == keys[:len(stored) - i]), None)


def continued(previous: MaskedConversation | None, sender_id: str, events: Sequence[Event], box: Fernet,
              names: tuple[str, ...]) -> MaskedConversation:
    """The conversation with `events` stored: the events after what `previous` holds masked and appended (the
    stored ones masked for contact names they were not masked with); all of them when it does not continue."""
    keys = tuple(map(event_key, events))
    start = None if previous is None else _overlap(previous.keys, keys)
    if previous is None or start is None:
        return masked_conversation(sender_id, events, box, names)
    body, lengths = previous.body(start), previous.lengths[start:]
    learned = set(names) - set(previous.names)
    known = contact_names([*previous.names, *names]) if learned else previous.names
    if learned:
        parts = [remasked(part, known, learned) for part in previous.parts(start)]
        body, lengths = _SEPARATOR.join(parts), tuple(map(len, parts))
    parts, requested = _masked(events[len(previous.keys) - start:], box, previous.requested, known)
    return _conversation(sender_id, body, lengths, keys, parts, requested, known)
