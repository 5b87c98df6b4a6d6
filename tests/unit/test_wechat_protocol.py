"""WeChat signatures, safe-mode encryption and message XML, against known vectors."""

from __future__ import annotations

import base64
import hashlib

import pytest

from bot.channels.wechat_crypto import DecryptError, WeChatCipher, check_signature, decode_aes_key, signature
from bot.channels.wechat_xml import (
    MalformedMessage,
    cdata,
    encrypted_field,
    encrypted_reply,
    parse_fields,
    parse_message,
    text_reply,
)

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # WeChat's published example EncodingAESKey
APP_ID = "wx2c2769f8efd9abc2"
TOKEN = "spamtest"
PREFIX = b"0123456789abcdef"
MESSAGE = ("<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[oUser123]]></FromUserName>"
           "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
           "<Content><![CDATA[你好]]></Content><MsgId>1234567890</MsgId></xml>")
# MESSAGE encrypted with PREFIX as the random bytes (computed with wechatpy's PrpCrypto)
ENCRYPTED = (
    "Q3stYC6hdFzMh9T8HCvyDPVwGFsyjRHYbCJbGpNM4jKuHKrYwID/kcbXH7VM/y1h4KkHDhhCUeH/zycFItgRFsQiGmPqIdMJYD2yeCwiN4v/"
    "fuCuef9BZ82MUlgapQQNVPPcysG+zLPkp1laxGpZizu9gEQ3taxqOdElVghexXLyHD0AMjfNuJtKK2phr3bYfPIUOtMfXxTPeP/vce5UB1AR"
    "7njFq9w7YwjFCiH082VFlWSxXMd8Asy2zyaOL5Qw6YTzX5j6S1fv2JxaS8zccInV50tbbGDpUoKXBT2MXFIIuFhOT8HZa+omWQ6hhCr9U62+"
    "vQm/Fyj8Q06GacfsjaSkbsf6TO+4WQdJqEXSEyzwL7sdWsGJSPQbK8sB59Pr"
)


# ---- signatures -------------------------------------------------------------------------

def test_signature_is_sha1_of_the_sorted_parts():
    by_hand = hashlib.sha1("".join(sorted([TOKEN, "1409304348", "xxxxxx"])).encode()).hexdigest()
    assert by_hand == "09df6e85d1e6515e0c8aa92c1c69858c632c82bb"
    assert signature(TOKEN, "1409304348", "xxxxxx") == by_hand
    assert signature("xxxxxx", TOKEN, "1409304348") == by_hand  # order of the arguments does not matter


def test_msg_signature_covers_the_encrypted_text():
    assert signature(TOKEN, "1409304348", "xxxxxx", ENCRYPTED) == "f070ee605300b1be982191bc696fabf3b0184ba7"


def test_check_signature():
    good = "09df6e85d1e6515e0c8aa92c1c69858c632c82bb"
    assert check_signature(good, TOKEN, "1409304348", "xxxxxx")
    assert check_signature(good.upper(), TOKEN, "1409304348", "xxxxxx")
    assert not check_signature(good, TOKEN, "1409304349", "xxxxxx")
    assert not check_signature(good, "other", "1409304348", "xxxxxx")
    assert not check_signature(None, TOKEN, "1409304348", "xxxxxx")
    assert not check_signature("", TOKEN, "1409304348", "xxxxxx")
    empty_token = signature("", "1409304348", "xxxxxx")
    assert not check_signature(empty_token, "", "1409304348", "xxxxxx")  # no token configured: nothing passes


# ---- safe mode --------------------------------------------------------------------------

def test_aes_key_decodes_to_32_bytes():
    assert decode_aes_key(AES_KEY) == base64.b64decode(AES_KEY + "=")
    assert len(decode_aes_key(AES_KEY)) == 32
    for bad in ("short", AES_KEY[:-1] + "!", AES_KEY + "H"):
        with pytest.raises(ValueError):
            decode_aes_key(bad)
    with pytest.raises(ValueError):
        WeChatCipher(AES_KEY, "")


def test_encryption_matches_the_known_vector():
    cipher = WeChatCipher(AES_KEY, APP_ID)
    assert cipher.encrypt(MESSAGE, PREFIX) == ENCRYPTED
    assert cipher.decrypt(ENCRYPTED) == MESSAGE


def test_random_prefix_round_trip():
    cipher = WeChatCipher(AES_KEY, APP_ID)
    first, second = cipher.encrypt("办电助手"), cipher.encrypt("办电助手")
    assert first != second
    assert cipher.decrypt(first) == cipher.decrypt(second) == "办电助手"


