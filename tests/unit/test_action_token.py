"""The action server's token (bot/action_token.py, attached by rasa_sdk_plugins): every request but /health and
/readyz needs it; the action server listens on loopback unless SANIC_HOST says otherwise; a plain
`rasa run actions` + `rasa shell` from a fresh clone (no BANDIAN_ACTIONS_TOKEN, the repository's endpoints.yml
without a token) still works, from this machine only."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

import bot.action_token as action_token
from bot.action_token import OPEN_PATHS, Policy, actions_token, listen_host, policy, refusal
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
UNSET = {"BANDIAN_ACTIONS_TOKEN": ""}  # whatever a developer's .env says
STRICT = Policy(token="s3cret-token", tokenless_on_loopback=False)
LENIENT = Policy(token="s3cret-token", tokenless_on_loopback=True)
LOCAL = {"client": "127.0.0.1", "host_header": "127.0.0.1:5055", "origin": None}


@pytest.fixture(autouse=True)
def token_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The generated token goes to the test's folder, not var/."""
    path = tmp_path / "actions-token"
    monkeypatch.setattr(action_token, "TOKEN_FILE", path)
    return path


# ---------------------------------------------------------------- the check


@pytest.mark.parametrize("rules", [STRICT, LENIENT])
def test_a_wrong_token_is_refused_and_the_right_one_served(rules: Policy):
    assert refusal(rules, "/webhook", "s3cret-token", **LOCAL) is None
    for wrong in ("s3cret-tokeN", "s3cret-token ", "s3cret", "x" * 200):
        assert refusal(rules, "/webhook", wrong, **LOCAL) == 403


def test_without_a_token_only_the_probes_answer_when_a_token_is_configured():
    assert refusal(STRICT, "/webhook", None, **LOCAL) == 401
    assert refusal(STRICT, "/webhook", "", **LOCAL) == 401
    assert refusal(STRICT, "/actions", None, **LOCAL) == 401
    for path in OPEN_PATHS:
        assert refusal(STRICT, path, None, **LOCAL) is None
    assert {"/health", "/readyz"} == OPEN_PATHS


def test_without_a_token_only_a_local_non_browser_call_is_served_on_loopback():
    assert refusal(LENIENT, "/webhook", None, **LOCAL) is None
    assert refusal(LENIENT, "/webhook", None, client="::1", host_header="[::1]:5055", origin=None) is None
    assert refusal(LENIENT, "/webhook", None, client="127.0.0.1", host_header="localhost", origin=None) is None
    # another machine (were the server reachable), a DNS-rebound name, a browser's cross-site POST
    assert refusal(LENIENT, "/webhook", None, client="10.0.0.7", host_header="127.0.0.1:5055", origin=None) == 401
    assert refusal(LENIENT, "/webhook", None, client="127.0.0.1", host_header="evil.example:5055", origin=None) == 401
    assert refusal(LENIENT, "/webhook", None, client="127.0.0.1", host_header="127.0.0.1:5055",
                   origin="https://evil.example") == 401
    assert refusal(LENIENT, "/webhook", None, client="127.0.0.1", host_header="127.0.0.1:5055", origin="null") == 401


# ---------------------------------------------------------------- the policy


def test_loopback_without_a_configured_token_generates_one_and_serves_local_calls(token_file: Path):
    rules = policy(Settings.from_env(UNSET), "127.0.0.1")
    assert rules == Policy(token_file.read_text(), tokenless_on_loopback=True)
    assert len(rules.token) >= 32 and stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert policy(Settings.from_env(UNSET), "localhost").token == rules.token  # created once


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "0.0.0.0", "::", "10.0.0.5"])
def test_a_configured_token_is_always_required(host: str, token_file: Path):
    settings = Settings.from_env({"BANDIAN_ACTIONS_TOKEN": " t0k "})
    assert settings.actions_token.strip() == "t0k"
    assert policy(settings, host) == Policy("t0k", tokenless_on_loopback=False)
    assert not token_file.exists()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "actions.example"])
