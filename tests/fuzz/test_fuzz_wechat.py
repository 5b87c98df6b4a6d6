"""The WeChat channel (bot/channels/wechat.py, docs/wechat.md): 1,000 generated requests each for the URL
verification (GET) and for pushed messages (POST), signed and unsigned.

GET:  a correct signature echoes `echostr` exactly; anything else gets 403.
POST: unsigned or wrongly signed → 403; signed but malformed (bad XML, DOCTYPE/entities, missing fields,
      safe mode not configured) → 400; over 64 KB → 413; none of these store anything. Signed text
      messages with strange content get a passive XML reply with text (a follow-up from the same openid too).
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape

import pytest

from tests.faults.client import request, wechat_query
from tests.faults.stack import Stack
from tests.fuzz.conftest import still_answers
from tests.fuzz.harness import fuzz
from tests.fuzz.http import Case, Outcome
from tests.fuzz.inputs import RASA_COMMANDS, SEED, Gen
from tests.fuzz.known_bugs import header_tags, odd_digits

TOTAL = 1000
MAX_BODY = 64 * 1024
CONTENT = re.compile(r"<Content><!\[CDATA\[(.*)\]\]></Content>", re.S)
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
BAD_XML = (
    b"", b"<xml>", b"<xml><not-closed></xml>", b"not xml at all", b"<root><FromUserName>x</FromUserName></root>",
    b"<xml><MsgType>text</MsgType><Content>no sender</Content></xml>",
    b"<xml><FromUserName>o1</FromUserName><Content>no type</Content></xml>",
    b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType><Content>&xxe;</Content></xml>",
    b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    b"<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType><Content>&lol2;</Content></xml>",
    b"<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType><Content>\xff\xfe bad utf-8</Content></xml>",
    b"<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType><Content>\x00\x01</Content></xml>",
    b"<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType><Content>&undefined;</Content></xml>",
    b"\xef\xbb\xbf<xml><FromUserName>o1</FromUserName>",
)


def wechat_reply(outcome: Outcome) -> str | None:
    match = CONTENT.search(outcome.text)
    return match.group(1) if match else None


def echoed(outcome: Outcome) -> str | None:
    return "echoed" if outcome.status == 200 else None  # the exact text is checked by exact_echo


def no_loop(outcome: Outcome) -> list[str]:
    """A reply made of the same paragraph over and over is the dialogue loop (see known_bugs.py)."""
    reply = wechat_reply(outcome) or ""
    paragraphs = [p for p in reply.split("\n\n") if p.strip()]
    if outcome.case.expect == "answer" and paragraphs and paragraphs.count(paragraphs[0]) >= 3:
        return [f"{paragraphs.count(paragraphs[0])} messages for one turn (a loop?)"]
    return []


def exact_echo(outcome: Outcome) -> list[str]:
    want = outcome.case.note
    if outcome.case.expect == "answer" and outcome.status == 200 and outcome.text != want:
        return [f"echostr not echoed exactly: sent {want[:60]!r}, got {outcome.text[:60]!r}"]
    return []


def xml_text(value: str) -> str:
    """Text that XML 1.0 can carry, escaped."""
    return escape(XML_ILLEGAL.sub("", value))


def text_message(openid: str, content: str, msg_type: str = "text", extra: str = "") -> bytes:
    return (f"<xml><ToUserName><![CDATA[gh_fuzz]]></ToUserName><FromUserName>{xml_text(openid)}</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType>{msg_type}</MsgType>"
            f"<Content>{content}</Content><MsgId>{uuid.uuid4().int % 10**18}</MsgId>{extra}</xml>").encode()


def signed(stack: Stack, gen: Gen, **extra: str) -> str:
    odd = gen.pick(("", "n" * 290, "随机数", "\u202e😀", "a b&c=d"))
    nonce = odd + uuid.uuid4().hex[:10]  # strange, but each once: a nonce seen with another body is a replay (403)
    return wechat_query(stack.wechat_token, nonce=nonce, **extra)


def unsigned(stack: Stack, gen: Gen, **extra: str) -> tuple[str, frozenset[str]]:
    """A query whose signature does not hold: missing, wrong, for another token, stale, or malformed."""
    now = str(int(time.time()))
    roll = gen.rng.randrange(8)
    if roll == 0:
        return urlencode(extra), frozenset()
    if roll == 1:
        return wechat_query("another-token", **extra), frozenset()
    if roll == 2:
        return wechat_query(stack.wechat_token, timestamp=str(int(now) - 7200), **extra), frozenset()
    if roll == 3:
        stamp = gen.pick(("²", "፩፪፫", "１７００００００００", " 1", "-5", "1e9", "", "9" * 30))  # none of them now
        query = wechat_query(stack.wechat_token, timestamp=stamp, **extra)
        return query, frozenset({"odd-digits"}) if odd_digits(stamp) else frozenset()
    if roll == 4:
        return wechat_query(stack.wechat_token, **extra).replace("signature=", "signature=0"), frozenset()
    if roll == 5:
        return "signature=" + "0" * 40 + "&" + wechat_query(stack.wechat_token, **extra), frozenset()  # first wins
    bad = gen.pick(("", "0" * 40, "zz", gen.text(surrogates=False, huge=0)[:50]))
    nonce = gen.pick(("n", ""))
    query = urlencode({"signature": bad, "timestamp": now, "nonce": nonce, **extra})
    return query, frozenset() if bad.isascii() else frozenset({"non-ascii-signature"})


def get_case(stack: Stack, gen: Gen) -> Case:
    echostr = XML_ILLEGAL.sub("", gen.text(surrogates=False, huge=0))[:300] or "e"
    headers = gen.headers("text/plain")
    if gen.chance(0.4):
        url = f"{stack.wechat_url}?{signed(stack, gen, echostr=echostr)}"
        too_big = len(url) + sum(len(v.encode()) for v in headers.values()) > 8000  # Sanic: 413 for the headers
        return Case("get-signed", "GET", url, None, headers, expect="clean" if too_big else "answer", note=echostr,
                    tags=header_tags(headers))
    query, tags = unsigned(stack, gen, echostr=echostr)
    return Case("get-unsigned", "GET", f"{stack.wechat_url}?{query}", None, headers, expect="reject",
                tags=tags | header_tags(headers))


def post_case(stack: Stack, gen: Gen) -> Case:
    headers = gen.headers("text/xml")
    tags = header_tags(headers)
    roll = gen.rng.random()
    if roll < 0.25:
        query, more = unsigned(stack, gen)
        body = text_message(gen.identifier(), xml_text(gen.text(huge=0)))
        return Case("post-unsigned", "POST", f"{stack.wechat_url}?{query}", body, headers,
                    expect="reject", tags=tags | more)
    if roll < 0.45:
        body = gen.pick(BAD_XML) if gen.chance(0.7) else bytes(gen.rng.randrange(256) for _ in range(200))
        return Case("post-malformed", "POST", f"{stack.wechat_url}?{signed(stack, gen)}", body, headers,
                    expect="reject", tags=tags)
    if roll < 0.48:
        body = text_message(gen.identifier(), "枣" * (MAX_BODY // 2))
        return Case("post-too-large", "POST", f"{stack.wechat_url}?{signed(stack, gen)}", body, headers,
                    expect="reject", tags=tags, size_limit=MAX_BODY)
    if roll < 0.51:
        query = signed(stack, gen, encrypt_type="aes", msg_signature="0" * 40)
        return Case("post-aes", "POST", f"{stack.wechat_url}?{query}", b"<xml><Encrypt>abc</Encrypt></xml>", headers,
                    expect="reject", tags=tags)
    if roll < 0.60:
        return other_message(stack, gen, headers)
    openid = gen.identifier() if gen.chance(0.8) else xml_text(gen.text(surrogates=False, huge=0))[:200]
    openid = openid if openid.strip() else "o-blank"
    content = xml_text(gen.text(surrogates=False))
    body = text_message(openid, content)
    expect = "reject" if len(body) > MAX_BODY else "answer"
    if expect == "answer" and content.strip().startswith(RASA_COMMANDS):
        expect = "clean"  # e.g. /restart: Rasa answers nothing, WeChat gets "success"
    follow_up = None
    if expect == "answer" and gen.chance(0.3):
        follow_up = Case("follow-up", "POST", f"{stack.wechat_url}?{wechat_query(stack.wechat_token)}",
                         text_message(openid, "你好"), {"Content-Type": "text/xml"}, expect="answer",
                         note=f"after {content[:150]!r}")
    return Case("post-text", "POST", f"{stack.wechat_url}?{signed(stack, gen)}", body, headers, expect=expect,
                note=repr(content)[:200], tags=tags, follow_up=follow_up)


def other_message(stack: Stack, gen: Gen, headers: dict[str, str]) -> Case:
    """Media, events and unknown types: media and subscribe get a text reply, the rest "success"."""
    msg_type, event = gen.pick((("image", ""), ("voice", ""), ("location", ""), ("event", "subscribe"),
                                ("event", "unsubscribe"), ("event", "CLICK"), ("zzz", ""), ("TEXT", ""),
                                ("event", xml_text(gen.text(surrogates=False, huge=0))[:40])))
    extra = f"<Event>{event}</Event>" if event else ""
    body = text_message(gen.identifier(), "", msg_type, extra)
    replies = msg_type in ("image", "voice", "location") or event == "subscribe" or msg_type == "TEXT"
    return Case(f"post-{msg_type}", "POST", f"{stack.wechat_url}?{signed(stack, gen)}", body, headers,
                expect="answer" if replies else "clean", tags=header_tags(headers))


def test_wechat_url_verification_answers_1000_requests_correctly(stack: Stack):
    gen = Gen(SEED + 5)
    result = fuzz(stack, "wechat-get", [get_case(stack, gen) for _ in range(TOTAL)], echoed, extra=exact_echo)
    result.assert_clean()


def test_wechat_messages_answer_or_refuse_1000_bad_inputs(stack: Stack):
    gen = Gen(SEED + 6)
    result = fuzz(stack, "wechat-post", [post_case(stack, gen) for _ in range(TOTAL)], wechat_reply, extra=no_loop,
                  concurrency=6)
    result.assert_clean()
    still_answers(stack)


# Reproducer of docs/reliability.md bug 7: check_signature() passed a non-ASCII signature to hmac.compare_digest
# (TypeError), so any unsigned request with signature=签名 got 500 instead of 403.
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_non_ascii_signature_is_refused_with_403(stack: Stack, method: str):
    query = urlencode({"signature": "签名", "timestamp": str(int(time.time())), "nonce": "n", "echostr": "x"})
    answer = request(f"{stack.wechat_url}?{query}", method, b"<xml/>" if method == "POST" else None)
    assert answer.status == 403, f"HTTP {answer.status}: {answer.text[:200]}"


# Reproducer of docs/reliability.md bug 8: _authentic() checked timestamp.isdigit() and then int() failed on "²".
@pytest.mark.parametrize("timestamp", ["²", "፩፪፫", "１７００００００００", "9" * 5000])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_signed_request_with_a_strange_timestamp_is_refused(stack: Stack, timestamp: str, method: str):
    nonce = "n1"
    signature = hashlib.sha1("".join(sorted([stack.wechat_token, timestamp, nonce])).encode()).hexdigest()
    answer = request(f"{stack.wechat_url}?signature={signature}&timestamp={quote(timestamp)}&nonce={nonce}&echostr=x",
                     method, b"<xml/>" if method == "POST" else None, {"Accept": "\u00ff"})
    assert answer.status == 403, f"HTTP {answer.status}: {answer.text[:200]}"


def test_a_signed_text_message_gets_a_sourced_passive_reply(stack: Stack):
    openid = "o-fuzz-" + uuid.uuid4().hex[:8]
    answer = request(f"{stack.wechat_url}?{wechat_query(stack.wechat_token)}", "POST",
                     text_message(openid, "枣庄10千伏双电源用户办电要多久"), {"Content-Type": "text/xml"})
    assert answer.status == 200 and "18个工作日" in (wechat_reply(
        Outcome(Case("x", "POST", ""), answer.status, answer.body)) or "").replace(" ", ""), answer.text[:300]
    assert openid in answer.text
