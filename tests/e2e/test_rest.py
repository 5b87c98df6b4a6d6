"""End to end through the REST channel of a running server (started by scripts/test.sh)."""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
import uuid

import pytest

URL = os.environ.get("BANDIAN_URL", "http://localhost:5005")


def post(payload: bytes) -> tuple[int, list[dict]]:
    request = urllib.request.Request(URL + "/webhooks/rest/webhook", data=payload,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"[]")
    except urllib.error.HTTPError as error:
        return error.code, []


def ask(sender: str, message: str) -> str:
    status, messages = post(json.dumps({"sender": sender, "message": message}).encode())
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


def test_agent_mode_cites_the_clause(sender):
    ask(sender, "/agent")
    reply = ask(sender, "烟台10千伏普通用户方案答复要几天")
    assert "烟发改能源〔2020〕205号" in reply and "“" in reply


@pytest.mark.parametrize("message", ["", "   ", "😀😀😀", "a" * 20000, "<script>alert(1)</script>",
                                     "'; DROP TABLE orders; --", "مرحبا", "\u0000\u0007"])
def test_bad_input_gets_a_polite_reply_not_an_error(sender, message):
    status, messages = post(json.dumps({"sender": sender, "message": message}).encode())
    assert status == 200
    assert isinstance(messages, list)


def test_malformed_json_is_rejected_cleanly():
    status, _ = post(b"{not json")
    assert 400 <= status < 500