def test_cross_check_with_wechatpy():
    from wechatpy import crypto  # requirements-dev.txt: an independent implementation
    theirs = crypto.PrpCrypto(decode_aes_key(AES_KEY))
    ours = WeChatCipher(AES_KEY, APP_ID)
    assert theirs.decrypt(ours.encrypt(MESSAGE), APP_ID) == MESSAGE
    assert ours.decrypt(theirs.encrypt(MESSAGE, APP_ID).decode()) == MESSAGE
    envelope = crypto.WeChatCrypto(TOKEN, AES_KEY, APP_ID).encrypt_message(MESSAGE, "nonce1", "1700000000")
    fields = parse_fields(envelope)
    assert fields["MsgSignature"] == signature(TOKEN, "1700000000", "nonce1", fields["Encrypt"])
    assert ours.decrypt(fields["Encrypt"]) == MESSAGE


def test_a_message_for_another_app_id_is_refused():
    with pytest.raises(DecryptError, match="app id"):
        WeChatCipher(AES_KEY, "wx0000000000000000").decrypt(ENCRYPTED)


@pytest.mark.parametrize("garbage", ["", "not base64!!", base64.b64encode(b"short").decode(),
                                     base64.b64encode(bytes(32)).decode(), ENCRYPTED[:-8] + "AAAAAAA="])
def test_undecryptable_text_is_refused(garbage):
    with pytest.raises(DecryptError):
        WeChatCipher(AES_KEY, APP_ID).decrypt(garbage)


def test_a_ciphertext_encrypted_with_another_key_is_refused():
    other = WeChatCipher("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg", APP_ID).encrypt(MESSAGE, PREFIX)
    with pytest.raises(DecryptError):
        WeChatCipher(AES_KEY, APP_ID).decrypt(other)


# ---- XML --------------------------------------------------------------------------------

def test_parse_text_message():
    message = parse_message(MESSAGE)
    assert (message.to_user, message.from_user, message.msg_type) == ("gh_test", "oUser123", "text")
    assert (message.content, message.msg_id, message.create_time) == ("你好", "1234567890", "1700000000")
    assert message.dedupe_key == "msg:1234567890"


def test_events_are_deduplicated_by_sender_and_time():
    event = parse_message("<xml><ToUserName>gh</ToUserName><FromUserName>oU</FromUserName>"
                          "<CreateTime>17</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>")
    assert (event.msg_type, event.event, event.msg_id) == ("event", "subscribe", "")
    assert event.dedupe_key == "event:oU:17:subscribe"


def test_voice_recognition_is_read():
    voice = parse_message("<xml><FromUserName>oU</FromUserName><MsgType>voice</MsgType><MsgId>5</MsgId>"
                          "<Recognition><![CDATA[枣庄怎么办电]]></Recognition></xml>")
    assert voice.recognition == "枣庄怎么办电"


@pytest.mark.parametrize("body", [
    b"", b"not xml", b"<xml><FromUserName>oU</FromUserName>", b"<message><MsgType>text</MsgType></message>",
    b"<xml><MsgType>text</MsgType></xml>", b"<xml><FromUserName>oU</FromUserName></xml>",
    b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><FromUserName>&a;</FromUserName>'
    b"<MsgType>text</MsgType></xml>",
    b"<xml><FromUserName>oU</FromUserName><MsgType>text</MsgType><Content>\xff\xfe</Content></xml>",
])
def test_malformed_messages_are_refused(body):
    with pytest.raises(MalformedMessage):
        parse_message(body)


def test_encrypted_field_is_required():
    assert encrypted_field("<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[abc]]></Encrypt></xml>") == "abc"
    with pytest.raises(MalformedMessage):
        encrypted_field("<xml><ToUserName>gh</ToUserName></xml>")


def test_text_reply_round_trips_awkward_text():
    awkward = "a]]>b <c> & 第二行\n\x01结束"
    fields = parse_fields(text_reply("oUser123", "gh_test", awkward, 1700000001))
    assert fields == {"ToUserName": "oUser123", "FromUserName": "gh_test", "CreateTime": "1700000001",
                      "MsgType": "text", "Content": "a]]>b <c> & 第二行\n结束"}
    assert cdata("x]]>y") == "<![CDATA[x]]]]><![CDATA[>y]]>"


def test_encrypted_reply_envelope():
    fields = parse_fields(encrypted_reply(ENCRYPTED, "sig", "1700000001", "nonce1"))
    assert fields == {"Encrypt": ENCRYPTED, "MsgSignature": "sig", "TimeStamp": "1700000001", "Nonce": "nonce1"}
