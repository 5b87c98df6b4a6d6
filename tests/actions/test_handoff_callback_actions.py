"""Handoff with context (real dispatcher and tracker, a fresh SQLite): the summary lists the customer's questions
(not the booking's answers), the queue acknowledgement tells the place, with nobody online a call-back is offered
and taken (number and time parsed, masked wherever stored or shown), and anger offers a person."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from actions.callback import ActionCancelCallback, ActionSubmitCallback, ValidateCallbackForm
from actions.livechat import ActionHandoff
from actions.qa import ActionComplaint
from bot.booking.sealed import unseal
from bot.calendar import china_now, is_working_day
from bot.livechat.callbacks import next_service_period
from bot.livechat.models import CallbackRequest, Handoff
from bot.livechat.store import clock, mark_present, request_handoff
from bot.orders.store import conversation_key
from bot.services import current
from bot.store.runtime import sessions_for
from tests.actions.booking_sim import Sim


class Chat(Sim):
    """The booking simulator, with the channel and the intent in each user event (as Rasa stores them)."""

    channel: str = "web"

    def say(self, text: str, intent: str = "inform") -> None:
        super().say(text, intent)
        self.events[-1].update(input_channel=self.channel, parse_data={"intent": {"name": intent}})

    def ran(self, name: str) -> None:
        """An action that answered the message (its outcome does not matter here)."""
        self.events.append({"event": "action", "name": name})

    def buttons(self) -> list[dict[str, Any]]:
        return [b for m in self.messages for b in (m.get("buttons") or [])]


@pytest.fixture
def database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'context.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return sessions_for(url)


def agent_online(database) -> None:
    with database() as session:
        mark_present(session, "agent-li", clock())


def booked_then_asked(chat: Chat) -> None:
    """A question, a booking's answers (name, phone, address), a question mid-booking, an angry message."""
    chat.say("安阳居民接电要多久", "ask_time_limit")
    chat.ran("action_answer")
    chat.say("我要预约办电", "request_booking")
    chat.ran("booking_form")
    for answer in ("张三", "13912345678", "安阳市文峰区中华路1号"):
        chat.say(answer)
        chat.ran("booking_form")
    chat.say("枣庄")  # a bare reply to "which city?" is context, not a question
    chat.ran("action_answer")
    chat.say("居民新装要带什么资料？我电话13800001111", "ask_materials")
    chat.ran("action_answer")
    chat.say("太慢了😡", "complaint")
    chat.ran("action_complaint")
    chat.say("转人工", "human_handoff")


def test_the_queue_summary_lists_the_customers_questions_not_the_bookings_answers(database):
    agent_online(database)
    chat = Chat(sender="web:ctx", slots={"region": "anyang"})
    booked_then_asked(chat)
    chat.run(ActionHandoff())
    with database() as session:
        [row] = session.execute(select(Handoff)).scalars().all()
    summary = row.summary
    assert "“安阳居民接电要多久”" in summary and "居民新装要带什么资料？我电话138****1111" in summary
    assert "不满：“太慢了😡”" in summary
    for answer in ("张三", "139****5678", "中华路", "我要预约办电", "“枣庄”", "转人工", "13800001111"):
        assert answer not in summary, answer


def test_a_queued_customer_is_told_how_many_are_ahead(database):
    agent_online(database)
    with database() as session:
        for n in range(2):
            request_handoff(session, conversation=f"other-{n}", channel="web", summary="s", now=clock())
    chat = Chat(sender="web:third")
    chat.say("转人工", "human_handoff")
    chat.run(ActionHandoff())
    assert chat.last_text() == ("好的，已为您转接人工客服，您前面还有2位客户在等待，请稍候；排队有变化时会告诉您，"
                                "客服接入后会在这里回复您。")
    with database() as session:
        row = session.execute(select(Handoff).where(Handoff.conversation == conversation_key("web:third"))).scalar_one()
    assert row.announced_ahead == 2


def test_with_nobody_online_a_call_back_is_offered_with_the_service_hours(database):
    chat = Chat(sender="web:nobody", slots={"region": "anyang"})
    chat.say("转人工", "human_handoff")
    chat.run(ActionHandoff())
    text = " ".join(chat.texts())
    assert "没有人工客服在线" in text and "95598" in text
    assert "留下手机号和希望回电的时间" in text and "工作日 9:00–12:00、13:30–17:30" in text
    assert {"title": "留电话等回电", "payload": "/request_callback"} in chat.buttons()
    with database() as session:
        assert session.execute(select(Handoff)).first() is None


def start_callback(chat: Chat, text: str = "/request_callback") -> None:
    chat.say(text, "request_callback")
    chat.active_loop = "callback_form"
    chat.run(ValidateCallbackForm())


