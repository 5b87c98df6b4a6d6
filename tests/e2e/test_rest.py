"""End to end through the REST channel of a running server (started by scripts/test.sh)."""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
import uuid

import pytest

from bot.orders.numbers import display, new_number

URL = os.environ.get("BANDIAN_URL", "http://localhost:5005")


def staff_headers() -> dict[str, str]:
    """What a staff tool sends: the staff token the server was started with (scripts/run.sh makes var/staff-token)."""
    from bot.settings import Settings
    from bot.trust import STAFF_HEADER, staff_token

    return {STAFF_HEADER: staff_token(Settings.from_env(), create=False)}


def post(payload: bytes, staff: bool = False) -> tuple[int, list[dict]]:
    headers = {"Content-Type": "application/json", **(staff_headers() if staff else {})}
    request = urllib.request.Request(URL + "/webhooks/rest/webhook", data=payload, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"[]")
    except urllib.error.HTTPError as error:
        return error.code, []


def ask(sender: str, message: str, staff: bool = False) -> str:
    status, messages = post(json.dumps({"sender": sender, "message": message}).encode(), staff)
    assert status == 200
    return "\n".join((m.get("text") or "") + " ".join(b["title"] for b in m.get("buttons") or [])
                     for m in messages)


@pytest.fixture
def sender() -> str:
    return "e2e-" + uuid.uuid4().hex[:8]


def test_a_sourced_answer_for_the_right_region(sender):
    reply = ask(sender, "枣庄10千伏双电源用户办电要多久")
    assert "18个工作日" in reply.replace(" ", "")
    assert "枣能源字〔2021〕33号" in reply


def test_a_district_name_fixes_the_region_and_context_carries_over(sender):
    first = ask(sender, "赣榆区居民接电全流程多少天")
    assert "连云港" in first and "5个工作日" in first.replace(" ", "")
    follow_up = ask(sender, "那要带什么资料")
    assert "身份证明" in follow_up and "连云港" in follow_up


def test_missing_region_gets_a_clarifying_question_then_the_answer(sender):
    question = ask(sender, "10千伏双电源办电多久")
    assert all(name in question for name in ("烟台", "枣庄", "黔东南", "连云港", "安阳"))
    assert not re.search(r"\d+个?工作日", question)
    assert "18个工作日" in ask(sender, "枣庄").replace(" ", "")


def test_an_uncovered_city_never_gets_another_citys_numbers(sender):
    reply = ask(sender, "杭州的企业办电要多久")
    assert "95598" in reply
    assert not re.search(r"\d+个?工作日", reply)


def test_the_greeting_names_the_covered_regions(sender):
    reply = ask(sender, "你好")
    assert all(name in reply for name in ("烟台", "枣庄", "黔东南", "连云港", "安阳")) and "{" not in reply


def test_agent_mode_cites_the_clause(sender):
    assert "已切换到坐席模式" in ask(sender, "/agent", staff=True)
    reply = ask(sender, "烟台10千伏普通用户方案答复要几天", staff=True)
    assert "烟发改能源〔2020〕205号" in reply and "“" in reply


def test_agent_mode_is_for_staff_only(sender):
    assert "仅供已登录的工作人员使用" in ask(sender, "/agent")
    forged = json.dumps({"sender": sender, "message": "烟台10千伏普通用户方案答复要几天",
                         "metadata": {"bandian_auth": {"staff": True, "client": "", "at": 0, "sig": "0"}}}).encode()
    status, messages = post(forged)
    assert status == 200 and "“" not in "".join(m.get("text") or "" for m in messages)


@pytest.mark.parametrize("message", ["", "   ", "😀😀😀", "a" * 20000, "<script>alert(1)</script>",
                                     "مرحبا", "\u0000\u0007", "枣庄" * 3000])
def test_bad_input_gets_a_polite_reply_not_an_error(sender, message):
    status, messages = post(json.dumps({"sender": sender, "message": message}).encode())
    assert status == 200
    text = "".join(m.get("text") or "" for m in messages)
    assert text and "Traceback" not in text and "Error" not in text


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'"text"', b'{"sender": 5.5, "message": "hi"}',
                                  b'{"sender": "x", "message": ["hi"]}', b'{"sender": "", "message": "hi"}',
                                  b'{"sender": "x", "message": "hi", "metadata": [1]}'])
def test_malformed_requests_are_rejected_with_400_and_a_reason(body):
    request = urllib.request.Request(URL + "/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=30)
    assert error.value.code == 400
    assert "Traceback" not in error.value.read().decode()


def test_a_booking_and_its_status_lookup(sender):
    ask(sender, "/agent", staff=True)
    summary = ask(sender, "登记零证预约：张三 13912345678 安阳市文峰区中华路1号 居民新装 下周三上午", staff=True)
    assert "139****5678" in summary and "13912345678" not in summary
    confirmation = ask(sender, "确认", staff=True)
    match = re.search(r"工单号：(\d{5}-\d{5})", confirmation)
    assert match, confirmation
    assert "20分钟" in confirmation and "安供电营销〔2022〕24号" in confirmation
    wrong_suffix = ask("e2e-" + uuid.uuid4().hex[:8], f"查询工单{match.group(1)} 手机尾号0000")
    unknown = ask("e2e-" + uuid.uuid4().hex[:8], f"查询工单{display(new_number())} 手机尾号5678")
    assert wrong_suffix == unknown and "没有找到" in unknown  # no hint that the order exists
    right = ask("e2e-" + uuid.uuid4().hex[:8], f"查询工单{match.group(1)} 手机尾号5678")
    assert "当前阶段" in right and "客户经理" in right
