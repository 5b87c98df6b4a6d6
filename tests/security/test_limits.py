"""Limits: requests per client, handoffs, request sizes and read times, conversation size.

Before: nothing limited how often one client could post to /api/chat, Rasa's REST webhook or the WeChat
webhook, or queue 转人工 requests for the agents; Rasa took request bodies up to Sanic's default 100 MB
and waited 60 s for them; the web app waited for a request's headers and body as long as the client
liked; and a conversation's tracker grew with every message for as long as its session lasted.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from boundary_helpers import (
    WECHAT_TOKEN,
    free_socket,
    new_session,
    rest_app,
    rest_requests,
    run_web,
    serve_sanic,
    wechat_requests,
    wechat_signed,
    wechat_text,
)

from bot.orders.store import conversation_key
from bot.services import install

NOW = datetime(2026, 11, 26, 10, 0)


# ---- the token bucket -----------------------------------------------------------------------------

def test_a_token_bucket_per_client_refills_evenly_and_tells_how_long_to_wait():
    from bot.limits import Rate, RateLimiter

    now = [0.0]
    limiter = RateLimiter(Rate.parse("3/60"), clock=lambda: now[0])
    assert [limiter.take("203.0.113.1") for _ in range(3)] == [None, None, None]
    wait = limiter.take("203.0.113.1")
    assert wait is not None and 19 <= wait <= 21
    assert limiter.take("203.0.113.2") is None  # another client has its own bucket
    now[0] = 20.5
    assert limiter.take("203.0.113.1") is None and limiter.take("203.0.113.1") is not None
    assert limiter.take("127.0.0.1") is None and len(limiter) == 2  # this machine's tools: not limited ...
    strict = RateLimiter(Rate.parse("1/60"), clock=lambda: now[0], limit_loopback=True)
    assert strict.take("127.0.0.1") is None and strict.take("127.0.0.1") is not None  # ... unless asked
    assert RateLimiter(Rate.parse("0")).take("203.0.113.1") is None  # "0" switches a limit off
    crowded = RateLimiter(Rate.parse("1/60"), clock=lambda: now[0], max_keys=100)
    for n in range(1000):
        crowded.take(f"198.51.100.{n}")
    assert len(crowded) == 100  # quiet clients' buckets are dropped first
    with pytest.raises(ValueError):
        Rate.parse("-1/60")


# ---- the web app ------------------------------------------------------------------------------------

def test_api_chat_answers_429_with_retry_after_past_the_clients_rate(tmp_path):
    async def body(client, context, rasa):
        session = await new_session(client)
        statuses = [(await client.post("/api/chat", json={"session": session, "message": "你好"})).status
                    for _ in range(3)]
        assert statuses == [200, 200, 429]
        refused = await client.post("/api/chat", json={"session": await new_session(client), "message": "你好"})
        assert refused.status == 429 and int(refused.headers["Retry-After"]) >= 1
        assert "95598" in (await refused.json())["error"] and len(rasa.received) == 2
    run_web(tmp_path, body, chat_rate="2/60", rate_limit_loopback=True)


def test_new_sessions_are_limited_per_client(tmp_path):
    async def body(client, context, rasa):
        statuses = [(await client.post("/api/session", json={})).status for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
    run_web(tmp_path, body, session_rate="3/3600", rate_limit_loopback=True)


def test_loopback_clients_are_not_limited_by_default(tmp_path):
    async def body(client, context, rasa):
        session = await new_session(client)
        statuses = {(await client.post("/api/chat", json={"session": session, "message": "你好"})).status
                    for _ in range(5)}
        assert statuses == {200}
    run_web(tmp_path, body, chat_rate="2/60")


def test_handoff_requests_are_limited_per_client(tmp_path):
    from bot.livechat import store as live
    from bot.livechat.models import Handoff

    async def body(client, context, rasa):
        with context.session() as session:
            live.mark_present(session, "agent-li", datetime.now())

        def action_handoff(message: dict[str, Any]) -> None:  # what action_handoff does for "转人工"
            if message["message"] == "转人工":
                with context.session() as session:
                    live.request_handoff(session, conversation=conversation_key(message["sender"]), channel="web",
                                         summary="客户要求转人工", now=context.now())

        rasa.on_message = action_handoff
        first, second = await new_session(client), await new_session(client)
        queued = await (await client.post("/api/chat", json={"session": first, "message": "转人工"})).json()
        assert queued["handoff"] == "waiting"
        refused = await (await client.post("/api/chat", json={"session": second, "message": "转人工"})).json()
        assert refused["handoff"] == "none" and "太频繁" in refused["replies"][0]["text"]
        with context.session() as session:
            rows = session.query(Handoff).order_by(Handoff.id).all()
            assert [(row.status, row.close_reason) for row in rows] == [("waiting", None), ("closed", "too_many")]
    run_web(tmp_path, body, handoff_rate="1/3600", rate_limit_loopback=True)


def test_a_conversation_queues_at_most_three_handoffs_an_hour(tmp_path):
    from bot.livechat import store as live
    from bot.store.engine import make_engine, session_factory
    from bot.store.schema import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'live.db'}")
    upgrade(engine)
    with session_factory(engine)() as session:
        live.mark_present(session, "agent1", NOW)
        queued = []
        for minute in range(4):
            at = NOW + timedelta(minutes=minute)
            live.mark_present(session, "agent1", at)  # an agent is online every time
            queued.append(live.request_handoff(session, conversation="c1", channel="web", summary="s", now=at).queued)
            live.customer_left(session, "c1", at)
        assert queued == [True, True, True, False]
        assert live.request_handoff(session, conversation="c2", channel="web", summary="s", now=NOW).queued
        later = NOW + timedelta(minutes=61)
        live.mark_present(session, "agent1", later)
        assert live.request_handoff(session, conversation="c1", channel="web", summary="s", now=later).queued
    engine.dispose()


def test_the_web_app_gives_up_on_a_body_that_does_not_arrive_in_time(tmp_path):
    async def body(client, context, rasa):
        reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
        writer.write(b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"session\":")
        await writer.drain()
        began = time.monotonic()
        answer = await asyncio.wait_for(reader.read(4096), 10)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 408") and time.monotonic() - began < 5, answer[:200]
        assert rasa.received == []
    run_web(tmp_path, body, web_read_timeout=0.5)


def test_the_web_app_closes_a_connection_whose_headers_do_not_arrive_in_time():
    from aiohttp import web

    from bot.web.timeouts import TimedAppRunner

    async def main() -> tuple[bytes, float, int]:
        app = web.Application()
        app.router.add_get("/", lambda request: web.Response(text="ok"))
        runner = TimedAppRunner(app, read_timeout=0.5)
        await runner.setup()
        sock = free_socket()
        site = web.SockSite(runner, sock)
        await site.start()
        try:
            reader, writer = await asyncio.open_connection(*sock.getsockname())
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")  # ... and never the end of the headers
            await writer.drain()
            began = time.monotonic()
            closed = await asyncio.wait_for(reader.read(4096), 10)
            seconds = time.monotonic() - began
            writer.close()
            reader2, writer2 = await asyncio.open_connection(*sock.getsockname())
            writer2.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            normal = await asyncio.wait_for(reader2.read(4096), 10)
            writer2.close()
            return closed, seconds, int(normal.split(b" ")[1])
        finally:
            await runner.cleanup()

    closed, seconds, status = asyncio.run(main())
    assert closed == b"" and seconds < 5 and status == 200


# ---- Rasa's webhooks ---------------------------------------------------------------------------------

def test_the_rest_webhook_answers_429_with_retry_after_past_the_clients_rate(monkeypatch):
    monkeypatch.setenv("BANDIAN_REST_RATE", "2/60")
    install(None)  # a process started now reads this environment
    monkeypatch.setenv("BANDIAN_RATE_LIMIT_LOOPBACK", "true")
    install(None)  # a process started now reads this environment
    statuses, messages = rest_requests([{"sender": f"r{n}", "message": "你好"} for n in range(3)])
    assert statuses == [200, 200, 429] and len(messages) == 2


def test_rasa_refuses_request_bodies_over_its_limit(monkeypatch):
    from boundary_helpers import fetch

    from bot.channels.wechat_webhook import MAX_BODY_BYTES  # noqa: F401  (the WeChat webhook's own, smaller limit)

    def post_sizes(port: int) -> list[int]:
        statuses = []
        for size in (100 * 1024, 3 * 1024 * 1024):
            raw = json.dumps({"sender": "big", "message": "枣" * (size // 3)}).encode()
            try:
                statuses.append(fetch(port, "POST", "/webhooks/rest/webhook", raw,
                                      {"Content-Type": "application/json"})[0])
            except (ConnectionError, OSError):  # Sanic may close the connection after its 413
                statuses.append(413)
        return statuses

    seen: list[Any] = []
    app = rest_app(seen)
    assert asyncio.run(serve_sanic(app, post_sizes)) == [200, 413]  # default: 1 MB
    assert (app.config.REQUEST_MAX_SIZE, app.config.REQUEST_TIMEOUT) == (1024 * 1024, 20)
    monkeypatch.setenv("BANDIAN_RASA_MAX_BODY_BYTES", str(64 * 1024))
    install(None)  # a process started now reads this environment
    assert asyncio.run(serve_sanic(rest_app(seen), post_sizes)) == [413, 413]
    monkeypatch.setenv("SANIC_REQUEST_MAX_SIZE", str(8 * 1024 * 1024))  # Sanic's own variable wins
    install(None)  # a process started now reads this environment
    assert asyncio.run(serve_sanic(rest_app(seen), post_sizes)) == [200, 200]


def test_the_wechat_webhook_limits_each_customer_politely():
    from bot.channels.wechat import WeChatInput
    from bot.limits import TOO_MANY, Rate
    from bot.livechat.store import Routed

    channel = WeChatInput(WECHAT_TOKEN, router=lambda openid, text: Routed(held=False), rate=Rate.parse("2/60"))
    now = int(time.time())
    requests = [(wechat_signed(now), wechat_text(f"问题{n}", "oFast-0001")) for n in range(3)]
    requests.append((wechat_signed(now), wechat_text("别人的问题", "oOther-0002")))
    answers, messages = wechat_requests(channel, requests)
    assert [status for status, _ in answers] == [200] * 4
    assert TOO_MANY in answers[2][1] and [m.text for m in messages] == ["问题0", "问题1", "别人的问题"]


# ---- conversation size ------------------------------------------------------------------------------

DOMAIN_YAML = """
version: "3.1"
slots:
  region: {type: text, influence_conversation: false, mappings: [{type: custom}]}