def test_a_call_back_request_is_parsed_sealed_stored_masked_and_confirmed(database):
    chat = Chat(sender="web:cb", slots={"region": "zaozhuang"})
    chat.say("枣庄10千伏双电源办电要多久", "ask_time_limit")
    chat.ran("action_answer")
    start_callback(chat)
    assert chat.slots["requested_slot"] == "callback_phone" and not chat.messages
    chat.say("0632-1234567")
    chat.run(ValidateCallbackForm())
    assert "固定电话" in chat.last_text() and "方便客服给您回电" in chat.last_text()
    assert chat.slots["requested_slot"] == "callback_phone"
    chat.say("139 1234 5678")
    chat.run(ValidateCallbackForm())
    sealed = chat.slots["callback_phone"]
    assert sealed.startswith("sealed:") and "5678" not in sealed  # tracker events never hold the number
    assert chat.slots["requested_slot"] == "callback_time" and chat.slots["callback_failures"] == 0
    chat.say("晚上8点")
    chat.run(ValidateCallbackForm())
    assert "不在回电服务时间内" in chat.last_text() and "上门" not in chat.last_text()
    chat.say("尽快")
    chat.run(ValidateCallbackForm())
    assert chat.slots["requested_slot"] is None
    chat.active_loop = None
    chat.clear()
    chat.run(ActionSubmitCallback())
    soon = next_service_period(china_now())
    text = chat.last_text()
    assert text.startswith("好的，已为您登记回电（编号1）") and "拨打 139****5678" in text
    assert f"{soon.day.month}月{soon.day.day}日" in text and "回电服务时间：工作日 9:00–12:00、13:30–17:30" in text
    assert "13912345678" not in text
    assert chat.slots["callback_phone"] is None and chat.slots["callback_time"] is None
    with database() as session:
        [row] = session.execute(select(CallbackRequest)).scalars().all()
    assert row.phone_masked == "139****5678" and "13912345678" not in row.phone_sealed
    assert unseal(row.phone_sealed, current().sealer) == "13912345678"
    assert (row.preferred_day, row.preferred_period) == (soon.day, soon.period)
    assert row.status == "open" and row.region == "zaozhuang" and row.channel == "web"
    assert row.conversation == conversation_key("web:cb") and "枣庄10千伏双电源办电要多久" in row.summary


def test_number_and_time_in_the_message_that_starts_the_form_and_asking_again_updates(database):
    chat = Chat(sender="web:one-line")
    start_callback(chat, "请尽快给我回电话 13912345678")
    assert chat.slots["requested_slot"] is None and chat.slots["callback_time"]
    chat.active_loop = None
    chat.run(ActionSubmitCallback())
    start_callback(chat, "回电改到后天上午 13800001111")
    chat.active_loop = None
    chat.run(ActionSubmitCallback())
    assert chat.last_text().startswith("好的，已更新您的回电登记（编号1）") and "138****1111" in chat.last_text()
    with database() as session:
        [row] = session.execute(select(CallbackRequest)).scalars().all()
    assert row.phone_masked == "138****1111"


def test_an_open_call_back_is_recalled_instead_of_offered_again(database):
    chat = Chat(sender="web:again")
    start_callback(chat, "13912345678 尽快")
    chat.run(ActionSubmitCallback())
    chat.clear()
    chat.say("转人工", "human_handoff")
    chat.run(ActionHandoff())
    assert "您已登记回电" in chat.last_text() and "139****5678" in chat.last_text()
    assert chat.buttons() == [{"title": "修改回电信息", "payload": "/request_callback"}]


def test_cancel_leaves_the_form_and_stores_nothing(database):
    chat = Chat(sender="web:cancel")
    start_callback(chat)
    chat.say("取消", "cancel")
    assert chat.run(ValidateCallbackForm()) == []  # rejected: the cancel rule answers
    chat.run(ActionCancelCallback())
    assert "不登记回电了" in chat.last_text() and chat.active_loop is None
    with database() as session:
        assert session.execute(select(CallbackRequest)).first() is None


def test_three_answers_that_cannot_be_read_stop_the_form_with_95598(database):
    chat = Chat(sender="web:stuck")
    start_callback(chat)
    for answer in ("不知道", "嗯", "你猜"):
        chat.say(answer)
        chat.run(ValidateCallbackForm())
    assert "95598" in chat.last_text() and chat.slots["requested_slot"] is None
    chat.run(ActionSubmitCallback())
    with database() as session:
        assert session.execute(select(CallbackRequest)).first() is None


def test_a_day_off_or_too_far_ahead_is_refused_with_the_reason(database):
    chat = Chat(sender="web:days")
    start_callback(chat, "13912345678")
    today = china_now().date()
    off = next(today + timedelta(days=n) for n in range(1, 15) if not is_working_day(today + timedelta(days=n)))
    chat.say(f"{off.month}月{off.day}日")
    chat.run(ValidateCallbackForm())
    assert "客服在工作日回电，请换一个工作日" in chat.last_text()
    far = next(today + timedelta(days=n) for n in range(10, 25) if is_working_day(today + timedelta(days=n)))
    chat.say(f"{far.month}月{far.day}日上午")
    chat.run(ValidateCallbackForm())
    assert chat.last_text() == "回电时间请选在7天以内。"
    assert chat.slots["requested_slot"] == "callback_time" and chat.slots["callback_failures"] == 2


def test_anger_offers_a_person_with_a_button_to_the_handoff():
    chat = Chat(sender="web:angry")
    chat.say("太慢了😡", "complaint")
    chat.run(ActionComplaint())
    assert "95598" in chat.last_text() and "12398" in chat.last_text() and "再见" not in chat.last_text()
    assert chat.buttons() == [{"title": "转人工", "payload": "/human_handoff"}]


def test_clock_is_naive_utc():
    now = clock()
    assert now.tzinfo is None and abs(datetime.utcnow() - now) < timedelta(seconds=5)
