"""The dialogue act the words settle: questions about bookings are answered, anger is a complaint,
policy questions are never deflected (bot/reading/acts.py)."""

from __future__ import annotations

import pytest

from bot.reading.acts import corrected_intent


@pytest.mark.parametrize("text", [
    "安阳打电话预约办电的话，挂了电话多久会派单给客户经理？我就先了解一下，不急着约",
    "零证预约是什么意思？",
    "预约以后客户经理多久上门？",
])
def test_questions_about_bookings_are_not_booking_requests(text):
    assert corrected_intent(text, "request_booking", names_place=False) not in (None, "request_booking")


@pytest.mark.parametrize("text", ["我要预约办电", "帮我约个客户经理上门，要带什么资料？", "查一下我的工单进度"])
def test_real_booking_requests_are_left_alone(text):
    assert corrected_intent(text, "request_booking", names_place=False) is None


@pytest.mark.parametrize("text", ["😡", "😡😡😡", "太慢了", "气死我了，什么破服务", "等了这么久，太慢了😡"])
def test_anger_without_a_question_is_a_complaint(text):
    for intent in ("goodbye", "chitchat", "nlu_fallback", "affirm", "out_of_scope"):
        assert corrected_intent(text, intent, names_place=False) == "complaint"


def test_anger_already_read_as_a_complaint_or_handoff_is_kept():
    assert corrected_intent("太慢了", "complaint", names_place=False) is None
    assert corrected_intent("太慢了转人工", "human_handoff", names_place=False) is None


@pytest.mark.parametrize(("text", "intent", "names_place"), [
    ("黔东南这边供电局让我找他们推荐的施工队，我能自己选别家吗？", "complaint", True),
    ("那杭州呢？", "goodbye", True),
    ("物业把管理费算进电费里，这合规吗？", "complaint", False),
])
def test_policy_questions_are_not_deflected(text, intent, names_place):
    assert corrected_intent(text, intent, names_place) not in (None, intent)


def test_plain_conversation_is_left_alone():
    assert corrected_intent("再见", "goodbye", names_place=False) is None
    assert corrected_intent("谢谢", "thanks", names_place=False) is None
    assert corrected_intent("我要投诉", "complaint", names_place=False) is None


@pytest.mark.parametrize("text", ["城镇的", "10千伏的", "双电源", "是小微", "是的，安阳"])
def test_a_situation_given_in_reply_is_information_not_small_talk(text):
    for intent in ("affirm", "thanks", "goodbye"):
        assert corrected_intent(text, intent, names_place=False, names_situation=True) == "inform"


@pytest.mark.parametrize("text", ["是的", "好的，确认", "不用了谢谢"])
def test_agreement_stays_agreement(text):
    assert corrected_intent(text, "affirm", names_place=False, names_situation=True) is None


def test_out_of_scope_is_left_to_its_action_which_answers_from_the_documents_first():
    assert corrected_intent("电费余额不足了怎么充", "out_of_scope", names_place=False) is None


@pytest.mark.parametrize(("text", "intent"), [
    ("我在烟台市区开了个店，跟供电公司因为电费有矛盾，一直谈不拢，能去找市场监管部门吗？", "request_callback"),
    ("我在莱州开了个小厂，跟供电所有电费纠纷，能找市场监管吗？", "request_booking"),
    ("枣庄小微企业想报装，供电所说可开放容量不够，政策上有没有什么说法？", "human_handoff"),
    ("客户经理上门一般要提前多久预约？", "reschedule_visit"),
])
def test_a_policy_question_misread_as_a_form_or_handoff_is_answered(text, intent):
    assert corrected_intent(text, intent, names_place=True) not in (None, intent)


@pytest.mark.parametrize(("text", "intent"), [
    ("人工不在的话就回电给我吧", "request_callback"), ("帮我转人工客服", "human_handoff"),
    ("原来约的时间不行，客户经理能周四下午再来吗", "reschedule_visit"), ("那个工单不要了，取消吧", "cancel_order"),
])
def test_asking_for_the_form_or_a_human_is_kept(text, intent):
    assert corrected_intent(text, intent, names_place=False) is None
