"""What ships for the metrics in deploy/: the Grafana dashboard names only metrics bot/metrics.py defines (and
shows every one of them), the Prometheus template lists the profile's replicas, nginx keeps /metrics private."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from bot.metrics import exported_names, sample_names

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "bandian-dashboard.json"
METRIC = re.compile(r"\b((?:bandian|process)_[a-z0-9_]+)\b")


def panels(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in items:
        yield panel
        yield from panels(panel.get("panels") or [])


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def test_the_dashboard_loads_and_every_expr_names_metrics_that_exist():
    board = dashboard()
    assert board["title"] and board["uid"]
    variables = {variable["name"] for variable in board["templating"]["list"]}
    known = sample_names()
    queries = [panel for panel in panels(board["panels"]) if panel["type"] != "row"]
    assert queries
    for panel in queries:
        assert panel["datasource"]["uid"].strip("${}") in variables, panel["title"]
        assert panel["targets"], f"{panel['title']}: no query"
        for target in panel["targets"]:
            expr = target["expr"]
            named = METRIC.findall(expr)
            assert named, f"{panel['title']}: {expr} names no metric of bot/metrics.py"
            unknown = [name for name in named if name not in known]
            assert not unknown, f"{panel['title']}: {unknown} are not defined in bot/metrics.py"
            assert expr.count("(") == expr.count(")") and expr.count("[") == expr.count("]"), expr


def test_the_dashboard_shows_every_bandian_metric_and_its_panels_do_not_overlap():
    board = dashboard()
    exprs = " ".join(target["expr"] for panel in panels(board["panels"]) for target in panel.get("targets", []))
    shown = {re.sub(r"_(total|bucket|sum|count|created)$", "", name) for name in METRIC.findall(exprs)}
    missing = {name for name in exported_names() if name.startswith("bandian_")} - shown
    assert not missing, f"not on the dashboard: {sorted(missing)}"
    ids = [panel["id"] for panel in panels(board["panels"])]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for panel in panels(board["panels"]):
        box = panel["gridPos"]
        assert box["x"] + box["w"] <= 24, panel["title"]
        mine = {(x, y) for x in range(box["x"], box["x"] + box["w"]) for y in range(box["y"], box["y"] + box["h"])}
        assert not mine & cells, f"{panel['title']} overlaps another panel"
        cells |= mine


def render_prometheus(**values: str) -> dict[str, Any]:
    """deploy/prometheus.yml as scripts/prod-services.sh renders it (envsubst of the listed variables)."""
    template = (ROOT / "deploy" / "prometheus.yml").read_text(encoding="utf-8")
    for name, value in values.items():
        template = template.replace("${" + name + "}", value)
    assert "${" not in "\n".join(line for line in template.splitlines() if not line.lstrip().startswith("#"))
    return yaml.safe_load(template)


def local_defaults() -> dict[str, str]:
    script = "source deploy/local.sh; echo $PROD_WEB_PORTS; actions_metrics_ports; echo $PROD_PROMETHEUS_PORT"
    done = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, check=True,
                          env={"PATH": "/usr/bin:/bin"})
    web, actions, prometheus = done.stdout.splitlines()
    return {"web": web, "actions": actions, "prometheus": prometheus}


def test_the_prometheus_template_lists_the_profiles_web_apps_and_action_servers():
    ports = local_defaults()
    assert ports == {"web": "6081 6082", "actions": "6155 6156", "prometheus": "6095"}

    def targets(spaced: str) -> str:
        return ", ".join(f"'127.0.0.1:{port}'" for port in spaced.split())

    config = render_prometheus(SCRAPE_INTERVAL="15s", WEB_TARGETS=targets(ports["web"]),
                               ACTIONS_TARGETS=targets(ports["actions"]),
                               PROMETHEUS_TARGET=f"127.0.0.1:{ports['prometheus']}")
    jobs = {job["job_name"]: [target for group in job["static_configs"] for target in group["targets"]]
            for job in config["scrape_configs"]}
    assert jobs == {"bandian-web": ["127.0.0.1:6081", "127.0.0.1:6082"],
                    "bandian-actions": ["127.0.0.1:6155", "127.0.0.1:6156"],
                    "prometheus": ["127.0.0.1:6095"]}
    # the dashboard's memory panel selects these jobs
    assert all(job.startswith("bandian-") for job in jobs if job != "prometheus")


def test_nginx_public_listener_does_not_pass_metrics_on():
    conf = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    public = conf[conf.index("listen ${NGINX_LISTEN};"):conf.index("listen ${NGINX_ACTIONS_LISTEN};")]
    block = re.search(r"location = /metrics \{([^}]*)\}", public)
    assert block and "return 404" in block.group(1)
