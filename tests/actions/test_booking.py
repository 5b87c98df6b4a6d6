"""The booking form's actions with a real dispatcher and tracker, on a fresh SQLite per test."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import pytest
from booking_sim import Sim
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

import actions.booking as booking
from actions.booking import (
    ActionAskBookingConfirmed,
    ActionAskBookingDistrict,
    ActionCancelBooking,
    ActionConfirmBooking,
    ValidateBookingForm,
    booking_fields,
)
from bot.orders import seed_demo_managers
from bot.orders.models import WorkOrder
from bot.orders.times import BEIJING
from bot.services import current, install
from bot.store.runtime import sessions_for

NOW = datetime(2025, 11, 26, 10, 0, tzinfo=BEIJING)  # a Wednesday
ASK_ACTIONS = {"booking_confirmed": ActionAskBookingConfirmed(), "booking_district": ActionAskBookingDistrict()}
RAW_PHONE = "13912345678"


@pytest.fixture()
def database(tmp_path: Path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("BANDIAN_SECRET_KEY", "test-secret")
    monkeypatch.setattr(current(), "clock", lambda: NOW)
    with sessions_for(url)() as session:
        seed_demo_managers(session, current().kb.regions)
    return url


def orders(url: str) -> list[WorkOrder]:
    with sessions_for(url)() as session:
        return list(session.execute(select(WorkOrder)).scalars())


def answer(sim: Sim, text: str, intent: str = "inform") -> list[dict]:
    """One user turn inside the form: validate, then ask the next slot or finish like Rasa would."""
    sim.say(text, intent)
    events = sim.run(ValidateBookingForm())
    if not events:
        return events  # rejected: the message is for something else
    requested = sim.slots.get("requested_slot")
    if requested is None:
        sim.run(ActionConfirmBooking())
        sim.active_loop = None
    elif requested in ASK_ACTIONS:
        sim.run(ASK_ACTIONS[requested])
    return events


def start(text: str = "我要预约办电") -> Sim:
    sim = Sim(active_loop="booking_form")
    answer(sim, text, "request_booking")
    return sim


def test_customer_happy_path_creates_one_committed_order(database):
    sim = start()
    assert sim.slots["requested_slot"] == "booking_name"
    answer(sim, "张三")
    assert sim.slots["requested_slot"] == "booking_phone"
    answer(sim, "139 1234 5678")
    assert sim.slots["booking_phone"].startswith("sealed:") and RAW_PHONE not in sim.slots["booking_phone"]
    assert booking_fields(sim.tracker())["phone"] == RAW_PHONE
    assert sim.slots["requested_slot"] == "booking_address"
    answer(sim, "安阳市文峰区中华路1号")
    assert (sim.slots["booking_region"], sim.slots["booking_district"]) == ("anyang", "文峰区")
    assert "中华路" not in sim.slots["booking_address"]
    assert sim.slots["requested_slot"] == "booking_business"
    answer(sim, "居民新装")
    assert sim.slots["requested_slot"] == "booking_visit"  # residents are not asked for capacity
    sim.clear()
    answer(sim, "明天上午")
    summary = sim.last_text()
    assert "139****5678" in summary and RAW_PHONE not in summary and "11月27日（周四）上午" in summary
    assert "中华路*号" in summary
    sim.clear()
    answer(sim, "确认", "affirm")
    reply = sim.last_text()
    [order] = orders(database)
    assert order.phone == RAW_PHONE and order.address == "安阳市文峰区中华路1号" and order.stage == "submitted"
    assert f"{order.number[:5]}-{order.number[5:]}" in reply
    assert "客户经理A-文峰" in reply and "20分钟" in reply and "10:20前" in reply
    assert RAW_PHONE not in reply
    assert sim.slots["booking_order"] == order.number
    assert all(sim.slots.get(f"booking_{f}") is None for f in ("name", "phone", "address", "visit", "confirmed"))
    # the conversation remembers the order (查一下我的工单 needs no number) and offers the next steps
    assert sim.slots["known_orders"] == [order.number]
    assert [b["payload"] for b in sim.messages[-1]["buttons"]] == ["/check_status", "/reschedule_visit"]


def test_staff_one_message_fills_everything_and_goes_to_the_summary(database):
    sim = start("登记零证预约：张三 13912345678 安阳市文峰区中华路1号 居民新装 明天上午")
    fields = booking_fields(sim.tracker())
    assert fields["name"] == "张三" and fields["phone"] == RAW_PHONE
    assert fields["address"] == "安阳市文峰区中华路1号" and fields["business"] == "resident_new"
    assert sim.slots["booking_visit"] == "2025-11-27 上午"
    assert sim.slots["requested_slot"] == "booking_confirmed"
    assert "请核对预约信息" in sim.last_text()


def test_staff_message_asks_only_for_what_is_missing(database):
    sim = start("登记零证预约：李四 13800001111 林州市红旗渠大道88号 非居民新装")
    assert sim.slots["booking_district"] == "林州市"
    assert sim.slots["requested_slot"] == "booking_capacity"
    answer(sim, "120千瓦")
    assert sim.slots["booking_capacity"] == "120千瓦" and sim.slots["requested_slot"] == "booking_visit"


def test_correcting_the_phone_while_another_question_is_open(database):
    sim = start("登记零证预约：张三 13912345678 居民新装 明天上午")
    assert sim.slots["requested_slot"] == "booking_address"
    sim.clear()
    answer(sim, "电话写错了，是13800001111")
    assert booking_fields(sim.tracker())["phone"] == "13800001111"
    assert any("已更新：手机号 138****1111" in t for t in sim.texts())
    assert sim.slots["requested_slot"] == "booking_address"


def test_correction_at_the_summary_shows_the_updated_summary(database):
    sim = start("登记零证预约：张三 13912345678 安阳市文峰区中华路1号 居民新装 明天上午")
    sim.clear()
    answer(sim, "时间改到周五下午")
    assert sim.slots["booking_visit"] == "2025-11-28 下午"
    assert sim.slots["requested_slot"] == "booking_confirmed"
    assert "11月28日（周五）下午" in sim.last_text()
    assert not orders(database)


def test_deny_asks_what_to_change(database):
    sim = start("登记零证预约：张三 13912345678 安阳市文峰区中华路1号 居民新装 明天上午")
    sim.clear()
    answer(sim, "不对", "deny")
    assert sim.slots["booking_editing"] is True and sim.texts()[-1] == "utter_booking_what_to_change"
    answer(sim, "地址改成林州市红旗渠大道1号")
    assert sim.slots["booking_district"] == "林州市" and sim.slots["booking_editing"] is False
    assert "请核对预约信息" in sim.last_text()
    answer(sim, "确认", "affirm")
    [order] = orders(database)
    assert order.district == "林州市" and order.manager.name.endswith("林州")


def test_a_policy_question_pauses_the_form_and_it_resumes(database):
    sim = start()
    answer(sim, "张三")
    assert answer(sim, "居民新装要带什么资料？", "ask_materials") == []  # rejected: the rule runs action_answer
    sim.events.append({"event": "action", "name": "action_answer"})
    events = sim.run(ValidateBookingForm())  # the form comes back after the answer
    assert events == [{"event": "slot", "timestamp": None, "name": "requested_slot", "value": "booking_phone"}]


def test_cancel_is_rejected_by_the_form_and_the_cancel_action_clears_everything(database):
    sim = start("登记零证预约：张三 13912345678 居民新装")
    assert answer(sim, "算了不办了", "cancel") == []
    sim.run(ActionCancelBooking())
    assert sim.active_loop is None and sim.slots["booking_phone"] is None
    assert sim.texts()[-1] == "utter_booking_cancelled" and not orders(database)


@pytest.mark.parametrize("bad", ["123", "12912345678", "我不告诉你"])
def test_specific_reprompts_then_an_offer_of_help_instead_of_looping(database, bad):
    sim = start()
    answer(sim, "张三")
    sim.clear()
    answer(sim, bad)
    assert sim.slots["requested_slot"] == "booking_phone" and sim.slots["booking_failures"] == 1
    assert "手机号" in sim.texts()[0]
    answer(sim, bad)
    answer(sim, bad)
    assert sim.slots.get("requested_slot") is None
    assert "utter_booking_help" in sim.texts()
    assert sim.slots["booking_name"] is None and not orders(database)


def test_a_good_answer_resets_the_failure_count(database):
    sim = start()
    answer(sim, "张三")
    answer(sim, "123")
    answer(sim, "13912345678")
    assert sim.slots["booking_failures"] == 0


def test_confirming_twice_never_duplicates(database):
    sim = start("登记零证预约：张三 13912345678 安阳市文峰区中华路1号 居民新装 明天上午")
    sim.say("确认", "affirm")
    sim.run(ValidateBookingForm())
    snapshot = dict(sim.slots)
    sim.run(ActionConfirmBooking())
    sim.slots = snapshot  # the action server is called again for the same message (a retry)
    sim.run(ActionConfirmBooking())
    assert len(orders(database)) == 1
    assert "不会重复建单" in sim.last_text()
    again = start("登记零证预约：张三 13912345678 安阳市文峰区中华路1号 居民新装 后天上午")
    answer(again, "确认", "affirm")
    assert len(orders(database)) == 1  # same phone, address and business within the window


def test_a_duplicate_from_another_conversation_reveals_no_order(database):
    """Red team round 3, R3-1: whoever types someone's phone, address and business in another conversation
    learns nothing of their order (its number is what lookups and changes check) and gets none to follow."""
    owner = start("登记零证预约：张三 13912345678 安阳市文峰区中华路1号 居民新装 明天上午")
    answer(owner, "确认", "affirm")
    [order] = orders(database)
    assert order.number[:5] in owner.texts()[-1]  # the owner gets the number
    stranger = Sim(active_loop="booking_form", sender="web:stranger")
    answer(stranger, "登记零证预约：李四 13912345678 安阳市文峰区中华路1号 居民新装 后天上午", "request_booking")
    answer(stranger, "确认", "affirm")
    reply = stranger.texts()[-1]
    assert "已经登记过了" in reply and "139****5678" in reply
    assert order.number[:5] not in reply and "客户经理：" not in reply and "上门" not in reply
    assert stranger.slots.get("booking_order") is None and not stranger.slots.get("known_orders")
    assert len(orders(database)) == 1 and orders(database)[0].stage == order.stage


def test_store_failure_says_try_again_and_keeps_the_answers(database, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(booking, "confirm_booking", broken)
    sim = start("登记零证预约：张三 13912345678 安阳市文峰区中华路1号 居民新装 明天上午")
    answer(sim, "确认", "affirm")
    assert sim.texts()[-1] == "utter_booking_store_failed"
    assert booking_fields(sim.tracker())["phone"] == RAW_PHONE and sim.slots["booking_confirmed"] is None


def test_region_without_district_asks_for_the_district_with_buttons(database):
    sim = start("登记零证预约：张三 13912345678 安阳市中华路1号 居民新装 明天上午")
    assert sim.slots["booking_region"] == "anyang" and sim.slots["requested_slot"] == "booking_district"
    assert "文峰区" in [b["title"] for b in sim.messages[-1]["buttons"]]
    answer(sim, "文峰区")
    assert sim.slots["booking_district"] == "文峰区" and sim.slots["requested_slot"] == "booking_confirmed"


def test_uncovered_city_is_refused_with_a_reason(database):
    sim = start()
    answer(sim, "张三")
    answer(sim, "13912345678")
    sim.clear()
    answer(sim, "北京市朝阳区建国路1号")
    assert "目前只能预约" in sim.texts()[0] and sim.slots.get("booking_address") is None


def test_past_or_weekend_visit_times_are_refused(database):
    sim = start("登记零证预约：张三 13912345678 安阳市文峰区中华路1号 居民新装")
    sim.clear()
    answer(sim, "周六上午")
    assert "休息日" in sim.texts()[0] and sim.slots.get("booking_visit") is None
    sim.clear()
    answer(sim, "11月20日")
    assert sim.slots.get("booking_visit") is None


def test_no_slot_event_ever_holds_the_phone_number_or_house_number_in_clear(database):
    sim = start("登记零证预约：张三 13912345678 安阳市文峰区中华路1号 居民新装 明天上午")
    answer(sim, "电话写错了，是13800001111")
    answer(sim, "确认", "affirm")
    slot_values = [str(e.get("value")) for e in sim.events if e.get("event") == "slot"]
    assert not any("13912345678" in v or "13800001111" in v or "中华路1号" in v for v in slot_values)
    bot_texts = " ".join(sim.texts())
    assert "13912345678" not in bot_texts and "13800001111" not in bot_texts and "中华路1号" not in bot_texts
    assert len(orders(database)) == 1 and orders(database)[0].phone == "13800001111"


def rotate_secret_key() -> None:
    """The services of a process restarted with another BANDIAN_SECRET_KEY (the same clock)."""
    services = current()
    install(dataclasses.replace(services, settings=dataclasses.replace(services.settings, secret_key="rotated")))


def test_a_sealed_value_from_another_key_is_asked_again(database):
    sim = start("登记零证预约：张三 13912345678 安阳市文峰区中华路1号 居民新装 明天上午")
    rotate_secret_key()
    assert booking_fields(sim.tracker())["phone"] is None


def test_unreadable_values_never_make_an_order(database):
    sim = start("登记零证预约：张三 13912345678 安阳市文峰区中华路1号 居民新装 明天上午")
    sim.say("确认", "affirm")
    sim.run(ValidateBookingForm())
    rotate_secret_key()  # the sealed phone can no longer be opened
    sim.run(ActionConfirmBooking())
    assert sim.texts()[-1] == "utter_booking_incomplete" and not orders(database)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_masking_tracker_store_keeps_no_raw_phone_or_house_number():
    import asyncio

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa_plugins.tracker_store import MaskingInMemoryTrackerStore

    domain = Domain.from_yaml(
        "version: '3.1'\nslots:\n  booking_phone:\n    type: text\n    mappings:\n      - type: custom\n")
    store = MaskingInMemoryTrackerStore(domain)
    text = "登记零证预约：张三 13912345678 安阳市文峰区中华路1号 居民新装 明天上午"
    tracker = DialogueStateTracker.from_events("u1", [
        UserUttered(text, {"name": "request_booking"}, parse_data={"text": text}),
        SlotSet("booking_phone", "sealed:abc"),
        BotUttered("联系人：张* 手机号 139****5678"),
    ], slots=domain.slots)
    asyncio.run(store.save(tracker))
    stored = asyncio.run(store.retrieve("u1"))
    dumped = str([e.as_dict() for e in stored.events])
    assert "13912345678" not in dumped and "中华路1号" not in dumped
    assert "139****5678" in dumped and "中华路*号" in dumped
    assert stored.get_slot("booking_phone") == "sealed:abc"
