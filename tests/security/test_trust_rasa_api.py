"""Rasa's HTTP API always behind a token, never with CORS for every origin (scripts/run.sh, bot/settings.py).

Before: scripts/run.sh started `rasa run --enable-api --cors "*"` and passed `--auth-token` only when
BANDIAN_RASA_TOKEN was set, so on the default loopback set-up any page a developer opened in a browser
could read and rewrite conversations (GET/PUT /conversations/…/tracker) or replace the model through
CORS. Now there is always a token (BANDIAN_RASA_TOKEN, else var/rasa-token, mode 0600), no --cors, and
whatever calls the API sends the token; the channels' webhooks stay open.
"""

from __future__ import annotations

import asyncio
import re
import socket
import stat
import urllib.error
import urllib.request
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from sanic import Sanic

from bot.settings import Settings, rasa_api_token, rasa_listen

ROOT = Path(__file__).resolve().parents[2]
UNSET = {"BANDIAN_RASA_HOST": "", "BANDIAN_RASA_TOKEN": ""}


def shell_commands(text: str) -> list[str]:
    """The script's commands with backslash-continued lines joined."""
    return re.sub(r"\\\n\s*", " ", text).splitlines()


def rasa_server_commands(path: Path) -> list[str]:
    return [line for line in shell_commands(path.read_text(encoding="utf-8"))
            if re.search(r'(rasa|"\$RASA"|\$RASA) run (?!actions)', line) and "--enable-api" in line]


def test_run_sh_starts_rasa_with_a_token_always_and_no_cors():
    script = (ROOT / "scripts" / "run.sh").read_text(encoding="utf-8")
    [command] = rasa_server_commands(ROOT / "scripts" / "run.sh")
    assert '--auth-token "$rasa_token"' in command, command
    assert "--cors" not in script
    assert "rasa_auth" not in script  # no longer "a token only if one was configured"


def test_every_script_that_starts_rasas_api_passes_a_token_and_no_cors():
    scripts = sorted((ROOT / "scripts").glob("*.sh")) + sorted((ROOT / "bench").glob("*.sh"))
    checked = 0
    for path in scripts:
        text = path.read_text(encoding="utf-8")
        assert '--cors "*"' not in text and "--cors '*'" not in text, path
        for command in rasa_server_commands(path):
            if '"$@"' in command:  # bench.sh's rasa_server(): its callers give the arguments (checked below)
                continue
            checked += 1
            assert "--auth-token" in command, f"{path.name}: {command}"
        for command in shell_commands(text):  # bench.sh: rasa_server MODEL PORT ARGS... adds --enable-api
            if re.search(r"\brasa_server \"\$", command):
                checked += 1
                assert "--auth-token" in command, f"{path.name}: {command}"
    assert checked >= 4  # run.sh, run-prod.sh, bench.sh (assistant, baseline), bench/replicas.sh
    stack = (ROOT / "tests" / "faults" / "stack.py").read_text(encoding="utf-8")
    assert '"--enable-api"' in stack and '"--auth-token", self.rasa_token' in stack


def test_the_api_token_is_generated_once_into_a_private_file(tmp_path):
    path = tmp_path / "var" / "rasa-token"
    settings = Settings.from_env(UNSET)
    host, token = rasa_listen(settings, path)
    assert host == "127.0.0.1" and len(token) >= 32 and path.read_text() == token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert rasa_api_token(settings, path) == token  # the same token for the API's clients, every time
    configured = tmp_path / "unused"
    assert rasa_listen(replace(settings, rasa_token="set-token"), configured) == ("127.0.0.1", "set-token")
    assert not configured.exists()


@pytest.fixture()
def sanic_test_mode(monkeypatch):
    monkeypatch.setattr(Sanic, "test_mode", True)


def test_rasa_refuses_the_api_without_the_token_and_the_webhook_stays_open(sanic_test_mode):
    """What `--auth-token` buys (Rasa's own server, our REST channel registered as credentials.yml does)."""
    import rasa.server
    from rasa.core.channels.channel import register

    from bot.rasa_plugins.rest import CheckedRestInput

    token = uuid.uuid4().hex
    app = rasa.server.create_app(cors_origins=None, auth_token=token)
    app.config.MOTD = False
    register([CheckedRestInput()], app, route="/webhooks/")

    def status(port: int, method: str, path: str, body: bytes | None = None) -> int:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code

    async def main() -> dict[str, int]:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
        assert server is not None
        await server.startup()
        await server.start_serving()
        try:
            calls = {
                "tracker": ("GET", "/conversations/x/tracker", None),
                "events": ("POST", "/conversations/x/tracker/events", b'{"event": "slot", "name": "agent_mode", '
                                                                       b'"value": true}'),
                "model": ("PUT", "/model", b"{}"),
                "parse": ("POST", "/model/parse", b'{"text": "hi"}'),
                "status": ("GET", "/status", None),
                "with token": ("GET", f"/conversations/x/tracker?token={token}", None),
                "wrong token": ("GET", "/conversations/x/tracker?token=nope", None),
                "webhook": ("POST", "/webhooks/rest/webhook", b'{"sender": "a", "message": "hi"}'),
            }
            return {name: await asyncio.to_thread(status, port, *call) for name, call in calls.items()}
        finally:
            await server.close()

    found = asyncio.run(main())
    refused = {name: code for name, code in found.items() if code == 401}
    assert set(refused) == {"tracker", "events", "model", "parse", "status", "wrong token"}, found
    assert found["webhook"] == 200


def test_the_projects_api_clients_send_the_token(monkeypatch):
    import bench.common

    urls: list[str] = []
    monkeypatch.setattr(bench.common, "post_json", lambda url, payload, timeout=0: urls.append(url))
    monkeypatch.setenv("BANDIAN_RASA_TOKEN", "t/k n")
    bench.common.parse_seconds("http://127.0.0.1:1", "你好")
    assert urls == ["http://127.0.0.1:1/model/parse?token=t%2Fk%20n"]
    run = (ROOT / "scripts" / "run.sh").read_text(encoding="utf-8")
    assert 'token=$rasa_token" "http://$rasa_here:$RASA_PORT/status"' in run  # the readiness check
    security = (ROOT / "tests" / "faults" / "test_security.py").read_text(encoding="utf-8")
    assert "/tracker?token={stack.rasa_token}" in security
    topology = (ROOT / "tests" / "scale" / "topology.py").read_text(encoding="utf-8")
    assert 'params={"token": os.environ["RASA_TOKEN"]}' in topology
