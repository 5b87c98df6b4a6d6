"""Red team round 1, F2 and F4: who a client is, for every limit.

F2 before: every per-client limit (web chat messages, new sessions, 转人工 requests, REST messages, the login
throttle) counted an exact address, and nginx's `limit_req` counted `$binary_remote_addr`: an IPv6 client got
a fresh budget for every address of its /64 (65 new sessions from one /64: 65 × 200; 7 转人工 from one /64: all
queued). Now a client is an IPv4 address or an IPv6 /64, in the replicas (bot/limits.py `client_bucket`) and
in nginx (`map $binary_remote_addr $limit_client`).

F4 before: with BANDIAN_TRUST_PROXY the web app and the REST channel took X-Real-IP / X-Forwarded-For from any
peer: a client reaching port 8080 or 5005 directly rotated the header past every limit (34 × 200 instead of
30 + 4 × 429) and past the lookup lockout, or claimed 127.0.0.1, which is exempt. Now the headers count only
for a request whose peer is one of BANDIAN_TRUSTED_PROXIES (loopback by default).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from boundary_helpers import fetch, free_socket, rest_app, run_web, serve_sanic

from actions.identity import lookup_client
from bot.limits import Rate, RateLimiter, client_bucket, forwarded_client
from bot.orders.store import conversation_key
from bot.services import install
from bot.settings import Settings
from bot.trust import Identity, request_identity

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = Settings.trusted_proxies


# ---- one client: an IPv4 address or an IPv6 /64 ----------------------------------------------------------

def test_a_client_is_an_ipv4_address_or_an_ipv6_64():
    assert client_bucket("203.0.113.9") == "203.0.113.9"
    assert client_bucket("::ffff:203.0.113.9") == "203.0.113.9"
    assert client_bucket("2001:db8:1:2::1") == client_bucket("2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64"
    assert client_bucket("2001:db8:1:3::1") == "2001:db8:1:3::/64"
    assert client_bucket("oUser-0001") == "oUser-0001"  # an openid (the WeChat limit) stays as it is
    limiter = RateLimiter(Rate.parse("3/60"), clock=lambda: 0.0)
    assert [limiter.take(f"2001:db8:1:2::{n:x}") for n in range(1, 4)] == [None, None, None]
    assert limiter.take("2001:db8:1:2:aaaa::1") is not None  # the same /64: the same bucket
    assert limiter.take("2001:db8:1:3::1") is None  # the next /64: another subscriber
    assert limiter.take("::1") is None  # loopback (this machine) still exempt


def test_new_sessions_and_messages_from_one_ipv6_64_share_one_limit(tmp_path):
    async def body(client, context, rasa):
        sessions = [(await client.post("/api/session", json={}, headers={"X-Real-IP": f"2001:db8:1:2::{n:x}"})).status
                    for n in range(1, 6)]
        assert sessions == [200, 200, 200, 429, 429]  # red team T2c: 65 × 200
        other = await client.post("/api/session", json={}, headers={"X-Real-IP": "2001:db8:1:3::1"})
        session = (await other.json())["session"]
        chats = [(await client.post("/api/chat", json={"session": session, "message": "你好"},
                                    headers={"X-Real-IP": f"2001:db8:1:3::{n:x}"})).status for n in range(1, 5)]
        assert chats == [200, 200, 429, 429]

    run_web(tmp_path, body, trust_proxy=True, session_rate="3/3600", chat_rate="2/60")


def test_handoffs_from_one_ipv6_64_share_one_limit(tmp_path):
    from bot.livechat import store as live
    from bot.livechat.models import Handoff

    async def body(client, context, rasa):
        with context.session() as session:
            live.mark_present(session, "agent-li", context.now())

        def action_handoff(message: dict[str, Any]) -> None:  # what action_handoff does for "转人工"
            with context.session() as session:
                live.request_handoff(session, conversation=conversation_key(message["sender"]), channel="web",
                                     summary="客户要求转人工", now=context.now())

        rasa.on_message = action_handoff
        states = []
        for n in range(1, 4):
            headers = {"X-Real-IP": f"2001:db8:7:8::{n:x}"}
            session = (await (await client.post("/api/session", json={}, headers=headers)).json())["session"]
            answer = await client.post("/api/chat", json={"session": session, "message": "转人工"}, headers=headers)
            states.append((await answer.json())["handoff"])
        assert states == ["waiting", "waiting", "none"]  # red team: 7 of 7 queued from one /64
        with context.session() as session:
            assert session.query(Handoff).filter(Handoff.status == "waiting").count() == 2

    run_web(tmp_path, body, trust_proxy=True, handoff_rate="2/3600")


# ---- the proxy's headers, only from the proxy ---------------------------------------------------------------

def test_forwarded_headers_count_only_from_a_trusted_proxy():
    spoof = {"X-Real-IP": "127.0.0.1", "X-Forwarded-For": "127.0.0.1"}
    assert forwarded_client("203.0.113.9", spoof, True, LOOPBACK) == "203.0.113.9"  # claims loopback: ignored
    assert forwarded_client("127.0.0.1", {"X-Real-IP": "198.51.100.4"}, True, LOOPBACK) == "198.51.100.4"
    assert forwarded_client("127.0.0.1", {"X-Real-IP": "198.51.100.4"}, False, LOOPBACK) == "127.0.0.1"
    assert forwarded_client("10.1.2.3", {"X-Real-IP": "198.51.100.4"}, True, "10.0.0.0/8") == "198.51.100.4"
    assert forwarded_client("127.0.0.1", {"X-Real-IP": "not an address"}, True, LOOPBACK) == "127.0.0.1"
    # X-Forwarded-For: the last hop that is not our proxy (what the client wrote before it is its own word)
    chain = {"X-Forwarded-For": "127.0.0.1, 198.51.100.5, 127.0.0.1"}
    assert forwarded_client("127.0.0.1", chain, True, LOOPBACK) == "198.51.100.5"
    identity = request_identity(b"k" * 32, "", "someone", spoof, "203.0.113.9", True)
    assert identity.client == "203.0.113.9" and lookup_client(identity) == "203.0.113.9"  # counted, not exempt
    limiter = RateLimiter(Rate.parse("1/60"), clock=lambda: 0.0)
    assert limiter.take(identity.client) is None and limiter.take(identity.client) is not None
    assert lookup_client(Identity(client="2001:db8:9:9::1")) == "2001:db8:9:9::/64"


def test_the_web_app_ignores_a_spoofed_address_from_an_untrusted_peer(tmp_path):
    """trusted_proxies without loopback: the test client (127.0.0.1) is then "someone on the internet"."""
    async def body(client, context, rasa):
        statuses = [(await client.post("/api/session", json={}, headers={"X-Real-IP": f"198.51.100.{n}"})).status
                    for n in range(4)]
        assert statuses == [200, 200, 429, 429]  # red team T2: all 200 with a rotating X-Real-IP

    run_web(tmp_path, body, trust_proxy=True, trusted_proxies="192.0.2.1", session_rate="2/3600",
            rate_limit_loopback=True)


def _rest_statuses(bodies_and_headers: list[tuple[dict[str, Any], dict[str, str]]]) -> list[int]:
    seen: list[Any] = []

    def work(port: int) -> list[int]:
        return [fetch(port, "POST", "/webhooks/rest/webhook", json.dumps(body).encode(),
                      {"Content-Type": "application/json", **headers})[0] for body, headers in bodies_and_headers]

    return asyncio.run(serve_sanic(rest_app(seen), work))


def test_the_rest_channel_counts_an_ipv6_64_and_ignores_headers_from_untrusted_peers(monkeypatch):
    monkeypatch.setenv("BANDIAN_REST_RATE", "2/60")
    install(None)  # a process started now reads this environment
    monkeypatch.setenv("BANDIAN_TRUST_PROXY", "true")
    install(None)  # a process started now reads this environment
    one_64 = [({"sender": f"r{n}", "message": "你好"}, {"X-Real-IP": f"2001:db8:4:4::{n + 1:x}"}) for n in range(3)]
    assert _rest_statuses(one_64) == [200, 200, 429]
    monkeypatch.setenv("BANDIAN_TRUSTED_PROXIES", "192.0.2.1")  # the test client is no proxy of ours now
    install(None)  # a process started now reads this environment
    monkeypatch.setenv("BANDIAN_RATE_LIMIT_LOOPBACK", "true")
    install(None)  # a process started now reads this environment
    rotating = [({"sender": "r", "message": "你好"}, {"X-Real-IP": f"198.51.104.{n}"}) for n in range(3)]
    assert _rest_statuses(rotating) == [200, 200, 429]  # red team T4b: 34 × 200


# ---- nginx: the same /64 ---------------------------------------------------------------------------------

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def _render_nginx(tmp_path: Path, port: int, internal: int) -> Path:
    env = {**os.environ, "NGINX_LISTEN": f"127.0.0.1:{port}", "NGINX_ACTIONS_LISTEN": f"127.0.0.1:{internal}",
           "RASA_SERVERS": "server 127.0.0.1:9;", "ACTIONS_SERVERS": "server 127.0.0.1:9;",
           "WEB_SERVERS": "server 127.0.0.1:9;", "RASA_API_ALLOW": "127.0.0.1", "NGINX_LIMIT_RATE": "1r/m",
           "NGINX_LIMIT_BURST": "2", "NGINX_PID": str(tmp_path / "nginx.pid"), "NGINX_TEMP_DIR": str(tmp_path),
           "NGINX_ERROR_LOG": str(tmp_path / "error.log"), "NGINX_ACCESS_LOG": str(tmp_path / "access.log")}
    if os.geteuid() == 0:
        env["NGINX_USER"] = "root root"
    out = tmp_path / "nginx.conf"
    subprocess.run(["bash", str(ROOT / "deploy" / "render-nginx.sh"), str(ROOT / "deploy" / "nginx.conf"), str(out)],
                   env=env, check=True, timeout=30)
    return out


def test_nginx_limits_a_client_by_its_ipv6_64(tmp_path):
    conf_text = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    assert "limit_req_zone $limit_client zone=client" in conf_text
    assert "limit_req_zone $binary_remote_addr" not in conf_text
    if NGINX is None:
        pytest.skip("nginx is not installed (scripts/prod-services.sh installs it)")
    port_socket, internal_socket = free_socket(), free_socket()
    port, internal = port_socket.getsockname()[1], internal_socket.getsockname()[1]
    port_socket.close()
    internal_socket.close()
    conf = _render_nginx(tmp_path, port, internal)
    # stand in for IPv6 clients: take the client address from X-Real-IP (only in this test's copy)
    text = conf.read_text(encoding="utf-8").replace(
        "http {", "http {\n    set_real_ip_from 127.0.0.1;\n    real_ip_header X-Real-IP;", 1)
    conf.write_text(text, encoding="utf-8")
    checked = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True,
                             timeout=30)
    assert checked.returncode == 0, checked.stderr
    server = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp_path), "-g", "daemon off;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                fetch(port, "GET", "/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "nginx did not start"
                time.sleep(0.1)

        def statuses(addresses: list[str]) -> list[int]:
            body = json.dumps({"sender": uuid.uuid4().hex, "message": "你好"}).encode()
            return [fetch(port, "POST", "/webhooks/rest/webhook", body,
                          {"X-Real-IP": address, "Content-Type": "application/json"})[0] for address in addresses]

        one_64 = statuses([f"2001:db8:1:2::{n:x}" for n in range(1, 6)])
        assert one_64[:3] != [429] * 3 and one_64[3:] == [429, 429], one_64  # burst 2 + 1, then limited
        assert statuses(["2001:db8:1:3::1"]) != [429]  # the next /64 is another client
        ipv4 = statuses(["198.51.100.1"] * 4) + statuses(["198.51.100.2"])
        assert ipv4[3] == 429 and ipv4[4] != 429, ipv4
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)

