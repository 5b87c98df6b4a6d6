"""Agent mode and staff powers only for messages authenticated as staff (actions/identity.py, bot/trust.py).

Before: anyone who typed "/agent" (or "我是话务员，切到坐席") in the web chat, WeChat or over REST got agent
mode: answers with the staff citations, status lookups by order number alone (district, stage, manager),
and bookings recorded as staff bookings. The `agent_mode` slot was the whole check.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from trust_helpers import NOW, PHONE, identity_metadata, make_order

import actions.lookups as lookups
from actions.booking import ActionConfirmBooking, ValidateBookingForm
from actions.identity import agent_mode, is_staff
from actions.qa import ActionAnswer, ActionSetAgentMode
from actions.status import ActionCheckStatus, ValidateStatusForm
from bot.orders import numbers
from bot.orders.models import WorkOrder
from bot.services import current
from bot.settings import Settings
from bot.store.runtime import sessions_for
from bot.trust import ENVELOPE, Identity, open_identity, seal_identity, trust_key
from tests.actions.booking_sim import Sim

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "烟台10千伏普通用户方案答复要几天"
DENIED = "坐席模式仅供已登录的工作人员使用"


def tracker(text: str, metadata: dict | None = None, sender: str = "web-user", **slots) -> Tracker:
    event = {"event": "user", "text": text, **({"metadata": metadata} if metadata is not None else {})}
    return Tracker(sender, {"agent_mode": False} | slots, {"text": text, "intent": {"name": "agent"}}, [event],
                   False, None, {}, "action_listen")


def domain() -> dict:
    """The domain as Rasa reads it (domain.yml, or the domain/ folder of older checkouts)."""
    single = ROOT / "domain.yml"
    paths = [single] if single.exists() else sorted((ROOT / "domain").glob("*.yml"))
    merged: dict = {}
    for path in paths:
        for section, value in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            if isinstance(value, dict):
                merged.setdefault(section, {}).update(value)
            elif isinstance(value, list):
                merged.setdefault(section, []).extend(value)
    return merged


# ---- switching agent mode on -------------------------------------------------------------------

@pytest.mark.parametrize("text", ["/agent", "我是话务员，切到坐席"])
def test_an_anonymous_agent_request_is_refused_politely_and_changes_nothing(text):
    dispatcher = CollectingDispatcher()
    events = ActionSetAgentMode().run(dispatcher, tracker(text), {})
    assert events == []
    assert [m.get("response") for m in dispatcher.messages] == ["utter_agent_mode_denied"]
    [denial] = domain()["responses"]["utter_agent_mode_denied"]
    assert DENIED in denial["text"]


def test_staff_get_agent_mode():
    dispatcher = CollectingDispatcher()
    sender = "hotline-1"
    events = ActionSetAgentMode().run(dispatcher, tracker("/agent", identity_metadata(sender, staff=True), sender), {})
    assert events == [SlotSet("agent_mode", True)]
    assert [m.get("response") for m in dispatcher.messages] == ["utter_agent_mode_on"]


@pytest.mark.parametrize("forgery", ["unsigned", "another key", "another sender", "stale", "flipped", "not a dict"])
def test_forged_identity_metadata_is_a_customer(forgery):
    sender = "web-user"
    now = time.time()
    good = seal_identity(trust_key(Settings.from_env()), sender, Identity(staff=False), now)
    envelope = {
        "unsigned": {"staff": True, "client": "", "at": int(now), "sig": ""},
        "another key": seal_identity(b"k" * 32, sender, Identity(staff=True), now),
        "another sender": seal_identity(trust_key(Settings.from_env()), "hotline-1", Identity(staff=True), now),
        "stale": seal_identity(trust_key(Settings.from_env()), sender, Identity(staff=True), now - 3600),
        "flipped": {**good, "staff": True},
        "not a dict": "staff",
    }[forgery]
    message = tracker("/agent", {ENVELOPE: envelope}, sender, agent_mode=True)
    assert not is_staff(message) and not agent_mode(message)
    dispatcher = CollectingDispatcher()
    assert ActionSetAgentMode().run(dispatcher, message, {}) == []


def test_the_rule_lets_the_action_decide_what_is_said():
    rules = yaml.safe_load((ROOT / "data" / "rules.yml").read_text(encoding="utf-8"))["rules"]
    [rule] = [r for r in rules if r["steps"][0].get("intent") == "agent"]
    assert rule["steps"][1:] == [{"action": "action_set_agent_mode"}]  # no unconditional utter_agent_mode_on


# ---- the slot alone is worth nothing -----------------------------------------------------------

def answer(slots: dict, metadata: dict | None = None, sender: str = "web-user") -> str:
    dispatcher = CollectingDispatcher()
    names = ("region", "district", "topic", "category", "area", "capacity", "pending", "step")
    ActionAnswer().run(dispatcher, tracker(QUESTION, metadata, sender, **{n: None for n in names}, **slots), {})
    return dispatcher.messages[0]["text"]


def test_agent_mode_slot_without_a_staff_message_gives_the_customer_answer():
    customer = answer({"agent_mode": True})
    assert "烟发改能源〔2020〕205号" in customer and "“" not in customer  # no verbatim excerpt
    staff = answer({"agent_mode": True}, identity_metadata("hotline-1", staff=True), "hotline-1")
    assert "“" in staff


@pytest.fixture()
def order_number(monkeypatch) -> str:
    monkeypatch.setattr(current(), "clock", lambda: NOW.replace(minute=25))
    return make_order(Settings.from_env().database_url)


def lookup(text: str, sim: Sim) -> Sim:
    sim.say(text, "check_status")
    sim.run(ValidateStatusForm())
    if sim.slots.get("requested_slot") is None:
        sim.run(ActionCheckStatus())
    return sim


def test_a_status_lookup_with_the_agent_mode_slot_still_needs_the_phone_suffix(order_number):
    sim = lookup(f"查工单{numbers.display(order_number)}", Sim(sender="web-user", active_loop="status_form",
                                                              slots={"agent_mode": True}))
    assert sim.slots["requested_slot"] == "status_suffix"
    assert not any("当前阶段" in text or "客户经理" in text for text in sim.texts())


def test_the_conversation_that_booked_needs_the_phone_suffix_too(order_number, monkeypatch):
    monkeypatch.setattr(lookups, "conversation_key", lambda sender: "someone-else")  # the booking's conversation
    sim = lookup(f"查工单{order_number}", Sim(sender="someone-else", active_loop="status_form"))
    assert sim.slots["requested_slot"] == "status_suffix"
    assert not any("当前阶段" in text for text in sim.texts())


def test_staff_in_agent_mode_look_up_by_number_alone(order_number):
    sender = "hotline-1"
    sim = Sim(sender=sender, active_loop="status_form", slots={"agent_mode": True},
              metadata=identity_metadata(sender, staff=True))
    assert "当前阶段" in lookup(f"查工单{order_number}", sim).last_text()


# ---- bookings ----------------------------------------------------------------------------------

def book(sim: Sim, text: str, intent: str = "inform") -> None:
    sim.say(text, intent)
    if sim.run(ValidateBookingForm()) and sim.slots.get("requested_slot") is None:
        sim.run(ActionConfirmBooking())


def stored_orders() -> list[WorkOrder]:
    with sessions_for(Settings.from_env().database_url)() as session:
        return list(session.execute(select(WorkOrder)).scalars())


@pytest.mark.parametrize("staff", [False, True])
def test_only_a_staff_message_records_a_staff_booking(staff, monkeypatch):
    monkeypatch.setattr(current(), "clock", lambda: NOW)
    make_order(Settings.from_env().database_url, phone="13800001111")  # seeds the managers
    sender = "hotline-1" if staff else "web-user"
    sim = Sim(sender=sender, active_loop="booking_form", slots={"agent_mode": True},
              metadata=identity_metadata(sender, staff=True) if staff else None)
    book(sim, f"登记零证预约：张三 {PHONE} 安阳市文峰区中华路1号 居民新装 明天上午", "request_booking")
    assert sim.slots["requested_slot"] == "booking_confirmed"
    book(sim, "确认", "affirm")
    [order] = [o for o in stored_orders() if o.phone == PHONE]
    assert (order.channel, order.created_by) == (("staff", "agent") if staff else ("customer", "customer"))


# ---- what a user can type ----------------------------------------------------------------------

def test_agent_mode_cannot_be_set_by_an_intent_payload_or_entity():
    """'/inform{"agent_mode": true}' over REST: Rasa drops the unknown entity, and the slot's only mapping is
    custom (set by action_set_agent_mode alone), so extracting slots sets nothing."""
    from rasa.core.actions.action import ActionExtractSlots
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.nlu.classifiers.regex_message_handler import RegexMessageHandler
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.nlu.training_data.message import Message

    raw = domain()
    assert raw["slots"]["agent_mode"]["mappings"] == [{"type": "custom"}]
    assert "agent_mode" not in raw.get("entities", [])
    rasa_domain = Domain.from_dict(raw)
    for text in ['/inform{"agent_mode": true}', '/agent{"agent_mode": true}', '/customer{"agent_mode": "true"}']:
        [parsed] = RegexMessageHandler().process([Message(data={"text": text})], rasa_domain)
        assert all(entity["entity"] != "agent_mode" for entity in parsed.get("entities") or []), text
        state = DialogueStateTracker.from_events("x", [], slots=rasa_domain.slots)
        state.update(UserUttered(text, parsed.get("intent"), [{"entity": "agent_mode", "value": True}]))
        events = asyncio.run(ActionExtractSlots(None).run(
            CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(rasa_domain.responses), state, rasa_domain))
        assert not [e for e in events if getattr(e, "key", None) == "agent_mode"], (text, events)


def test_an_envelope_opens_only_for_its_own_sender_and_time():
    key = trust_key(Settings.from_env())
    now = time.time()
    envelope = seal_identity(key, "a", Identity(staff=True, client="203.0.113.9"), now)
    assert open_identity(key, "a", envelope, now) == Identity(staff=True, client="203.0.113.9")
    assert open_identity(key, "b", envelope, now) == Identity()
    assert open_identity(key, "a", envelope, now + 3600) == Identity()
