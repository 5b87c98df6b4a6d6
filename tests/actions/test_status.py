"""Status lookup actions: masked replies, one answer for every miss, lockout, agent mode."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from booking_sim import Sim

import actions.lookups as lookups
import actions.status as status
from actions.status import ActionCancelStatus, ActionCheckStatus, ValidateStatusForm
from bot.orders import advance_order, create_booking, numbers, seed_demo_managers
from bot.orders.times import BEIJING
from bot.orders.views import BookingDraft
from bot.services import current
from bot.settings import Settings
from bot.store.runtime import sessions_for
from bot.trust import ENVELOPE, Identity, seal_identity, trust_key

NOW = datetime(2025, 11, 26, 10, 0, tzinfo=BEIJING)


@pytest.fixture()
def order_number(tmp_path: Path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr(current(), "clock", lambda: NOW + timedelta(minutes=25))
    with sessions_for(url)() as session:
        seed_demo_managers(session, current().kb.regions)
        draft = BookingDraft("张三", "13912345678", "anyang", "文峰区", "安阳市文峰区中华路1号", "resident_new",
                             "resident")
        order = create_booking(session, draft, actor="customer", channel="customer", now=NOW,
                               conversation="someone-else", dispatch_within=timedelta(minutes=20)).order
        advance_order(session, order.number, to_stage="dispatched", actor="staff:王",
                      now=NOW + timedelta(minutes=5), note="已电话联系客户13912345678")
        return order.number


def ask(sim: Sim, text: str, intent: str = "inform") -> list[dict]:
    sim.say(text, intent)
    events = sim.run(ValidateStatusForm())
    if events and sim.slots.get("requested_slot") is None:
        sim.run(ActionCheckStatus())
        sim.active_loop = None
    return events


def lookup(text: str, sender: str = "customer-1", staff: bool = False, **slots) -> Sim:
    sim = Sim(sender=sender, active_loop="status_form", slots=dict(slots),
              metadata=staff_metadata(sender) if staff else None)
    ask(sim, text, "check_status")
    return sim


def staff_metadata(sender: str) -> dict:
    """What the REST channel records for a request with the staff token (bot/trust.py)."""
    return {ENVELOPE: seal_identity(trust_key(Settings.from_env()), sender, Identity(staff=True), time.time())}


def other_number(number: str) -> str:
    while (candidate := numbers.new_number()) == number:
        pass
    return candidate


def test_lookup_in_one_message_reports_stage_history_manager_and_masks(order_number):
    sim = lookup(f"查一下工单{numbers.display(order_number)} 尾号5678")
    reply = sim.last_text()
    assert "当前阶段：已派单" in reply and "客户经理A-文峰" in reply
    assert "✓ 已预约　11月26日 10:00" in reply and "● 已派单　11月26日 10:05（当前）" in reply
    # the note the agent wrote when dispatching is internal: never in the customer's reply, masked or not
    assert "已电话联系客户" not in reply
    assert "未规定这一环节的时限" in reply  # the document sets no limit for the visit step
    assert "13912345678" not in reply and "中华路1号" not in reply and "139****5678" in reply
    assert sim.slots["status_order"] is None and sim.slots["status_suffix"] is None


def test_asks_for_the_number_then_the_suffix(order_number):
    sim = lookup("查询预约进度")
    assert sim.slots["requested_slot"] == "status_order"
    ask(sim, numbers.display(order_number))
    assert sim.slots["requested_slot"] == "status_suffix"
    ask(sim, "5678")
    assert "当前阶段" in sim.last_text()


def test_wrong_suffix_and_wrong_number_get_the_same_reply(order_number):
    wrong_suffix = lookup(f"工单{order_number} 尾号0000").last_text()
    wrong_number = lookup(f"工单{other_number(order_number)} 尾号5678").last_text()
    assert wrong_suffix == wrong_number == "utter_status_no_match"


def test_mistyped_number_is_caught_before_any_lookup(order_number):
    typo = order_number[:-1] + str((int(order_number[-1]) + 1) % 10)
    sim = lookup("查询进度")
    ask(sim, typo)
    assert "校验不通过" in sim.last_text() and sim.slots["requested_slot"] == "status_order"


def test_five_misses_lock_the_conversation(order_number):
    for _ in range(5):
        assert lookup(f"工单{other_number(order_number)} 尾号5678", sender="guesser").last_text() == \
            "utter_status_no_match"
    assert lookup(f"工单{order_number} 尾号5678", sender="guesser").last_text() == "utter_status_locked"
    assert "当前阶段" in lookup(f"工单{order_number} 尾号5678", sender="owner").last_text()


def test_staff_in_agent_mode_need_the_order_number_only(order_number):
    sim = lookup(f"查工单{order_number}", staff=True, agent_mode=True)
    assert "当前阶段" in sim.last_text()


def test_the_conversation_that_booked_still_needs_the_suffix(order_number, monkeypatch):
    monkeypatch.setattr(lookups, "conversation_key", lambda sender: "someone-else")
    sim = lookup(f"查工单{order_number}", sender="someone-else")
    assert sim.slots["requested_slot"] == "status_suffix" and "当前阶段" not in sim.last_text()


def test_a_question_in_the_middle_is_left_to_the_rules(order_number):
    sim = lookup("查询进度")
    assert ask(sim, "高压用户要带什么资料", "ask_materials") == []


def test_cancel_clears_the_lookup(order_number):
    sim = lookup(f"查工单{order_number}")
    sim.say("不查了", "cancel")
    sim.run(ActionCancelStatus())
    assert sim.slots["status_order"] is None and sim.active_loop is None
    assert sim.last_text() == "utter_status_cancelled"


# ---- remembered orders, a corrected suffix, the progress view ------------------------------------

def test_my_order_is_the_one_remembered_and_the_suffix_is_still_asked(order_number):
    sim = lookup("查一下我的工单", known_orders=[order_number])
    assert sim.slots["status_order"] == order_number and sim.slots["requested_slot"] == "status_suffix"
    assert not any("当前阶段" in text for text in sim.texts())
    ask(sim, "5678")
    assert "当前阶段：已派单" in sim.last_text()
    assert sim.slots["known_orders"] == [order_number] and sim.slots["status_order"] is None


def test_several_remembered_orders_are_offered_as_buttons(order_number):
    other = other_number(order_number)
    sim = lookup("查进度", known_orders=[order_number, other])
    assert sim.slots["requested_slot"] == "status_order"
    sim.run(status.ActionAskStatusOrder())
    assert [b["title"] for b in sim.messages[-1]["buttons"]] == [numbers.display(other), numbers.display(order_number)]


def test_a_corrected_suffix_is_accepted_without_starting_over(order_number):
    sim = lookup(f"查一下工单{numbers.display(order_number)}，尾号5670")
    assert sim.last_text() == "utter_status_no_match"
    assert sim.slots["status_order"] == order_number and sim.slots["status_suffix"] is None
    assert sim.slots["requested_slot"] == "status_suffix" and sim.active_loop == "status_form"
    sim.run(status.ActionAskStatusSuffix())
    assert "请重新告诉我预约时登记的手机号后四位" in sim.last_text()
    ask(sim, "不好意思，尾号是5678")
    assert "当前阶段：已派单" in sim.last_text()


def test_a_corrected_number_is_accepted_too(order_number):
    sim = lookup(f"查一下工单{numbers.display(other_number(order_number))}，尾号5678")
    assert sim.last_text() == "utter_status_no_match"
    ask(sim, f"工单号输错了，是{numbers.display(order_number)}")
    assert sim.slots["requested_slot"] == "status_suffix"  # a new number: the suffix again
    ask(sim, "5678")
    assert "当前阶段：已派单" in sim.last_text()


def test_three_misses_in_one_lookup_end_it(order_number):
    sim = lookup(f"查一下工单{numbers.display(order_number)}，尾号0001")
    ask(sim, "0002")
    ask(sim, "0003")
    assert sim.last_text() == "utter_status_gave_up" and sim.active_loop is None
    assert not any("当前阶段" in text for text in sim.texts())


def test_the_progress_view_has_the_timeline_visit_messages_and_buttons(order_number):
    with sessions_for(Settings.from_env().database_url)() as session:
        from bot.orders.store import add_customer_message, add_note, reschedule_visit

        add_note(session, order_number, "内部：客户脾气急，先电话再上门", actor="staff:王",
                 now=NOW + timedelta(minutes=6))
        reschedule_visit(session, order_number, datetime(2025, 11, 28).date(), "下午", actor="staff:王",
                         now=NOW + timedelta(minutes=7))
        add_customer_message(session, order_number, "客户经理周五下午两点前到", actor="staff:王",
                             now=NOW + timedelta(minutes=8))
    sim = lookup(f"查一下工单{numbers.display(order_number)} 尾号5678")
    reply = sim.last_text()
    assert "办理进度：\n ✓ 已预约　11月26日 10:00\n ● 已派单　11月26日 10:05（当前）\n ○ 已受理" in reply
    assert "预约上门时间：11月28日（周五）下午" in reply
    assert "11月26日 10:07 上门时间：预约上门时间改为11月28日（周五）下午" in reply
    assert "11月26日 10:08 留言：客户经理周五下午两点前到" in reply
    assert "客户脾气急" not in reply and "已电话联系" not in reply  # internal notes stay internal
    assert [b["payload"] for b in sim.messages[-1]["buttons"]] == ["/reschedule_visit", "/cancel_order"]
