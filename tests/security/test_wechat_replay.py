"""WeChat requests: fresh, once, encrypted when safe mode is on, decoded before they are checked.

Before: a signed request was accepted for an hour either side of now, and its nonce was not remembered,
so a captured query string (the signature covers token, timestamp and nonce, not the body) could carry
any other body for that hour; message ids were remembered for 5 minutes only; with an EncodingAESKey
configured a plaintext body was still taken when `encrypt_type` was missing; and the DOCTYPE check looked
at the raw bytes, so a UTF-16 encoded DOCTYPE with an entity reached the XML parser, which expanded it.
"""

from __future__ import annotations

import time

from boundary_helpers import AES_KEY, APP_ID, WECHAT_TOKEN, wechat_requests, wechat_signed, wechat_text

from bot.channels.wechat import WeChatInput
from bot.channels.wechat_crypto import WeChatCipher, signature
from bot.livechat.store import Routed

T = 1_800_000_000  # the injected wall clock's "now"


def channel(**options) -> WeChatInput:
    options.setdefault("router", lambda openid, text: Routed(held=False))
    return WeChatInput(WECHAT_TOKEN, **options)


def test_a_request_more_than_300_seconds_from_now_is_refused_whatever_the_signature():
    requests = [(wechat_signed(T + offset), wechat_text(f"问题{offset}")) for offset in (-301, -299, 0, 299, 301)]
    answers, messages = wechat_requests(channel(clock=lambda: T), requests)
    assert [status for status, _ in answers] == [403, 200, 200, 200, 403]
    assert [m.text for m in messages] == ["问题-299", "问题0", "问题299"]


def test_a_request_ten_minutes_old_is_refused_on_the_real_clock():
    answers, messages = wechat_requests(channel(), [(wechat_signed(int(time.time()) - 600), wechat_text("旧的"))])
    assert answers[0][0] == 403 and messages == []


def test_a_captured_signature_cannot_carry_another_body():
    query = wechat_signed(T, nonce="n-captured")
    original = wechat_text("我要预约办电", msg_id="501")
    forged = wechat_text("查询工单1234567890 尾号5678", msg_id="502")
    answers, messages = wechat_requests(channel(clock=lambda: T), [(query, original), (query, forged),
                                                                   (query, original)])
    assert [status for status, _ in answers] == [200, 403, 200]  # WeChat's own retry (same body) is fine
    assert [m.text for m in messages] == ["我要预约办电"]  # and processed once


def test_a_url_verification_nonce_echoes_once_per_echostr():
    query = wechat_signed(T, nonce="n-verify")
    answers, _ = wechat_requests(channel(clock=lambda: T), [(query + "&echostr=abc", None),
                                                           (query + "&echostr=other", None)])
    assert answers == [(200, "abc"), (403, "forbidden")]


def test_message_ids_and_nonces_are_remembered_for_the_whole_window_in_which_a_request_is_accepted():
    """A message accepted at the edge of the window (timestamp 300 s ahead) may be replayed until its timestamp
    is 300 s behind: 600 s. Within that time the same MsgId is not processed again, even with a new nonce."""
    wall, mono = [T], [0.0]
    bot = channel(clock=lambda: wall[0])
    body = wechat_text("你好", msg_id="777")
    requests = [(wechat_signed(T + 300), body), (wechat_signed(T + 300), body), (wechat_signed(T + 300), body)]

    def between(index: int) -> None:
        assert bot.webhook is not None
        bot.webhook.in_flight.clock = bot.webhook.nonces.clock = lambda: mono[0]
        if index:
            wall[0] += 299
            mono[0] += 299

    answers, messages = wechat_requests(bot, requests, between)
    assert [status for status, _ in answers] == [200, 200, 200] and [m.text for m in messages] == ["你好"]


def test_with_safe_mode_configured_a_plaintext_body_is_refused_whatever_encrypt_type_says():
    safe = channel(app_id=APP_ID, aes_key=AES_KEY, clock=lambda: T)
    plain = wechat_text("明文消息")
    encrypted = WeChatCipher(AES_KEY, APP_ID).encrypt(wechat_text("加密消息").decode())
    query = wechat_signed(T, nonce="n-safe", encrypt_type="aes")
    query += "&msg_signature=" + signature(WECHAT_TOKEN, str(T), "n-safe", encrypted)
    envelope = f"<xml><ToUserName>gh_account</ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()
    answers, messages = wechat_requests(safe, [(wechat_signed(T), plain),
                                               (wechat_signed(T, encrypt_type="raw"), plain),
                                               (wechat_signed(T, encrypt_type=""), plain),
                                               (query, envelope)])
    assert [status for status, _ in answers] == [403, 403, 403, 200]
    assert [m.text for m in messages] == ["加密消息"]


ENTITY = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE xml [<!ENTITY who "oVictim-0001">]>'
          "<xml><ToUserName>gh_account</ToUserName><FromUserName>&who;</FromUserName><CreateTime>1</CreateTime>"
          "<MsgType>text</MsgType><Content>你好</Content><MsgId>9001</MsgId></xml>")


def test_a_doctype_in_another_encoding_is_refused_before_any_parsing():
    bodies = [ENTITY.encode("utf-16"), ENTITY.encode("utf-16-le"), ENTITY.encode("utf-16-be"),
              ENTITY.replace("UTF-16", "UTF-8").encode("utf-8"), b"\xef\xbb\xbf" + ENTITY.encode("utf-8"),
              ENTITY.replace('encoding="UTF-16"', 'encoding="ISO-8859-1"').encode("latin-1", "replace")]
    answers, messages = wechat_requests(channel(clock=lambda: T), [(wechat_signed(T), body) for body in bodies])
    assert [status for status, _ in answers] == [400] * len(bodies) and messages == []


def test_a_utf8_body_with_a_byte_order_mark_and_an_utf8_declaration_is_still_read():
    body = b"\xef\xbb\xbf" + b'<?xml version="1.0" encoding="utf-8"?>' + wechat_text("你好")
    answers, messages = wechat_requests(channel(clock=lambda: T), [(wechat_signed(T), body)])
    assert answers[0][0] == 200 and [m.text for m in messages] == ["你好"]
