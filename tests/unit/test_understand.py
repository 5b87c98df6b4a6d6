"""Reading questions the way customers type them."""

from __future__ import annotations

import pytest

from bot.knowledge.models import Quantity
from bot.reading.frame import find_capacity, find_category, find_topics, normalize_text, understand
from bot.reading.quantities import chinese_to_int


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("150千瓦的厂子", Quantity(150, "千瓦")),
        ("１６０ｋＷ", Quantity(160, "千瓦")),
        ("80kva的作坊", Quantity(80, "千伏安")),
        ("80 KVA", Quantity(80, "千伏安")),
        ("八十千伏安", Quantity(80, "千伏安")),
        ("一百六十千瓦", Quantity(160, "千瓦")),
        ("容量是90.5千伏安", Quantity(90.5, "千伏安")),
        ("10千伏双电源", None),
        ("没有容量", None),
    ],
)
def test_capacity_keeps_the_unit_as_written(text, expected):
    assert find_capacity(normalize_text(text)) == expected


@pytest.mark.parametrize(("text", "number"),
                         [("八十", 80), ("一百六十", 160), ("十", 10), ("两百", 200), ("三x", None)])
def test_chinese_numbers(text, number):
    assert chinese_to_int(text) == number


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("10千伏双电源办电多久", "hv_10kv_double"),
        ("10kv单电源", "hv_10kv_single"),
        ("十千伏用户", "hv_10kv"),
        ("35千伏双电源设计审查", "hv_35kv_double"),
        ("没有实行三零服务的低压非居民客户", "lv_nonresident_no_sanling"),
        ("小微企业接电", "small_micro"),
        ("居民装表", "resident"),
        ("村集体的机井", "well_collective"),
        ("家里装充电桩", "charging_resident"),
        ("重要用户多哪些环节", "important"),
        ("今天天气", None),
    ],
)
def test_category(text, category):
    assert find_category(normalize_text(text)) == category


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("接电要带什么、多久、花不花钱", ["materials", "investment", "time_limit"]),
        ("年均停电时间目标是多少", ["reliability"]),
        ("不停电作业比例", ["live_work"]),
        ("办电分几个环节", ["steps"]),
        ("超时预警分几级", ["warning"]),
    ],
)
def test_topics(text, topics):
    assert find_topics(normalize_text(text)) == topics


def test_a_district_alone_fixes_the_region(kb):
    question = understand(kb, "我在滕州开了个150千瓦的厂子，接电要带什么、多久、花不花钱？")
    assert question.place is not None
    assert question.place.region.name == "枣庄"
    assert question.capacity == Quantity(150, "千瓦")
    assert question.business


@pytest.mark.parametrize(("text", "region"), [("林州的居民", "安阳"), ("东海县开超市", "连云港"),
                                               ("凯里城区", "黔东南"), ("莱州农村", "烟台"), ("赣榆区居民", "连云港")])
def test_districts_map_to_their_region(kb, text, region):
    assert understand(kb, text).place.region.name == region


def test_an_uncovered_city_is_recognised(kb):
    question = understand(kb, "杭州的企业办电要多久")
    assert not question.places
    assert question.unknown_place == "杭州"


def test_two_regions_are_both_found(kb):
    question = understand(kb, "居民办电时限，枣庄和黔东南分别是多少")
    assert [p.region.name for p in question.places] == ["枣庄", "黔东南"]
