"""The servers under test, started one by one so that each can be killed (-9) and restarted.

    action server  ←  ActionProxy  ←  Rasa (REST + WeChat channels, --enable-api)  ←  web app

Rasa reaches the action server through `ActionProxy`, a transparent HTTP proxy in the test process:
a test can arm it to act at an exact point of one action call (before the call reaches the action
server, or after the action server answered and before Rasa sees the answer). Everything lives
under one run directory (default var/reliability/run): its own SQLite database, logs and pid files
(scripts/test-reliability.sh kills whatever pids are left there). Ports 62xx (RELIABILITY_*_PORT).

One stack per test process (`shared_stack()`), shared by tests/fuzz and tests/faults.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import ClientError, ClientSession, ClientTimeout, web

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
RUN_DIR = Path(os.environ.get("RELIABILITY_DIR") or ROOT / "var" / "reliability" / "run")
DEFAULT_ACTIONS_URL = "http://127.0.0.1:5055/webhook"  # the action server endpoints.yml names
READY_TIMEOUT = float(os.environ.get("RELIABILITY_READY_TIMEOUT") or 240)


def _port(name: str, default: int) -> int:
    return int(os.environ.get(f"RELIABILITY_{name}_PORT") or default)


@dataclass(frozen=True)
class Ports:
    rasa: int = _port("RASA", 6205)
    actions: int = _port("ACTIONS", 6255)
    proxy: int = _port("PROXY", 6256)
    web: int = _port("WEB", 6280)


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


class Server:
    """One server process: started into its own session (so kill -9 hits it alone), log appended."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], ready_url: str, run_dir: Path):
        self.name, self.argv, self.env, self.ready_url = name, argv, env, ready_url
        self.log_path = run_dir / "log" / f"{name}.log"
        self.pid_path = run_dir / "pids" / f"{name}.pid"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        assert not self.alive, f"{self.name} is already running"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.pid_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"\n=== start #{self.starts + 1}: {' '.join(self.argv)}\n".encode())
            log.flush()
            self.process = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        self.starts += 1
        self.pid_path.write_text(str(self.process.pid))

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> float:
        """Seconds until the readiness URL answers 200 (RuntimeError if the process dies or time runs out)."""
        began = time.monotonic()
        while time.monotonic() - began < timeout:
            if not self.alive:
                raise RuntimeError(f"{self.name} exited during start-up; see {self.log_path}:\n{self.tail()}")
            if http_ok(self.ready_url):
                return time.monotonic() - began
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f}s; see {self.log_path}:\n{self.tail()}")

    def restart(self) -> float:
        self.start()
        return self.wait_ready()

    def kill9(self) -> None:
        """SIGKILL, as a crash would: no shutdown handlers run."""
        if self.process is not None and self.alive:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self, grace: float = 20.0) -> None:
        if self.process is None:
            return
        if self.alive:
            self.process.terminate()
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.kill9()
        self.pid_path.unlink(missing_ok=True)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Hook:
    """What the proxy does around one call of `action` (each callable runs in a worker thread)."""

    action: str
    before: Callable[[], None] | None = None  # before the call is forwarded to the action server
    after: Callable[[], None] | None = None  # after the action server answered (or failed)
    drop_response: bool = False  # Rasa gets 502 instead of the action server's answer
    fired: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    upstream_status: int | None = None
    fired_at: float = 0.0  # time.monotonic() when the call arrived, and when the action server's answer came
    done_at: float = 0.0


