"""The masking tracker stores mask each event once (bot/rasa_plugins/masked_conversations.py): what they store is
what masking every event on every turn stored, and the names pass does what mask_event does with names."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

import bot.masking
from bot.masking import mask_event
from bot.rasa_plugins.masked_conversations import names_masked
from bot.rasa_plugins.tracker_store import MaskingInMemoryTrackerStore, MaskingSQLTrackerStore

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")

DOMAIN = Domain.from_yaml("""
version: "3.1"
slots:
  booking_phone: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  requested_slot: {type: any, influence_conversation: false, mappings: [{type: custom}]}
""")
TEXT = "登记零证预约：张三 13912345678 安阳市文峰区中华路1号 居民新装 明天上午"


def turn(n: int) -> list[Event]:
    return [UserUttered(f"{TEXT} {n}", {"name": "request_booking"}, parse_data={"text": f"{TEXT} {n}"}),
            SlotSet("booking_phone", f"sealed:{n}"), BotUttered(f"好的，手机号 13912345678（第{n}次）"),
            ActionExecuted("action_listen")]


async def talk(store: TrackerStore, events: list[Event], sender: str = "u1") -> None:
    tracker = await store.retrieve(sender) or DialogueStateTracker(sender, DOMAIN.slots)
    for event in events:
        tracker.update(event)
    await store.save(tracker)


def dumped(store: TrackerStore, sender: str = "u1") -> list[dict[str, Any]]:
    stored = asyncio.run(store.retrieve(sender))
    assert stored is not None
    return [event.as_dict() for event in stored.events]


def masking_store(kind: str, tmp_path: Path) -> Any:
    return (MaskingInMemoryTrackerStore(DOMAIN) if kind == "in-memory"
            else MaskingSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db")))


@pytest.mark.parametrize("kind", ["in-memory", "sql"])
def test_turn_by_turn_the_store_keeps_what_rasa_s_own_keeps_apart_from_the_masking(tmp_path, kind):
    plain, masking, turns = InMemoryTrackerStore(DOMAIN), masking_store(kind, tmp_path), [turn(n) for n in range(6)]
    for store in (plain, masking):
        for events in turns:
            asyncio.run(talk(store, events))
    expected = json.loads(json.dumps(dumped(plain)).replace("13912345678", "139****5678")
                          .replace("\\u4e2d\\u534e\\u8def1\\u53f7", "\\u4e2d\\u534e\\u8def*\\u53f7")  # 中华路1号
                          .replace("\\u5f20\\u4e09", "\\u5f20*"))  # 张三
    assert dumped(masking) == expected


def test_a_tracker_that_does_not_continue_the_stored_one_is_masked_in_full(monkeypatch):
    store, calls = MaskingInMemoryTrackerStore(DOMAIN), []
    monkeypatch.setattr(bot.masking, "mask_event", lambda *a, **k: calls.append(1) or mask_event(*a, **k))
    asyncio.run(talk(store, turn(1) + turn(2)))
    other = DialogueStateTracker.from_events("u1", turn(7), slots=DOMAIN.slots)  # e.g. replaced by Rasa's API
    calls.clear()
    asyncio.run(store.save(other))
    assert len(calls) == 4
    texts = [event.get("text") for event in dumped(store) if event.get("text")]
    assert texts == ["登记零证预约：张* 139****5678 安阳市文峰区中华路*号 居民新装 明天上午 7",
                     "好的，手机号 139****5678（第7次）"]


def test_a_new_session_in_the_stored_conversation_is_continued_from_its_start(monkeypatch):
    """Rasa reads back the latest session only: the store goes on from there (and keeps that session)."""
    store, calls = MaskingInMemoryTrackerStore(DOMAIN), []
    monkeypatch.setattr(bot.masking, "mask_event", lambda *a, **k: calls.append(1) or mask_event(*a, **k))
    asyncio.run(talk(store, turn(1) + [ActionExecuted("action_session_start"), SessionStarted(),
                                       ActionExecuted("action_listen")] + turn(2)))
    calls.clear()
    asyncio.run(talk(store, turn(3)))
    assert len(calls) == 4
    events = dumped(store)
    assert [e["event"] for e in events[:3]] == ["action", "session_started", "action"] and len(events) == 3 + 8
    assert json.loads(store.store["u1"])["events"] == events  # what it keeps is that session, and the new turn


def test_the_event_broker_is_sent_the_new_events_masked():
    class Broker:
        def __init__(self) -> None:
            self.published: list[dict[str, Any]] = []

        def publish(self, event: dict[str, Any]) -> None:
            self.published.append(event)

    broker = Broker()
    store = MaskingInMemoryTrackerStore(DOMAIN, event_broker=broker)
    asyncio.run(talk(store, turn(1)))
    asyncio.run(talk(store, turn(2)))
    assert len(broker.published) == 8 and {event["sender_id"] for event in broker.published} == {"u1"}
    text = json.dumps(broker.published, ensure_ascii=False)
    assert "13912345678" not in text and "中华路1号" not in text and text.count("139****5678") == 2 * 3


EVENTS: list[dict[str, Any]] = [
    UserUttered("王小明说：王小明家在中华路", {"name": "inform"},
                parse_data={"text": "王小明说", "entities": [{"entity": "person", "value": "王小明"}]},
                metadata={"note": {"王小明": ["王小明的表"]}}).as_dict(),
    BotUttered("好的，王小明", data={"buttons": [{"title": "王小明确认", "payload": "/affirm"}]}).as_dict(),
    SlotSet("region", "王小明所在的安阳").as_dict(),
    SlotSet("house", {"owner": "王小明", "list": ["王小明", 3]}).as_dict(),
    SlotSet("booking_name", "sealed:abc").as_dict(),
    SlotSet("booking_name", "王小明").as_dict(),
    ActionExecuted("action_listen", metadata={"who": "王小明"}).as_dict(),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda event: event["event"])
def test_the_names_pass_masks_the_names_where_mask_event_does(event):
    """names_masked mirrors mask_event's use of `names`: a change there must be made here too."""
    assert names_masked(mask_event(event), ("王小明",)) == mask_event(event, names=("王小明",))
