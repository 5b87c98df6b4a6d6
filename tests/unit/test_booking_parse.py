"""The booking parsers and validators, with many bad inputs."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from bot.booking.business import BUSINESS_TYPES, find_business, parse_business
from bot.booking.capacity import NOT_GIVEN, parse_capacity
from bot.booking.form import next_field
from bot.booking.interpret import interpret
from bot.booking.name import parse_name
from bot.booking.phone import parse_phone
from bot.booking.place import parse_address, parse_district, parse_region
from bot.booking.status import interpret_status
from bot.booking.visit import Visit, parse_visit
from bot.orders import numbers

NOW = datetime(2025, 11, 26, 10, 0)  # Wednesday


@pytest.mark.parametrize("text", [
    "13912345678", "139 1234 5678", "139-1234-5678", "１３９１２３４５６７８", "+86 139 1234 5678", "8613912345678",
    "+86-13912345678", "我的手机是13912345678", "电话写错了，是13912345678", "1 3 9 1 2 3 4 5 6 7 8",
])
def test_phone_accepts_common_ways_of_writing(text):
    assert parse_phone(text).value == "13912345678"


@pytest.mark.parametrize(("text", "message"), [
    ("1391234567", "11位"), ("139123456789", "12位"), ("12912345678", "129开头"), ("10012345678", "100开头"),
    ("14012345678", "140开头"), ("19412345678", "194开头"), ("23912345678", "239开头"), ("", "没有看到手机号"),
    ("abc", "没有看到手机号"), ("电话", "没有看到手机号"), ("10086", "5位"), ("0371-12345678", "请"),
    ("１２３", "没有看到"), ("13912345678 13812345678 1", None),
])
def test_phone_rejects_with_a_specific_reason(text, message):
    parsed = parse_phone(text)
    if message is None:
        assert parsed.value == "13912345678"
        return
    assert parsed.value is None and message in (parsed.error or "")


@pytest.mark.parametrize(("text", "expected"), [
    ("明天上午", Visit(date(2025, 11, 27), "上午")),
    ("周五下午", Visit(date(2025, 11, 28), "下午")),
    ("12月1日", Visit(date(2025, 12, 1), "全天")),
    ("十二月一日上午", Visit(date(2025, 12, 1), "上午")),
    ("12月1日上午10点", Visit(date(2025, 12, 1), "上午", time(10))),
    ("后天下午两点半", Visit(date(2025, 11, 28), "下午", time(14, 30))),
    ("下周一", Visit(date(2025, 12, 1), "全天")),
    ("下下周二上午", Visit(date(2025, 12, 9), "上午")),
    ("今天下午", Visit(date(2025, 11, 26), "下午")),
    ("下午3点", Visit(date(2025, 11, 26), "下午", time(15))),
    ("2025-12-03", Visit(date(2025, 12, 3), "全天")),
    ("12/2", Visit(date(2025, 12, 2), "全天")),
    ("3号上午", Visit(date(2025, 12, 3), "上午")),
    ("尽快", Visit(date(2025, 11, 27), "全天")),
])
def test_visit_times(text, expected):
    assert parse_visit(text, NOW).value == expected


@pytest.mark.parametrize(("text", "message"), [
    ("11月30日", "周日休息日"), ("周六", "休息日"), ("明天晚上", "晚上不在上门服务时间内"), ("中午", "中午"),
    ("明天早上8点", "9:00–12:00"), ("明天下午6点", "上门服务时间"), ("今天上午9点", "已经过去"),
    ("11月20日", "30天以内"), ("1月5号", "30天以内"), ("2026年3月1日", "30天以内"), ("11月31日", "没有11月31日"),
    ("2025-02-30", "没有2月30日"), ("随便", "没听懂"), ("中华路1号", "没听懂"), ("25点", "钟点不对"),
    ("10月1日", "30天以内"),
])
def test_visit_times_refused_with_a_reason(text, message):
    parsed = parse_visit(text, NOW)
    assert parsed.value is None and message in (parsed.error or "")


def test_visit_on_a_holiday_names_the_holiday():
    parsed = parse_visit("10月1日上午", datetime(2025, 9, 26, 9, 0))
    assert "国庆节假期" in (parsed.error or "")
    assert parse_visit("9月28日上午", datetime(2025, 9, 26, 9, 0)).ok  # an adjusted working Sunday


def test_visit_slot_round_trip():
    visit = Visit(date(2025, 12, 1), "上午", time(10, 30))
    assert Visit.from_slot(visit.slot()) == visit and visit.text() == "12月1日（周一）上午10:30"


@pytest.mark.parametrize(("text", "expected"), [
    ("居民新装", "resident_new"), ("非居民新装", "nonresident_new"), ("开个饭店", "nonresident_new"),
    ("我家要装充电桩", "charging"), ("家用充电桩", "charging_resident"), ("5G基站", "base_5g"),
    ("５Ｇ基站", "base_5g"), ("建筑工地临时用电", "temporary"), ("增容", "capacity_increase"),
    ("农田机井", "well"), ("高压新装", "hv_new"),
])
def test_business_types(text, expected):
    assert parse_business(text).value.id == expected


@pytest.mark.parametrize("text", ["", "啥", "随便", "123", "我不知道"])
def test_business_unknown(text):
    parsed = parse_business(text)
    assert parsed.value is None and "居民新装" in (parsed.error or "")


def test_business_types_map_to_kb_categories(kb):
    for business in BUSINESS_TYPES:
        assert business.category in kb.vocab.categories
    assert find_business("非居民").value.id == "nonresident_new"


@pytest.mark.parametrize(("text", "value"), [
    ("150千瓦", "150千瓦"), ("80 kVA", "80千伏安"), ("１６０ｋＷ", "160千瓦"), ("90.5千伏安", "90.5千伏安"),
    ("不清楚", NOT_GIVEN), ("不知道", NOT_GIVEN), ("跳过", NOT_GIVEN),
])
def test_capacity_keeps_the_unit(text, value):
    assert parse_capacity(text).value == value


@pytest.mark.parametrize(("text", "message"), [
    ("150", "单位"), ("0千瓦", "数值不对"), ("9999999千瓦", "数值不对"), ("很大", "例如"), ("", "例如"),
])
def test_capacity_errors(text, message):
    parsed = parse_capacity(text)
    assert parsed.value is None and message in (parsed.error or "")


@pytest.mark.parametrize(("text", "value"), [
    ("张三", "张三"), ("我叫李四", "李四"), ("王先生", "王先生"), ("欧阳娜娜", "欧阳娜娜"),
    ("名字写错了，是李四", "李四"), ("阿卜杜·热合曼", "阿卜杜·热合曼"), ("联系人：赵敏", "赵敏"),
])
def test_names(text, value):
    assert parse_name(text).value == value


@pytest.mark.parametrize("text", ["", "张", "13912345678", "我要预约", "你好", "abc", "张三123", "取消", "不知道",
                                  "一二三四五六七八九十十一", "中华路1号"])
def test_names_refused(text):
    parsed = parse_name(text)
    assert parsed.value is None and parsed.error


def test_addresses(kb):
    place = parse_address(kb, "安阳市文峰区中华路1号").value
    assert (place.region, place.district, place.address) == ("anyang", "文峰区", "安阳市文峰区中华路1号")
    assert parse_address(kb, "地址改成林州市红旗渠大道1号").value.district == "林州市"
    no_place = parse_address(kb, "中华路1号").value
    assert no_place.region is None and no_place.address == "中华路1号"


@pytest.mark.parametrize(("text", "message"), [
    ("安阳市", "详细的用电地址"), ("", "详细的用电地址"), ("随便", "详细的用电地址"),
    ("北京市朝阳区建国路1号", "目前只能预约"), ("安阳市文峰区和滕州市善国路1号", "同时提到了"),
    ("中华路" + "1" * 130 + "号", "太长"),
])
def test_addresses_refused(kb, text, message):
    parsed = parse_address(kb, text)
    assert parsed.value is None and message in (parsed.error or "")


def test_region_and_district(kb):
    assert parse_region(kb, "枣庄").value.region == "zaozhuang"
    assert "目前可预约" in (parse_region(kb, "火星").error or "")
    assert parse_district(kb, "anyang", "文峰").value == "文峰区"
    assert "不在安阳" in (parse_district(kb, "anyang", "滕州").error or "")
    assert "哪个区县" in (parse_district(kb, "anyang", "随便").error or "")


def turn(kb, text, requested=None, intent="inform", **filled):
    return interpret(kb, text, intent=intent, requested=requested, filled=filled, now=NOW)


def test_one_message_registration(kb):
    staff = "登记零证预约：张三 13912345678 安阳市文峰区中华路1号 居民新装 明天上午"
    result = turn(kb, staff, intent="request_booking")
    assert result.updates == {"name": "张三", "phone": "13912345678", "address": "安阳市文峰区中华路1号",
                              "region": "anyang", "district": "文峰区", "business": "resident_new",
                              "visit": "2025-11-27 上午"}
    commas = turn(kb, "帮客户登记预约：王五，139 0000 1111，滕州市善国路8号，临时用电，50千瓦，下周二下午")
    assert commas.updates["name"] == "王五" and commas.updates["capacity"] == "50千瓦"
    assert commas.updates["district"] == "滕州市" and commas.updates["visit"] == "2025-12-02 下午"


def test_questions_cancel_and_small_talk_are_not_answers(kb):
    assert turn(kb, "居民新装要带什么资料？", "address", "ask_materials").reject
    assert turn(kb, "算了不办了", "address", "cancel").reject
    assert turn(kb, "你好", "name", "greet").reject
    assert turn(kb, "查一下我的工单", "visit", "check_status").reject
    assert not turn(kb, "安阳市文峰区中华路1号", "address", "ask_materials").reject  # misclassified answer


def test_corrections_from_any_question(kb):
    assert turn(kb, "电话写错了，是13800001111", "address", phone="13912345678").updates == {"phone": "13800001111"}
    assert turn(kb, "名字写错了，是李四", "confirmed", confirmed=None).updates["name"] == "李四"
    moved = turn(kb, "地址改成林州市红旗渠大道1号", "confirmed", region="anyang", district="文峰区")
    assert moved.updates["district"] == "林州市"


def test_confirmation_answers(kb):
    assert turn(kb, "确认", "confirmed", "affirm").updates == {"confirmed": True}
    assert turn(kb, "对的，提交", "confirmed").updates == {"confirmed": True}
    denied = turn(kb, "不对", "confirmed", "deny")
    assert denied.editing and denied.updates == {"confirmed": None}
    assert "请回复“确认”" in (turn(kb, "嗯？啥意思呢", "confirmed").error or "")


def test_next_field_skips_capacity_for_residents_and_district_when_known(kb):
    fields = {"name": "张三", "phone": "13912345678", "address": "x路1号", "region": "anyang", "district": None,
              "business": "resident_new"}
    assert next_field(kb, fields) == "district"
    assert next_field(kb, fields | {"district": "文峰区"}) == "visit"
    assert next_field(kb, fields | {"district": "文峰区", "business": "hv_new"}) == "capacity"
    assert next_field(kb, fields | {"district": "文峰区", "visit": "2025-11-27 上午"}) == "confirmed"
    assert next_field(kb, fields | {"district": "文峰区", "visit": "v", "confirmed": True}) is None


def test_status_questions():
    number = numbers.new_number()
    both = interpret_status(f"查一下工单{numbers.display(number)}，手机尾号5678", None)
    assert both.updates == {"order": number, "suffix": "5678"}
    assert interpret_status("13912345678", "suffix").updates == {"suffix": "5678"}
    typo = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert "校验不通过" in (interpret_status(typo, "order").error or "")
    assert "10位" in (interpret_status("不知道", "order").error or "")
    assert "后四位" in (interpret_status("不记得了", "suffix").error or "")


def test_masking_of_phone_numbers_addresses_and_log_records():
    import logging

    from bot.masking import PiiFilter, mask_address, mask_event, mask_name, mask_phone, mask_text

    assert mask_phone("139 1234 5678") == "139****5678" and mask_phone(None) == ""
    assert mask_name("欧阳娜娜") == "欧***" and mask_address("中华路12号3单元502室") == "中华路*号*单元*室"
    typed = "电话写错了，是139 1234-5678，不是１３８１２３４５６７８"
    assert mask_text(typed) == "电话写错了，是139****5678，不是１３８****５６７８"
    assert mask_text("安阳市文峰区中华路12号3单元502室") == "安阳市文峰区中华路*号*单元*室"
    assert mask_text("工单38412-09357 尾号5678，150千瓦") == "工单38412-09357 尾号5678，150千瓦"
    event = mask_event({"event": "slot", "name": "booking_phone", "value": "13912345678"})
    assert event["value"] == "139****5678"
    assert mask_event({"event": "slot", "value": "sealed:13912345678x"})["value"] == "sealed:13912345678x"
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "user said %s", ("13912345678",), None)
    PiiFilter().filter(record)
    assert record.getMessage() == "user said 139****5678"


def test_sealing_round_trip_and_foreign_tokens(tmp_path):
    from bot.booking.sealed import fernet, seal, unseal
    from bot.settings import Settings

    box = fernet(Settings.from_env({"BANDIAN_SECRET_KEY": "k1"}))
    token = seal("13912345678", box)
    assert token and token.startswith("sealed:") and "13912345678" not in token
    assert unseal(token, box) == "13912345678" and seal(token, box) == token
    other = fernet(Settings.from_env({"BANDIAN_SECRET_KEY": "k2"}))
    assert unseal(token, other) is None and unseal("plain", box) == "plain"
    from_file = fernet(Settings.from_env({"BANDIAN_SECRET_KEY": ""}), key_file=tmp_path / "var" / "secret.key")
    again = fernet(Settings.from_env({"BANDIAN_SECRET_KEY": ""}), key_file=tmp_path / "var" / "secret.key")
    assert unseal(seal("x", from_file), again) == "x"
    assert (tmp_path / "var" / "secret.key").stat().st_mode & 0o777 == 0o600