class ActionProxy:
    """A transparent proxy for the action server's /webhook, with one-shot hooks around named actions."""

    def __init__(self, port: int, upstream: str):
        self.port, self.upstream = port, upstream
        self.calls: dict[str, int] = {}
        self._hooks: list[Hook] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: OSError | None = None

    def arm(self, action: str, **kwargs: object) -> Hook:
        hook = Hook(action, **kwargs)  # type: ignore[arg-type]
        with self._lock:
            self._hooks.append(hook)
        return hook

    def disarm(self) -> None:
        with self._lock:
            self._hooks.clear()

    def _take(self, action: str) -> Hook | None:
        with self._lock:
            self.calls[action] = self.calls.get(action, 0) + 1
            for hook in self._hooks:
                if hook.action == action:
                    self._hooks.remove(hook)
                    return hook
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        query = request.query_string  # Rasa's ?token= for the action server (bot/action_token.py)
        hook = self._take(_action_name(body))
        if hook is not None:
            hook.fired_at = time.monotonic()
            hook.fired.set()
            if hook.before:
                await asyncio.to_thread(hook.before)
        status, payload = await self._forward(body, query)
        if hook is not None:
            hook.upstream_status, hook.done_at = status, time.monotonic()
            if hook.after:
                await asyncio.to_thread(hook.after)
            hook.done.set()
            if hook.drop_response:
                return web.Response(status=502, text="action server response lost (fault injection)")
        return web.Response(status=status, body=payload, content_type="application/json")

    async def _forward(self, body: bytes, query: str = "") -> tuple[int, bytes]:
        url = f"{self.upstream}?{query}" if query else self.upstream
        try:
            async with ClientSession(timeout=ClientTimeout(total=120)) as session, session.post(
                    url, data=body, headers={"Content-Type": "application/json"}) as response:
                return response.status, await response.read()
        except (ClientError, OSError, asyncio.TimeoutError):
            return 502, b'{"error": "action server unreachable"}'

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="action-proxy", daemon=True)
        self._thread.start()
        if not self._started.wait(15) or self._error is not None:
            raise RuntimeError(f"action proxy did not start on port {self.port}: {self._error}")

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._main())
        except OSError as error:  # e.g. the port is taken
            self._error = error
            self._started.set()

    async def _main(self) -> None:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_post("/webhook", self._handle)
        app.router.add_get("/health", self._health)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        self._stopping = asyncio.Event()
        self._started.set()
        await self._stopping.wait()
        await runner.cleanup()

    async def _health(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(timeout=10)


def _action_name(body: bytes) -> str:
    try:
        name = json.loads(body).get("next_action")
    except (ValueError, AttributeError):
        return ""
    return name if isinstance(name, str) else ""


def model_path() -> str:
    """The trained model for the current inputs (scripts/train.sh trains only when they changed)."""
    out = subprocess.run(["bash", "scripts/train.sh"], cwd=ROOT, check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


class Stack:
    """Action server, proxy, Rasa and web app on their own ports, database and logs."""

    def __init__(self, run_dir: Path = RUN_DIR, ports: Ports | None = None, rasa_token: str | None = None,
                 actions_token: str | None = None):
        self.run_dir, self.ports = run_dir, ports or Ports()
        self.db_dir = run_dir / "db"
        self.db_path = self.db_dir / "bandian.db"
        self.log_dir = run_dir / "log"
        self.console_user = "admin"
        self.console_password = secrets.token_urlsafe(16)
        self.wechat_token = "tok" + secrets.token_hex(8)
        self.secret_key = secrets.token_hex(32)
        self.rasa_token = rasa_token or secrets.token_hex(16)  # Rasa's HTTP API (--auth-token); webhooks: none
        self.actions_token = actions_token or secrets.token_hex(16)  # Rasa -> action server (bot/action_token.py)
        self.env = self._environment()
        self.proxy = ActionProxy(self.ports.proxy, f"http://127.0.0.1:{self.ports.actions}/webhook")
        rasa_bin, python = str(VENV_BIN / "rasa"), str(VENV_BIN / "python")
        self.actions = Server("actions", [rasa_bin, "run", "actions", "--actions", "actions",
                                          "--port", str(self.ports.actions)], {**self.env, "SANIC_HOST": "127.0.0.1"},
                              f"http://127.0.0.1:{self.ports.actions}/health", run_dir)
        self.rasa = Server("rasa", [rasa_bin, "run", "--model", "MODEL", "--enable-api", "--interface", "127.0.0.1",
                                    "--auth-token", self.rasa_token, "--port", str(self.ports.rasa),
                                    "--credentials", "credentials.yml", "--endpoints", str(run_dir / "endpoints.yml")],
                           self.env, f"http://127.0.0.1:{self.ports.rasa}/status?token={self.rasa_token}", run_dir)
        self.web = Server("web", [python, "-m", "bot.web"], self.env, f"{self.web_url}/healthz", run_dir)
        self.servers = (self.actions, self.rasa, self.web)
        self.startup_seconds: dict[str, float] = {}
        self.owned = True  # False: attached to servers another process started (never stopped from here)
        self.extras: dict[str, object] = {}  # per-run shared values (e.g. the logged-in console session)

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.db_path}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.rasa}"

    @property
    def rest_url(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"

    @property
    def wechat_url(self) -> str:
        return f"{self.rasa_url}/webhooks/wechat/webhook"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.web}"

    def _environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("BANDIAN_", "WECHAT_"))}
        env.update({
            "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "0", "TF_CPP_MIN_LOG_LEVEL": "2",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "RASA_TELEMETRY_ENABLED": "false",
            "DATABASE_URL": self.database_url, "ACTIONS_URL": f"http://127.0.0.1:{self.ports.proxy}/webhook",
            "RASA_PORT": str(self.ports.rasa), "ACTIONS_PORT": str(self.ports.actions),
            "BANDIAN_WEB_PORT": str(self.ports.web), "BANDIAN_RASA_URL": self.rasa_url,
            "BANDIAN_CONSOLE_USER": self.console_user, "BANDIAN_CONSOLE_PASSWORD": self.console_password,
            "BANDIAN_SECRET_KEY": self.secret_key, "WECHAT_TOKEN": self.wechat_token,
            "BANDIAN_RASA_TOKEN": self.rasa_token, "BANDIAN_ACTIONS_TOKEN": self.actions_token,
        })
        return env

    def start(self) -> None:
        if self.run_dir.exists():
            shutil.rmtree(self.run_dir)
        for folder in (self.db_dir, self.log_dir, self.run_dir / "pids"):
            folder.mkdir(parents=True)
        # endpoints.yml with the proxy as the action server (it names the default one, :5055) and the action
        # server's token (Rasa substitutes BANDIAN_ACTIONS_TOKEN from self.env), as scripts/env.sh writes it
        endpoints = (ROOT / "endpoints.yml").read_text(encoding="utf-8")
        line = f"  url: {DEFAULT_ACTIONS_URL}\n"
        assert line in endpoints, "endpoints.yml no longer names the default action server"
        (self.run_dir / "endpoints.yml").write_text(
            endpoints.replace(line, f"  url: {self.env['ACTIONS_URL']}\n  token: ${{BANDIAN_ACTIONS_TOKEN}}\n"),
            encoding="utf-8")
        self.rasa.argv[self.rasa.argv.index("--model") + 1] = model_path()
        subprocess.run([str(VENV_BIN / "python"), "-m", "bot.orders", "demo"], cwd=ROOT, env=self.env, check=True,
                       stdout=subprocess.DEVNULL)  # one customer manager per district, as `make run` loads
        self.proxy.start()
        began = time.monotonic()
        for server in self.servers:
            server.start()
        for server in self.servers:
            server.wait_ready()
            self.startup_seconds[server.name] = round(time.monotonic() - began, 1)

    def stop(self) -> None:
        if not self.owned:
            return
        for server in reversed(self.servers):
            with contextlib.suppress(Exception):
                server.stop()
        self.proxy.stop()

    def healthy(self) -> bool:
        return all(server.alive and http_ok(server.ready_url) for server in self.servers)

    def ensure_running(self) -> None:
        """Restart whatever a previous test left stopped (so one failed fault test does not sink the rest)."""
        self.proxy.disarm()
        if not self.owned:
            return
        for server in self.servers:
            if not server.alive:
                server.restart()


