"""The action server's token: anyone who could reach the action server could otherwise run any action
(book, look up and change orders) by calling /webhook directly.

Rasa sends the token with every action call (endpoints: `action_endpoint: token: ${BANDIAN_ACTIONS_TOKEN}`;
Rasa's EndpointConfig adds it as `?token=`), and the action server refuses every request without the right
one (401 without a token, 403 with a wrong one; compared in constant time) - except the probes, /health
and /readyz, which answer GET and HEAD and any other method with 405. The check is a Sanic request
middleware that rasa_sdk's plug-in hook attaches (rasa_sdk_plugins/). Refused calls are logged at most once
a minute per client, with a count of the ones in between (`RefusedCalls`).

The token: BANDIAN_ACTIONS_TOKEN, else var/actions-token (created once, mode 0600). The scripts that start
an action server and Rasa (scripts/run.sh, shell.sh, test.sh, bench.sh, run-prod.sh) export it to both.

The action server listens on SANIC_HOST, which rasa_sdk reads after the plug-in hook ran (rasa_sdk
3.6 `endpoint.run`) and which defaults to 0.0.0.0 there; unset, the hook sets it to 127.0.0.1, so a
plain `rasa run actions` listens on loopback only.

A plain `rasa run actions` and `rasa shell` from a fresh clone, with the repository's endpoints.yml,
must work without any environment; but endpoints.yml cannot name the token (Rasa stops at an unset
${VAR}, and a token written into the repository is no secret). So one exception, the narrowest that
makes that work: a request WITHOUT a token is served when
  - BANDIAN_ACTIONS_TOKEN is not set (set, every client has been given it, and it is always required),
  - the action server listens on loopback only (SANIC_HOST 127.0.0.1, ::1, localhost),
  - the request comes from loopback, names a loopback Host (not a DNS-rebound name), and carries no
    Origin header (a browser's cross-site POST does; Rasa's does not).
A wrong token is refused all the same. An action server on any other interface needs BANDIAN_ACTIONS_TOKEN
(it refuses to start without: clients on other machines cannot read this machine's var/actions-token).
"""

from __future__ import annotations

import argparse
import hmac
import inspect
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.services import current
from bot.settings import PROJECT_ROOT, Settings, is_loopback

logger = logging.getLogger(__name__)

TOKEN_FILE = PROJECT_ROOT / "var" / "actions-token"
OPEN_PATHS = frozenset({"/health", "/readyz"})  # liveness (rasa_sdk) and readiness (actions/readiness.py)
ALLOWED_ON_PROBES = "GET, HEAD"  # any other method there: 405
DEFAULT_HOST = "127.0.0.1"


def actions_token(settings: Settings, token_file: Path | None = None) -> str:
    """BANDIAN_ACTIONS_TOKEN, else var/actions-token (created once, mode 0600)."""
    from bot.secretfile import read_or_create_secret

    return settings.actions_token.strip() or read_or_create_secret(token_file or TOKEN_FILE)


@dataclass(frozen=True)
class Policy:
    token: str
    tokenless_on_loopback: bool  # a request without a token from this machine is served (see the module doc)


def policy(settings: Settings, host: str, token_file: Path | None = None) -> Policy:
    """What the action server listening on `host` accepts. ValueError: it must not start."""
    explicit = settings.actions_token.strip()
    if any(char.isspace() for char in explicit):
        raise ValueError("BANDIAN_ACTIONS_TOKEN must not contain spaces")
    if not is_loopback(host) and not explicit:
        raise ValueError(f"the action server would listen on {host or '0.0.0.0'} (SANIC_HOST) with a token only "
                         "this machine knows: set BANDIAN_ACTIONS_TOKEN for it and for Rasa (action_endpoint: "
                         "token: ${BANDIAN_ACTIONS_TOKEN}), or leave SANIC_HOST unset (127.0.0.1)")
    return Policy(actions_token(settings, token_file), tokenless_on_loopback=is_loopback(host) and not explicit)


def _host_name(host_header: str) -> str:
    """The name of a Host header without its port: "127.0.0.1:5055" -> 127.0.0.1, "[::1]:5055" -> ::1."""
    host = host_header.strip()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def refusal(rules: Policy, path: str, token: str | None, client: str, host_header: str,
            origin: str | None) -> int | None:
    """The status to refuse a request with (401: no token, 403: a wrong one), or None to serve it."""
    if path in OPEN_PATHS:
        return None
    if not token:
        local = (rules.tokenless_on_loopback and is_loopback(client or "") and is_loopback(_host_name(host_header))
                 and origin is None)
        return None if local else 401
    return None if hmac.compare_digest(token.encode(), rules.token.encode()) else 403


