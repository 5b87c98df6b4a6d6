"""The question frame (bot/reading/frame.py over bot/reading/): places, situation, how the question is
asked. One group of tests per pattern of the answers issue; the phrasings are new, not eval cases."""

from __future__ import annotations

import pytest

from bot.knowledge.models import Quantity
from bot.reading.forms import Asserted, Form, Measure
from bot.reading.frame import understand
from bot.reading.places import ChinaGazetteer, Division, sound_alike


def frame(kb, text):
    return understand(kb, text)


# 1 place-words: only real places are places
@pytest.mark.parametrize("text", ["市场监管局管不管供电公司乱收费", "我们在省级开发区里", "县城里的小卖部接电",
                                  "市区的门面房要带什么", "区域电网容量不够怎么办"])
def test_words_with_city_or_county_characters_are_not_places(kb, text):
    assert frame(kb, text).unknown_place is None


@pytest.mark.parametrize(("text", "place"), [("杭州的厂子接电多久", "杭州"), ("我在西湖区开店", "西湖区"),
                                             ("郑州市的居民要带什么", "郑州")])
def test_real_places_that_are_not_covered_are_named(kb, text, place):
    assert frame(kb, text).unknown_place.startswith(place)


def test_the_gazetteer_keeps_county_short_names_out_but_prefectures_in():
    gazetteer = ChinaGazetteer([Division("杭州市", "杭州", True), Division("长安区", "长安", False)])
    assert gazetteer.find("杭州的店") == "杭州"
    assert gazetteer.find("长安街的店") is None      # a county's short name is too often a word
    assert gazetteer.find("长安区的店") == "长安区"


# 2 county-and-typo
@pytest.mark.parametrize(("text", "region", "district"), [
    ("灌南县的饭店报装要几天", "lianyungang", "灌南县"), ("林州一个厂子要接电", "anyang", "林州市"),
    ("凯利的小区", "qiandongnan", "凯里市"), ("岩台农村的作坊", "yantai", None),
])
def test_counties_and_one_character_slips_find_their_city(kb, text, region, district):
    place = frame(kb, text).place
    assert place.region.id == region
    if district:
        assert place.district == district


def test_a_sound_alike_needs_a_character_in_common():
    assert sound_alike("时钟", ["市中"]) is None          # same sound, nothing in common: a word
    assert sound_alike("溶江县的房子", ["榕江县"]) == "榕江县"


# 6 qualifiers and negations
@pytest.mark.parametrize(("text", "category"), [
    ("不需要配套工程的低压小店", "lv_no_works"), ("我们不是居民，是非居民低压用户", "lv_nonresident"),
    ("十千伏，不是双电源", "hv_10kv"), ("没有实行三零的低压非居民", "lv_nonresident_no_sanling"),
])
def test_negated_words_do_not_name_a_group(kb, text, category):
    assert frame(kb, text).category == category


# 14 colloquial units and situations
@pytest.mark.parametrize(("text", "category"), [
    ("一万伏单电源的厂", "hv_10kv_single"), ("三万五千伏的变电站接入", "hv_35kv"), ("开了个奶茶店", "small_micro"),
    ("小饭馆接电", "small_micro"), ("我家新房子", "resident"),
])
def test_spoken_sizes_and_shops_read_as_groups(kb, text, category):
    assert frame(kb, text).category == category


def test_a_hundred_kilowatts_said_with_a_measure_word_is_a_capacity(kb):
    assert frame(kb, "100个千瓦的店").capacity == Quantity(100, "千瓦")


# 7-11: how the question is asked
@pytest.mark.parametrize(("text", "forms"), [
    ("两个地方谁更快", {Form.WHICH_FASTER}), ("双电源比单电源多几天", {Form.HOW_MANY_MORE}),
    ("时限一样吗", {Form.SAME}), ("这两步加起来几天", {Form.SUM}), ("除了方案答复其余环节还剩几天", {Form.MINUS}),
    ("我记得是10个工作日，对吧", {Form.PREMISE}), ("用了8个工作日算不算超时", {Form.EXCEEDS}),
    ("零投资是哪年开始的", {Form.SINCE_WHEN}), ("要不要办许可", {Form.YES_NO}), ("要带什么资料", {Form.WHAT}),
])
def test_the_form_of_the_question(kb, text, forms):
    assert forms <= frame(kb, text).forms