_shared: Stack | None = None
_failed: BaseException | None = None


def attached_stack(path: Path) -> Stack:
    """A stack started by another process (`python -m tests.faults.stack`), for developing the fuzz tests:
    its servers are used, never stopped (the fault tests, which kill and restart them, need an owned stack)."""
    info = json.loads(path.read_text())
    stack = Stack(Path(info["run_dir"]), Ports(**info["ports"]), rasa_token=info.get("rasa_token"),
                  actions_token=info.get("actions_token"))
    stack.console_password, stack.wechat_token, stack.secret_key = info["password"], info["token"], info["secret"]
    stack.owned = False
    return stack


def shared_stack() -> Stack:
    """The test process's stack, started on first use and stopped at exit (RELIABILITY_ATTACH: see attached_stack)."""
    global _shared, _failed
    if _failed is not None:
        raise RuntimeError("the servers could not be started earlier in this run") from _failed
    if _shared is None and os.environ.get("RELIABILITY_ATTACH"):
        _shared = attached_stack(Path(os.environ["RELIABILITY_ATTACH"]))
    if _shared is None:
        stack = Stack()
        atexit.register(stack.stop)
        try:
            stack.start()
        except BaseException as error:
            _failed = error
            stack.stop()
            raise
        _shared = stack
    return _shared


def stop_shared_stack() -> None:
    global _shared
    if _shared is not None:
        _shared.stop()
        _shared = None


def main(argv: list[str] | None = None) -> None:
    """Start a stack and keep it running until interrupted; its details go to <run dir>/stack.json."""
    argparse.ArgumentParser(prog="python -m tests.faults.stack",
                            description="Start the reliability suite's servers and keep them running until "
                                        "interrupted; RELIABILITY_ATTACH=<run dir>/stack.json lets the tests "
                                        "use them.").parse_args(argv)
    stack = Stack()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        stack.start()
        info = {"run_dir": str(stack.run_dir), "ports": stack.ports.__dict__, "password": stack.console_password,
                "token": stack.wechat_token, "secret": stack.secret_key, "rasa_token": stack.rasa_token,
                "actions_token": stack.actions_token}
        (stack.run_dir / "stack.json").write_text(json.dumps(info))
        print(f"running; RELIABILITY_ATTACH={stack.run_dir / 'stack.json'}", flush=True)
        while True:
            time.sleep(3600)
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
