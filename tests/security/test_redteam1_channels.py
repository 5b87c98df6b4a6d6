"""Red team round 1, F5, F7, F8, F9: the channels' smaller gaps.

F5 before: every slow connection the web app closed logged a 9-line ERROR traceback (`transport.close()` after
`force_close()` had set the transport to None): 500 slow connections, 4,500 lines of web.log.
F7 before: the WeChat replay cache was keyed by (timestamp, nonce), but the signature covers them sorted: the
same signed query string with the two swapped was a new request (and, in plain mode, any body).
F8 before: `{"silent": true}` went to Rasa past a live agent's hold and was never recorded; a `display` text
was recorded instead of the message Rasa processed.
F9 before: a REST `sender` with a lone surrogate gave a 500; a NUL in it was accepted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from boundary_helpers import (
    WECHAT_TOKEN,
    free_socket,
    new_session,
    rest_requests,
    run_web,
    wechat_requests,
    wechat_signed,
    wechat_text,
)
from sqlalchemy import select

from bot.orders.store import conversation_key

# ---- F5: a slow connection closed quietly ----------------------------------------------------------------


def test_slow_connections_are_closed_without_a_traceback(caplog):
    from aiohttp import web

    from bot.web.timeouts import TimedAppRunner

    caplog.set_level(logging.DEBUG)

    async def main() -> list[bytes]:
        app = web.Application()
        app.router.add_get("/", lambda request: web.Response(text="ok"))
        runner = TimedAppRunner(app, read_timeout=0.3)
        await runner.setup()
        sock = free_socket()
        await web.SockSite(runner, sock).start()
        try:
            connections = [await asyncio.open_connection(*sock.getsockname()) for _ in range(20)]
            for _, writer in connections:
                writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")  # ... and never the end of the headers
                await writer.drain()
            closed = [await asyncio.wait_for(reader.read(4096), 10) for reader, _ in connections]
            await asyncio.sleep(0.2)  # let any callback that would fail run
            for _, writer in connections:
                writer.close()
            return closed
        finally:
            await runner.cleanup()

    assert asyncio.run(main()) == [b""] * 20  # every one closed ...
    records = [r for r in caplog.records if r.name in ("asyncio", "bot.web.timeouts", "aiohttp.server")]
    assert not [r for r in records if r.levelno >= logging.WARNING], [r.getMessage()[:200] for r in records]
    assert not any(r.exc_info for r in records)
    assert len([r for r in records if r.name == "bot.web.timeouts"]) <= 1  # ... and one summary line at most


# ---- F7: a WeChat replay with timestamp and nonce swapped ----------------------------------------------


def test_a_signed_query_with_timestamp_and_nonce_swapped_is_a_replay():
    from bot.channels.wechat import WeChatInput
    from bot.channels.wechat_state import Nonces
    from bot.livechat.store import Routed

    nonces = Nonces(clock=lambda: 0.0)
    assert nonces.fresh("1700000000", "1699999990", b"first")
    assert not nonces.fresh("1699999990", "1700000000", b"forged")  # the same signature, another body
    assert nonces.fresh("1699999990", "1700000000", b"first")  # WeChat's retry of the same push: answered

    channel = WeChatInput(WECHAT_TOKEN, router=lambda openid, text: Routed(held=False))
    now = int(time.time())
    first = wechat_signed(now, nonce=str(now - 10))
    swapped = wechat_signed(now - 10, nonce=str(now))  # the red team's p5_wechat.py "swapped"
    assert swapped.split("signature=")[1].split("&")[0] == first.split("signature=")[1].split("&")[0]
    answers, messages = wechat_requests(channel, [(first, wechat_text("交换一", "oVictim1")),
                                                  (swapped, wechat_text("交换二 伪造内容", "oVictim2"))])
    assert [status for status, _ in answers] == [200, 403]
    assert [m.text for m in messages] == ["交换一"]


# ---- F8: silent and display ----------------------------------------------------------------------------


def test_silent_is_only_for_the_greeting_and_what_is_recorded_is_what_rasa_got(tmp_path):
    from bot.feedback.models import Exchange

    async def body(client, context, rasa):
        session = await new_session(client)
        for payload in ({"message": "枣庄居民新装要带什么资料", "silent": True},
                        {"message": "枣庄居民新装要带什么资料", "display": "谢谢，再见"},
                        {"message": "/check_status", "display": "查进度"},
                        {"message": "/greet", "silent": True}):
            answer = await client.post("/api/chat", json={"session": session, **payload})
            assert answer.status == 200
        with context.session() as db:
            questions = list(db.execute(select(Exchange.question).order_by(Exchange.id)).scalars())
        assert questions == ["枣庄居民新装要带什么资料", "枣庄居民新装要带什么资料", "查进度（/check_status）"]
        assert [m["message"] for m in rasa.received] == ["枣庄居民新装要带什么资料"] * 2 + ["/check_status", "/greet"]

    run_web(tmp_path, body)


def test_silent_and_display_do_not_get_past_a_live_agent(tmp_path):
    from bot.livechat import store as live
    from bot.livechat.models import HandoffMessage

    async def body(client, context, rasa):
        session = await new_session(client)
        conversation = conversation_key(f"web:{session}")
        with context.session() as db:
            live.mark_present(db, "agent-li", context.now())
            live.request_handoff(db, conversation=conversation, channel="web", summary="转人工", now=context.now())
        held: list[dict[str, Any]] = []
        for payload in ({"message": "我想问点别的", "silent": True},
                        {"message": "我要投诉", "display": "谢谢，再见"},
                        {"message": "/greet", "silent": True}):
            answer = await client.post("/api/chat", json={"session": session, **payload})
            held.append(await answer.json())
        assert all(data["replies"] == [] and data["handoff"] == "waiting" for data in held), held
        assert rasa.received == []  # red team: a silent message went to Rasa and got an answer
        with context.session() as db:
            texts = list(db.execute(select(HandoffMessage.text).order_by(HandoffMessage.id)).scalars())
        assert texts == ["我想问点别的", "我要投诉"]  # the agent sees what was sent; the greeting is nothing to see

    run_web(tmp_path, body)


# ---- F9: a REST sender with a lone surrogate or a control character --------------------------------------


def test_a_rest_sender_with_a_lone_surrogate_or_a_control_character_is_refused_with_400():
    bodies = [b'{"sender": "\\ud800", "message": "hi"}', b'{"sender": "a\\udfffb", "message": "hi"}',
              b'{"sender": "a\\u0000b", "message": "hi"}', b'{"sender": "a\\nb", "message": "hi"}',
              b'{"sender": "\\u001b[31mred", "message": "hi"}', b'{"sender": "a\\u0085b", "message": "hi"}']
    statuses, messages = rest_requests(bodies)
    assert statuses == [400] * len(bodies) and messages == []
    fine, reached = rest_requests([{"sender": "用户-甲 b", "message": "hi"}])
    assert fine == [200] and [m.sender_id for m in reached] == ["用户-甲 b"]