def test_at_most_is_not_how_many_more(kb):
    assert Form.HOW_MANY_MORE not in frame(kb, "这两个环节加起来最多几个工作日").forms


def test_both_years_asked_are_kept_in_order(kb):
    assert frame(kb, "2021年底和2022年底的目标").years == (2021, 2022)


# 8 premises: the asserted figure, not the voltage that names the group
@pytest.mark.parametrize(("text", "asserted"), [
    ("10千伏单电源是15个工作日对吧", Asserted(15, "工作日")), ("提前半个月公布就行吧", Asserted(0.5, "个月")),
    ("低压是指220V以下吧", Asserted(220, "伏")),
])
def test_the_figure_a_premise_asserts(kb, text, asserted):
    assert frame(kb, text).asserted == asserted


# 13 the measure asked
@pytest.mark.parametrize(("text", "measure"), [
    ("租金大概多少钱", Measure.MONEY), ("比率要达到百分之多少", Measure.PERCENT), ("多长时间能到", Measure.DURATION),
])
def test_the_measure_asked(kb, text, measure):
    assert measure in frame(kb, text).measures


def test_comparisons_name_both_groups_in_order(kb):
    assert frame(kb, "10千伏双电源比单电源多几天").categories == ("hv_10kv_double", "hv_single")


def test_a_line_length_is_read_in_metres(kb):
    assert frame(kb, "管线有1.2公里").length == Quantity(1200, "米")


# 11 two-part: the step of another part is not the step whose time is asked
def test_a_step_named_in_the_materials_part_is_not_the_timed_step(kb):
    question = frame(kb, "用电申请要准备啥材料？多少个工作日能接上电？")
    assert question.steps == ()
    assert {"materials", "time_limit"} <= set(question.topics)


def test_a_capacity_in_kilovolt_amperes_does_not_name_a_voltage(kb):
    assert frame(kb, "农村加工厂报装120千伏安").category != "hv_10kv"
    assert frame(kb, "报装20千伏的线路").category == "hv_10kv"


# two parts: each group or area named in its own part is read
def test_a_second_group_takes_the_voltage_named_in_the_first_part(kb):
    assert frame(kb, "林州低压没配套的和有配套工程的，全流程各几天").categories == ("lv_no_works", "lv_with_works")
    # its own words first: 单电源 is not read as 双电源 because 双电源 is named elsewhere in the message
    assert frame(kb, "35千伏单电源和双电源电网环节各几天").categories == ("hv_35kv_single", "hv_double")


@pytest.mark.parametrize(("text", "area"), [
    ("烟台全口径停电时间目标是多少？市区的呢", None),
    ("连云港市区和农村的停电时间各是多少", None),
    ("连云港农村的停电时间是多少", "rural"),
    ("连云港城市中心区停电时间", "center"),
])
def test_a_question_about_the_whole_or_two_areas_is_not_narrowed_to_one(kb, text, area):
    assert frame(kb, text).area == area


def test_districts_of_one_city_are_all_kept_but_not_those_of_two_cities(kb):
    assert frame(kb, "峄城和台儿庄的农村停电时间").districts == ("峄城区", "台儿庄区")
    assert frame(kb, "滕州和林州哪个快").districts == ()


def test_a_term_set_aside_is_not_the_focus_and_government_apps_are(kb):
    focus = frame(kb, "除了网上国网，政府的app能办电不").focus
    assert ("政务",) in focus and ("网上国网",) not in focus
    assert ("网上国网",) in frame(kb, "网上国网能办电不").focus


def test_outage_notices_are_looked_up_by_the_documents_words(kb):
    assert ("故障停电", "抢修进度") in frame(kb, "停电了你们会不会主动通知我们").focus


def test_a_clause_saying_what_the_customer_is_not_is_not_the_focus(kb):
    focus = frame(kb, "我们不是重要用户，也不需要资产移交，中间检查还要做吗").focus
    assert ("中间检查",) in focus and ("重要",) not in focus and ("资产移交",) not in focus
    assert ("重要",) in frame(kb, "我们是重要用户，中间检查要做吗").focus
    assert ("免",) in frame(kb, "管线200米，是不是不用审批，还要带啥").focus  # a clause that asks is kept
