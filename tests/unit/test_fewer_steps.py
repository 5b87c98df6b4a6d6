"""Reductions of a group's step count, kept as data (安阳: '符合投资至规划红线的减少1个，对于通过工商信息
推送“主动办电”的再减少1个'): the count left is computed only from the document's own figures."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.knowledge.models import Reduction, Value
from bot.knowledge.sources import check_fact
from bot.knowledge.textnorm import normalize
from bot.qa.context import Context
from bot.qa.planner import Answerer
from tests.unit.test_loader import GOOD_FACT, REGION_HEAD, load_text


@pytest.fixture(scope="module")
def answerer(kb) -> Answerer:
    return Answerer(kb)


def first_line(answerer: Answerer, question: str) -> str:
    return answerer.reply(question, Context()).text.splitlines()[0]


def test_both_conditions_named_leave_the_high_voltage_count_less_both(answerer):
    line = first_line(answerer, "安阳高压新装，既符合投资到规划红线，又是通过工商信息推送的主动办电，最多剩几个环节")
    assert "最多2个" in line and "4−1−1=2" in line


def test_both_conditions_named_leave_the_low_voltage_count_less_both(answerer):
    assert "最多1个" in first_line(answerer, "安阳低压用户符合投资至规划红线又是主动办电的，还有几个环节")


def test_one_condition_without_a_fact_of_its_own_is_computed(answerer):
    assert "最多2个" in first_line(answerer, "安阳低压符合投资至规划红线的，几个环节")


def test_one_condition_the_document_states_for_the_group_gets_that_fact_with_its_steps(answerer):
    line = first_line(answerer, "安阳高压，通过工商信息推送主动办电的，几个环节")
    assert "3个环节" in line and "供电方案答复" in line and "最多" not in line


def test_a_group_with_its_own_count_is_not_reduced(answerer):
    # 居民 already has 2 steps of its own; the document does not say the reductions apply to it
    text = answerer.reply("安阳居民新装，符合投资到规划红线又主动办电的，几个环节", Context()).text
    assert "最多0个" not in text and "最多1个" not in text


def test_a_city_without_reductions_is_not_computed(answerer):
    assert "最多" not in first_line(answerer, "枣庄高压新装符合投资到规划红线又主动办电的，几个环节")


def test_the_loader_rejects_a_reduction_of_an_unknown_group(tmp_path):
    from bot.knowledge.loader import KnowledgeError

    bad = GOOD_FACT.replace("value: {amount: 3, unit: 工作日}",
                            "value: {reductions: [{groups: [martian], when: [红线], count: 1, text: 减少1个}]}")
    with pytest.raises(KnowledgeError, match="reduction needs known groups"):
        load_text(tmp_path, REGION_HEAD + bad)


def test_the_loader_reads_reductions(tmp_path):
    good = GOOD_FACT.replace("value: {amount: 3, unit: 工作日}",
                             "value: {reductions: [{groups: [hv, lv], when: [红线], count: 1, text: 减少1个}]}")
    [region] = load_text(tmp_path, REGION_HEAD + good)
    assert region.facts[0].value.reductions == (Reduction(("hv", "lv"), ("红线",), 1, "减少1个"),)


def test_the_check_catches_a_reduction_not_in_the_excerpt(kb):
    fact = next(f for f in kb.region("anyang").facts if f.value.reductions)
    seed = normalize(fact.source.excerpt)
    assert check_fact(fact, seed, "f") == []
    wrong = replace(fact, value=Value(reductions=(replace(fact.value.reductions[0], text="符合条件的减少2个"),)))
    problems = check_fact(wrong, seed, "f")
    assert any("not in its excerpt" in p for p in problems) and any("['2']" in p for p in problems)
