"""Red team, round 3 (docs/reliability.md): personal data stored or shown unmasked.

R3-3 before: the booking form read text folded by bot.booking.text.fold (NFKC on every plane), the masker by
bot.phones.fold (some blocks only), so a number in squared ideographs (🈩 🈔 🈪 for 一 二 三) or segmented digits
(🯰–🯹) was booked and stored as typed. Now both use one fold (bot/phones.py `fold`, every plane).
R3-4 before: house numbers such as 幸福小区5-2-1101, 5栋2单元1101, B座1101房, 中华路12#3-502 and
中华路十二号三单元五零二室 were stored as typed, and `mask_address` (console, CSV/xlsx export, the booking
summary) kept house numbers in Chinese numerals.
R3-5 before: names after "我是", "本人", "联系人" without a colon; ID numbers with dots or slashes; e-mail addresses
with a Chinese local part or two spaces around @; and phone-like runs the parser refuses (139*1234*5678,
139:1234:5678, four spaces, zero-width spaces, (139)1234-5678) were stored as typed.
Policy text (dates, amounts, document and order numbers, lists, hotlines) stays as it is.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.booking import text as booking_text
from bot.booking.phone import find_phone, parse_phone
from bot.masking import mask_address, mask_event, mask_numbers, mask_text
from bot.phones import fold, phone_fold


def digits(text: str) -> str:
    return "".join(str(unicodedata.decimal(c)) for c in phone_fold(text) if c.isdecimal())


# ---- R3-3: one fold for the parser and the masker ------------------------------------------------------------

@pytest.mark.parametrize(("written", "number"), [
    ("🈩3🈪6622🈔🈪44", "13366222344"),
    ("🯱🯵🯸🯰🯰🯱🯱🯲🯲🯳🯳", "15800112233"),
    ("手机🯱🯳🯹 🯱🯲🯳🯴 🯵🯶🯷🯸", "13912345678"),
    ("🈩🈪九🈩🈔🈪四五六七八", "13912345678"),
])
def test_squared_ideographs_and_segmented_digits_are_booked_and_masked(written, number):
    assert parse_phone(written).value == number
    for text in (written, f"我的电话是{written}，谢谢"):
        masked = mask_text(text)
        assert digits(masked) == number[:3] + number[-4:], (text, masked)
        assert "****" in masked and not find_phone(masked).ok and not parse_phone(masked).ok, masked
    event = mask_event({"event": "user", "text": written, "parse_data": {"text": written}})
    assert digits(event["text"]) == number[:3] + number[-4:]


def test_the_booking_parsers_fold_is_the_maskers_fold_on_every_plane():
    """Every code point: NFKC when that is one character, else itself, in both (the same function)."""
    every = "".join(chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF)
    expected = "".join(folded if len(folded := unicodedata.normalize("NFKC", char)) == 1 else char for char in every)
    assert fold(every) == expected
    assert booking_text.fold(every) == expected
    assert fold("🈩🈔🈪🯰🯹") == "一二三09"


# ---- R3-4: house numbers ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("安阳市文峰区幸福小区5-2-1101", "安阳市文峰区幸福小区*-*-*"),
    ("安阳市文峰区幸福小区5栋2单元1101", "安阳市文峰区幸福小区*栋*单元*"),
    ("幸福小区3号楼502", "幸福小区*号楼*"),
    ("B座1101房", "B座*房"),
    ("中华路12#3-502", "中华路*#*-*"),
    ("中华路十二号三单元五零二室", "中华路*号*单元*室"),
    ("黔东南州凯里市北京东路十八号三单元五零一室", "黔东南州凯里市北京东路*号*单元*室"),
    ("住在幸福小区二栋三单元五零一室，电话139 1234 5678", "住在幸福小区*栋*单元*室，电话139****5678"),
    ("安阳市文峰区中华路12号3单元502室", "安阳市文峰区中华路*号*单元*室"),
])
def test_house_numbers_in_common_formats_are_masked(text, expected):
    assert mask_text(text) == expected


@pytest.mark.parametrize(("address", "expected"), [
    ("黔东南州凯里市北京东路十八号三单元五零一室", "黔东南州凯里市北京东路*号*单元*室"),
    ("安阳市文峰区中华路十二号三单元五零二室", "安阳市文峰区中华路*号*单元*室"),
    ("枣庄市滕州市十里铺村三组", "枣庄市滕州市十里铺村*组"),
    ("烟台市芝罘区五一路十号", "烟台市芝罘区五一路*号"),
    ("安阳市文峰区幸福小区5-2-1101", "安阳市文峰区幸福小区*-*-*"),
    ("中华路12#3-502", "中华路*#*-*"),
])
def test_mask_address_hides_house_numbers_in_chinese_numerals(address, expected):
    """What the console's order list, the CSV/xlsx export and the booking summary show (`mask_address`)."""
    assert mask_address(address) == expected