def test_another_interface_without_a_configured_token_does_not_start(host: str, token_file: Path):
    with pytest.raises(ValueError, match="BANDIAN_ACTIONS_TOKEN"):
        policy(Settings.from_env(UNSET), host)
    with pytest.raises(ValueError, match="spaces"):
        policy(replace(Settings.from_env(UNSET), actions_token="a b"), "127.0.0.1")
    assert not token_file.exists()


def test_sanic_host_defaults_to_loopback(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SANIC_HOST", raising=False)
    assert listen_host() == "127.0.0.1" and os.environ["SANIC_HOST"] == "127.0.0.1"
    monkeypatch.setenv("SANIC_HOST", "0.0.0.0")
    assert listen_host() == "0.0.0.0"


def test_rasa_sdk_reads_sanic_host_after_the_plugin_hook():
    """listen_host() works because rasa_sdk's `run` reads SANIC_HOST after calling the hook (rasa_sdk 3.6)."""
    import inspect

    from rasa_sdk import endpoint

    source = inspect.getsource(endpoint.run)
    assert source.index("attach_sanic_app_extensions") < source.index('os.environ.get("SANIC_HOST"')


def test_the_command_prints_the_token(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                      token_file: Path):
    monkeypatch.setenv("BANDIAN_ACTIONS_TOKEN", "")
    assert action_token.main([]) == 0
    assert capsys.readouterr().out == f"{token_file.read_text()}\n"
    monkeypatch.setenv("BANDIAN_ACTIONS_TOKEN", "abc")
    assert action_token.main([]) == 0
    assert capsys.readouterr().out == "abc\n"
    assert actions_token(Settings.from_env()) == "abc"


# ---------------------------------------------------------------- the endpoints Rasa reads


def test_endpoints_files_pass_the_token():
    """deploy/endpoints.prod.yml sends the token; endpoints.yml cannot (see bot/action_token.py) and needs no
    environment; scripts/env.sh's copies add it."""
    prod = yaml.safe_load((ROOT / "deploy" / "endpoints.prod.yml").read_text(encoding="utf-8"))
    assert prod["action_endpoint"]["token"] == "${BANDIAN_ACTIONS_TOKEN}"
    plain = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    assert "token" not in plain["action_endpoint"]
    helm = yaml.safe_load((ROOT / "deploy" / "k8s" / "values-rasa.yaml").read_text(encoding="utf-8"))
    assert helm["applicationSettings"]["endpoints"]["additionalEndpoints"]["action_endpoint"]["token"] == \
        "${BANDIAN_ACTIONS_TOKEN}"
    assert not helm["rasa-action-server"]["external"]["enabled"]  # else the chart writes a second action_endpoint
    assert "BANDIAN_ACTIONS_TOKEN" in {entry["name"] for entry in helm["extraEnv"]}


def test_endpoints_file_copies_name_the_url_and_the_token(monkeypatch: pytest.MonkeyPatch):
    """scripts/env.sh `endpoints_file`: a copy of endpoints.yml naming ACTIONS_URL and
    `token: ${BANDIAN_ACTIONS_TOKEN}` (the scripts export the token to the action server and to Rasa)."""
    from rasa.core.utils import AvailableEndpoints

    for url in ("http://127.0.0.1:5055/webhook", "http://127.0.0.1:6155/webhook"):
        done = subprocess.run(["bash", "-c", "source scripts/env.sh; endpoints_file"], cwd=ROOT, capture_output=True,
                              text=True, timeout=60, env={**os.environ, "ACTIONS_URL": url})
        assert done.returncode == 0, done.stderr
        copy = ROOT / done.stdout.strip()
        assert copy.parent == ROOT / "var" / "endpoints"
        data = yaml.safe_load(copy.read_text(encoding="utf-8"))
        assert data["action_endpoint"] == {"url": url, "token": "${BANDIAN_ACTIONS_TOKEN}"}
        assert data["tracker_store"] == yaml.safe_load((ROOT / "endpoints.yml").read_text())["tracker_store"]
        monkeypatch.setenv("BANDIAN_ACTIONS_TOKEN", "from-the-environment")  # Rasa substitutes it
        endpoint = AvailableEndpoints.read_endpoints(str(copy)).action
        assert endpoint is not None and (endpoint.url, endpoint.token) == (url, "from-the-environment")


def shell_commands(path: Path) -> list[str]:
    """The script's commands with backslash-continued lines joined."""
    return re.sub(r"\\\n\s*", " ", path.read_text(encoding="utf-8")).splitlines()


SCRIPTS = sorted((ROOT / "scripts").glob("*.sh")) + sorted((ROOT / "bench").glob("*.sh"))


def test_every_action_server_a_script_starts_listens_on_loopback_and_has_the_token():
    """Each `rasa run actions` sets SANIC_HOST (loopback, or run-prod's PROD_ACTIONS_HOST, 127.0.0.1 unless
    configured), and its script exports BANDIAN_ACTIONS_TOKEN first (export_actions_token, or load_prod_env
    from var/prod/secrets.env), so the action server requires it."""
    found = 0
    for path in SCRIPTS:
        commands = shell_commands(path)
        for number, command in enumerate(commands):
            if not re.search(r'(rasa|"\$RASA") run actions', command) or command.lstrip().startswith("#"):
                continue
            found += 1
            assert re.search(r'SANIC_HOST=(127\.0\.0\.1|"\$PROD_ACTIONS_HOST")', command), f"{path.name}: {command}"
            before = "\n".join(commands[:number])
            if path.name == "replicas.sh":  # functions bench.sh calls after its export_actions_token
                before = (ROOT / "scripts" / "bench.sh").read_text(encoding="utf-8")
            exported = "export_actions_token" in before or "load_prod_env" in before
            assert exported, f"{path.name}: the token is not exported before {command}"
    assert found >= 5  # run.sh, shell.sh, run-prod.sh, bench.sh, bench/replicas.sh
    local = (ROOT / "deploy" / "local.sh").read_text(encoding="utf-8")
    assert ': "${PROD_ACTIONS_HOST:=127.0.0.1}"' in local
    services = (ROOT / "scripts" / "prod-services.sh").read_text(encoding="utf-8")
    assert services.count("BANDIAN_ACTIONS_TOKEN=$(rand_hex)") == 2  # new secrets.env files, and older ones


def test_every_endpoints_file_a_script_gives_rasa_sends_the_token():
    """`--endpoints` is endpoints_file's copy (after export_actions_token) or deploy/endpoints.prod.yml."""
    found = 0
    for path in SCRIPTS:
        commands = shell_commands(path)
        for number, command in enumerate(commands):
            for argument in re.findall(r"--endpoints (\S+)", command):
                found += 1
                if argument == '"$(endpoints_file)"':
                    assert "export_actions_token" in "\n".join(commands[:number]), f"{path.name}: {command}"
                else:
                    assert argument in ('"$ENDPOINTS"', '"$endpoints"'), f"{path.name}: {command}"
    assert found >= 5  # run.sh, shell.sh, test.sh, bench.sh (2), run-prod.sh, replicas.sh
    for name in ("run-prod.sh", "replicas.sh"):
        text = next(path for path in SCRIPTS if path.name == name).read_text(encoding="utf-8")
        assert "deploy/endpoints.prod.yml" in text, name


# ---------------------------------------------------------------- a real action server

# rasa_sdk's own entry point (what the slim action-server image runs), with the generated token's file
# moved to the test's folder
LAUNCH = ("import pathlib, sys; import bot.action_token as t; t.TOKEN_FILE = pathlib.Path(sys.argv.pop(1)); "
          "import rasa_sdk.__main__ as m; m.main()")
UNKNOWN_ACTION = {"next_action": "action_token_test_no_such_action", "sender_id": "token-test",
                  "tracker": {"sender_id": "token-test", "slots": {}, "latest_message": {}, "events": [],
                              "paused": False, "followup_action": None, "active_loop": {},
                              "latest_action_name": None},
                  "domain": {}, "version": "3.6.21"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def call(port: int, path: str, body: dict | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=headers or {},
                                     method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


class ActionServer:
    def __init__(self, tmp_path: Path, env: dict[str, str]):
        self.port = free_port()
        self.log = tmp_path / f"actions-{self.port}.log"
        self.token_file = tmp_path / "server-actions-token"
        base = {key: value for key, value in os.environ.items()
                if not key.startswith(("BANDIAN_", "SANIC_", "ACTION_SERVER_"))}
        self.env = {**base, "PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{tmp_path / 'actions.db'}",
                    "BANDIAN_ACTIONS_TOKEN": "", "BANDIAN_ACTIONS_METRICS_PORT": "0", **env}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", LAUNCH, str(self.token_file), "--actions", "actions", "--port", str(self.port)],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the action server stopped: {self.log.read_text()[-3000:]}")
            try:
                if call(self.port, "/health")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the action server did not start: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)


@pytest.fixture()
def servers(tmp_path: Path) -> Iterator[list[ActionServer]]:
    started: list[ActionServer] = []
    yield started
    for server in started:
        server.stop()


def start(servers: list[ActionServer], tmp_path: Path, **env: str) -> ActionServer:
    server = ActionServer(tmp_path, env)
    servers.append(server)
    server.wait_ready()
    return server


def test_the_action_server_refuses_calls_without_the_token(servers: list[ActionServer], tmp_path: Path):
    server = start(servers, tmp_path, BANDIAN_ACTIONS_TOKEN="the-right-token")
    port = server.port
    assert call(port, "/webhook", UNKNOWN_ACTION)[0] == 401
    assert call(port, "/webhook?token=the-wrong-token", UNKNOWN_ACTION)[0] == 403
    assert call(port, "/webhook?token=", UNKNOWN_ACTION)[0] == 401
    assert call(port, "/actions")[0] == 401
    # the right token reaches the executor (which knows no such action)
    status, answer = call(port, "/webhook?token=the-right-token", UNKNOWN_ACTION)
    assert (status, answer["action_name"]) == (404, "action_token_test_no_such_action")
    assert call(port, "/actions?token=the-right-token")[0] == 200
    # the probes stay open
    assert call(port, "/health") == (200, {"status": "ok"})
    assert call(port, "/readyz") == (200, {"status": "ok"})
    # on loopback only (SANIC_HOST unset: rasa_sdk's default would be 0.0.0.0)
    assert f"running on http://127.0.0.1:{port}" in server.log.read_text()
    assert not server.token_file.exists()  # a configured token: nothing generated


def test_rasa_sends_the_token_of_its_endpoints_file(servers: list[ActionServer], tmp_path: Path):
    """Rasa's own client (EndpointConfig, as `action_endpoint: token:` makes it) gets through; without the
    token it gets the 401."""
    from rasa.utils.endpoints import ClientResponseError, EndpointConfig

    server = start(servers, tmp_path, BANDIAN_ACTIONS_TOKEN="rasa-knows-it")
    url = f"http://127.0.0.1:{server.port}/webhook"

    async def status(endpoint: EndpointConfig) -> int:
        try:
            await endpoint.request(json=UNKNOWN_ACTION, method="post")
        except ClientResponseError as error:
            return error.status
        return 200

    assert asyncio.run(status(EndpointConfig(url, token="rasa-knows-it"))) == 404  # reached the executor
    assert asyncio.run(status(EndpointConfig(url))) == 401
    assert asyncio.run(status(EndpointConfig(url, token="guess"))) == 403


def test_a_fresh_clone_needs_no_token_from_this_machine(servers: list[ActionServer], tmp_path: Path):
    """No BANDIAN_ACTIONS_TOKEN, SANIC_HOST unset: the plain `rasa run actions` + `rasa shell` of a fresh clone
    (endpoints.yml names no token) works; a wrong token or a browser's cross-site call does not."""
    server = start(servers, tmp_path)
    port = server.port
    status, answer = call(port, "/webhook", UNKNOWN_ACTION)
    assert (status, answer["action_name"]) == (404, "action_token_test_no_such_action")
    assert call(port, "/webhook?token=guess", UNKNOWN_ACTION)[0] == 403
    assert call(port, "/webhook", UNKNOWN_ACTION, {"Origin": "https://evil.example"})[0] == 401
    assert call(port, "/webhook", UNKNOWN_ACTION, {"Host": "evil.example"})[0] == 401
    generated = server.token_file.read_text()
    assert call(port, f"/webhook?token={generated}", UNKNOWN_ACTION)[0] == 404
    assert f"running on http://127.0.0.1:{port}" in server.log.read_text()


def test_an_action_server_for_other_machines_needs_a_configured_token(tmp_path: Path):
    server = ActionServer(tmp_path, {"SANIC_HOST": "0.0.0.0"})
    try:
        assert server.process.wait(timeout=90) != 0
    finally:
        server.stop()
    assert "BANDIAN_ACTIONS_TOKEN" in server.log.read_text()
    with pytest.raises(OSError):  # nothing listens
        call(server.port, "/health")


# ---------------------------------------------------------------- red team round 3 (R3-8)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_refused_calls_are_logged_once_a_minute_per_client_with_a_count(caplog: pytest.LogCaptureFixture):
    """R3-8: a flood of refused calls wrote one WARNING line per call."""
    import logging

    clock = FakeClock()
    refused = action_token.RefusedCalls(logging.getLogger("test.refused"), clock=clock)
    with caplog.at_level(logging.WARNING, logger="test.refused"):
        for _ in range(500):
            refused.note("10.0.0.7", "POST /webhook", "no token")
        refused.note("10.0.0.8", "POST /webhook", "wrong token")  # another client: its own line
        clock.now += 59
        refused.note("10.0.0.7", "POST /webhook", "no token")
        clock.now += 2  # a minute after the first line
        refused.note("10.0.0.7", "GET /actions", "no token")
        clock.now += 61
        refused.note("10.0.0.7", "GET /actions", "no token")
    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        "action server: POST /webhook from 10.0.0.7 refused (no token)",
        "action server: POST /webhook from 10.0.0.8 refused (wrong token)",
        "action server: GET /actions from 10.0.0.7 refused (no token); 500 more refused since the last line",
        "action server: GET /actions from 10.0.0.7 refused (no token)",
    ]


