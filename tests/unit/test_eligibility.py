"""Low-voltage access eligibility at and around every capacity threshold in the knowledge base.

Expected outcomes come from the seed documents (knowledge/seeds/*.txt), quoted next to each group:
a capacity is compared only in the unit the document writes, never converted between 千瓦 and 千伏安.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.knowledge.eligibility import Verdict, low_voltage_access
from bot.knowledge.models import Quantity

LATER = date(2023, 1, 1)  # after every dated rule of every document


def access(kb, region, amount, unit, area=None, district=None, on=LATER):
    return low_voltage_access(kb, kb.region(region), Quantity(amount, unit), area, district, on)


def ids(result) -> set[str]:
    return {f.id for f in result.investment}


# --------------------------------------------------------------------------- 烟台 (000)
# 3. 降低办电成本：城市规划区160千伏安及以下、农村地区100千伏安及以下企业客户，采取低压方式接入电网，
#    电网企业投资至电能表。

@pytest.mark.parametrize(
    ("amount", "area", "limit", "verdict"),
    [
        (159, "city_planning", 160, Verdict.ELIGIBLE),
        (160, "city_planning", 160, Verdict.ELIGIBLE),
        (160.5, "city_planning", 160, Verdict.NOT_ELIGIBLE),
        (161, "city_planning", 160, Verdict.NOT_ELIGIBLE),
        (99, "rural", 100, Verdict.ELIGIBLE),
        (100, "rural", 100, Verdict.ELIGIBLE),
        (100.5, "rural", 100, Verdict.NOT_ELIGIBLE),
        (101, "rural", 100, Verdict.NOT_ELIGIBLE),
        (130, "rural", 100, Verdict.NOT_ELIGIBLE),  # within the city limit, not the rural one
        (130, "city_planning", 160, Verdict.ELIGIBLE),
    ],
)
def test_yantai_kva_thresholds_per_area(kb, amount, area, limit, verdict):
    result = access(kb, "yantai", amount, "千伏安", area=area)
    assert result.verdict is verdict
    assert result.rule.max_capacity == Quantity(limit, "千伏安")
    assert result.rule.area == area
    if verdict is Verdict.ELIGIBLE:
        # 电网企业投资至电能表, for this area's threshold
        assert [(f.area, f.value.text, f.max_capacity) for f in result.investment] == [
            (area, "电能表", Quantity(limit, "千伏安"))
        ]
    else:
        assert result.investment == ()


def test_yantai_rural_90kva_investment_reaches_the_meter(kb):
    result = access(kb, "yantai", 90, "千伏安", area="rural")
    assert result.verdict is Verdict.ELIGIBLE
    assert len(result.investment) == 1
    assert "电能表" in result.investment[0].statement
    assert result.investment[0].value.text == "电能表"


def test_yantai_district_does_not_replace_the_area(kb):
    assert access(kb, "yantai", 160, "千伏安", area="city_planning", district="莱州市").verdict is Verdict.ELIGIBLE
    assert access(kb, "yantai", 101, "千伏安", area="rural", district="莱州市").verdict is Verdict.NOT_ELIGIBLE


@pytest.mark.parametrize("amount", [50, 100, 130, 160, 200])
@pytest.mark.parametrize("area", ["city_planning", "rural"])
def test_yantai_kw_is_never_converted(kb, amount, area):
    result = access(kb, "yantai", amount, "千瓦", area=area)
    assert result.verdict is Verdict.UNIT_MISMATCH
    assert result.rule.max_capacity.unit == "千伏安"
    assert result.investment == ()


def test_yantai_kw_without_area_gets_no_verdict_on_the_amount(kb):
    result = access(kb, "yantai", 120, "千瓦")
    assert result.verdict not in (Verdict.ELIGIBLE, Verdict.NOT_ELIGIBLE)


@pytest.mark.parametrize(
    ("amount", "district"), [(130, None), (100, None), (130, "莱州市")], ids=["130", "100", "130-laizhou"]
)
def test_yantai_without_area_asks_for_it(kb, amount, district):
    result = access(kb, "yantai", amount, "千伏安", district=district)
    assert result.verdict is Verdict.NEED_AREA
    assert result.areas == ("city_planning", "rural")
    assert result.rule is None
    assert result.investment == ()


# --------------------------------------------------------------------------- 枣庄 (001)
# 三、（三）1：2021年6月底前，对于用电报装容量160千瓦及以下实行“三零”服务的用户采取低压方式接入电网。
# 三、（三）2：2021年6月底前，全市范围内160千瓦及以下小微企业用电报装，供电企业投资至电能表，实现用户“零投资”。

@pytest.mark.parametrize(
    ("amount", "verdict"),
    [(159.9, Verdict.ELIGIBLE), (160, Verdict.ELIGIBLE), (160.5, Verdict.NOT_ELIGIBLE), (161, Verdict.NOT_ELIGIBLE)],
)
@pytest.mark.parametrize(
    ("area", "district"),
    [(None, None), ("rural", "滕州市"), ("urban", "台儿庄区")],
    ids=["city", "tengzhou", "taierzhuang"],
)
def test_zaozhuang_160kw_citywide(kb, amount, verdict, area, district):
    result = access(kb, "zaozhuang", amount, "千瓦", area=area, district=district)
    assert result.verdict is verdict
    assert result.rule.max_capacity == Quantity(160, "千瓦")
    if verdict is Verdict.ELIGIBLE:
        [investment] = result.investment
        assert investment.max_capacity == Quantity(160, "千瓦")
        assert investment.aspect == "zero_investment"
        assert "电能表" in investment.statement
    else:
        assert result.investment == ()


@pytest.mark.parametrize("amount", [100, 160, 200])
def test_zaozhuang_kva_is_a_unit_mismatch(kb, amount):
    result = access(kb, "zaozhuang", amount, "千伏安")
    assert result.verdict is Verdict.UNIT_MISMATCH
    assert result.rule.max_capacity == Quantity(160, "千瓦")
    assert result.investment == ()


@pytest.mark.parametrize(
    ("on", "zero_investment"),
    [(date(2021, 6, 29), False), (date(2021, 6, 30), True), (date(2021, 7, 1), True)],
    ids=["2021-06-29", "2021-06-30", "2021-07-01"],
)
def test_zaozhuang_zero_investment_from_end_of_june_2021(kb, on, zero_investment):
    result = access(kb, "zaozhuang", 100, "千瓦", on=on)
    assert any(f.aspect == "zero_investment" for f in result.investment) is zero_investment


# --------------------------------------------------------------------------- 连云港 (003)
# 8. 优化供电方式：低压接入容量标准提升至160千瓦。

@pytest.mark.parametrize(
    ("amount", "verdict"),
    [(100, Verdict.ELIGIBLE), (160, Verdict.ELIGIBLE), (160.5, Verdict.NOT_ELIGIBLE), (161, Verdict.NOT_ELIGIBLE)],
)
@pytest.mark.parametrize(("area", "district"), [(None, None), ("rural", "东海县")], ids=["city", "donghai-rural"])
def test_lianyungang_160kw(kb, amount, verdict, area, district):
    result = access(kb, "lianyungang", amount, "千瓦", area=area, district=district)
    assert result.verdict is verdict
    assert result.rule.max_capacity == Quantity(160, "千瓦")


def test_lianyungang_kva_is_a_unit_mismatch(kb):
    result = access(kb, "lianyungang", 150, "千伏安")
    assert result.verdict is Verdict.UNIT_MISMATCH
    assert result.rule.max_capacity.unit == "千瓦"


# --------------------------------------------------------------------------- 黔东南 (002)
# 四、（五）：对于用电报装容量 160 千瓦及以下实行“三零”服务的用户采取低压方式接入电网。
# 三、办电更省钱：2020 年凯里城区 160 千瓦及以下的小微企业用电报装实现“零投资”；2021 年底前实现其它县城区
#   用电报装容量 160 千瓦及以下、农村地区 100 千瓦及以下的小微企业用电报装“零投资”；2022 年 6 月底前实现
#   全州范围 160 千瓦及以下的小微企业用电报装“零投资”。

KAILI_2020 = "qdn-invest-small-micro-2020-kaili"
COUNTY_2021 = "qdn-invest-small-micro-2021-county"
RURAL_2021 = "qdn-invest-small-micro-2021-rural"
ALL_2022 = "qdn-invest-small-micro-2022"


def test_qiandongnan_rule_ids_are_the_seed_rules(kb):
    facts = {f.id: f for f in kb.region("qiandongnan").facts}
    expected = {
        KAILI_2020: (Quantity(160, "千瓦"), "urban", ("凯里市",), date(2020, 12, 31)),
        COUNTY_2021: (Quantity(160, "千瓦"), "county_town", "others", date(2021, 12, 31)),
        RURAL_2021: (Quantity(100, "千瓦"), "rural", None, date(2021, 12, 31)),
        ALL_2022: (Quantity(160, "千瓦"), None, None, date(2022, 6, 30)),
    }
    for fact_id, rule in expected.items():
        fact = facts[fact_id]
        assert (fact.max_capacity, fact.area, fact.districts, fact.effective_by) == rule


@pytest.mark.parametrize(
    ("amount", "verdict"),
    [(100, Verdict.ELIGIBLE), (160, Verdict.ELIGIBLE), (160.5, Verdict.NOT_ELIGIBLE), (161, Verdict.NOT_ELIGIBLE)],
)
@pytest.mark.parametrize(
    ("area", "district", "on"),
    [(None, None, LATER), ("urban", "凯里市", date(2021, 1, 1)), ("rural", "黄平县", date(2022, 1, 1))],
    ids=["prefecture-2023", "kaili-urban-2021", "huangping-rural-2022"],
)
def test_qiandongnan_160kw_threshold(kb, amount, verdict, area, district, on):
    result = access(kb, "qiandongnan", amount, "千瓦", area=area, district=district, on=on)
    assert result.verdict is verdict
    assert result.rule.max_capacity == Quantity(160, "千瓦")
    if verdict is Verdict.NOT_ELIGIBLE:
        assert result.investment == ()


def test_qiandongnan_kva_is_a_unit_mismatch(kb):
    result = access(kb, "qiandongnan", 150, "千伏安", area="urban", district="凯里市")
    assert result.verdict is Verdict.UNIT_MISMATCH
    assert result.rule.max_capacity.unit == "千瓦"
    assert result.investment == ()


@pytest.mark.parametrize(
    ("on", "amount", "area", "district", "expected"),
    [
        # 2020 凯里城区 160千瓦: from 2020-12-31 on, only for 凯里城区
        pytest.param(date(2020, 12, 31), 150, "urban", "凯里市", {KAILI_2020},
                     id="2020-12-31-150kW-kaili-urban"),
        pytest.param(date(2021, 1, 1), 160, "urban", "凯里市", {KAILI_2020},
                     id="2021-01-01-160kW-kaili-urban"),
        pytest.param(date(2021, 1, 1), 150, "county_town", "黄平县", set(),
                     id="2021-01-01-150kW-huangping-county_town"),
        pytest.param(date(2021, 1, 1), 150, "urban", "黄平县", set(),
                     id="2021-01-01-150kW-huangping-urban"),
        pytest.param(date(2021, 1, 1), 90, "rural", "黄平县", set(),
                     id="2021-01-01-90kW-huangping-rural"),
        # 2021年底前 其它县城区 160千瓦 / 农村地区 100千瓦
        pytest.param(date(2021, 12, 30), 150, "county_town", "黄平县", set(),
                     id="2021-12-30-150kW-huangping-county_town"),
        pytest.param(date(2021, 12, 30), 90, "rural", "黄平县", set(),
                     id="2021-12-30-90kW-huangping-rural"),
        pytest.param(date(2021, 12, 31), 150, "county_town", "黄平县", {COUNTY_2021},
                     id="2021-12-31-150kW-huangping-county_town"),
        pytest.param(date(2021, 12, 31), 160, "county_town", "从江县", {COUNTY_2021},
                     id="2021-12-31-160kW-congjiang-county_town"),
        pytest.param(date(2021, 12, 31), 90, "rural", "黄平县", {RURAL_2021},
                     id="2021-12-31-90kW-huangping-rural"),
        pytest.param(date(2021, 12, 31), 100, "rural", None, {RURAL_2021},
                     id="2021-12-31-100kW-any-rural"),
        pytest.param(date(2021, 12, 31), 120, "rural", "黄平县", set(),  # above the rural 100千瓦
                     id="2021-12-31-120kW-huangping-rural"),
        pytest.param(date(2022, 1, 1), 150, "urban", "凯里市", {KAILI_2020},
                     id="2022-01-01-150kW-kaili-urban"),
        pytest.param(date(2022, 6, 29), 150, "county_town", "黄平县", {COUNTY_2021},
                     id="2022-06-29-150kW-huangping-county_town"),
        pytest.param(date(2022, 6, 29), 120, "rural", "黄平县", set(),
                     id="2022-06-29-120kW-huangping-rural"),
        # 2022年6月底前 全州 160千瓦
        pytest.param(date(2022, 6, 30), 120, "rural", "黄平县", {ALL_2022},
                     id="2022-06-30-120kW-huangping-rural"),
        pytest.param(date(2022, 6, 30), 160, "county_town", "黄平县", {ALL_2022},
                     id="2022-06-30-160kW-huangping-county_town"),
        pytest.param(date(2022, 7, 1), 160, "rural", None, {ALL_2022},
                     id="2022-07-01-160kW-any-rural"),
        pytest.param(LATER, 150, None, None, {ALL_2022},
                     id="2023-150kW-any-None"),
    ],
)
def test_qiandongnan_zero_investment_by_date_and_place(kb, on, amount, area, district, expected):
    result = access(kb, "qiandongnan", amount, "千瓦", area=area, district=district, on=on)
    assert result.verdict is Verdict.ELIGIBLE
    assert ids(result) == expected


@pytest.mark.parametrize("on", [date(2022, 6, 30), LATER], ids=str)
def test_qiandongnan_kaili_city_after_mid_2022_has_the_whole_prefecture_rule(kb, on):
    result = access(kb, "qiandongnan", 150, "千瓦", area="urban", district="凯里市", on=on)
    assert ALL_2022 in ids(result)
    assert ids(result) <= {ALL_2022, KAILI_2020}


@pytest.mark.parametrize("area", ["county_town", None], ids=["county_town", "no-area"])
@pytest.mark.parametrize("on", [date(2021, 12, 31), date(2022, 1, 1), date(2022, 6, 29)], ids=str)
def test_qiandongnan_other_county_rule_never_covers_kaili(kb, area, on):
    """“其它县城区” is the county towns other than 凯里; 凯里 has its own 2020 rule."""
    result = access(kb, "qiandongnan", 150, "千瓦", area=area, district="凯里市", on=on)
    assert COUNTY_2021 not in ids(result)


@pytest.mark.parametrize(
    ("amount", "area", "district", "allowed"),
    [
        (150, "urban", "凯里市", {KAILI_2020}),
        (150, "county_town", "黄平县", set()),
        (90, "rural", "黄平县", set()),
        (150, None, None, set()),
    ],
    ids=["kaili-urban", "huangping-county", "huangping-rural", "no-place"],
)
@pytest.mark.parametrize("on", [date(2020, 6, 1), date(2020, 12, 30)], ids=str)
def test_qiandongnan_no_later_rule_before_its_date(kb, amount, area, district, allowed, on):
    """Before 2020-12-31 none of the 2021/2022 零投资 rules is in force: at most 凯里城区 2020."""
    result = access(kb, "qiandongnan", amount, "千瓦", area=area, district=district, on=on)
    assert ids(result) <= allowed


# --------------------------------------------------------------------------- 安阳 (004)
# The document sets no general low-voltage threshold by area; it only defines 小微企业 (用电设备容量
# 160千瓦及以下) and says 小微企业实行低压接入.

@pytest.mark.parametrize(
    ("amount", "unit", "area"),
    [(100, "千瓦", None), (160, "千瓦", "urban"), (161, "千瓦", "rural"), (200, "千伏安", None)],
    ids=["100kW", "160kW-urban", "161kW-rural", "200kVA"],
)
def test_anyang_has_no_rule(kb, amount, unit, area):
    result = access(kb, "anyang", amount, unit, area=area, district="林州市")
    assert result.verdict is Verdict.NO_RULE
    assert result.rule is None
    assert result.investment == ()
    assert kb.silence("anyang", "capacity") is not None