"""


def _long_conversation(turns: int) -> list[Any]:
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered

    events: list[Any] = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
                         SlotSet("region", "anyang")]
    for n in range(turns):
        events += [UserUttered(f"问题{n}", {"name": "ask_time_limit"}), ActionExecuted("action_answer"),
                   BotUttered(f"答复{n}"), ActionExecuted("action_listen")]
    return events


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("kind", ["in-memory", "sql"])
def test_a_conversation_session_is_bounded_and_keeps_its_slots(tmp_path, kind, monkeypatch):
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa_plugins.tracker_store import MaskingInMemoryTrackerStore, MaskingSQLTrackerStore

    monkeypatch.setenv("BANDIAN_TRACKER_MAX_EVENTS", "100")
    install(None)  # a process started now reads this environment
    domain = Domain.from_yaml(DOMAIN_YAML)
    store = (MaskingInMemoryTrackerStore(domain) if kind == "in-memory"
             else MaskingSQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "tracker.db")))
    tracker = DialogueStateTracker.from_events("c1", _long_conversation(10), slots=domain.slots)
    asyncio.run(store.save(tracker))
    def texts(tracker: DialogueStateTracker) -> list[str]:
        return [event.text for event in tracker.events if getattr(event, "text", None)]

    assert texts(asyncio.run(store.retrieve("c1"))) == texts(tracker)  # short: untouched
    for turn in range(10, 400, 10):  # a client that keeps on sending
        tracker = asyncio.run(store.retrieve("c1"))
        for event in _long_conversation(turn + 10)[4 + 4 * turn:]:
            tracker.update(event)
        asyncio.run(store.save(tracker))
        back = asyncio.run(store.retrieve("c1"))
        assert back is not None and len(back.events) <= 100 + 40, (turn, len(back.events))
        assert back.get_slot("region") == "anyang"  # carried over into the new session
