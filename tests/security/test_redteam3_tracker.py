"""Red team round 3, R3-2: the masking tracker stores re-masked every event of a session on every turn (on Rasa's
event loop), a session was bounded by events only, and the in-memory store never forgot a conversation.

Costs are counted (calls to the masking function), not timed: docs/reliability.md "Red team, round 3".
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

import bot.masking
import bot.rasa_plugins.masked_conversations as masked_conversations
from bot.rasa_plugins.tracker_store import MaskingInMemoryTrackerStore, MaskingSQLTrackerStore

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")

DOMAIN = Domain.from_yaml("""
version: "3.1"
slots:
  booking_name: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  requested_slot: {type: any, influence_conversation: false, mappings: [{type: custom}]}
  region: {type: text, influence_conversation: false, mappings: [{type: custom}]}
""")
QUESTION = "请问中华路1号的居民新装要带什么资料，我的手机是13912345678，"
NAME = "呼延灼灼"


def make_store(kind: str, tmp_path: Path) -> Any:
    store: Any = (MaskingInMemoryTrackerStore(DOMAIN) if kind == "in-memory"
                  else MaskingSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db")))
    store.max_events, store.max_bytes = 100_000, 10**9
    return store


def turn(said: str, *extra: Event) -> list[Event]:
    """One turn as Rasa records it: the message, the action that answered (and what it set), the reply."""
    return [UserUttered(said, {"name": "inform", "confidence": 1.0}, parse_data={"text": said}),
            ActionExecuted("action_answer"), *extra, BotUttered("好的"), ActionExecuted("action_listen")]


async def talk(store: TrackerStore, sender: str, events: list[Event]) -> None:
    """As Rasa's processor does: the latest session retrieved, the turn's events appended, the tracker saved."""
    tracker = await store.retrieve(sender) or DialogueStateTracker(sender, DOMAIN.slots)
    for event in events:
        tracker.update(event)
    await store.save(tracker)


def stored_text(store: Any, tmp_path: Path, sender: str = "c1") -> str:
    """Everything stored for the conversation, as text (\\u escapes read)."""
    if isinstance(store, MaskingInMemoryTrackerStore):
        return json.dumps(json.loads(store.store[sender]), ensure_ascii=False)
    rows = sqlite3.connect(tmp_path / "tracker.db").execute("SELECT data FROM events WHERE sender_id = ?", (sender,))
    return json.dumps([json.loads(data) for (data,) in rows], ensure_ascii=False)


class Counting:
    """Calls of a masking function (monkeypatched in the module that looks it up)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
        self.calls, original = 0, getattr(module, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return original(*args, **kwargs)
        monkeypatch.setattr(module, name, counted)

    def take(self) -> int:
        calls, self.calls = self.calls, 0
        return calls


@pytest.mark.parametrize("kind", ["in-memory", "sql"])
def test_a_save_masks_only_the_new_events_and_a_later_contact_name_everywhere(tmp_path, kind, monkeypatch):
    store = make_store(kind, tmp_path)
    masked, renamed = (Counting(monkeypatch, bot.masking, "mask_event"),
                       Counting(monkeypatch, masked_conversations, "names_masked"))

    async def main() -> None:
        await talk(store, "c1", [ActionExecuted("action_session_start"), SessionStarted(),
                                 SlotSet("region", "anyang"), ActionExecuted("action_listen")])
        for n in range(300):
            said = f"{NAME}，{QUESTION}第{n}个问题" if n == 5 else f"{QUESTION}第{n}个问题"  # the name, no cue yet
            await talk(store, "c1", turn(said))
        assert NAME in stored_text(store, tmp_path)  # nothing says it is a name yet
        masked.take(), renamed.take()
        await talk(store, "c1", turn("第301个问题"))
        assert (masked.take(), renamed.take()) == (4, 0)  # the turn's 4 events, not the 1,204 before them
        await talk(store, "c1", turn(f"联系人{NAME}", SlotSet("booking_name", NAME)))  # the form takes the name
        assert masked.take() == 5  # the turn's own events ...
        assert renamed.take() == 1, renamed.calls  # ... and, for the name, the one stored event that holds it
        await talk(store, "c1", turn("第303个问题"))
        assert (masked.take(), renamed.take()) == (4, 0)

    asyncio.run(main())
    text = stored_text(store, tmp_path)
    assert NAME not in text and "呼***，请问中华路*号" in text  # the 6th message, masked for the later name
    assert "13912345678" not in text and "139****5678" in text
    back = asyncio.run(store.retrieve("c1"))
    assert back.get_slot("booking_name") == NAME and back.get_slot("region") == "anyang"
    assert len([e for e in back.events if isinstance(e, UserUttered)]) == 303


@pytest.mark.parametrize("kind", ["in-memory", "sql"])
def test_a_session_past_the_byte_bound_starts_afresh_with_its_slots(tmp_path, kind):
    store = make_store(kind, tmp_path)
    store.max_bytes = 60_000  # a 2,000-character message is stored as ~25 KB of JSON (text and parse data)
    long = ("居民新装需要哪些资料" * 200)[:2000]

    async def main() -> list[int]:
        await talk(store, "c1", [ActionExecuted("action_session_start"), SessionStarted(),
                                 SlotSet("region", "anyang"), ActionExecuted("action_listen")])
        lengths = []
        for _ in range(8):
            await talk(store, "c1", turn(long))
            back = await store.retrieve("c1")
            assert back is not None and back.get_slot("region") == "anyang"  # carried over
            lengths.append(len(back.events))
        return lengths

    lengths = asyncio.run(main())
    assert max(lengths) <= 4 + 2 * 5 and lengths.count(4) >= 2, lengths  # afresh after the 3rd long message
    if kind == "in-memory":
        assert len(store.store["c1"]) < 60_000 and '"session_started"' in store.store["c1"]


@pytest.mark.parametrize("kind", ["in-memory", "sql"])
def test_a_session_within_its_bounds_is_kept_whole(tmp_path, kind):
    store = make_store(kind, tmp_path)
    store.max_bytes = 60_000

    async def main() -> DialogueStateTracker | None:
        for n in range(20):
            await talk(store, "c1", turn(f"问题{n}"))
        return await store.retrieve("c1")

    back = asyncio.run(main())
    assert back is not None and len(back.events) == 20 * 4


def test_the_in_memory_store_forgets_the_least_recently_used_conversations(tmp_path):
    store = make_store("in-memory", tmp_path)
    store.max_conversations = 3

    async def main() -> None:
        for n in range(1, 6):
            await talk(store, f"c{n}", turn(QUESTION))
        assert list(store.store) == ["c3", "c4", "c5"]
        assert await store.retrieve("c3") is not None  # read: used recently
        await talk(store, "c6", turn(QUESTION))
        assert list(store.store) == ["c5", "c3", "c6"]
        assert await store.retrieve("c1") is None  # forgotten: its next message starts a new conversation
        await talk(store, "c1", turn(QUESTION))
        assert list(store.store) == ["c3", "c6", "c1"] and set(store._masked) == set(store.store)

    asyncio.run(main())


def test_the_in_memory_store_keeps_its_conversations_within_the_memory_bound(tmp_path):
    store = make_store("in-memory", tmp_path)
    store.memory_bytes = 20_000

    async def main() -> None:
        for n in range(50):
            await talk(store, f"c{n}", turn(f"{QUESTION}{n}"))
            assert sum(map(len, store.store.values())) <= 20_000 and store._stored_bytes == sum(
                map(len, store.store.values()))
        assert 1 < len(store.store) < 50 and "c49" in store.store

    asyncio.run(main())
