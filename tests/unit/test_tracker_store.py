"""The masking tracker stores: no raw phone number or house number is stored, nothing else changes."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_plugins.tracker_store import MaskingInMemoryTrackerStore, MaskingSQLTrackerStore

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")

DOMAIN = Domain.from_yaml("version: '3.1'\nslots:\n  booking_phone:\n    type: text\n    mappings:\n"
                          "      - type: custom\n")
TEXT = "登记零证预约：张三 13912345678 安阳市文峰区中华路1号 居民新装 明天上午"


def turn(n: int) -> list:
    return [ActionExecuted("action_listen"), UserUttered(f"{TEXT} {n}", {"name": "request_booking"},
                                                         parse_data={"text": f"{TEXT} {n}"}),
            SlotSet("booking_phone", f"sealed:{n}"), BotUttered(f"好的，手机号 13912345678（第{n}次）")]


def tracker(turns: int) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("u1", [e for n in range(turns) for e in turn(n)], slots=DOMAIN.slots)


def stores(tmp_path: Path) -> list[TrackerStore]:
    return [MaskingInMemoryTrackerStore(DOMAIN),
            MaskingSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))]


def dumped(store: TrackerStore) -> str:
    stored = asyncio.run(store.retrieve("u1"))
    assert stored is not None
    return str([event.as_dict() for event in stored.events])


@pytest.mark.parametrize("which", [0, 1], ids=["in-memory", "sql"])
def test_stored_events_are_masked_and_otherwise_unchanged(tmp_path, which):
    store = stores(tmp_path)[which]
    conversation = tracker(1)
    asyncio.run(store.save(conversation))
    conversation.update_with_events(turn(1), DOMAIN)
    asyncio.run(store.save(conversation))  # the second turn: only new events are added
    text = dumped(store)
    assert "13912345678" not in text and "中华路1号" not in text
    assert "139****5678" in text and "中华路*号" in text
    stored = asyncio.run(store.retrieve("u1"))
    assert [type(e) for e in stored.events] == [type(e) for e in conversation.events]
    assert stored.get_slot("booking_phone") == "sealed:1"


def test_sql_store_adds_each_event_once(tmp_path):
    store = stores(tmp_path)[1]
    conversation = tracker(2)
    for _ in range(3):
        asyncio.run(store.save(conversation))
    rows = sqlite3.connect(tmp_path / "tracker.db").execute("SELECT data FROM events").fetchall()
    assert len(rows) == len(conversation.events)
    assert not any("13912345678" in data for (data,) in rows)


def test_in_memory_store_keeps_what_rasa_s_own_store_keeps_apart_from_the_masking():
    plain, masking, conversation = InMemoryTrackerStore(DOMAIN), MaskingInMemoryTrackerStore(DOMAIN), tracker(3)
    for store in (plain, masking):
        asyncio.run(store.save(conversation))
    expected = (dumped(plain).replace("13912345678", "139****5678").replace("中华路1号", "中华路*号")
                .replace("张三", "张*"))  # the contact name after "登记零证预约：" too
    assert dumped(masking) == expected
