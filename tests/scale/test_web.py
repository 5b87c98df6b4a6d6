"""The web app replicas behind nginx: the chat API, and the console's signed cookies across replicas."""

from __future__ import annotations

import os
import re

import requests

from tests.scale.topology import TIMEOUT, URL, WEB_REPLICAS


def test_web_chat_turns_through_both_web_replicas_keep_the_conversation(run_id: str):
    # a session id issued by one replica (POST /api/session) is recognised by the other: it is signed
    issued = requests.post(f"{URL}/api/session", json={}, timeout=TIMEOUT)
    assert issued.status_code == 200, issued.text[:300]
    session = issued.json()["session"]
    answers, upstreams = [], []
    for message in ("枣庄10千伏双电源办电要多久", "那要带什么资料"):
        response = requests.post(f"{URL}/api/chat", json={"session": session, "message": message}, timeout=TIMEOUT)
        assert response.status_code == 200, response.text[:300]
        answers.append("".join(reply["text"] for reply in response.json()["replies"]))
        upstreams.append(response.headers.get("X-Upstream", ""))
    assert "18个工作日" in answers[0] and "枣庄" in answers[1] and "提供" in answers[1], answers
    assert set(upstreams) == WEB_REPLICAS, f"chat turns served by {upstreams}"


def test_console_login_and_pages_work_across_web_replicas():
    """The login form, the login and the next page are served by alternating replicas: the signed
    cookies verify everywhere only when the replicas share BANDIAN_SECRET_KEY."""
    agent = requests.Session()
    upstreams = []

    form = agent.get(f"{URL}/agent/login", timeout=TIMEOUT)
    upstreams.append(form.headers.get("X-Upstream", ""))
    assert form.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text[:500]

    login = agent.post(f"{URL}/agent/login", allow_redirects=False, timeout=TIMEOUT, data={
        "csrf_token": token.group(1), "next": "/agent/orders",
        "username": os.environ["BANDIAN_CONSOLE_USER"], "password": os.environ["BANDIAN_CONSOLE_PASSWORD"]})
    upstreams.append(login.headers.get("X-Upstream", ""))
    assert login.status_code == 303, f"login answered {login.status_code}: {login.text[:300]}"

    orders = agent.get(f"{URL}/agent/orders", allow_redirects=False, timeout=TIMEOUT)
    upstreams.append(orders.headers.get("X-Upstream", ""))
    assert orders.status_code == 200, f"the orders page answered {orders.status_code}"
    assert "工单" in orders.text
    assert set(upstreams) == WEB_REPLICAS, f"console requests served by {upstreams}"
