"""转人工 through the live-chat queue, and unanswered questions recorded (real dispatcher and tracker)."""

from __future__ import annotations

from datetime import datetime

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.livechat import ActionHandoff
from actions.qa import CONTEXT_SLOTS, ActionAnswer, ActionOutOfScope
from bot.feedback.models import Unanswered
from bot.livechat.models import Handoff
from bot.livechat.store import mark_present
from bot.orders.store import conversation_key
from bot.store.runtime import sessions_for


@pytest.fixture
def database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return sessions_for(url)


def tracker(texts: list[str], channel: str = "web", **slots) -> Tracker:
    """Each message but the last answered as a question (action_answer), then the 转人工 request."""
    values = {name: None for name in CONTEXT_SLOTS} | {"agent_mode": False} | slots
    events = []
    for index, text in enumerate(texts):
        events.append({"event": "user", "text": text, "input_channel": channel,
                       "parse_data": {"intent": {"name": "ask_time_limit"}}})
        if index < len(texts) - 1:
            events.append({"event": "action", "name": "action_answer"})
    return Tracker("customer-1", values, {"text": texts[-1], "intent": {"name": "human_handoff"}}, events, False,
                   None, {}, "action_listen")


def handoff(database, texts: list[str], channel: str = "web", **slots) -> tuple[str, list[dict]]:
    dispatcher = CollectingDispatcher()
    ActionHandoff().run(dispatcher, tracker(texts, channel, **slots), {})
    return " ".join(m.get("text") or m.get("response") or "" for m in dispatcher.messages), dispatcher.messages


def test_no_agent_online_gives_95598_and_the_regions_channels_and_queues_nothing(database):
    text, _ = handoff(database, ["转人工"], region="anyang")
    assert "没有人工客服在线" in text and "95598" in text and "安供电营销〔2022〕24号" in text
    with database() as session:
        assert session.execute(select(Handoff)).first() is None


def test_with_an_agent_online_the_conversation_is_queued_with_a_masked_summary(database):
    with database() as session:
        mark_present(session, "agent-li", datetime.now())
    _, messages = handoff(database, ["滕州150千瓦的厂子要多久", "我电话13912345678", "转人工"],
                          region="zaozhuang", district="滕州市", category="lv_business")
    [message] = messages
    assert message["text"].startswith("好的，已为您转接人工客服，您是下一位")
    with database() as session:
        [row] = session.execute(select(Handoff)).scalars().all()
    assert row.status == "waiting" and row.channel == "web" and row.conversation == conversation_key("customer-1")
    assert "枣庄（滕州市）" in row.summary and "滕州150千瓦的厂子要多久" in row.summary
    assert "13912345678" not in row.summary and "139****5678" in row.summary and "转人工" not in row.summary


@pytest.mark.parametrize(("slots", "expected"), [
    ({"status_order": "7654618275"}, None),  # typed in a lookup that failed: not the customer's, as far as we know
    ({"status_order": "7654618275", "known_orders": ["3841209357"]}, "3841209357"),  # looked up with the suffix
    ({"booking_order": "3841209357", "known_orders": ["5550001112", "3841209357"]}, "3841209357"),  # booked here
])
def test_the_handoff_names_only_an_order_the_conversation_proved_its_own(database, slots, expected):
    """Red team round 4, R4-3: a wrong-suffix lookup, then 转人工, showed the agent that order as the customer's."""
    with database() as session:
        mark_present(session, "agent-li", datetime.now())
    handoff(database, ["查进度", "转人工"], region="yantai", **slots)
    with database() as session:
        [row] = session.execute(select(Handoff)).scalars().all()
    assert row.order_number == expected
    assert ("7654618275" in row.summary) is False and (expected is None or expected in row.summary)


def test_a_channel_that_cannot_carry_agent_messages_is_not_queued(database):
    with database() as session:
        mark_present(session, "agent-li", datetime.now())
    text, _ = handoff(database, ["转人工"], channel="rest")
    assert "95598" in text
    with database() as session:
        assert session.execute(select(Handoff)).first() is None


def test_an_uncovered_city_and_an_out_of_scope_question_are_recorded_as_unanswered(database):
    ActionAnswer().run(CollectingDispatcher(), tracker(["北京居民接电要多久"]), {})
    ActionOutOfScope().run(CollectingDispatcher(), tracker(["今天天气怎么样"]), {})
    ActionAnswer().run(CollectingDispatcher(), tracker(["枣庄10千伏双电源办电要多久"]), {})  # answered
    ActionAnswer().run(CollectingDispatcher(), tracker(["10千伏双电源办电要多久"]), {})  # a clarifying question
    with database() as session:
        rows = session.execute(select(Unanswered).order_by(Unanswered.id)).scalars().all()
    assert [(r.question, r.reason) for r in rows] == [("北京居民接电要多久", "no_answer"),
                                                      ("今天天气怎么样", "out_of_scope")]
