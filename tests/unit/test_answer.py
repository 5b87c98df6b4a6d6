"""Replies composed from the knowledge base: right region, right category, right step, no invention."""

from __future__ import annotations

import re

import pytest

from bot.qa.context import Context
from bot.qa.planner import Answerer


@pytest.fixture(scope="module")
def answerer(kb) -> Answerer:
    return Answerer(kb)


def ask(answerer: Answerer, text: str, **context) -> str:
    return answerer.reply(text, Context(**context)).text


def days(text: str) -> set[str]:
    return set(re.findall(r"(\d+(?:\.\d+)?)个?工作日", text))


@pytest.mark.parametrize(
    ("question", "expected", "absent"),
    [
        ("枣庄10千伏单电源用户的供电方案答复要几天", "5", {"11", "18"}),
        ("枣庄35千伏双电源设计审查几个工作日", "3", {"32"}),
        ("烟台10千伏用户供电方案答复时限", "5", set()),
        ("枣庄10千伏双电源办电要多久", "18", {"11"}),
        ("黔东南高压双电源客户合计办理时间", "30", {"22"}),
    ],
)
def test_time_limits_for_the_category_and_step_asked(answerer, question, expected, absent):
    found = days(ask(answerer, question))
    assert expected in found
    assert not (absent & found)


def test_a_follow_up_changes_only_the_supply(answerer):
    first = answerer.reply("枣庄10千伏单电源要多久")
    assert "11" in days(first.text)
    second = answerer.reply("那双电源呢", first.context)
    assert "18" in days(second.text) and "11" not in days(second.text)


def test_a_follow_up_changes_only_the_region(answerer):
    first = answerer.reply("枣庄10千伏双电源要多久")
    second = answerer.reply("那黔东南呢", first.context)
    assert second.context.region == "qiandongnan"
    assert "黔东南" in second.text and "枣庄" not in second.text


def test_a_district_alone_fixes_the_region(answerer):
    reply = answerer.reply("赣榆区居民接电全流程多少天")
    assert reply.context.region == "lianyungang"
    assert "5" in days(reply.text)


def test_an_uncovered_city_gets_no_figures(answerer):
    text = ask(answerer, "杭州的企业办电要多久")
    assert "杭州" in text and "95598" in text
    assert not days(text)


def test_a_missing_region_gets_one_clarifying_question_with_buttons(answerer):
    reply = answerer.reply("小微企业接电要多久")
    assert not reply.answered and len(reply.buttons) == 5
    assert not days(reply.text)
    answered = answerer.reply("安阳", reply.context)
    assert answered.context.region == "anyang" and answered.answered


def test_comparison_gives_each_region_its_own_figure(answerer):
    text = ask(answerer, "居民办电时限，枣庄和黔东南分别是多少")
    zaozhuang, qiandongnan = text.split("黔东南", 1)
    assert "3" in days(zaozhuang) and "5" in days(qiandongnan)


def test_rural_yantai_capacity_uses_the_rural_threshold_in_kva(answerer):
    text = ask(answerer, "莱州农村80千伏安的作坊接电要自己出钱吗")
    assert "100千伏安" in text and "低压" in text and "电能表" in text


def test_kw_is_never_converted_to_kva(answerer):
    text = ask(answerer, "烟台城市规划区150千瓦的企业能低压接入吗")
    assert "千伏安" in text and "换算" in text


def test_agent_mode_cites_document_and_excerpt(answerer):
    text = ask(answerer, "枣庄10千伏双电源办电要多久", agent_mode=True)
    assert "枣能源字〔2021〕33号" in text and "“" in text


def test_important_users_keep_design_review_and_midway_inspection_in_anyang(answerer):
    text = ask(answerer, "安阳重要用户比普通高压用户多哪些环节")
    assert "设计审查" in text and "中间检查" in text


def test_which_city_is_fastest_is_answered_for_every_region(answerer):
    text = ask(answerer, "哪个城市10千伏办电最快")
    assert all(name in text for name in ("烟台", "枣庄", "黔东南", "连云港", "安阳"))
    assert {"8", "30", "25", "16"} <= days(text)


def test_how_do_i_get_connected_gives_steps_and_materials(answerer):
    reply = answerer.reply("我家在薛城新盖的房子想通电咋弄")
    assert reply.answered and reply.context.region == "zaozhuang"
    assert "受理签约" in reply.text and "施工接电" in reply.text


def test_a_group_the_document_does_not_name_gets_a_note_not_another_groups_number(answerer):
    text = ask(answerer, "黔东南重要用户设计审查几天")
    assert "未" in text and not days(text)


def test_a_policy_term_is_found_outside_the_topic_asked(answerer):
    text = ask(answerer, "安阳去营业厅办电 只带了营业执照 别的没带 能办吗")
    assert "容缺" in text


def test_a_city_district_gets_the_city_planning_threshold_and_no_unit_conversion(answerer):
    text = ask(answerer, "烟台市区的厂子 150千瓦 能低压接入吗")  # 市区 lies in the 城市规划区 (shared.yml)
    assert "160千伏安" in text and "100千伏安" not in text and "换算" in text
    assert "可以低压方式接入" not in text


def test_two_topics_naming_the_same_fact_state_it_once(answerer):
    text = ask(answerer, "安阳高可靠性供电费还收吗")
    assert text.count("高可靠性供电费") == 1


def test_high_voltage_capacity_questions_skip_the_low_voltage_check(answerer):
    text = ask(answerer, "枣庄市区1250千伏安以下的高压用户 投资建到红线 政府有补贴吗")
    assert "1250千伏安" in text and "补贴" in text and "换算" not in text


def test_common_typing_slips_are_understood(answerer):
    reply = answerer.reply("枣庄办店要几个资科")
    assert reply.answered and reply.context.topic == "materials"


def test_a_step_named_alone_asks_for_its_time_limit(answerer):
    assert days(ask(answerer, "枣庄 10KV双电源 中间检查")) == {"2"}


def test_low_voltage_or_not_is_a_capacity_question(answerer):
    text = ask(answerer, "枣庄山亭 150kw 饭店 低压吗")
    assert "160千瓦" in text and "可以低压方式接入" in text


def test_a_definition_without_a_city_is_answered_from_each_document_that_has_it(answerer):
    text = ask(answerer, "两证办结是哪两证")
    assert "安阳" in text and "主体证明" in text and "产权证明" in text
    assert "连云港" not in text  # its document does not use the term


def test_specific_group_rules_win_over_general_ones_that_merely_use_the_words(answerer):
    text = ask(answerer, "安阳 居民 投资到哪里")
    assert "表箱" in text


def test_a_follow_up_keeps_the_step_asked_about(answerer):
    first = answerer.reply("枣庄10千伏单电源供电方案答复几天")
    assert days(first.text) == {"5"} and first.context.step == "供电方案答复"
    second = answerer.reply("双电源呢", first.context)
    assert days(second.text) == {"7"}
    third = answerer.reply("那要带什么资料", second.context)
    assert third.context.step is None
