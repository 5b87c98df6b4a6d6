"""WeChat channel bugs found by fuzzing (docs/reliability.md bugs 7 and 8), on a real Sanic server.

- `signature=签名` (no token needed): hmac.compare_digest raised TypeError on a non-ASCII str, 500;
- a correctly signed request with `timestamp=²`: isdigit() accepted it, int() failed, 500;
- a bare "፩" answering a numbered button list: the same isdigit()/int() mistake in Choices.resolve.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sanic import Sanic
from test_wechat_channel import OPENID, TOKEN, FakeAssistant, Server, make_channel, reply_content, run, text_xml

from bot.channels.wechat_crypto import check_signature, signature
from bot.channels.wechat_state import Choices
from bot.channels.wechat_webhook import unix_time

LONG = "9" * 5000


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch):
    """Several Sanic apps in one process (one per test), as in test_wechat_channel."""
    monkeypatch.setattr(Sanic, "test_mode", True)


def test_a_non_ascii_or_undecodable_signature_does_not_match():
    stamp = str(int(time.time()))
    assert check_signature(signature(TOKEN, stamp, "n"), TOKEN, stamp, "n")
    assert check_signature(signature(TOKEN, stamp, "n").upper() + " ", TOKEN, stamp, "n")
    for given in ("签名", "ÿ" * 40, "\ud800", "０" * 40, signature(TOKEN, stamp, "n") + "签"):
        assert check_signature(given, TOKEN, stamp, "n") is False, given
    assert check_signature(signature(TOKEN, stamp, "n"), TOKEN, stamp, "\ud800") is False  # a part that is not UTF-8


def test_only_ascii_digits_make_a_timestamp():
    assert unix_time("1700000000") == 1700000000
    for odd in ("²", "፩፪፫", "①", "１７００００００００", "١٧٠٠", " 1", "-5", "1e9", "", "9" * 13, LONG):
        assert unix_time(odd) is None, odd


def signed_with(stamp: str, nonce: str = "n0nce", **extra: str) -> dict[str, str]:
    return {"signature": signature(TOKEN, stamp, nonce), "timestamp": stamp, "nonce": nonce, **extra}


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_non_ascii_signature_is_refused_with_403(method):
    assistant = FakeAssistant()
    params = {"signature": "签名", "timestamp": str(int(time.time())), "nonce": "n", "echostr": "x"}

    async def scenario(server: Server) -> int:
        if method == "GET":
            return (await server.get(params))[0]
        return (await server.post(text_xml("你好"), params))[0]

    assert run(make_channel(), assistant, scenario) == 403
    assert assistant.messages == []


@pytest.mark.parametrize("stamp", ["²", "፩፪፫", "１７００００００００", LONG],
                         ids=["superscript", "ethiopic", "full-width", "5000-digits"])
def test_a_signed_request_with_a_strange_timestamp_is_refused_with_403(stamp):
    assistant = FakeAssistant()

    async def scenario(server: Server) -> list[int]:
        return [(await server.get(signed_with(stamp, echostr="x")))[0],
                (await server.post(text_xml("你好"), signed_with(stamp)))[0]]

    assert run(make_channel(), assistant, scenario) == [403, 403]
    assert assistant.messages == []


def test_a_number_that_is_not_a_decimal_one_is_text_not_a_choice():
    choices = Choices()
    choices.remember(OPENID, ["枣庄", "/affirm"])
    assert choices.resolve(OPENID, "２") == choices.resolve(OPENID, "②") == "/affirm"  # NFKC makes them 2
    assert choices.resolve(OPENID, "١") == "枣庄"  # an Arabic-Indic 1 is a decimal digit: int() reads it
    for odd in ("፩", "፪", "⑵", LONG):  # Ethiopic digits are digits but not decimal ones
        assert choices.resolve(OPENID, odd) == odd


def test_an_ethiopic_digit_after_a_button_list_is_answered():
    def answer(text: str) -> dict[str, Any]:
        if text == "我要办电":
            return {"text": "请问您在哪个城市办电？", "buttons": [{"title": "枣庄", "payload": "枣庄"}]}
        return {"text": f"答：{text}"}

    async def scenario(server: Server) -> list[tuple[int, str]]:
        return [await server.post(text_xml("我要办电", msg_id="1")), await server.post(text_xml("፩", msg_id="2"))]

    _, (status, body) = run(make_channel(), FakeAssistant(answer=answer), scenario)
    assert status == 200 and reply_content(body) == "答：፩"