def listen_host() -> str:
    """The interface rasa_sdk is about to listen on: SANIC_HOST, set to 127.0.0.1 when unset."""
    if not os.environ.get("SANIC_HOST", "").strip():
        os.environ["SANIC_HOST"] = DEFAULT_HOST
    return os.environ["SANIC_HOST"].strip()


def attach(app: Any, settings: Settings | None = None) -> None:
    """Refuse requests without the token on `app` (rasa_sdk's Sanic app; rasa_sdk_plugins calls this)."""
    from sanic import response

    host = listen_host()
    try:
        rules = policy(settings or current().settings, host)
    except ValueError as error:
        logger.error("%s", error)
        raise SystemExit(f"action server not started: {error}") from None
    if rules.tokenless_on_loopback:
        logger.info("action server on %s: calls from this machine need no token (BANDIAN_ACTIONS_TOKEN is not "
                    "set); a wrong token is refused", host)

    refused = RefusedCalls()

    async def require_token(request: Any) -> Any:
        if request.path in OPEN_PATHS:
            return await _probe(request, refused)
        status = refusal(rules, request.path, request.args.get("token"), request.ip, request.host,
                         request.headers.get("origin"))
        if status is None:
            return None
        refused.note(request.ip, f"{request.method} {request.path}", "no token" if status == 401 else "wrong token")
        error = "token required (?token=)" if status == 401 else "wrong token"
        return response.json({"error": error}, status=status)

    app.register_middleware(require_token, "request")


async def _probe(request: Any, refused: RefusedCalls) -> Any:
    """/health and /readyz: GET served by their routes; HEAD by the same handler (Sanic sends no body); any
    other method 405. (Sanic finds no route for POST /health and runs the request middleware from its error
    path; without this rasa_sdk's catch-all exception handler answered 500 and logged a traceback.)"""
    from sanic import response

    if request.method == "GET":
        return None
    if request.method == "HEAD":
        _route, handler, kwargs = request.app.router.get(request.path, "GET", request.host)
        answer = handler(request, **kwargs)
        return await answer if inspect.isawaitable(answer) else answer
    refused.note(request.ip, f"{request.method} {request.path}", "method not allowed")
    return response.json({"error": "method not allowed"}, status=405, headers={"Allow": ALLOWED_ON_PROBES})


class RefusedCalls:
    """The WARNING lines for refused calls: at most one per client a minute. The first refused call of a client
    is logged; the ones in the next minute are counted, and the first one after it is logged with that count
    ("… refused (no token); 250 more refused since the last line"). At most MAX_CLIENTS clients are told
    apart; beyond them, while all are within their minute, the rest share one line a minute."""

    WINDOW = 60.0
    MAX_CLIENTS = 1024
    OTHERS = "other clients"

    def __init__(self, log: logging.Logger | None = None, clock: Callable[[], float] = time.monotonic):
        self._log = log or logger
        self._clock = clock
        self._clients: dict[str, tuple[float, int]] = {}  # client -> (when its last line was written, calls since)

    def note(self, client: str, call: str, reason: str) -> None:
        now = self._clock()
        key = client or "?"
        if key not in self._clients and len(self._clients) >= self.MAX_CLIENTS:
            self._clients = {name: seen for name, seen in self._clients.items() if now - seen[0] < self.WINDOW}
            if len(self._clients) >= self.MAX_CLIENTS:
                key = self.OTHERS
        logged, quiet = self._clients.get(key, (None, 0))
        if logged is not None and now - logged < self.WINDOW:
            self._clients[key] = (logged, quiet + 1)
            return
        self._clients[key] = (now, 0)
        more = f"; {quiet} more refused since the last line" if quiet else ""
        self._log.warning("action server: %s from %s refused (%s)%s", call, client, reason, more)


def main(argv: list[str]) -> int:
    """`python -m bot.action_token`: print the token (for the scripts that start the action server and Rasa)."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.action_token",
        description="Print the action server's token: BANDIAN_ACTIONS_TOKEN, else var/actions-token (created "
                    "once, mode 0600). Rasa sends it as ?token= (action_endpoint: token: ${BANDIAN_ACTIONS_TOKEN}).")
    try:
        parser.parse_args(argv)
    except SystemExit as stop:  # --help (0) or a usage error (2)
        return stop.code if isinstance(stop.code, int) else 2
    settings = Settings.from_env()
    if any(char.isspace() for char in settings.actions_token.strip()):
        print("BANDIAN_ACTIONS_TOKEN must not contain spaces", file=sys.stderr)
        return 1
    print(actions_token(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