def test_the_booking_form_shows_the_address_masked(kb):
    from bot.booking.form import shown_value

    assert shown_value(kb, "address", "北京东路十八号三单元五零一室") == "北京东路*号*单元*室"


@pytest.mark.parametrize("text", [
    "三号楼二单元", "一户一表", "“一户一表”", "12月1号上午", "十二月一号", "第3号公告", "第三条", "95598座席",
    "2020-2022年", "开发区2020-2022年行动方案", "连政办传〔2021〕56号", "鲁发改能源[2020]1号", "2021-06-30",
    "160千瓦", "5个工作日", "GB/T 29328-2018", "DB37/T3366-2018",
])
def test_policy_text_is_not_taken_for_a_house_number(text):
    assert mask_text(text) == text


# ---- R3-5: names, ID numbers, e-mail addresses ----------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("我是张三", "我是张*"), ("本人张三", "本人张*"), ("联系人王五", "联系人王*"), ("户主李四", "户主李*"),
    ("我是张三丰，电话139 1234 5678", "我是张**，电话139****5678"),
    ("联系人欧阳娜娜 13912345678", "联系人欧*** 139****5678"),
    ("本人王五要办新装", "本人王*要办新装"), ("我是李先生", "我是李**"),
])
def test_names_after_a_cue_without_a_colon_are_masked(text, expected):
    assert mask_text(text) == expected


@pytest.mark.parametrize("text", [
    "我是小微企业", "我是安阳的", "我是郑州人", "本人身份证", "本人或委托代理人", "联系人电话", "联系人姓名",
    "请问联系人怎么称呼？", "本人签字", "客户主体资格证明", "我是居民用户", "我是要办新装",
])
def test_words_after_the_cues_that_are_no_names_stay(text):
    assert mask_text(text) == text


@pytest.mark.parametrize(("written", "kept"), [
    ("410502.19900101.1234", "4134"), ("410502/19900101/123X", "413X"), ("410502 . 19900101 . 1234", "4134"),
    ("410502．19900101．123x", "413X"), ("110105/491231/002", "1102"),
])
def test_id_numbers_with_dots_or_slashes_are_masked(written, kept):
    masked = mask_text(f"身份证号{written}，户主本人")
    assert "".join(c.upper() if c in "xX" else c for c in digits(masked) + "".join(
        c for c in fold(masked) if c in "xX")) == kept, masked


@pytest.mark.parametrize(("written", "expected"), [
    ("张三@qq.com", "张***@qq.com"), ("邮箱：张三@qq.com", "邮箱：张***@qq.com"),
    ("欧阳娜娜＠163.com", "欧***＠163.com"), ("zhangsan  @  qq.com", "z***  @  qq.com"),
    ("zhangsan  ＠  qq.com", "z***  ＠  qq.com"),
])
def test_email_addresses_with_a_chinese_local_part_or_spaced_at_are_masked(written, expected):
    assert mask_text(written) == expected


# ---- R3-5: phone-like runs the parser refuses -----------------------------------------------------------------

@pytest.mark.parametrize(("written", "expected"), [
    ("139*1234*5678", "139****5678"), ("139:1234:5678", "139****5678"), ("139    1234    5678", "139****5678"),
    ("139\u200b1234\u200b5678", "139****5678"), ("(139)1234-5678", "(139****5678"),
    ("139\u20601234\ufeff5678", "139****5678"), ("139;1234;5678", "139****5678"), ("139=1234=5678", "139****5678"),
    ("1\u200c3\u200c9\u200c1\u200c2\u200c3\u200c4\u200c5\u200c6\u200c7\u200c8", "139****5678"),
    ("139**1234**5678", "139****5678"), ("139*12345*678", "139****5678"), ("12345678", "****5678"),
    ("1234567", "****567"), ("0371*1234*5678", "037****5678"), ("410502*19900101*1234", "410****1234"),
])
def test_phone_like_runs_the_parser_refuses_are_masked(written, expected):
    assert not parse_phone(written).ok
    assert mask_text(written) == expected
    assert mask_text(f"电话{written}，白天打") == f"电话{expected}，白天打"
    assert mask_numbers(written) == expected


