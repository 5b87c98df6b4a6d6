"""bot/metrics.py and its adapters: labels, outcomes, the orders gauges, the endpoints of the web app and
of the action server (actions/metrics.py, started through rasa_sdk's plug-in hook)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import urllib.request
from datetime import timedelta

import pytest
from orders_fixtures import NOW, ROOT, draft, synthetic_kb
from prometheus_client.parser import text_string_to_metric_families

from bot import metrics
from bot.metrics import (
    ANSWERED,
    CLARIFICATION,
    FALLBACK,
    NOT_COVERED,
    REGISTRY,
    OrderCounts,
    OrdersCollector,
    intent_label,
    known_intents,
    outcome_of,
    record_turn,
)
from bot.orders.gauges import order_counts
from bot.orders.store import advance_order, create_booking
from bot.qa.context import Context, Reply
from bot.services import Services
from bot.settings import Settings


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def reply(answered: bool = True, buttons: tuple[tuple[str, str], ...] = ()) -> Reply:
    return Reply("text", Context(), buttons=buttons, answered=answered)


DOMAIN = {"intents": ["ask_time_limit", {"greet": {"use_entities": []}}, "nlu_fallback", "out_of_scope"]}


# ---------------------------------------------------------------- turns
def test_outcome_of_a_reply():
    assert outcome_of(reply()) == ANSWERED
    assert outcome_of(reply(False, (("枣庄", "枣庄"),))) == CLARIFICATION
    assert outcome_of(reply(False), "ask_time_limit") == NOT_COVERED
    assert outcome_of(reply(False), "nlu_fallback") == FALLBACK
    assert outcome_of(None, "out_of_scope") == FALLBACK
    assert outcome_of(reply(), "nlu_fallback") == ANSWERED  # not understood by the NLU, answered all the same


def test_intent_labels_stay_within_the_domain():
    known = known_intents(DOMAIN)
    assert known == {"ask_time_limit", "greet", "nlu_fallback", "out_of_scope"}
    assert intent_label("ask_time_limit", known) == "ask_time_limit"
    assert intent_label(None, known) == "none"
    assert intent_label("made_up_by_a_user", known) == "other"  # `/made_up_by_a_user` typed on a channel
    assert intent_label("nlu_fallback", frozenset()) == "nlu_fallback"
    # a domain without its intent list: the form of the name decides
    assert intent_label("ask_cost", known_intents({})) == "ask_cost"
    assert intent_label("<script>", known_intents({})) == "other"
    assert intent_label("x" * 200) == "other"


def test_record_turn_counts_the_turn_and_the_fallbacks():
    before = value("bandian_turns_total", intent="ask_time_limit", outcome=ANSWERED)
    fallback_turns = value("bandian_turns_total", intent="nlu_fallback", outcome=FALLBACK)
    fallbacks = value("bandian_fallbacks_total", intent="nlu_fallback")
    others = value("bandian_turns_total", intent="other", outcome=CLARIFICATION)

    assert record_turn("ask_time_limit", reply(), DOMAIN) == ANSWERED
    assert record_turn("nlu_fallback", reply(False), DOMAIN) == FALLBACK
    assert record_turn("nlu_fallback", reply(), DOMAIN) == ANSWERED
    record_turn("no_such_intent", reply(False, (("a", "a"),)), DOMAIN)

    assert value("bandian_turns_total", intent="ask_time_limit", outcome=ANSWERED) == before + 1
    assert value("bandian_turns_total", intent="nlu_fallback", outcome=FALLBACK) == fallback_turns + 1
    assert value("bandian_fallbacks_total", intent="nlu_fallback") == fallbacks + 2
    assert value("bandian_turns_total", intent="other", outcome=CLARIFICATION) == others + 1


def test_answer_timer_observes_also_when_the_block_fails():
    count = value("bandian_answer_seconds_count")
    with metrics.answer_timer():
        pass
    with pytest.raises(RuntimeError), metrics.answer_timer():
        raise RuntimeError("boom")
    assert value("bandian_answer_seconds_count") == count + 2


# ---------------------------------------------------------------- lookups, handoffs, pushes
def test_status_lookups_handoff_waits_and_pushes():
    locked, odd = value("bandian_status_lookups_total", outcome="locked"), value("bandian_status_lookups_total",
                                                                                  outcome="other")
    metrics.record_status_lookup("locked")
    metrics.record_status_lookup("whatever")
    assert value("bandian_status_lookups_total", outcome="locked") == locked + 1
    assert value("bandian_status_lookups_total", outcome="other") == odd + 1

    count, total = value("bandian_handoff_wait_seconds_count"), value("bandian_handoff_wait_seconds_sum")
    metrics.observe_handoff_wait(NOW, NOW + timedelta(seconds=90))
    metrics.observe_handoff_wait(NOW, NOW - timedelta(seconds=5))  # clocks disagree: never negative
    metrics.observe_handoff_wait(None, NOW)
    assert value("bandian_handoff_wait_seconds_count") == count + 2
    assert value("bandian_handoff_wait_seconds_sum") == pytest.approx(total + 90)
    assert value("bandian_handoff_wait_seconds_bucket", le="120.0") >= 1

    failed, sent = value("bandian_wechat_push_total", result="failed"), value("bandian_wechat_push_total",
                                                                               result="sent")
    metrics.record_push(sent=False)
    metrics.record_push(sent=True)
    assert value("bandian_wechat_push_total", result="failed") == failed + 1
    assert value("bandian_wechat_push_total", result="sent") == sent + 1


def test_taking_a_handoff_observes_its_wait(session):
    from bot.livechat.store import mark_present, request_handoff, take_handoff

    count, total = value("bandian_handoff_wait_seconds_count"), value("bandian_handoff_wait_seconds_sum")
    now = NOW.replace(tzinfo=None)  # the live-chat tables take naive times (bot/orders/times.py)
    mark_present(session, "坐席A", now)
    queued = request_handoff(session, conversation="conv-metrics", channel="web", summary="转人工", now=now)
    assert queued.queued and queued.handoff_id is not None
    take_handoff(session, queued.handoff_id, "坐席A", now + timedelta(minutes=3))
    assert value("bandian_handoff_wait_seconds_count") == count + 1
    assert value("bandian_handoff_wait_seconds_sum") == pytest.approx(total + 180)


def test_a_failed_wechat_push_is_counted(monkeypatch):
    import bot.livechat.push as push

    batches = [[push.Pending(1, "c1", "openid-1", "hello", 1)], [push.Pending(2, "c2", "openid-2", "hello", 1)]]
    released: list[int] = []
    monkeypatch.setattr(push, "claim_wechat_messages", lambda _session, _now: batches)
    monkeypatch.setattr(push, "mark_sent", lambda _session, message_id, now: None)
    monkeypatch.setattr(push, "retry_later", lambda _session, message, now, reason: released.append(message.id))

    async def run_db(work):
        return work(None)

    async def send(address: str, _text: str) -> None:
        if address == "openid-2":
            raise ConnectionError("WeChat unreachable")

    failed, sent = value("bandian_wechat_push_total", result="failed"), value("bandian_wechat_push_total",
                                                                               result="sent")
    assert asyncio.run(push.push_once(run_db, send, lambda: NOW)) == 1
    assert released == [2]
    assert value("bandian_wechat_push_total", result="failed") == failed + 1
    assert value("bandian_wechat_push_total", result="sent") == sent + 1


# ---------------------------------------------------------------- orders gauges
def test_order_counts_by_stage_region_and_overdue(session):
    kb = synthetic_kb()
    late = create_booking(session, draft(phone="13900000001"), now=NOW, channel="customer", actor="customer")
    create_booking(session, draft(phone="13900000002"), now=NOW + timedelta(minutes=25), channel="customer",
                   actor="customer")
    moved = create_booking(session, draft(phone="13900000003", region="yantai", district="芝罘区"), now=NOW,
                           channel="customer", actor="customer")
    advance_order(session, moved.order.number, actor="staff", now=NOW, to_stage="completed")

    counts = order_counts(session, kb, NOW + timedelta(minutes=30))  # dispatch limit: 20 minutes
    assert counts.by_stage_region == {("submitted", "anyang"): 2, ("completed", "yantai"): 1}
    assert counts.overdue == {("submitted", "anyang"): 1}
    assert late.order.number  # the first one is the late one
    assert order_counts(session, kb, NOW + timedelta(minutes=50)).overdue == {("submitted", "anyang"): 2}


def test_orders_collector_reuses_a_reading_for_its_ttl_and_survives_a_failed_one():
    clock = [100.0]
    readings: list[int] = []

    def read() -> OrderCounts:
        readings.append(1)
        if len(readings) == 3:
            raise RuntimeError("database down")
        return OrderCounts({("submitted", "anyang"): len(readings)}, {("submitted", "anyang"): 1})

    collector = OrdersCollector(read, ttl=30, clock=lambda: clock[0])
    families = {family.name: family for family in collector.collect()}
    assert [s.value for s in families["bandian_orders"].samples] == [1]
    assert families["bandian_orders_overdue"].samples[0].labels == {"stage": "submitted", "region": "anyang"}
    clock[0] += 10
    assert [s.value for s in next(iter(collector.collect())).samples] == [1]  # cached
    clock[0] += 30
    assert [s.value for s in next(iter(collector.collect())).samples] == [2]
    errors = value("bandian_orders_query_errors_total")
    clock[0] += 30
    assert list(collector.collect()) == []
    assert value("bandian_orders_query_errors_total") == errors + 1
    assert {family.name for family in collector.describe()} == {"bandian_orders", "bandian_orders_overdue"}


def test_exported_names_cover_the_registry_and_the_orders_gauges():
    names = metrics.exported_names()
    assert {"bandian_turns", "bandian_answer_seconds", "bandian_orders", "bandian_orders_overdue"} <= names
    samples = metrics.sample_names()
    assert {"bandian_turns_total", "bandian_answer_seconds_bucket", "bandian_orders"} <= samples


# ---------------------------------------------------------------- the endpoints
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def scrape(port: int) -> dict[str, list]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    return {family.name: family.samples for family in text_string_to_metric_families(text)}


def test_the_action_server_endpoint_serves_the_registry_and_the_orders_gauges(monkeypatch):
    import actions.metrics as action_metrics

    monkeypatch.setattr(action_metrics, "orders_snapshot",
                        lambda _services: OrderCounts({("dispatched", "zaozhuang"): 4},
                                                      {("dispatched", "zaozhuang"): 1}))
    port = free_port()
    settings = Settings.from_env({"BANDIAN_ACTIONS_METRICS_PORT": str(port)})
    assert settings.actions_metrics_host == "127.0.0.1"
    server = action_metrics.start(Services.from_settings(settings))
    assert server is not None
    try:
        families = scrape(port)
        assert "bandian_turns" in families and "bandian_answer_seconds" in families
        [orders] = families["bandian_orders"]
        assert orders.labels == {"stage": "dispatched", "region": "zaozhuang"} and orders.value == 4
        assert families["bandian_orders_overdue"][0].value == 1
        # prometheus_client's ?name[]= filter works on the served registry
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics?name[]=bandian_orders", timeout=10) as found:
            assert [f.name for f in text_string_to_metric_families(found.read().decode())] == ["bandian_orders"]
        # a second action server on the same port: logged, no endpoint, the action server goes on
        assert action_metrics.start(Services.from_settings(settings)) is None
    finally:
        server.stop()


def test_no_port_no_action_server_endpoint():
    import actions.metrics as action_metrics

    assert action_metrics.start(Services.from_settings(Settings.from_env({}))) is None


def test_rasa_sdk_plugin_attaches_the_endpoint_to_the_action_server():
    """rasa_sdk imports `rasa_sdk_plugins` and calls its hook with the Sanic app before serving."""
    import pluggy
    from rasa_sdk import plugin
    from sanic import Sanic

    import rasa_sdk_plugins

    manager = pluggy.PluginManager("rasa_sdk")
    manager.add_hookspecs(plugin)
    rasa_sdk_plugins.init_hooks(manager)
    app = Sanic(f"metrics_test_{free_port()}")
    manager.hook.attach_sanic_app_extensions(app=app)
    listeners = {(future.listener.__name__, future.event) for future in app._future_listeners}
    assert {("started", "after_server_start"), ("stopping", "before_server_stop")} <= listeners


def test_the_web_app_serves_metrics_directly_but_not_through_a_proxy(tmp_path):
    from web_fixtures import run_web

    async def body(client, _context, _rasa):
        chats = value("bandian_web_requests_total", route="/api/session", status="200")
        assert (await client.post("/api/session", json={})).status == 200
        response = await client.get("/metrics")
        assert response.status == 200
        families = {f.name: f for f in text_string_to_metric_families(await response.text())}
        assert "bandian_web_requests" in families and "bandian_handoff_wait_seconds" in families
        assert value("bandian_web_requests_total", route="/api/session", status="200") == chats + 1
        assert value("bandian_web_requests_total", route="/metrics", status="200") == 0  # scrapes are not counted
        for header in ("X-Real-IP", "X-Forwarded-For"):
            proxied = await client.get("/metrics", headers={header: "203.0.113.9"})
            assert proxied.status == 404 and "bandian_" not in await proxied.text()
        missing = value("bandian_web_requests_total", route="unmatched", status="404")
        assert (await client.get("/no/such/page/12345")).status == 404
        assert value("bandian_web_requests_total", route="unmatched", status="404") == missing + 1

    run_web(tmp_path, body)


def test_importing_the_metrics_modules_starts_nothing():
    """rasa_sdk imports every module of actions/ and the plug-in package: no thread, no socket then."""
    code = ("import threading, bot.metrics, actions.metrics, rasa_sdk_plugins, bot.web.metrics, bot.orders.gauges;"
            "print(threading.active_count())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env={**os.environ, "BANDIAN_ACTIONS_METRICS_PORT": str(free_port())})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "1"
