"""The WeChat channel's webhook on a real Sanic server (random port) with a fake assistant.

The fake `on_new_message` answers like Rasa does: through the message's output channel.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from sqlalchemy import select
from test_wechat_api import FakeWeChatApi, fake_api, free_socket

from bot.channels.wechat import WeChatInput
from bot.channels.wechat_api import TEXT_LIMIT_BYTES, utf8_len
from bot.channels.wechat_crypto import WeChatCipher, signature
from bot.channels.wechat_output import CHOICE_HEADER
from bot.channels.wechat_state import MAX_TIMESTAMP_SKEW, Choices, InFlight
from bot.channels.wechat_webhook import ERROR_REPLY, TRUNCATED_NOTE, UNSUPPORTED_REPLY
from bot.channels.wechat_xml import encrypted_field, parse_fields
from bot.feedback.models import Exchange
from bot.livechat.models import DeliveryTarget, Handoff
from bot.livechat.store import Routed, mark_present, request_handoff, take_handoff
from bot.orders.store import conversation_key
from bot.senders import wechat_sender
from bot.services import Services
from bot.settings import Settings

TOKEN = "testtoken"
APP_ID = "wx1234567890abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OPENID = "oUser-0001"
WEBHOOK = "/webhooks/wechat/webhook"


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch):
    """Several Sanic apps in one process (one per test), as sanic-testing allows."""
    monkeypatch.setattr(Sanic, "test_mode", True)


# ---- a fake assistant -------------------------------------------------------------------

@dataclass
class FakeAssistant:
    """Collects what reaches Rasa and answers "答：<text>" (or `answer(text)`) after `delay` seconds."""

    delay: float = 0.0
    answer: Callable[[str], dict[str, Any]] = lambda text: {"text": f"答：{text}"}
    fail: bool = False
    messages: list[UserMessage] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [m.text or "" for m in self.messages]

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        await asyncio.sleep(self.delay)
        if self.fail:
            raise RuntimeError("the model is not loaded")
        await message.output_channel.send_response(message.sender_id, self.answer(message.text or ""))


# ---- requests ---------------------------------------------------------------------------

def signed(token: str = TOKEN, nonce: str | None = None, timestamp: int | None = None, **extra: str) -> dict[str, str]:
    """A signed query as WeChat sends it: a fresh nonce each time (the channel refuses a nonce seen with
    another body), the current time unless `timestamp` is given."""
    nonce = uuid.uuid4().hex[:10] if nonce is None else nonce
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {"signature": signature(token, stamp, nonce), "timestamp": stamp, "nonce": nonce, **extra}


def text_xml(content: str, msg_id: str = "1001", openid: str = OPENID) -> str:
    return (f"<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>")


def event_xml(event: str, openid: str = OPENID, create_time: int = 1700000000) -> str:
    return (f"<xml><ToUserName>gh_account</ToUserName><FromUserName>{openid}</FromUserName>"
            f"<CreateTime>{create_time}</CreateTime><MsgType>event</MsgType><Event>{event}</Event></xml>")


def media_xml(msg_type: str, extra: str = "", msg_id: str = "2001") -> str:
    return (f"<xml><ToUserName>gh_account</ToUserName><FromUserName>{OPENID}</FromUserName>"
            f"<CreateTime>1700000000</CreateTime><MsgType>{msg_type}</MsgType><MediaId>m1</MediaId>{extra}"
            f"<MsgId>{msg_id}</MsgId></xml>")


def safe_envelope(inner: str, nonce: str | None = None, token: str = TOKEN) -> tuple[dict[str, str], str]:
    encrypted = WeChatCipher(AES_KEY, APP_ID).encrypt(inner)
    params = signed(token, nonce, encrypt_type="aes")
    params["msg_signature"] = signature(token, params["timestamp"], params["nonce"], encrypted)
    return params, f"<xml><ToUserName>gh_account</ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"


def reply_content(body: str) -> str:
    fields = parse_fields(body)
    assert (fields["ToUserName"], fields["FromUserName"], fields["MsgType"]) == (OPENID, "gh_account", "text")
    return fields["Content"]


# ---- a server ---------------------------------------------------------------------------

@dataclass
class Server:
    base: str
    session: aiohttp.ClientSession
    channel: WeChatInput

    async def post(self, body: str | bytes, params: dict[str, str] | None = None) -> tuple[int, str]:
        data = body.encode() if isinstance(body, str) else body
        async with self.session.post(self.base + WEBHOOK, params=signed() if params is None else params,
                                     data=data, headers={"Content-Type": "text/xml"}) as answer:
            return answer.status, await answer.text()

    async def get(self, params: dict[str, str]) -> tuple[int, str]:
        async with self.session.get(self.base + WEBHOOK, params=params) as answer:
            return answer.status, await answer.text()

    async def drain(self) -> None:
        assert self.channel.webhook is not None
        await self.channel.webhook.drain()


@asynccontextmanager
async def serve(channel: WeChatInput, assistant: Callable[[UserMessage], Awaitable[Any]]) -> AsyncIterator[Server]:
    app = Sanic(f"wechat_test_{uuid.uuid4().hex[:12]}")
    app.config.MOTD = False
    app.blueprint(channel.blueprint(assistant), url_prefix="/webhooks/wechat")  # as rasa.core.channels.register
    sock = free_socket()
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    assert server is not None
    await server.startup()
    await server.start_serving()
    try:
        async with aiohttp.ClientSession() as session:
            yield Server(f"http://127.0.0.1:{sock.getsockname()[1]}", session, channel)
    finally:
        await server.before_stop()
        await server.close()
        await server.after_stop()


def make_channel(**options: Any) -> WeChatInput:
    options.setdefault("router", lambda openid, text: Routed(held=False))
    return WeChatInput(TOKEN, **options)


def run(channel: WeChatInput, assistant: Callable[[UserMessage], Awaitable[Any]],
        scenario: Callable[[Server], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with serve(channel, assistant) as server:
            return await scenario(server)

    return asyncio.run(main())


def run_with_api(assistant: FakeAssistant, scenario: Callable[[Server, FakeWeChatApi], Awaitable[Any]],
                 **options: Any) -> Any:
    async def main() -> Any:
        async with fake_api() as api:
            channel = make_channel(app_id="wxapp", app_secret="s3cret", api_base=api.base, **options)
            async with serve(channel, assistant) as server:
                return await scenario(server, api)

    return asyncio.run(main())


# ---- configuration ----------------------------------------------------------------------

def test_credentials_override_the_settings(monkeypatch):
    monkeypatch.setenv("WECHAT_TOKEN", "from-env")
    monkeypatch.setenv("WECHAT_APP_ID", APP_ID)
    monkeypatch.setenv("WECHAT_APP_SECRET", "env-secret")
    monkeypatch.setenv("WECHAT_AES_KEY", "")
    channel = WeChatInput.from_credentials({"token": "from-credentials", "api_base": "http://127.0.0.1:9/",
                                            "reply_timeout": 1.5})
    assert isinstance(channel, WeChatInput)
    assert (channel.name(), channel.url_prefix()) == ("wechat", "wechat")
    assert (channel.token, channel.app_id, channel.reply_timeout, channel.cipher) == ("from-credentials", APP_ID,
                                                                                      1.5, None)
    assert channel.client is not None and channel.client.api_base == "http://127.0.0.1:9"
    defaults = WeChatInput.from_credentials(None)
    assert isinstance(defaults, WeChatInput) and defaults.token == "from-env" and defaults.reply_timeout == 4.5


def test_safe_mode_from_credentials(monkeypatch):
    monkeypatch.setenv("WECHAT_APP_SECRET", "")
    channel = WeChatInput.from_credentials({"token": TOKEN, "app_id": APP_ID, "encoding_aes_key": AES_KEY})
    assert isinstance(channel, WeChatInput)
    assert channel.cipher is not None and channel.client is None
    with pytest.raises(ValueError):
        WeChatInput(TOKEN, app_id=APP_ID, aes_key="too-short")


# ---- URL verification -------------------------------------------------------------------

def test_url_verification_echoes_echostr():
    async def scenario(server: Server) -> list[tuple[int, str]]:
        return [await server.get(signed(echostr="1234567890123")),
                await server.get(signed(token="wrong", echostr="x")),
                await server.get({"echostr": "x"}),
                await server.get(signed(timestamp=int(time.time()) - MAX_TIMESTAMP_SKEW - 60, echostr="x"))]

    ok, wrong, unsigned, stale = run(make_channel(), FakeAssistant(), scenario)
    assert ok == (200, "1234567890123")
    assert wrong[0] == unsigned[0] == stale[0] == 403


def test_health():
    async def scenario(server: Server) -> int:
        async with server.session.get(server.base + "/webhooks/wechat/") as answer:
            return answer.status

    assert run(make_channel(), FakeAssistant(), scenario) == 200


# ---- plain mode -------------------------------------------------------------------------

def test_text_message_gets_a_passive_reply():
    assistant = FakeAssistant()
    status, body = run(make_channel(), assistant, lambda server: server.post(text_xml("枣庄居民办电要带什么资料")))
    assert status == 200
    assert reply_content(body) == "答：枣庄居民办电要带什么资料"
    [message] = assistant.messages
    assert (message.sender_id, message.input_channel) == (wechat_sender(OPENID), "wechat")


def test_several_bot_messages_make_one_reply():
    async def two_messages(message: UserMessage) -> None:
        await message.output_channel.send_response(OPENID, {"text": "第一段"})
        await message.output_channel.send_response(OPENID, {"text": "第二段\n\n第三段"})

    _, body = run(make_channel(), two_messages, lambda server: server.post(text_xml("你好")))
    assert reply_content(body) == "第一段\n\n第二段\n\n第三段"


def test_buttons_become_numbered_lines_and_a_number_picks_one():
    def answer(text: str) -> dict[str, Any]:
        if text == "我要办电":
            return {"text": "请问您在哪个城市办电？",
                    "buttons": [{"title": "枣庄", "payload": "枣庄"}, {"title": "确认提交", "payload": "/affirm"}]}
        return {"text": f"答：{text}"}

    assistant = FakeAssistant(answer=answer)

    async def scenario(server: Server) -> list[str]:
        first = await server.post(text_xml("我要办电", msg_id="1"))
        second = await server.post(text_xml("２", msg_id="2"))
        third = await server.post(text_xml("2", msg_id="3"))  # no buttons were offered last time
        return [reply_content(first[1]), reply_content(second[1]), reply_content(third[1])]

    first, second, third = run(make_channel(), assistant, scenario)
    assert first == f"请问您在哪个城市办电？\n\n{CHOICE_HEADER}\n1. 枣庄\n2. 确认提交"
    assert assistant.texts == ["我要办电", "/affirm", "2"]
    assert (second, third) == ("答：/affirm", "答：2")


def test_bad_signature_is_refused_and_nothing_processed():
    assistant = FakeAssistant()

    async def scenario(server: Server) -> list[int]:
        stale = signed(timestamp=int(time.time()) - MAX_TIMESTAMP_SKEW - 60)
        attempts = [signed(token="wrong"), {}, {**signed(), "signature": "0" * 40}, stale]
        return [(await server.post(text_xml("你好"), params))[0] for params in attempts]

    assert run(make_channel(), assistant, scenario) == [403, 403, 403, 403]
    assert assistant.messages == []


def test_without_a_token_everything_is_refused():
    assistant = FakeAssistant()

    async def scenario(server: Server) -> list[int]:
        return [(await server.post(text_xml("你好"), signed(token="")))[0],
                (await server.get(signed(token="", echostr="x")))[0]]

    assert run(WeChatInput(""), assistant, scenario) == [403, 403]
    assert assistant.messages == []


@pytest.mark.parametrize("body", [
    "not xml at all", "<xml><FromUserName>oU</FromUserName>", "<xml><MsgType>text</MsgType></xml>",
    '<!DOCTYPE xml [<!ENTITY e "x">]><xml><FromUserName>&e;</FromUserName><MsgType>text</MsgType></xml>', "",
])
def test_malformed_xml_is_a_400(body):
    assistant = FakeAssistant()
    status, _ = run(make_channel(), assistant, lambda server: server.post(body))
    assert status == 400
    assert assistant.messages == []


def test_a_body_over_64kb_is_a_413():
    assistant = FakeAssistant()
    status, _ = run(make_channel(), assistant, lambda server: server.post(text_xml("长" * 30000)))
    assert status == 413
    assert assistant.messages == []


# ---- safe mode --------------------------------------------------------------------------

def safe_channel(**options: Any) -> WeChatInput:
    return make_channel(app_id=APP_ID, aes_key=AES_KEY, **options)


def test_safe_mode_reply_is_encrypted_and_signed():
    assistant = FakeAssistant()
    params, envelope = safe_envelope(text_xml("连云港低压非居民要多久"), nonce="abc123")
    status, body = run(safe_channel(), assistant, lambda server: server.post(envelope, params))
    assert status == 200
    fields = parse_fields(body)
    assert fields["Nonce"] == "abc123"
    assert fields["MsgSignature"] == signature(TOKEN, fields["TimeStamp"], "abc123", fields["Encrypt"])
    inner = WeChatCipher(AES_KEY, APP_ID).decrypt(encrypted_field(body))
    assert reply_content(inner) == "答：连云港低压非居民要多久"
    assert assistant.texts == ["连云港低压非居民要多久"]


def test_safe_mode_bad_msg_signature_is_a_403():
    assistant = FakeAssistant()
    params, envelope = safe_envelope(text_xml("你好"))

    async def scenario(server: Server) -> list[int]:
        wrong = {**params, "msg_signature": signature("wrong", params["timestamp"], params["nonce"], "x")}
        missing = {key: value for key, value in params.items() if key != "msg_signature"}
        return [(await server.post(envelope, wrong))[0], (await server.post(envelope, missing))[0]]

    assert run(safe_channel(), assistant, scenario) == [403, 403]
    assert assistant.messages == []


def test_safe_mode_undecryptable_body_is_a_400():
    assistant = FakeAssistant()
    foreign = WeChatCipher(AES_KEY, "wx_other_account").encrypt(text_xml("你好"))

    async def scenario(server: Server) -> list[int]:
        statuses = []
        for encrypted in ("bm90IGEgbWVzc2FnZQ==", foreign):
            params = signed(encrypt_type="aes")
            params["msg_signature"] = signature(TOKEN, params["timestamp"], params["nonce"], encrypted)
            statuses.append((await server.post(f"<xml><Encrypt>{encrypted}</Encrypt></xml>", params))[0])
        params, _ = safe_envelope(text_xml("你好"))
        statuses.append((await server.post("<xml><ToUserName>gh</ToUserName></xml>", params))[0])  # no Encrypt
        return statuses

    assert run(safe_channel(), assistant, scenario) == [400, 400, 400]
    assert assistant.messages == []


def test_encrypted_message_without_an_aes_key_is_a_400():
    assistant = FakeAssistant()
    params, envelope = safe_envelope(text_xml("你好"))
    assert run(make_channel(), assistant, lambda server: server.post(envelope, params))[0] == 400
    assert assistant.messages == []


# ---- retries of one message -------------------------------------------------------------

def test_concurrent_retries_reach_the_assistant_once():
    assistant = FakeAssistant(delay=0.3)

    async def scenario(server: Server) -> list[tuple[int, str]]:
        return await asyncio.gather(*(server.post(text_xml("你好", msg_id="777")) for _ in range(3)))

    answers = run(make_channel(), assistant, scenario)
    assert assistant.texts == ["你好"]
    assert [reply_content(body) for _, body in answers] == ["答：你好"] * 3


def test_sequential_retries_reach_the_assistant_once():
    assistant = FakeAssistant()

    async def scenario(server: Server) -> list[tuple[int, str]]:
        return [await server.post(text_xml("你好", msg_id="778")) for _ in range(3)]

    answers = run(make_channel(), assistant, scenario)
    assert assistant.texts == ["你好"]
    assert [reply_content(body) for _, body in answers] == ["答：你好"] * 3


def test_different_messages_are_all_answered():
    assistant = FakeAssistant()

    async def scenario(server: Server) -> list[str]:
        return [reply_content((await server.post(text_xml(f"问题{i}", msg_id=str(i))))[1]) for i in range(3)]

    assert run(make_channel(), assistant, scenario) == ["答：问题0", "答：问题1", "答：问题2"]


# ---- slow and long answers --------------------------------------------------------------

def test_a_slow_answer_is_acknowledged_and_sent_through_the_api():
    assistant = FakeAssistant(delay=0.4)

    async def scenario(server: Server, api: FakeWeChatApi) -> list[tuple[int, str]]:
        first = await server.post(text_xml("慢问题", msg_id="900"))
        retry_while_processing = await server.post(text_xml("慢问题", msg_id="900"))
        await api.wait_sent(1)
        retry_after_delivery = await server.post(text_xml("慢问题", msg_id="900"))
        await server.post(text_xml("另一个慢问题", msg_id="901"))
        await api.wait_sent(2)
        return [first, retry_while_processing, retry_after_delivery]

    api_holder: list[FakeWeChatApi] = []

    async def recorded(server: Server, api: FakeWeChatApi) -> list[tuple[int, str]]:
        api_holder.append(api)
        return await scenario(server, api)

    answers = run_with_api(assistant, recorded, reply_timeout=0.1)
    assert answers == [(200, "success")] * 3
    assert assistant.texts == ["慢问题", "另一个慢问题"]
    [api] = api_holder
    assert api.texts() == ["答：慢问题", "答：另一个慢问题"]
    assert api.sent[0]["touser"] == OPENID
    assert api.token_calls == 1  # the token is cached between the two sends


def test_a_long_answer_goes_through_the_api_in_parts():
    long_answer = "\n".join(f"第{i}条：" + "供电企业应在规定时限内完成装表接电。" * 12 for i in range(12))
    assistant = FakeAssistant(answer=lambda text: {"text": long_answer})

    async def scenario(server: Server, api: FakeWeChatApi) -> tuple[tuple[int, str], list[str]]:
        answer = await server.post(text_xml("全部规定"))
        await server.drain()
        return answer, api.texts()

    answer, parts = run_with_api(assistant, scenario)
    assert answer == (200, "success")
    assert len(parts) > 1 and all(utf8_len(part) <= TEXT_LIMIT_BYTES for part in parts)
    assert "".join(parts).replace("\n", "") == long_answer.replace("\n", "")


def test_a_long_answer_without_the_api_is_cut_to_one_passive_reply():
    long_answer = "供电企业应在规定时限内完成装表接电。" * 200
    assistant = FakeAssistant(answer=lambda text: {"text": long_answer})
    status, body = run(make_channel(), assistant, lambda server: server.post(text_xml("全部规定")))
    content = reply_content(body)
    assert status == 200 and content.endswith(TRUNCATED_NOTE.strip()) and long_answer.startswith(content[:100])
    assert utf8_len(content) <= TEXT_LIMIT_BYTES


def test_a_slow_answer_without_the_api_is_acknowledged():
    assistant = FakeAssistant(delay=0.3)

    async def scenario(server: Server) -> tuple[int, str]:
        answer = await server.post(text_xml("慢问题"))
        await asyncio.sleep(0.4)
        return answer

    assert run(make_channel(reply_timeout=0.1), assistant, scenario) == (200, "success")


def test_an_api_failure_is_logged_not_raised(caplog):
    assistant = FakeAssistant(delay=0.3)

    async def scenario(server: Server, api: FakeWeChatApi) -> tuple[int, str]:
        api.send_script = [{"errcode": 45015, "errmsg": "response out of time limit"}]
        answer = await server.post(text_xml("慢问题"))
        await server.drain()
        return answer

    assert run_with_api(assistant, scenario, reply_timeout=0.1) == (200, "success")
    assert "could not be sent" in caplog.text
    assert OPENID not in caplog.text and "慢问题" not in caplog.text


# ---- events and other message types -----------------------------------------------------

def test_subscribe_gets_the_greeting_and_unsubscribe_nothing():
    assistant = FakeAssistant(answer=lambda text: {"text": "您好，我是办电助手" if text == "/greet" else "?"})

    async def scenario(server: Server) -> list[tuple[int, str]]:
        return [await server.post(event_xml("subscribe")), await server.post(event_xml("subscribe")),
                await server.post(event_xml("unsubscribe", create_time=1700000100)),
                await server.post(event_xml("CLICK", create_time=1700000200))]

    subscribe, retry, unsubscribe, click = run(make_channel(), assistant, scenario)
    assert reply_content(subscribe[1]) == reply_content(retry[1]) == "您好，我是办电助手"
    assert unsubscribe == click == (200, "success")
    assert assistant.texts == ["/greet"]


@pytest.mark.parametrize("msg_type", ["image", "voice", "video", "shortvideo", "location", "link", "file"])
def test_non_text_messages_get_a_polite_answer(msg_type):
    assistant = FakeAssistant()
    status, body = run(make_channel(), assistant, lambda server: server.post(media_xml(msg_type)))
    assert status == 200 and reply_content(body) == UNSUPPORTED_REPLY
    assert assistant.messages == []


def test_recognised_voice_is_treated_as_text():
    assistant = FakeAssistant()
    body = media_xml("voice", "<Format>amr</Format><Recognition><![CDATA[枣庄怎么办电]]></Recognition>")
    _, reply = run(make_channel(), assistant, lambda server: server.post(body))
    assert reply_content(reply) == "答：枣庄怎么办电"


def test_the_assistant_failing_gets_an_apology():
    assistant = FakeAssistant(fail=True)
    _, body = run(make_channel(), assistant, lambda server: server.post(text_xml("你好")))
    assert reply_content(body) == ERROR_REPLY


# ---- live chat --------------------------------------------------------------------------

def test_a_held_message_goes_to_the_agent_not_the_assistant():
    assistant = FakeAssistant()
    routed: list[tuple[str, str]] = []

    def router(openid: str, text: str) -> Routed:
        routed.append((openid, text))
        return Routed(held=True)

    answer = run(make_channel(router=router), assistant, lambda server: server.post(text_xml("人工客服在吗")))
    assert answer == (200, "success")
    assert routed == [(OPENID, "人工客服在吗")]
    assert assistant.messages == []


def test_a_routing_notice_comes_before_the_answer_and_routing_failures_do_not_silence_the_bot():
    notice = "抱歉，人工客服暂时都不在线，已为您转回智能助手。"
    noticed = make_channel(router=lambda openid, text: Routed(held=False, notice=notice))
    _, body = run(noticed, FakeAssistant(), lambda server: server.post(text_xml("你好")))
    assert reply_content(body) == f"{notice}\n\n答：你好"

    def broken(openid: str, text: str) -> Routed:
        raise RuntimeError("database is down")

    _, body = run(make_channel(router=broken), FakeAssistant(), lambda server: server.post(text_xml("你好")))
    assert reply_content(body) == "答：你好"


def test_live_chat_with_a_real_database(tmp_path):
    from bot.store.engine import make_engine, session_factory
    from bot.store.schema import upgrade

    url = f"sqlite:///{tmp_path / 'livechat.db'}"
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    now = datetime.now()
    with factory() as session:
        mark_present(session, "agent1", now)
        request = request_handoff(session, conversation=conversation_key(wechat_sender(OPENID)), channel="wechat",
                                  summary="客户要求转人工", now=now)
        assert request.queued and request.handoff_id is not None
        take_handoff(session, request.handoff_id, "agent1", now)
    settings = replace(Settings.from_env({}), database_url=url)
    assistant = FakeAssistant()
    channel = WeChatInput(TOKEN, services=Services.from_settings(settings))

    async def scenario(server: Server) -> list[tuple[int, str]]:
        answers = [await server.post(text_xml("我的电表还没装", msg_id="1")),
                   await server.post(text_xml("我的电话13912345678", msg_id="2", openid="oOther-0002"))]
        await server.drain()  # the exchange is recorded in the background
        return answers

    held, other = run(channel, assistant, scenario)
    assert held == (200, "success")
    assert parse_fields(other[1])["Content"] == "答：我的电话13912345678"
    assert assistant.texts == ["我的电话13912345678"]
    with factory() as session:
        handoff = session.get(Handoff, request.handoff_id)
        assert [m.text for m in handoff.messages if m.sender == "customer"] == ["我的电表还没装"]
        target = session.get(DeliveryTarget, conversation_key(wechat_sender(OPENID)))
        assert (target.channel, target.address) == ("wechat", OPENID)
        assert session.get(DeliveryTarget, conversation_key(wechat_sender("oOther-0002"))).address == "oOther-0002"
        # the answered message is kept masked, as the web chat keeps its exchanges (the held one is not)
        exchanges = session.execute(select(Exchange)).scalars().all()
        other = conversation_key(wechat_sender("oOther-0002"))
        assert [(e.conversation, e.channel, e.question, e.answer) for e in exchanges] == [
            (other, "wechat", "我的电话139****5678", "答：我的电话139****5678")]
    engine.dispose()


# ---- the building blocks ----------------------------------------------------------------

def test_in_flight_entries_expire_only_after_their_processing_ended():
    now = [0.0]

    async def scenario() -> list[int]:
        in_flight = InFlight(ttl=10, clock=lambda: now[0])
        release = asyncio.Event()

        async def slow() -> str:
            await release.wait()
            return "done"

        async def quick() -> str:
            return "done"

        in_flight.start("a", slow)
        in_flight.start("b", quick)
        await asyncio.sleep(0)
        now[0] = 20
        sizes = [len(in_flight)]
        in_flight.start("c", quick)  # "a" is older than the TTL but still running: kept (and "b" behind it)
        sizes.append(len(in_flight))
        release.set()
        await asyncio.sleep(0)
        now[0] = 25
        _, new = in_flight.start("c", quick)
        sizes.append(len(in_flight))
        assert not new
        return sizes

    assert asyncio.run(scenario()) == [2, 3, 1]


def test_choices_expire_and_ignore_numbers_out_of_range():
    now = [0.0]
    choices = Choices(ttl=60, clock=lambda: now[0])
    choices.remember("o1", ["枣庄", "/affirm"])
    assert choices.resolve("o1", " 1 ") == "枣庄"
    assert choices.resolve("o1", "3") == "3"
    assert choices.resolve("o1", "枣庄") == "枣庄"
    assert choices.resolve("o2", "1") == "1"
    now[0] = 61
    assert choices.resolve("o1", "1") == "1"
    choices.remember("o1", [])
    assert choices.resolve("o1", "1") == "1"


def test_logs_carry_no_openid_or_message_text(caplog):
    caplog.set_level("INFO")
    run(make_channel(), FakeAssistant(), lambda server: server.post(text_xml("我的手机13912345678")))
    assert caplog.records
    assert OPENID not in caplog.text and "13912345678" not in caplog.text
    assert conversation_key(wechat_sender(OPENID))[:8] in caplog.text


def test_messages_outside_a_turn_are_pushed_through_the_api():
    assert make_channel().get_output_channel() is None

    async def scenario() -> list[str]:
        async with fake_api() as api:
            channel = make_channel(app_id="wxapp", app_secret="s3cret", api_base=api.base)
            output = channel.get_output_channel()
            assert output is not None and output.name() == "wechat"
            await output.send_response(OPENID, {"text": "您的工单已受理", "buttons": [{"title": "查询进度"}]})
            assert channel.client is not None
            await channel.client.close()
            return api.texts()

    assert asyncio.run(scenario()) == [f"您的工单已受理\n\n{CHOICE_HEADER}\n1. 查询进度"]