POLICY = [
    "工单38412-09357 尾号5678，150千瓦", "10:00-12:00", "2021-06-30 10:00:00", "2020年1月1日至2021年12月31日",
    "2021.01.01-2021.12.31", "10,000,000,000元", "12,345,678,901元", "160、1000、1600千伏安", "100，2000，3000元",
    "2021，2022，2023年", "1、2、3、4、5、6、7、8、9、10、11", "1/2/3/4/5/6/7/8/9/10/11",
    "以上单电源用户 1 10 3 2 3 3 22",
    "合计12个工作日（1+3+2+3+3）", "拨打供电服务热线95598（24小时）", "95598、12398", "400-600-9999",
    "工作日 9:00–12:00、13:30–17:30", "139.212.134.56", "（GBT29328-2018）", "统一社会信用代码91370000MA3C12345X",
    "电压等级为10/0.4千伏", "工单号3841209357，尾号5678", "《三年行动方案（2020—2022年）》", "投资1234567元",
    "第一、二、三、四、五、六、七、八、九、十条",
]


@pytest.mark.parametrize("text", POLICY)
def test_policy_numbers_stay_readable(text):
    assert mask_text(text) == text


# a separator a person (or a red team) may put between digits: anything short that is no digit or letter
ODD = ["*", ":", ";", "=", "+", "#", "^", "'", "`", "(", ")", "[", "]", "【", "】", "\u200b", "\u200c", "\u200d",
       "\u2060", "\ufeff", "\u00ad", "  ", "    ", " * ", "**", "\ufe0f\u20e3", "\u0332", " : ", "-", ".", "/", "_", ""]


@st.composite
def oddly_written_mobile(draw: st.DrawFn) -> tuple[str, str]:
    prefix = draw(st.sampled_from(["133", "135", "138", "139", "150", "158", "166", "177", "186", "199"]))
    number = prefix + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=8, max_size=8)))
    forms = draw(st.sampled_from(["ascii", "full", "segmented"]))

    def form(digit: str) -> str:
        return {"ascii": digit, "full": chr(0xFF10 + int(digit)), "segmented": chr(0x1FBF0 + int(digit))}[forms]

    written = form(number[0]) + "".join(draw(st.sampled_from(ODD)) + form(d) for d in number[1:])
    return written, number


AROUND = st.text(alphabet=st.sampled_from(list("我的电话是手机号改成请打，。：！ ")), max_size=10)


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(oddly_written_mobile(), AROUND, AROUND)
@example(("139*1234*5678", "13912345678"), "", "")
@example(("1\u200b3\u200b9\u200b1\u200b2\u200b3\u200b4\u200b5\u200b6\u200b7\u200b8", "13912345678"), "电话", "")
def test_every_mobile_number_with_any_separators_is_masked(mobile, before, after):
    """Whatever separates its digits, no more than its first three and last four digits are kept."""
    written, number = mobile
    masked = mask_text(before + written + after)
    kept = digits(masked)
    assert kept in (number[:3] + number[-4:], number[-4:], number[-3:]), (written, masked)


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(oddly_written_mobile(), AROUND)
def test_masking_masked_text_again_changes_nothing(mobile, before):
    """Stored (masked) text is masked again where it is read into handoff summaries and reports: the masks'
    kept digits (139****5678) are no new run to mask (which would give ****678)."""
    masked = mask_text(before + mobile[0] + "，身份证410502.19900101.1234，住中华路十二号三单元五零二室，我是张三")
    assert mask_text(masked) == masked


@pytest.mark.parametrize("text", [
    "我电话138****1111", "+86 139****5678", "0086139****5678", "座机0539-****4567", "身份证41**************34",
    "z***@qq.com", "幸福小区*-*-*", "1234567 139 1234 5678",
])
def test_masked_text_stays_as_it_is(text):
    once = mask_text(text)
    assert mask_text(once) == once
