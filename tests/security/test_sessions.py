"""Conversations are keyed by channel and identity (bot/senders.py).

Before: the web chat took any session id the page (or anyone) chose, so a WeChat openid typed in as a
session id read that customer's outbox and moved their delivery target to the web chat; a REST caller
could send as any sender id, including a WeChat customer's openid, and claim any `input_channel` (a
"web" or "wechat" handoff). Now web chat session ids are issued (random, HMAC-signed) by the web app,
every channel has its own sender-id namespace (web:…, wechat:…, REST's own), and a delivery target
changes only within its channel.
"""

from __future__ import annotations

import time
from datetime import datetime

from boundary_helpers import (
    WECHAT_TOKEN,
    new_session,
    rest_requests,
    run_web,
    wechat_requests,
    wechat_signed,
    wechat_text,
)

from bot.orders.store import conversation_key
from bot.services import Services

NOW = datetime(2026, 11, 26, 10, 0)
OPENID = "oUser-0001-abcdefghijklm"  # the shape of a WeChat openid: also a well-formed web chat session id


def test_the_page_gets_its_session_id_from_the_server_and_a_chosen_one_is_refused(tmp_path):
    async def body(client, context, rasa):
        first, second = await new_session(client), await new_session(client)
        assert first != second and len(first) >= 40
        chosen = "a1b2c3d4e5f6a7b8"  # what the page used to make up itself
        for method, path, payload in (("POST", "/api/chat", {"session": chosen, "message": "你好"}),
                                      ("POST", "/api/feedback", {"session": chosen, "exchange_id": 1, "rating": 1}),
                                      ("POST", "/api/leave", {"session": chosen}),
                                      ("GET", f"/api/updates?session={chosen}&after=0", None)):
            answer = await client.request(method, path, json=payload)
            data = await answer.json()
            assert answer.status == 403 and data["renew"] is True and data["error"], (path, data)
        ok = await client.post("/api/chat", json={"session": first, "message": "你好"})
        assert ok.status == 200 and (await ok.json())["replies"][0]["text"] == "答复：你好"
        assert rasa.received == [{"sender": f"web:{first}", "message": "你好", "input_channel": "web"}]
        tampered = first[:-1] + ("A" if first[-1] != "A" else "B")
        assert (await client.post("/api/chat", json={"session": tampered, "message": "你好"})).status == 403
    run_web(tmp_path, body)


def test_a_wechat_openid_is_not_a_web_chat_session_and_reads_nothing_of_that_customer(tmp_path):
    from bot.livechat.models import DeliveryTarget
    from bot.livechat.outbox import queue_for_customer, remember_target

    async def body(client, context, rasa):
        with context.session() as session:
            for key in (conversation_key(OPENID), conversation_key(f"wechat:{OPENID}")):  # before and after
                remember_target(session, key, "wechat", OPENID, NOW)
                queue_for_customer(session, key, "您的工单已派单，客户经理张工 13812345678", NOW, kind="notice")
        updates = await client.get("/api/updates", params={"session": OPENID, "after": "0"})
        assert updates.status == 403 and "客户经理" not in await updates.text()
        chat = await client.post("/api/chat", json={"session": OPENID, "message": "你好"})
        assert chat.status == 403 and rasa.received == []
        with context.session() as session:
            for key in (conversation_key(OPENID), conversation_key(f"wechat:{OPENID}")):
                target = session.get(DeliveryTarget, key)
                assert (target.channel, target.address) == ("wechat", OPENID)  # still delivered to WeChat
    run_web(tmp_path, body)


def test_a_session_id_issued_by_one_replica_is_recognised_by_another(tmp_path):
    sessions: list[str] = []

    async def issue(client, context, rasa):
        sessions.append(await new_session(client))

    async def use(client, context, rasa):
        answer = await client.post("/api/chat", json={"session": sessions[0], "message": "你好"})
        assert answer.status == 200  # no database lookup: the id is signed with the shared key

    for replica, body in (("a", issue), ("b", use)):  # two apps, two databases, one BANDIAN_SECRET_KEY
        (tmp_path / replica).mkdir()
        run_web(tmp_path / replica, body)


