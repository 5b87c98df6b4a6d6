"""Key facts of each region, asked through the query API and checked against the seed documents.

Every expected figure below was read from knowledge/seeds/*.txt, the only source of truth:
000 烟台, 001 枣庄, 002 黔东南, 003 连云港, 004 安阳. The clause behind each case is quoted
next to it. A failing case means the knowledge base (or its query service) disagrees with the seed.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot.knowledge import selection
from bot.knowledge.models import Fact
from bot.knowledge.service import FactQuery as Q

REGIONS = ["yantai", "zaozhuang", "qiandongnan", "lianyungang", "anyang"]


def _number(amount: float) -> str:
    return str(int(amount)) if float(amount).is_integer() else str(amount)


def figure(amount: float, unit: str) -> str:
    """The figure as a statement writes it: 18个工作日, 1.9小时, 90%, 20分钟, 1个月."""
    return _number(amount) + ("个工作日" if unit == "工作日" else unit)


def states(fact: Fact, text: str) -> bool:
    """The statement contains `text` as a whole number (8个工作日 is not found in 18个工作日)."""
    return re.search(r"(?<![0-9.])" + re.escape(text), fact.statement) is not None


def quantities(facts: list[Fact]) -> set[tuple[float, str]]:
    return {(f.value.amount, f.value.unit) for f in facts if f.value.amount is not None}


# --------------------------------------------------------------------------- documents and places

@pytest.mark.parametrize(
    ("region", "number", "seed"),
    [
        ("yantai", "烟发改能源〔2020〕205号", "000_7b2ceeea3a571885.txt"),
        ("zaozhuang", "枣能源字〔2021〕33号", "001_1faeb58a20a3753f.txt"),
        ("qiandongnan", "黔东南发改能源〔2021〕57号", "002_f26d63e10f670282.txt"),
        ("lianyungang", "连政办传〔2021〕56号", "003_0c0360bdd0b8e1f1.txt"),
        ("anyang", "安供电营销〔2022〕24号", "004_b4b5477c368bf19d.txt"),
    ],
)
def test_document_number_and_seed(kb, region, number, seed):
    document = kb.region(region).document
    assert document.number == number
    assert document.seed == seed


@pytest.mark.parametrize(
    ("name", "region", "district"),
    [
        # 烟台
        ("莱州", "yantai", "莱州市"),
        ("芝罘区", "yantai", "芝罘区"),
        ("龙口", "yantai", "龙口市"),
        ("蓬莱", "yantai", "蓬莱区"),
        ("烟台", "yantai", None),
        # 枣庄
        ("滕州", "zaozhuang", "滕州市"),
        ("台儿庄", "zaozhuang", "台儿庄区"),
        ("薛城区", "zaozhuang", "薛城区"),
        ("山亭", "zaozhuang", "山亭区"),
        ("枣庄", "zaozhuang", None),
        # 黔东南
        ("凯里", "qiandongnan", "凯里市"),
        ("黎平县", "qiandongnan", "黎平县"),
        ("镇远", "qiandongnan", "镇远县"),
        ("从江", "qiandongnan", "从江县"),
        ("黔东南州", "qiandongnan", None),
        # 连云港
        ("东海县", "lianyungang", "东海县"),
        ("东海", "lianyungang", "东海县"),
        ("赣榆", "lianyungang", "赣榆区"),
        ("灌云县", "lianyungang", "灌云县"),
        ("连云港", "lianyungang", None),
        # 安阳
        ("林州", "anyang", "林州市"),
        ("滑县", "anyang", "滑县"),
        ("汤阴", "anyang", "汤阴县"),
        ("内黄县", "anyang", "内黄县"),
        ("安阳", "anyang", None),
    ],
)
def test_place_resolves_to_its_region(kb, name, region, district):
    assert kb.resolve_region(name).id == region
    place = kb.resolve_place(name)
    assert place.region.id == region
    assert place.district == district


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我在滕州开厂", [("zaozhuang", "滕州市")]),
        ("林州和凯里哪个快", [("anyang", "林州市"), ("qiandongnan", "凯里市")]),
        ("东海县的农村", [("lianyungang", "东海县")]),
        ("莱州市和安阳比", [("yantai", "莱州市"), ("anyang", None)]),
    ],
)
def test_places_in_free_text(kb, text, expected):
    assert [(p.region.id, p.district) for p in kb.places_in(text)] == expected


# --------------------------------------------------------------------------- figures with a value

# (region, query, every quantity the most specific matching facts carry)
FIGURES = [
    # ---- 烟台 (000) --------------------------------------------------------------------------
    # 4. 企业客户低压接入办理环节减至2个，办电时间不超过6个工作日……平均总时长不超过3个工作日
    pytest.param("yantai", Q("time_limit", "lv_enterprise", aspect="total"), {(6, "工作日"), (3, "工作日")},
                 id="yt-lv-enterprise-total-6-avg-3"),
    # 用电申请（1个工作日）、装表接电（不超过5个工作日）
    pytest.param("yantai", Q("time_limit", "lv_enterprise", aspect="step", step="装表接电"), {(5, "工作日")},
                 id="yt-lv-enterprise-meter-5"),
    # 10千伏普通用户接入办理环节减至3个，办电时间不超过8个工作日
    pytest.param("yantai", Q("time_limit", "hv_10kv_single", aspect="total"), {(8, "工作日")},
                 id="yt-10kv-total-8"),
    # 电网环节平均总时长不超过6个工作日
    pytest.param("yantai", Q("time_limit", "hv_10kv", aspect="grid"), {(6, "工作日")}, id="yt-10kv-grid-6"),
    # 方案答复（不超过5个工作日）、验收送电（不超过2个工作日）
    pytest.param("yantai", Q("time_limit", "hv_10kv", aspect="step", step="方案答复"), {(5, "工作日")},
                 id="yt-10kv-scheme-5"),
    pytest.param("yantai", Q("time_limit", "hv_10kv", aspect="step", step="验收送电"), {(2, "工作日")},
                 id="yt-10kv-acceptance-2"),
    # 配套到红线的项目外线工程施工时长不超过25个工作日
    pytest.param("yantai", Q("time_limit", "hv_10kv", aspect="external_works"), {(25, "工作日")},
                 id="yt-redline-external-25"),
    # 管线长度 300 米以上的所有行政许可并联办理，审批时限不超过 2 个工作日
    pytest.param("yantai", Q("approval", aspect="parallel"), {(2, "工作日")}, id="yt-approval-parallel-2"),
    # 综合不停电作业比率不低于 90%，业扩不停电接火率 100%
    pytest.param("yantai", Q("live_work", aspect="ratio"), {(90, "%"), (100, "%")}, id="yt-live-work-90-100"),
    # 2020 年烟台全口径年平均停电时间小于 3 小时，城区年平均停电时间小于 1.9 小时
    pytest.param("yantai", Q("reliability", area="urban", aspect="target"), {(3, "小时"), (1.9, "小时")},
                 id="yt-reliability-urban-1.9"),
    pytest.param("yantai", Q("reliability", area="rural", aspect="target"), {(3, "小时")},
                 id="yt-reliability-all-3"),
    # ---- 枣庄 (001) --------------------------------------------------------------------------
    # 10 千伏单电源、双电源用户电网环节办理时长分别不超过 11 个、18 个工作日（附件1 合计 11、18）
    pytest.param("zaozhuang", Q("time_limit", "hv_10kv_double"), {(18, "工作日"), (1, "工作日"), (7, "工作日"),
                 (3, "工作日"), (2, "工作日")}, id="zz-10kv-double-all-aspects"),
    pytest.param("zaozhuang", Q("time_limit", "hv_10kv_double", aspect="grid"), {(18, "工作日")},
                 id="zz-10kv-double-grid-18"),
    pytest.param("zaozhuang", Q("time_limit", "hv_10kv_double", aspect="total"), {(18, "工作日")},
                 id="zz-10kv-double-total-18"),
    pytest.param("zaozhuang", Q("time_limit", "hv_10kv_single", aspect="grid"), {(11, "工作日")},
                 id="zz-10kv-single-grid-11"),
    # 附件1：10 千伏双电源用户 1 7 3 2 3 2 18
    pytest.param("zaozhuang", Q("time_limit", "hv_10kv_double", aspect="step", step="供电方案答复"),
                 {(7, "工作日")}, id="zz-10kv-double-plan-7"),
    # 35 千伏及以上单电源、双电源用户电网环节办理时长分别不超过 22 个、32 个工作日
    pytest.param("zaozhuang", Q("time_limit", "hv_35kv_single", aspect="grid"), {(22, "工作日")},
                 id="zz-35kv-single-grid-22"),
    pytest.param("zaozhuang", Q("time_limit", "hv_35kv_double", aspect="total"), {(32, "工作日")},
                 id="zz-35kv-double-total-32"),
    # 附件1：35 千伏及以上双电源用户 1 20 3 2 3 3 32
    pytest.param("zaozhuang", Q("time_limit", "hv_35kv_double", aspect="step", step="供电方案答复"),
                 {(20, "工作日")}, id="zz-35kv-double-plan-20"),
    # 居民用户和实行“三零”服务的低压非居民用户电网环节办理时长分别不超过 3 个、7 个工作日
    pytest.param("zaozhuang", Q("time_limit", "resident", aspect="grid"), {(3, "工作日")}, id="zz-resident-grid-3"),
    pytest.param("zaozhuang", Q("time_limit", "small_micro", aspect="grid"), {(7, "工作日")},
                 id="zz-sanling-grid-7"),
    # 附件1：未实行“三零”服务的低压非居民用户 1 1 -- -- -- 1 3
    pytest.param("zaozhuang", Q("time_limit", "lv_nonresident_no_sanling", aspect="total"), {(3, "工作日")},
                 id="zz-no-sanling-total-3"),
    # 将台儿庄、高新的中心区、市区、城镇、农村地区用户年均停电时间分别压减至1个、2个、3个、5个小时以内
    pytest.param("zaozhuang", Q("reliability", area="rural", district="台儿庄区", aspect="target"), {(5, "小时")},
                 id="zz-taierzhuang-rural-5"),
    pytest.param("zaozhuang", Q("reliability", area="center", district="枣庄高新区", aspect="target"),
                 {(1, "小时")}, id="zz-gaoxin-center-1"),
    # 其他区(市)的中心区、市区、城镇、农村地区用户年均停电时间分别压减至1.8个、4个、7个、10个小时以内
    pytest.param("zaozhuang", Q("reliability", area="rural", district="滕州市", aspect="target"), {(10, "小时")},
                 id="zz-tengzhou-rural-10"),
    pytest.param("zaozhuang", Q("reliability", area="center", district="薛城区", aspect="target"), {(1.8, "小时")},
                 id="zz-xuecheng-center-1.8"),
    pytest.param("zaozhuang", Q("reliability", area="town", district="山亭区", aspect="target"), {(7, "小时")},
                 id="zz-shanting-town-7"),
    # ---- 黔东南 (002) ------------------------------------------------------------------------
    # 将居民用户从报装申请到装表接电的全过程办电时间压减至 5 个工作日以内
    pytest.param("qiandongnan", Q("time_limit", "resident", aspect="whole_process"), {(5, "工作日")},
                 id="qdn-resident-whole-5"),
    # 2021 年、2022 年底前实行“三零”服务的低压非居民客户全过程办电时间分别压减至 20 个、15 个工作日以内
    pytest.param("qiandongnan", Q("time_limit", "lv_nonresident_sanling", aspect="whole_process"),
                 {(20, "工作日"), (15, "工作日")}, id="qdn-sanling-whole-20-15"),
    # 未实行“三零”服务的低压非居民客户、高压单电源客户、高压双电源客户的合计办理时间分别压减至 6 个、22 个、30 个工作日
    pytest.param("qiandongnan", Q("time_limit", "lv_nonresident_no_sanling", aspect="total"), {(6, "工作日")},
                 id="qdn-no-sanling-total-6"),
    pytest.param("qiandongnan", Q("time_limit", "hv_10kv_single", aspect="total"), {(22, "工作日")},
                 id="qdn-hv-single-total-22"),
    pytest.param("qiandongnan", Q("time_limit", "hv_10kv_double", aspect="total"), {(30, "工作日")},
                 id="qdn-hv-double-total-30"),
    # 将低压、20 千伏及以下高压电力接入工程审批时间分别压减至 5 个、10 个工作日以内
    pytest.param("qiandongnan", Q("approval", "resident", aspect="time"), {(5, "工作日")}, id="qdn-approval-lv-5"),
    pytest.param("qiandongnan", Q("approval", "hv_10kv_single", aspect="time"), {(10, "工作日")},
                 id="qdn-approval-hv-10"),
    # 并联审批，审批总时限不超过5个工作日
    pytest.param("qiandongnan", Q("approval", aspect="parallel"), {(5, "工作日")}, id="qdn-approval-parallel-5"),
    # 2021 年底前 …… 分别压减至 3.1、7.3、11.2、23 小时；2022 年底前 …… 1.9、4.9、8.9、15 小时
    pytest.param("qiandongnan", Q("reliability", area="center", aspect="target"), {(3.1, "小时"), (1.9, "小时")},
                 id="qdn-reliability-center"),
    pytest.param("qiandongnan", Q("reliability", area="town", aspect="target"), {(11.2, "小时"), (8.9, "小时")},
                 id="qdn-reliability-town"),
    pytest.param("qiandongnan", Q("reliability", area="rural", aspect="target"), {(23, "小时"), (15, "小时")},
                 id="qdn-reliability-rural"),
    # ---- 连云港 (003) ------------------------------------------------------------------------
    # 低压居民、低压非居民、高压单电源、高压双电源用户办电环节合计时间压减至 3、5、15、25 个工作日
    pytest.param("lianyungang", Q("time_limit", "resident", aspect="total"), {(3, "工作日")}, id="lyg-resident-3"),
    pytest.param("lianyungang", Q("time_limit", "small_micro", aspect="total"), {(5, "工作日")},
                 id="lyg-lv-nonresident-5"),
    pytest.param("lianyungang", Q("time_limit", "hv_10kv_single", aspect="total"), {(15, "工作日")},
                 id="lyg-hv-single-15"),
    pytest.param("lianyungang", Q("time_limit", "hv_35kv_double", aspect="total"), {(25, "工作日")},
                 id="lyg-hv-double-25"),
    # 低压居民、低压小微企业用户从申请到接电的全过程时间分别压降至5、15个工作日内
    pytest.param("lianyungang", Q("time_limit", "resident", aspect="whole_process"), {(5, "工作日")},
                 id="lyg-resident-whole-5"),
    pytest.param("lianyungang", Q("time_limit", "small_micro", aspect="whole_process"), {(15, "工作日")},
                 id="lyg-small-micro-whole-15"),
    # 低压配套电网工程5个工作日内完工，涉及新立杆、新建分支箱或新建管沟的工程，10个工作日内完工
    pytest.param("lianyungang", Q("time_limit", "lv_with_works", aspect="supporting_works"),
                 {(5, "工作日"), (10, "工作日")}, id="lyg-lv-works-5-10"),
    # 10、20千伏配套电网工程在确定供电方案后30个工作日内完工
    pytest.param("lianyungang", Q("time_limit", "hv_10kv_double", aspect="supporting_works"), {(30, "工作日")},
                 id="lyg-10kv-works-30"),
    # 对 10、20 千伏及以下电力接入行政审批时间压缩至 5 个工作日
    pytest.param("lianyungang", Q("approval", aspect="time"), {(5, "工作日")}, id="lyg-approval-5"),
    # 城市中心区、市区、城镇、农村地区用户年均停电时间分别压减至 1.5、4、8、12 小时以内
    pytest.param("lianyungang", Q("reliability", area="center", aspect="target"), {(1.5, "小时")},
                 id="lyg-reliability-center-1.5"),
    pytest.param("lianyungang", Q("reliability", area="rural", aspect="target"), {(12, "小时")},
                 id="lyg-reliability-rural-12"),
    # 各级价格主管部门应提前1个月……公布涉及终端用户用电价格调整的政策文件
    pytest.param("lianyungang", Q("fees", aspect="disclosure"), {(1, "个月")}, id="lyg-price-notice-1-month"),
    # ---- 安阳 (004) --------------------------------------------------------------------------
    # 低压无配套工程项目全流程不超过2个工作日……有低压配套工程项目全流程不超过5个工作日
    pytest.param("anyang", Q("time_limit", "lv_no_works", aspect="whole_process"), {(2, "工作日")},
                 id="ay-lv-no-works-2"),
    pytest.param("anyang", Q("time_limit", "lv_with_works", aspect="whole_process"), {(5, "工作日")},
                 id="ay-lv-with-works-5"),
    # 小微企业办电全流程不超过15个工作日
    pytest.param("anyang", Q("time_limit", "small_micro", aspect="whole_process"), {(15, "工作日")},
                 id="ay-small-micro-15"),
    # 10千伏及以上项目不含配套工程办电时长不超过16个工作日（重要用户不超过21个工作日）
    pytest.param("anyang", Q("time_limit", "hv_10kv_single", aspect="total"), {(16, "工作日")}, id="ay-hv-16"),
    pytest.param("anyang", Q("time_limit", "important", aspect="total"), {(21, "工作日")}, id="ay-important-21"),
    # 重要用户……设计审查和中间检查分别增加3个、2个工作日办理时长
    pytest.param("anyang", Q("time_limit", "important", aspect="step", step="设计审查"), {(3, "工作日")},
                 id="ay-important-design-plus-3"),
    pytest.param("anyang", Q("time_limit", "asset_transfer", aspect="step", step="中间检查"), {(2, "工作日")},
                 id="ay-asset-middle-plus-2"),
    # 供电服务指挥中心受理人员挂机后 20 分钟内派发预约工单至客户经理
    pytest.param("anyang", Q("booking", aspect="dispatch"), {(20, "分钟")}, id="ay-booking-dispatch-20"),
    # 行政审批不超过5个工作日
    pytest.param("anyang", Q("approval", aspect="time"), {(5, "工作日")}, id="ay-approval-5"),
    # 2022年底前，市中心区、市区、城镇、农村地区用户年均停电时间分别压减至2个、5个、9个、15个小时以内
    pytest.param("anyang", Q("reliability", area="center", aspect="target"), {(2, "小时")},
                 id="ay-reliability-center-2"),
    pytest.param("anyang", Q("reliability", area="town", aspect="target"), {(9, "小时")}, id="ay-reliability-town-9"),
]


@pytest.mark.parametrize(("region", "query", "expected"), FIGURES)
def test_figure_for_the_category_asked(kb, region, query, expected):
    facts = kb.best_facts(region, query)
    assert quantities(facts) == expected, [f.id for f in facts]
    for fact in facts:
        if fact.value.amount is not None:
            assert states(fact, figure(fact.value.amount, fact.value.unit)), (fact.id, fact.statement)


def test_zaozhuang_10kv_double_asked_without_aspect_says_18_days(kb):
    facts = kb.best_facts("zaozhuang", Q("time_limit", "hv_10kv_double"))
    assert any(f.value.quantity and str(f.value.quantity) == "18工作日" for f in facts)
    assert any(states(f, "18个工作日") for f in facts)
    # not the 10千伏单电源 figure, nor the 35千伏 ones
    assert not any(states(f, "11个工作日") or states(f, "32个工作日") for f in facts)


# --------------------------------------------------------------------------- dated targets

@pytest.mark.parametrize(
    ("region", "query", "expected"),
    [
        # 2020 年烟台全口径年平均停电时间小于 3 小时
        ("yantai", Q("reliability", aspect="target"), {(3, date(2020, 12, 31)), (1.9, date(2020, 12, 31))}),
        # 2020 年底前 …… 10 千伏单电源、双电源用户电网环节办理时长分别不超过 11 个、18 个工作日
        ("zaozhuang", Q("time_limit", "hv_10kv_double", aspect="grid"), {(18, date(2020, 12, 31))}),
        # 2022年底前,将台儿庄、高新的……农村地区……5个小时以内
        ("zaozhuang", Q("reliability", area="rural", district="枣庄高新区", aspect="target"),
         {(5, date(2022, 12, 31))}),
        # 2021 年、2022 年底前……全过程办电时间分别压减至 20 个、15 个工作日以内
        ("qiandongnan", Q("time_limit", "lv_nonresident_sanling", aspect="whole_process"),
         {(20, date(2021, 12, 31)), (15, date(2022, 12, 31))}),
        # 2021 年底前 …… 市区 …… 7.3 小时；2022 年底前 …… 4.9 小时
        ("qiandongnan", Q("reliability", area="urban", aspect="target"),
         {(7.3, date(2021, 12, 31)), (4.9, date(2022, 12, 31))}),
        # 安阳：2022年底前……市区……5个……小时以内
        ("anyang", Q("reliability", area="urban", aspect="target"), {(5, date(2022, 12, 31))}),
    ],
    ids=["yt-2020-reliability", "zz-2020-10kv-double", "zz-2022-gaoxin-rural", "qdn-sanling-2021-2022",
         "qdn-urban-2021-2022", "ay-2022-urban"],
)
def test_dated_targets_carry_the_seed_date(kb, region, query, expected):
    facts = [f for f in kb.best_facts(region, query) if f.value.amount is not None]
    assert {(f.value.amount, f.effective_by) for f in facts} == expected


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2021, 6, 1), {3.1, 1.9}),
        (date(2022, 1, 1), {3.1, 1.9}),
        (date(2023, 1, 1), {1.9}),
    ],
)
def test_qiandongnan_reliability_target_in_force(kb, on, expected):
    facts = kb.best_facts("qiandongnan", Q("reliability", area="center", aspect="target"))
    assert {f.value.amount for f in selection.in_force(facts, on)} == expected


# --------------------------------------------------------------------------- steps, materials

@pytest.mark.parametrize(
    ("region", "query", "count", "names"),
    [
        # 烟台：企业低压接入压减至用电申请、装表接电2个环节；10千伏普通用户……用电申请、方案答复、验收送电3个环节
        ("yantai", Q("steps", "lv_enterprise", aspect="count"), 2, ("用电申请", "装表接电")),
        ("yantai", Q("steps", "hv_10kv_single", aspect="count"), 3, ("用电申请", "方案答复", "验收送电")),
        # 枣庄：全市高、低压用户办电环节压减至 4 个、2 个以内；附件1注2：受理签约、施工接电 2 个环节
        ("zaozhuang", Q("steps", "hv_10kv_double", aspect="count"), 4, None),
        ("zaozhuang", Q("steps", "resident", aspect="count"), 2, ("受理签约", "施工接电")),
        ("zaozhuang", Q("steps", "small_micro", aspect="count"), 2, ("受理签约", "施工接电")),
        # 黔东南：未实行“三零”服务的低压非居民用户的用电报装压减至 3 个环节；10(20)千伏……压减为 3 个
        ("qiandongnan", Q("steps", "lv_nonresident_no_sanling", aspect="count"), 3, None),
        ("qiandongnan", Q("steps", "lv_nonresident_sanling", aspect="count"), 2, None),
        ("qiandongnan", Q("steps", "hv_10kv_double", aspect="count"), 3, None),
        # 连云港：低压 2 个环节（受理签约、施工接电）；10、20千伏 3 个；重要用户和35千伏以上 5 个
        ("lianyungang", Q("steps", "resident", aspect="count"), 2, ("受理签约", "施工接电")),
        ("lianyungang", Q("steps", "hv_10kv_single", aspect="count"), 3,
         ("业务受理", "方案答复", "竣工检验和装表接电")),
        ("lianyungang", Q("steps", "hv_35kv_double", aspect="count"), 5, None),
        ("lianyungang", Q("steps", "important", aspect="count"), 5, None),
        # 安阳：低压客户办电3个环节；低压居民和低压小微企业2个环节；“主动办电”的1个环节；一般高压4个
        ("anyang", Q("steps", "lv_nonresident", aspect="count"), 3, ("用电申请", "客户外部工程实施", "装表送电")),
        ("anyang", Q("steps", "small_micro", aspect="count"), 2, ("用电申请", "装表送电")),
        ("anyang", Q("steps", "small_micro", aspect="active"), 1, ("装表送电",)),
        ("anyang", Q("steps", "hv_10kv_single", aspect="count"), 4,
         ("用电申请", "供电方案答复", "客户外部工程实施", "装表接电")),
        ("anyang", Q("steps", "hv", aspect="redline"), 3, ("用电申请", "供电方案答复", "装表送电")),
    ],
)
def test_step_count(kb, region, query, count, names):
    facts = [f for f in kb.best_facts(region, query) if f.value.count is not None]
    assert {f.value.count for f in facts} == {count}, [f.id for f in facts]
    assert any(states(f, f"{count}个") for f in facts)
    if names:
        assert any(f.value.names == names for f in facts), [f.value.names for f in facts]


@pytest.mark.parametrize(
    ("region", "query", "items"),
    [
        # 烟台：高、低压普通用户申请资料均精简为2项，分别为客户主体资格证明和用电地点权属证明
        ("yantai", Q("materials", "lv_enterprise", aspect="list"), {"客户主体资格证明", "用电地点权属证明"}),
        ("yantai", Q("materials", "hv_10kv", aspect="list"), {"客户主体资格证明", "用电地点权属证明"}),
        # 连云港：低压用户……用电人有效身份证明和用电地址物业权属证明；10、20千伏及以上……用电工程项目批准（备案）文件
        ("lianyungang", Q("materials", "resident", aspect="list"), {"用电人有效身份证明", "用电地址物业权属证明"}),
        ("lianyungang", Q("materials", "hv_10kv", aspect="list"),
         {"用电人有效身份证明", "用电地址物业权属证明", "用电工程项目批准（备案）文件"}),
        # 枣庄：高压用户在设计审查环节仅需提供设计单位资质证明材料和用电工程设计及说明书
        ("zaozhuang", Q("materials", "hv_10kv", aspect="stage", step="设计审查"),
         {"设计单位资质证明材料", "用电工程设计及说明书"}),
        # 安阳：普通客户办电实行“两证办结”，仅需提供主体证明和产权证明；低压居民新装 1. 身份证明 2. 产权证明
        ("anyang", Q("materials", "lv_nonresident", aspect="list"), {"主体证明", "产权证明"}),
        ("anyang", Q("materials", "resident", aspect="list"), {"身份证明", "产权证明"}),
    ],
)
def test_material_items(kb, region, query, items):
    facts = kb.best_facts(region, query)
    assert any(set(f.value.items) == items for f in facts), [(f.id, f.value.items) for f in facts]


@pytest.mark.parametrize(
    ("region", "query", "count"),
    [
        # 黔东南：低压用户用电申请资料精简为 2 个；10(20)千伏高压用户的用电申请资料精简为 3 个
        ("qiandongnan", Q("materials", "small_micro", aspect="list"), 2),
        ("qiandongnan", Q("materials", "hv_10kv_double", aspect="list"), 3),
        # 烟台：申请资料均精简为2项
        ("yantai", Q("materials", "hv_10kv", aspect="list"), 2),
    ],
)
def test_material_count(kb, region, query, count):
    facts = kb.best_facts(region, query)
    assert {f.value.count for f in facts if f.value.count is not None} == {count}


# --------------------------------------------------------------------------- thresholds and lengths

@pytest.mark.parametrize(
    ("region", "query", "expected"),
    [
        # 烟台：城市规划区160千伏安及以下、农村地区100千伏安及以下企业客户，采取低压方式接入电网
        ("yantai", Q("capacity", "lv_enterprise", aspect="threshold"),
         {(160, "千伏安", "city_planning", None), (100, "千伏安", "rural", None)}),
        ("yantai", Q("capacity", "small_micro", area="rural", aspect="threshold"), {(100, "千伏安", "rural", None)}),
        # 枣庄：2021年6月底前，对于用电报装容量160千瓦及以下实行“三零”服务的用户采取低压方式接入电网
        ("zaozhuang", Q("capacity", "small_micro", aspect="threshold"), {(160, "千瓦", None, date(2021, 6, 30))}),
        # 枣庄：2021年6月底前，全市范围内160千瓦及以下小微企业用电报装，供电企业投资至电能表，实现用户“零投资”
        ("zaozhuang", Q("investment", "small_micro", aspect="zero_investment"),
         {(160, "千瓦", None, date(2021, 6, 30))}),
        # 枣庄：鼓励各区（市）对市区1250千伏安及以下的高压用户，出台投资建设到用户红线的财政补贴政策
        ("zaozhuang", Q("investment", "hv_10kv", aspect="subsidy"), {(1250, "千伏安", "urban", None)}),
        # 枣庄：报装容量不大于160千瓦、管线长度不大于200米……免于办理行政许可（2021年6月底前）
        ("zaozhuang", Q("approval", "small_micro", aspect="exemption"), {(160, "千瓦", None, date(2021, 6, 30))}),
        # 黔东南：对于用电报装容量 160 千瓦及以下实行“三零”服务的用户采取低压方式接入电网
        ("qiandongnan", Q("capacity", "small_micro", aspect="threshold"), {(160, "千瓦", None, None)}),
        # 黔东南：2020 年凯里城区 160 千瓦……；2022 年 6 月底前实现全州范围 160 千瓦及以下……“零投资”
        ("qiandongnan", Q("investment", "small_micro", area="urban", district="凯里市", aspect="zero_investment"),
         {(160, "千瓦", "urban", date(2020, 12, 31)), (160, "千瓦", None, date(2022, 6, 30))}),
        # 黔东南：2021 年底前实现其它县城区用电报装容量 160 千瓦及以下、农村地区 100 千瓦及以下……“零投资”
        ("qiandongnan", Q("investment", "small_micro", area="county_town", district="黄平县",
                          aspect="zero_investment"),
         {(160, "千瓦", "county_town", date(2021, 12, 31)), (160, "千瓦", None, date(2022, 6, 30))}),
        ("qiandongnan", Q("investment", "small_micro", area="rural", district="黄平县", aspect="zero_investment"),
         {(100, "千瓦", "rural", date(2021, 12, 31)), (160, "千瓦", None, date(2022, 6, 30))}),
        # “其它县城区” excludes 凯里 itself
        ("qiandongnan", Q("investment", "small_micro", area="county_town", district="凯里市",
                          aspect="zero_investment"),
         {(160, "千瓦", None, date(2022, 6, 30))}),
        # 连云港：低压接入容量标准提升至160千瓦
        ("lianyungang", Q("capacity", "resident", aspect="threshold"), {(160, "千瓦", None, None)}),
        # 安阳：no general low-voltage capacity threshold (see silence test)
        ("anyang", Q("capacity", "small_micro", aspect="threshold"), set()),
    ],
    ids=["yt-capacity", "yt-capacity-rural", "zz-capacity", "zz-zero-investment", "zz-hv-subsidy",
         "zz-approval-exemption", "qdn-capacity", "qdn-zero-kaili", "qdn-zero-county", "qdn-zero-rural",
         "qdn-zero-kaili-not-other-county", "lyg-capacity", "ay-no-threshold"],
)
def test_capacity_thresholds(kb, region, query, expected):
    facts = [f for f in kb.best_facts(region, query) if f.max_capacity is not None]
    got = {(f.max_capacity.amount, f.max_capacity.unit, f.area, f.effective_by) for f in facts}
    assert got == expected, [f.id for f in facts]
    for fact in facts:
        assert states(fact, figure(fact.max_capacity.amount, fact.max_capacity.unit)), fact.statement


@pytest.mark.parametrize(
    ("region", "query", "metres"),
    [
        # 烟台：管线长度 300 米及以下电力接入外线工程免除所有行政许可手续
        ("yantai", Q("approval", aspect="exemption"), {300}),
        # 枣庄：管线长度不大于200米
        ("zaozhuang", Q("approval", "small_micro", aspect="exemption"), {200}),
        # 黔东南：电压等级在20千伏及以下且管线长度不大于300米的电力外线接入工程……采取告知承诺的方式办理
        ("qiandongnan", Q("approval", aspect="commitment"), {300}),
        # 连云港：对长度小于 1000 米……的配套电力工程，免于办理……行政许可
        ("lianyungang", Q("approval", aspect="exemption"), {1000}),
    ],
)
def test_line_length_limits(kb, region, query, metres):
    facts = [f for f in kb.best_facts(region, query) if f.max_length is not None]
    assert {f.max_length.amount for f in facts} == metres
    assert all(f.max_length.unit == "米" for f in facts)
    assert all(states(f, f"{int(f.max_length.amount)}米") for f in facts)


# --------------------------------------------------------------------------- texts

@pytest.mark.parametrize(
    ("region", "query", "text"),
    [
        # 烟台：农村地区100千伏安及以下企业客户……电网企业投资至电能表
        ("yantai", Q("investment", "lv_enterprise", area="rural", aspect="boundary"), "电能表"),
        # 烟台：其他用户投资到环网柜或柱上开关
        ("yantai", Q("investment", "hv_10kv", aspect="boundary"), "环网柜或柱上开关"),
        # 枣庄：对无工程的低压用户，实行“当日申请，次日接电”
        ("zaozhuang", Q("time_limit", "lv_no_works", aspect="same_day"), "当日申请，次日接电"),
        # 枣庄：将12398能源监管热线和95598供电服务热线同步、同对象公布到位
        ("zaozhuang", Q("hotline"), "12398"),
        ("zaozhuang", Q("hotline"), "95598"),
        # 黔东南：逐步将电网投资界面延伸至居民用户和低压小微企业用户红线（含计量装置）
        ("qiandongnan", Q("investment", "resident", aspect="boundary"), "红线（含计量装置）"),
        # 连云港：新建居住区电力接入工程全部费用由各级政府承担
        ("lianyungang", Q("investment", "resident_estate", aspect="boundary"), "各级政府承担"),
        # 安阳：目前办电业务费用仅有按政府规定收取的高可靠性供电费
        ("anyang", Q("fees", aspect="remaining"), "高可靠性供电费"),
        # 安阳：普通客户办电实行主体证明和产权证明“两证办结”
        ("anyang", Q("cert_mode", "lv_nonresident", aspect="two_certs"), "两证办结"),
        # 安阳：小微企业（用电设备容量160千瓦及以下的工商业企业）
        ("anyang", Q("definition", aspect="small_micro"), "160千瓦"),
    ],
)
def test_statement_says(kb, region, query, text):
    facts = kb.best_facts(region, query)
    assert any(text in f.statement or text == f.value.text for f in facts), [f.statement for f in facts]


# --------------------------------------------------------------------------- silence

@pytest.mark.parametrize(
    ("region", "topic", "category"),
    [
        ("yantai", "warning", None),
        ("yantai", "hotline", None),
        ("yantai", "booking", None),
        ("yantai", "time_limit", "resident"),
        ("yantai", "steps", "hv_35kv_double"),
        ("zaozhuang", "transfer", None),
        ("qiandongnan", "cert_mode", None),
        ("qiandongnan", "warning", None),
        ("qiandongnan", "transfer", None),
        ("lianyungang", "hotline", None),
        ("lianyungang", "warning", None),
        ("lianyungang", "booking", None),
        ("anyang", "capacity", "small_micro"),
    ],
)
def test_explicit_silence_where_the_document_says_nothing(kb, region, topic, category):
    entry = kb.silence(region, topic, category)
    assert entry is not None
    assert entry.region == region
    assert entry.note
    # the silence is not contradicted by a figure for the same question
    figures = [f for f in kb.best_facts(region, Q(topic, category)) if f.value.amount is not None]
    if topic != "capacity":
        assert figures == [], [f.id for f in figures]


@pytest.mark.parametrize(
    ("region", "topic", "category"),
    [
        ("zaozhuang", "warning", None),  # 加强内部流程的监测、预警、督办
        ("anyang", "warning", None),  # 蓝色、橙色办理预警……黄色、红色超时告警
        ("zaozhuang", "hotline", None),  # 12398能源监管热线和95598供电服务热线
        ("qiandongnan", "hotline", None),
        ("lianyungang", "transfer", None),  # 实现“一次过户”
        ("yantai", "capacity", "lv_enterprise"),  # 城市规划区160千伏安……农村地区100千伏安
    ],
)
def test_no_silence_where_the_document_speaks(kb, region, topic, category):
    assert kb.silence(region, topic, category) is None
    assert kb.best_facts(region, Q(topic, category))


# --------------------------------------------------------------------------- compare

def each_region(kb, regions, query):
    """The same question answered for each region (empty list: that document is silent)."""
    return {region: kb.best_facts(region, query) for region in regions}


def test_compare_10kv_double_total_gives_each_region_its_own_figure(kb):
    result = each_region(kb, REGIONS, Q("time_limit", "hv_10kv_double", aspect="total"))
    assert {region: quantities(facts) for region, facts in result.items()} == {
        "yantai": {(8, "工作日")},  # 10千伏普通用户……办电时间不超过8个工作日
        "zaozhuang": {(18, "工作日")},  # 附件1：10 千伏双电源用户 合计 18
        "qiandongnan": {(30, "工作日")},  # 高压双电源客户的合计办理时间……30 个工作日
        "lianyungang": {(25, "工作日")},  # 高压双电源用户办电环节合计时间……25 个工作日
        "anyang": {(16, "工作日")},  # 10千伏及以上项目……不超过16个工作日
    }


def test_compare_rural_reliability(kb):
    result = each_region(kb, ["yantai", "qiandongnan", "lianyungang", "anyang"],
                        Q("reliability", area="rural", aspect="target"))
    assert {region: {a for a, _ in quantities(facts)} for region, facts in result.items()} == {
        "yantai": {3},  # 全口径年平均停电时间小于 3 小时
        "qiandongnan": {23, 15},  # 2021 年底 23 小时，2022 年底 15 小时
        "lianyungang": {12},
        "anyang": {15},
    }


def test_compare_low_voltage_threshold_keeps_each_unit(kb):
    result = each_region(kb, REGIONS, Q("capacity", "small_micro", aspect="threshold"))
    got = {region: {(f.max_capacity.amount, f.max_capacity.unit) for f in facts if f.max_capacity}
           for region, facts in result.items()}
    assert got == {
        "yantai": {(160, "千伏安"), (100, "千伏安")},
        "zaozhuang": {(160, "千瓦")},
        "qiandongnan": {(160, "千瓦")},
        "lianyungang": {(160, "千瓦")},
        "anyang": set(),
    }
    assert kb.silence("anyang", "capacity") is not None


def test_compare_resident_whole_process(kb):
    result = each_region(kb, ["qiandongnan", "lianyungang", "yantai"],
                         Q("time_limit", "resident", aspect="whole_process"))
    assert quantities(result["qiandongnan"]) == {(5, "工作日")}
    assert quantities(result["lianyungang"]) == {(5, "工作日")}
    assert result["yantai"] == []
    assert kb.silence("yantai", "time_limit", "resident") is not None


def test_of_two_overlapping_names_of_one_length_the_earlier_is_read(kb):
    """A national KB covers 大同 with its county 阳高县 (short name 阳高): '安阳高压' is still 安阳 + 高压."""
    from dataclasses import replace

    from bot.knowledge.models import District
    from bot.knowledge.service import KnowledgeBase

    yantai = kb.region("yantai")
    wider = replace(yantai, districts=(*yantai.districts, District("阳高县", ("阳高",))))
    grown = KnowledgeBase(kb.vocab, tuple(wider if r is yantai else r for r in kb.regions), kb.seeds_dir)
    assert [(p.region.id, p.district) for p in grown.places_in("安阳高压用户办电要多久")] == [("anyang", None)]
    assert [(p.region.id, p.district) for p in grown.places_in("阳高县高压用户")] == [("yantai", "阳高县")]
    assert [(p.region.id, p.district) for p in grown.places_in("在阳高开店")] == [("yantai", "阳高县")]