def test_refused_calls_from_many_clients_stay_bounded(caplog: pytest.LogCaptureFixture):
    import logging

    clock = FakeClock()
    refused = action_token.RefusedCalls(logging.getLogger("test.refused"), clock=clock)
    with caplog.at_level(logging.WARNING, logger="test.refused"):
        for number in range(5000):
            refused.note(f"10.1.{number // 256}.{number % 256}", "POST /webhook", "no token")
    assert len(refused._clients) <= refused.MAX_CLIENTS + 1
    assert len(caplog.records) == refused.MAX_CLIENTS + 1  # the rest share one line a minute
    clock.now += 61
    with caplog.at_level(logging.WARNING, logger="test.refused"):
        refused.note("10.9.9.9", "POST /webhook", "no token")  # the old ones expired: told apart again
    assert "10.9.9.9" in refused._clients


def request(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes, dict[str, str]]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def test_the_probes_answer_get_and_head_and_other_methods_get_405_without_a_traceback(
        servers: list[ActionServer], tmp_path: Path):
    """R3-8: POST /health and POST /readyz (no token needed there) got 500 and a traceback in the log, as did
    HEAD; and every refused call wrote a WARNING line."""
    server = start(servers, tmp_path, BANDIAN_ACTIONS_TOKEN="the-right-token")
    port = server.port
    for path in sorted(OPEN_PATHS):
        assert request(port, "GET", path)[0] == 200
        status, body, _ = request(port, "HEAD", path)
        assert (status, body) == (200, b"")
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            status, body, headers = request(port, method, path, b"{}")
            assert status == 405, (method, path, body)
            assert json.loads(body) == {"error": "method not allowed"} and headers["Allow"] == "GET, HEAD"
    for _ in range(30):
        assert request(port, "POST", "/webhook", b"{}")[0] == 401
    assert request(port, "POST", "/webhook?token=the-right-token", json.dumps(UNKNOWN_ACTION).encode())[0] == 404
    log = server.log.read_text()
    assert "Traceback" not in log and "Exception occurred" not in log, log[-3000:]
    refusals = [line for line in log.splitlines() if "refused" in line and "WARNING" in line]
    assert len(refusals) == 1, refusals  # the first of 38 refused calls; the rest counted