def test_rest_callers_cannot_use_another_channels_namespace_or_claim_its_input_channel(tmp_path):
    from bot.senders import WebSessions, session_key
    from bot.settings import Settings

    issued = WebSessions(session_key(Settings.from_env())).issue()
    statuses, messages = rest_requests([
        {"sender": f"wechat:{OPENID}", "message": "查一下我的工单"},
        {"sender": "web:not-an-issued-session-id-0000000000000000", "message": "你好"},
        {"sender": "caller-1", "message": "转人工", "input_channel": "wechat"},
        {"sender": "caller-2", "message": "转人工", "input_channel": "web"},
        {"sender": OPENID, "message": "你好"},
        {"sender": f"web:{issued}", "message": "你好", "input_channel": "web"},
    ])
    assert statuses == [400, 400, 200, 200, 200, 200]
    assert [(m.sender_id, m.input_channel) for m in messages] == [
        ("caller-1", "rest"), ("caller-2", "rest"), (OPENID, "rest"), (f"web:{issued}", "web")]


def test_a_wechat_customer_speaks_in_the_wechat_namespace(tmp_path):
    from bot.channels.wechat import WeChatInput
    from bot.livechat.store import Routed

    routed: list[str] = []

    def router(openid: str, text: str) -> Routed:
        routed.append(openid)
        return Routed(held=False)

    channel = WeChatInput(WECHAT_TOKEN, router=router)
    answers, messages = wechat_requests(channel, [(wechat_signed(int(time.time())), wechat_text("你好", OPENID))])
    assert answers[0][0] == 200 and "答：你好" in answers[0][1]
    assert [(m.sender_id, m.input_channel) for m in messages] == [(f"wechat:{OPENID}", "wechat")]
    assert routed == [OPENID]  # the openid itself is kept only as the delivery address


def test_the_wechat_live_chat_keys_its_conversation_in_the_wechat_namespace(tmp_path):
    from dataclasses import replace

    from bot.channels.wechat import route_in_database
    from bot.livechat.models import DeliveryTarget
    from bot.settings import Settings
    from bot.store.engine import make_engine, session_factory
    from bot.store.schema import upgrade

    url = f"sqlite:///{tmp_path / 'live.db'}"
    engine = make_engine(url)
    upgrade(engine)
    route_in_database(OPENID, "你好", Services.from_settings(replace(Settings.from_env(), database_url=url)), NOW)
    with session_factory(engine)() as session:
        assert session.get(DeliveryTarget, conversation_key(OPENID)) is None
        target = session.get(DeliveryTarget, conversation_key(f"wechat:{OPENID}"))
        assert (target.channel, target.address) == ("wechat", OPENID)
    engine.dispose()


def test_a_delivery_target_changes_only_inside_its_own_channel(tmp_path):
    from bot.livechat.models import DeliveryTarget
    from bot.livechat.outbox import queue_for_customer, remember_target
    from bot.livechat.push import claim_wechat_messages
    from bot.store.engine import make_engine, session_factory
    from bot.store.schema import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'live.db'}")
    upgrade(engine)
    with session_factory(engine)() as session:
        remember_target(session, "c1", "wechat", OPENID, NOW)
        remember_target(session, "c1", "web", "", NOW)  # another channel claiming the conversation
        remember_target(session, "c1", "rest", "x", NOW)
        target = session.get(DeliveryTarget, "c1")
        assert (target.channel, target.address) == ("wechat", OPENID)
        queue_for_customer(session, "c1", "人工客服已接入", NOW, kind="agent")
        assert [p.address for batch in claim_wechat_messages(session, NOW) for p in batch] == [OPENID]
        remember_target(session, "c2", "web", "", NOW)
        remember_target(session, "c2", "wechat", "oAttacker", NOW)
        assert session.get(DeliveryTarget, "c2").channel == "web"
    engine.dispose()


def test_the_chat_page_asks_the_server_for_its_session_id():
    from pathlib import Path

    script = (Path(__file__).resolve().parents[2] / "bot" / "web" / "static" / "chat" / "chat.js").read_text()
    assert "'/api/session'" in script and "renew" in script
    assert "getRandomValues" not in script  # no client-made ids any more
