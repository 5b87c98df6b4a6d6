"""Metrics of the running topology: the web apps' /metrics and the action servers' metrics ports count the
turns sent through nginx, the orders gauges agree with PostgreSQL, Prometheus (started by the profile)
scrapes every replica, and nginx keeps /metrics to itself."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.scale.topology import TIMEOUT, URL, say

T = TypeVar("T")
OFFSET = int(os.environ.get("PROD_METRICS_PORT_OFFSET", "100"))
WEB_METRICS = [f"127.0.0.1:{port}" for port in os.environ.get("PROD_WEB_PORTS", "").split()]
ACTIONS_METRICS = [f"127.0.0.1:{int(port) + OFFSET}" for port in os.environ.get("PROD_ACTIONS_PORTS", "").split()]
PROMETHEUS = f"http://127.0.0.1:{os.environ.get('PROD_PROMETHEUS_PORT', '6095')}"
INTERNAL = f"http://127.0.0.1:{os.environ.get('PROD_ACTIONS_LB_PORT', '6090')}"

Samples = list[tuple[str, dict[str, str], float]]


def scrape(address: str) -> Samples:
    response = requests.get(f"http://{address}/metrics", timeout=TIMEOUT)
    assert response.status_code == 200, f"{address}/metrics: HTTP {response.status_code}"
    return [(sample.name, sample.labels, sample.value)
            for family in text_string_to_metric_families(response.text) for sample in family.samples]


def total(scrapes: list[Samples], name: str, **labels: str) -> float:
    """The sum of a series over every replica's scrape (each process counts only what it served)."""
    return sum(value for samples in scrapes for found, have, value in samples
               if found == name and all(have.get(key) == wanted for key, wanted in labels.items()))


def eventually(check: Callable[[], T], seconds: float, every: float = 1.0) -> T:
    """check() until it returns something true (its value) or `seconds` pass (then its last value)."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() >= deadline:
            return result
        time.sleep(every)


def test_turns_through_nginx_move_the_counters_of_the_web_apps_and_action_servers(run_id: str):
    web_before = [scrape(address) for address in WEB_METRICS]
    actions_before = [scrape(address) for address in ACTIONS_METRICS]

    # two web-chat turns (nginx → a web app → Rasa → an action server) ...
    session = requests.post(f"{URL}/api/session", json={}, timeout=TIMEOUT).json()["session"]
    for message in ("枣庄10千伏双电源办电要多久", "那要带什么资料"):
        response = requests.post(f"{URL}/api/chat", json={"session": session, "message": message}, timeout=TIMEOUT)
        assert response.status_code == 200, response.text[:300]
    # ... and two REST turns: answered, a clarifying question
    assert "18个工作日" in say(f"scale-{run_id}-metrics-a", "枣庄10千伏双电源办电要多久").text
    assert "哪个城市" in say(f"scale-{run_id}-metrics-b", "10千伏双电源办电多久").text

    web_after = [scrape(address) for address in WEB_METRICS]
    actions_after = [scrape(address) for address in ACTIONS_METRICS]

    def moved(before: list[Samples], after: list[Samples], name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    assert moved(web_before, web_after, "bandian_web_requests_total", route="/api/chat", status="200") >= 2
    assert moved(web_before, web_after, "bandian_web_requests_total", route="/api/session", status="200") >= 1
    assert moved(actions_before, actions_after, "bandian_turns_total") >= 4
    assert moved(actions_before, actions_after, "bandian_turns_total", intent="ask_time_limit",
                 outcome="answered") >= 2
    assert moved(actions_before, actions_after, "bandian_turns_total", outcome="clarification") >= 1
    assert moved(actions_before, actions_after, "bandian_answer_seconds_count") >= 4
    # every replica answers with the same families (a process's own counters: not all of them moved)
    for samples in actions_after:
        assert {"bandian_turns_total", "bandian_answer_seconds_bucket", "process_resident_memory_bytes"} <= {
            name for name, _, _ in samples}
    for samples in web_after:
        assert {"bandian_web_requests_total", "bandian_handoff_wait_seconds_count"} <= {name for name, _, _ in samples}


def test_the_orders_gauges_count_what_postgresql_holds(app_db: Engine):
    """Every action server reads the same table (a reading is reused for up to 30 s)."""
    with app_db.connect() as connection:
        stored = dict(connection.execute(text("SELECT stage, count(*) FROM work_orders GROUP BY stage")).all())

    def exported() -> list[dict[str, float]]:
        found = []
        for address in ACTIONS_METRICS:
            by_stage: dict[str, float] = {}
            for name, labels, value in scrape(address):
                if name == "bandian_orders":
                    by_stage[labels["stage"]] = by_stage.get(labels["stage"], 0) + value
            found.append(by_stage)
        return found

    def agree() -> bool:
        return all(by_stage == stored for by_stage in exported())

    assert eventually(agree, 45), f"action servers export {exported()}, PostgreSQL holds {stored}"


def test_prometheus_scrapes_every_web_app_and_action_server():
    wanted = {("bandian-web", address) for address in WEB_METRICS} | {
        ("bandian-actions", address) for address in ACTIONS_METRICS}

    def targets() -> dict[tuple[str, str], str]:
        response = requests.get(f"{PROMETHEUS}/api/v1/targets", params={"state": "active"}, timeout=TIMEOUT)
        assert response.status_code == 200 and response.json()["status"] == "success", response.text[:300]
        return {(target["labels"]["job"], target["labels"]["instance"]): target["health"]
                for target in response.json()["data"]["activeTargets"]}

    # the replicas started after Prometheus: wait for a scrape of each since (interval PROD_SCRAPE_INTERVAL)
    healthy = eventually(lambda: all(targets().get(target) == "up" for target in wanted), 60)
    assert healthy, f"targets: {targets()}"

    def turns_seen() -> float:
        response = requests.get(f"{PROMETHEUS}/api/v1/query", params={"query": "sum(bandian_turns_total)"},
                                timeout=TIMEOUT)
        result = response.json()["data"]["result"]
        return float(result[0]["value"][1]) if result else 0.0

    assert eventually(turns_seen, 45) > 0, "Prometheus has no bandian_turns_total"


def test_metrics_are_not_served_through_nginx():
    for url in (f"{URL}/metrics", f"{URL}//metrics", f"{URL}/%6Detrics"):
        response = requests.get(url, timeout=TIMEOUT)
        assert response.status_code == 404, f"{url}: HTTP {response.status_code}"
        assert "bandian_" not in response.text, url
    # the internal listener passes everything else to the action servers, which have no /metrics route (the
    # metrics are on their own ports) and answer a call without their token with 401 (bot/action_token.py)
    response = requests.get(f"{INTERNAL}/metrics", timeout=TIMEOUT)
    assert response.status_code != 200 and "bandian_" not in response.text, response.text[:300]
    # a request a proxy forwarded is refused by the web app itself too
    address = WEB_METRICS[0]
    response = requests.get(f"http://{address}/metrics", headers={"X-Real-IP": "203.0.113.7"}, timeout=TIMEOUT)
    assert response.status_code == 404
