"""Policy questions misread as booking requests are corrected; real requests are left alone."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.intent_guard import PolicyQuestionGuard, question_intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("我想问下10千伏双电源办电多久", "ask_time_limit"),
        ("安阳 5g基站报装资料有哪些", "ask_materials"),
        ("居民新装要带什么资料？", "ask_materials"),
        ("新装要不要花钱", "ask_cost"),
    ],
)
def test_policy_questions_get_their_question_intent(text, intent):
    assert question_intent(text) == intent


@pytest.mark.parametrize("text", ["我要预约办电", "我想申请新装用电", "帮我登记一下，顺便问下要带什么资料",
                                  "查一下我的工单进度", "我想报装一户", "给我约个客户经理上门"])
def test_booking_requests_and_lookups_are_left_alone(text):
    assert question_intent(text) is None


def test_the_component_corrects_misread_questions_and_leaves_the_rest():
    guard = PolicyQuestionGuard()
    booked = Message({"text": "我想问下10千伏双电源办电多久", "intent": {"name": "request_booking", "confidence": 0.6}})
    asked = Message({"text": "你好，办电多久", "intent": {"name": "greet", "confidence": 0.9}})
    greeted = Message({"text": "你好", "intent": {"name": "greet", "confidence": 0.9}})
    guard.process([booked, asked, greeted])
    assert booked.get("intent") == {"name": "ask_time_limit", "confidence": 0.6}
    assert asked.get("intent")["name"] == "ask_time_limit"  # a greeting with a question is answered
    assert greeted.get("intent")["name"] == "greet"
