"""The WeChat channel as loaded by the running Rasa server from credentials.yml (plain mode).

scripts/test.sh starts the servers with WECHAT_TOKEN set; signatures are computed independently
here with hashlib, as WeChat does.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

URL = os.environ.get("BANDIAN_URL", "http://localhost:5005") + "/webhooks/wechat/webhook"
TOKEN = os.environ.get("WECHAT_TOKEN", "")



@pytest.fixture(autouse=True)
def _token_is_set():
    assert TOKEN, "set WECHAT_TOKEN to the token the servers were started with (scripts/test.sh does)"


def signed_query(**extra: str) -> str:
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
    signature = hashlib.sha1("".join(sorted([TOKEN, timestamp, nonce])).encode()).hexdigest()
    return urllib.parse.urlencode({"signature": signature, "timestamp": timestamp, "nonce": nonce, **extra})


def request(query: str, body: bytes | None = None) -> tuple[int, str]:
    req = urllib.request.Request(f"{URL}?{query}", data=body, method="POST" if body is not None else "GET",
                                 headers={"Content-Type": "text/xml"})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def text_message(openid: str, content: str) -> bytes:
    return (f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{uuid.uuid4().int % 10**18}</MsgId></xml>").encode()


def reply_text(xml: str) -> str:
    match = re.search(r"<Content><!\[CDATA\[(.*)\]\]></Content>", xml, re.S)
    assert match, xml
    return match.group(1)


def test_server_url_verification_echoes_only_with_a_valid_signature():
    assert request(signed_query(echostr="hello-123")) == (200, "hello-123")
    status, _ = request(signed_query(echostr="x").replace("signature=", "signature=0"))
    assert status == 403


def test_a_question_gets_the_sourced_answer_as_a_passive_reply():
    openid = "o-e2e-" + uuid.uuid4().hex[:8]
    status, body = request(signed_query(), text_message(openid, "枣庄10千伏双电源用户办电要多久"))
    assert status == 200
    answer = reply_text(body)
    assert "18个工作日" in answer.replace(" ", "") and "枣能源字〔2021〕33号" in answer
    assert f"<ToUserName><![CDATA[{openid}]]></ToUserName>" in body


def test_a_clarifying_question_lists_its_buttons_and_the_answer_follows():
    openid = "o-e2e-" + uuid.uuid4().hex[:8]
    question = reply_text(request(signed_query(), text_message(openid, "10千伏双电源办电多久"))[1])
    assert "枣庄" in question and "安阳" in question
    assert "18个工作日" in reply_text(request(signed_query(), text_message(openid, "枣庄"))[1]).replace(" ", "")


def test_bad_signatures_and_malformed_xml_are_refused():
    assert request(signed_query().replace("signature=", "signature=f"), text_message("o-x", "你好"))[0] == 403
    assert request(signed_query(), b"<xml><not-closed>")[0] == 400
