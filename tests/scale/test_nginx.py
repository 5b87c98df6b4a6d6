"""nginx itself: request bodies above its memory buffer, from a directory only its owner can enter, and
the per-client rate limits (deploy/nginx.conf)."""

from __future__ import annotations

import http.client
import json
import os
import re
import stat
from pathlib import Path

import requests

from tests.scale.topology import TIMEOUT, URL, replica_addresses, say

PROD_DIR = Path(os.environ.get("PROD_DIR", "var/prod")).resolve()
NGINX_PORT = int(os.environ.get("PROD_NGINX_PORT", "6080"))
INTERNAL = f"http://127.0.0.1:{os.environ.get('PROD_ACTIONS_LB_PORT', '6090')}"
ACTION_REPLICAS = replica_addresses("PROD_ACTIONS_PORTS")
RASA_REPLICAS = replica_addresses("PROD_RASA_PORTS")
BURST = int(os.environ.get("PROD_LIMIT_BURST", "100"))
# Another client than the tests' 127.0.0.1 (all of 127.0.0.0/8 is this machine), so running into its
# limit leaves the other tests' allowance alone.
OTHER_CLIENT = "127.0.0.2"


def nginx_setting(name: str) -> str:
    conf = (PROD_DIR / "nginx" / "nginx.conf").read_text(encoding="utf-8")
    found = re.search(rf"^\s*{name}\s+([^;]+);", conf, re.MULTILINE)
    assert found, f"{name} not in the rendered nginx.conf"
    return found.group(1).strip()


def size(text: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmM]?)", text).groups()  # type: ignore[union-attr]
    return int(number) * {"": 1, "k": 1024, "m": 1024 * 1024}[unit.lower()]


def test_nginx_writes_request_bodies_under_a_directory_only_its_owner_can_enter():
    """As in a checkout under a 0700 directory: started as root, nginx's workers would run as `nobody`,
    who cannot reach the temporary files of request bodies there (every action call failed with 500)."""
    mode = stat.S_IMODE(PROD_DIR.stat().st_mode)
    assert mode & 0o077 == 0, f"{PROD_DIR} is {oct(mode)}: the run would not show that other users need no access"
    temp = Path(nginx_setting("client_body_temp_path"))
    assert temp.is_relative_to(PROD_DIR), temp


def test_an_action_call_larger_than_nginx_memory_buffer_reaches_an_action_server():
    """The body is written to a temporary file (client_body_buffer_size) before it is passed on."""
    padding = "办" * 100_000  # ~300 KB of UTF-8, far above the buffer
    body = json.dumps({"next_action": "action_scale_no_such_action", "sender_id": "scale-big-body",
                       "tracker": {"sender_id": "scale-big-body", "slots": {}, "latest_message": {}, "events": [],
                                   "paused": False, "followup_action": None, "active_loop": {},
                                   "latest_action_name": None},
                       "domain": {"padding": padding}, "version": "3.6.21"}, ensure_ascii=False).encode()
    assert len(body) > 2 * size(nginx_setting("client_body_buffer_size"))
    # with the action servers' token, as Rasa sends it (deploy/endpoints.prod.yml; load_prod_env exports it)
    token = {"token": os.environ["BANDIAN_ACTIONS_TOKEN"]}
    response = requests.post(f"{INTERNAL}/webhook", data=body, headers={"Content-Type": "application/json"},
                             params=token, timeout=TIMEOUT)
    assert response.headers.get("X-Upstream") in ACTION_REPLICAS, (response.status_code, response.text[:300])
    # the action server read the whole body and answered about the action it names
    assert response.status_code == 404 and response.json()["action_name"] == "action_scale_no_such_action"


def test_the_action_servers_refuse_calls_without_their_token():
    """Through nginx's internal listener, as anyone who reaches it would call them (bot/action_token.py)."""
    body = {"next_action": "action_scale_no_such_action", "sender_id": "scale-no-token", "tracker": {},
            "domain": {}, "version": "3.6.21"}
    for params, status in (({}, 401), ({"token": "guess"}, 403)):
        response = requests.post(f"{INTERNAL}/webhook", json=body, params=params, timeout=TIMEOUT)
        assert response.headers.get("X-Upstream") in ACTION_REPLICAS, (response.status_code, response.text[:300])
        assert response.status_code == status, response.text[:300]
    for replica in ACTION_REPLICAS:  # and directly (the probes stay open)
        assert requests.post(f"http://{replica}/webhook", json=body, timeout=TIMEOUT).status_code == 401
        assert requests.get(f"http://{replica}/readyz", timeout=TIMEOUT).status_code == 200


def test_a_large_rest_request_through_the_public_listener_is_answered(run_id: str):
    sender = f"scale-{run_id}-big"
    response = requests.post(f"{URL}/webhooks/rest/webhook", timeout=TIMEOUT, json={
        "sender": sender, "message": "枣庄10千伏双电源办电要多久", "padding": "x" * 200_000})
    assert response.status_code == 200, response.text[:300]
    assert response.headers.get("X-Upstream") in RASA_REPLICAS
    assert "18个工作日" in "".join(m.get("text") or "" for m in response.json())


def post_from_other_client(path: str, body: bytes, times: int) -> list[tuple[int, dict[str, str], bytes]]:
    """POST the same body again and again over one keep-alive connection from OTHER_CLIENT, until
    the first 429; (status, headers, body) of each."""
    connection = http.client.HTTPConnection("127.0.0.1", NGINX_PORT, timeout=TIMEOUT,
                                            source_address=(OTHER_CLIENT, 0))
    answers = []
    try:
        for _ in range(times):
            connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            answers.append((response.status, dict(response.getheaders()), response.read()))
            if response.status == 429:
                break
    finally:
        connection.close()
    return answers


def test_a_client_over_its_rate_limit_gets_a_polite_429_and_others_are_served():
    # an empty chat request: the web app answers 400 at once, so the limit is reached quickly
    answers = post_from_other_client("/api/chat", b"{}", 2 * BURST + 50)
    statuses = [status for status, _, _ in answers]
    assert statuses[-1] == 429, f"no 429 after {len(statuses)} requests"
    assert len(statuses) > BURST and set(statuses[:BURST]) == {400}, statuses[:BURST + 5]
    _, headers, body = answers[-1]
    assert headers.get("Retry-After") and headers.get("Content-Type", "").startswith("application/json")
    assert json.loads(body)["error"] == "发送太频繁了，请稍等片刻再试。"
    # the REST channel counts the same client's messages
    assert post_from_other_client("/webhooks/rest/webhook", b"{}", 1)[0][0] == 429
    # other clients are served meanwhile
    assert "18个工作日" in say("scale-rate-limit-other", "枣庄10千伏双电源办电要多久").text


def test_the_wechat_webhook_is_limited_per_follower():
    # unsigned: Rasa's WeChat channel refuses each one at once; nginx counts them per openid first
    answers = post_from_other_client("/webhooks/wechat/webhook?openid=scale-flood&signature=x&timestamp=1&nonce=1",
                                     b"<xml></xml>", 40)
    statuses = [status for status, _, _ in answers]
    assert statuses[-1] == 429 and 429 not in statuses[:10], statuses
