"""Security checks against the running stack and the git tree.

- the agent console refuses requests without a session (pages redirect to the login form, APIs 401,
  actions 401) and cross-site requests (Origin/Referer of another site, or no CSRF token: 403);
- status lookups cannot be used to enumerate orders: an unknown number and a right number with a wrong
  phone suffix get the same reply, and after five misses lookups are locked, even for the right details;
- after bookings with phone numbers, neither the servers' logs nor Rasa's stored conversation events hold
  a raw mobile number;
- the action server runs nothing for a caller without its token (only Rasa has it);
- no secrets in the files git tracks.
Runs last in scripts/test-reliability.sh, so the logs it reads cover the whole run.
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.parse
from dataclasses import replace
from pathlib import Path

import pytest

from bot.orders import numbers
from bot.settings import Settings, rasa_listen
from tests.faults.booking import new_phone
from tests.faults.client import book_until_summary, console_session, new_sender, request, say, shown_orders
from tests.faults.db import ACTIVITY, differences, snapshot
from tests.faults.results import record
from tests.faults.stack import ROOT, Stack

EVIL = "https://evil.example"
PAGES = ("/agent", "/agent/orders", "/agent/orders/{order}", "/agent/handoffs", "/agent/handoffs/1", "/agent/feedback",
         "/agent/callbacks", "/agent/pushes")
APIS = ("/agent/api/lookup?q=%E5%B1%85%E6%B0%91", "/agent/api/handoffs", "/agent/api/handoffs/1/messages")
ACTIONS = ("/agent/logout", "/agent/orders/{order}/reveal", "/agent/orders/{order}/advance",
           "/agent/orders/{order}/reassign", "/agent/orders/{order}/note", "/agent/handoffs/1/take",
           "/agent/handoffs/1/reply", "/agent/handoffs/1/hand-back", "/agent/api/handoffs/1/reply",
           "/agent/callbacks/1/done", "/agent/callbacks/1/reveal")
MOBILE = re.compile(r"(?<![0-9０-９])1[3-9]\d{9}(?![0-9０-９])")
NO_MATCH = "没有找到"
RASA_PAYLOAD_WARNING = "Failed to parse arguments in line"  # see the xfail test below


@pytest.fixture(scope="module")
def order(stack: Stack) -> tuple[str, str]:
    """A staff booking made through the REST channel: (order number, phone)."""
    sender, phone = new_sender("sec-booking"), new_phone()
    book_until_summary(stack, sender, phone)
    status, reply = say(stack, sender, "确认")
    found = shown_orders(reply)
    assert status == 200 and len(found) == 1, reply
    return found.pop(), phone


def _form(extra: dict[str, str] | None = None) -> bytes:
    return urllib.parse.urlencode({"to_stage": "accepted", "note": "x", "text": "x", **(extra or {})}).encode()


def test_console_refuses_requests_without_a_session(stack: Stack, order: tuple[str, str]):
    number = order[0]
    before = snapshot(stack.db_path, ignore=ACTIVITY)
    wrong = []
    for path in PAGES:
        answer = request(stack.web_url + path.format(order=number))
        if answer.status != 302 or "/agent/login" not in (answer.headers or {}).get("Location", ""):
            wrong.append(f"GET {path}: HTTP {answer.status}")
    for path in APIS:
        answer = request(stack.web_url + path)
        if answer.status != 401 or "error" not in json.loads(answer.body or b"{}"):
            wrong.append(f"GET {path}: HTTP {answer.status}")
    for path in ACTIONS:
        answer = request(stack.web_url + path.format(order=number), "POST", _form(),
                         {"Content-Type": "application/x-www-form-urlencoded"})
        if answer.status != 401:
            wrong.append(f"POST {path}: HTTP {answer.status}")
    changed = differences(before, snapshot(stack.db_path, ignore=ACTIVITY))
    record("security:console-unauthenticated", tried=len(PAGES) + len(APIS) + len(ACTIONS),
           failures=len(wrong) + len(changed))
    assert not wrong, wrong
    assert not changed, changed


@pytest.mark.parametrize(("case", "headers"), [
    ("evil-origin", {"Origin": EVIL}), ("null-origin", {"Origin": "null"}), ("evil-referer", {"Referer": f"{EVIL}/x"}),
    ("look-alike-origin", {"Origin": "http://127.0.0.1.evil.example"}), ("no-csrf-token", {})])
def test_console_refuses_cross_site_requests_with_a_session(stack: Stack, order: tuple[str, str], case: str,
                                                            headers: dict[str, str]):
    session = console_session(stack)
    number = order[0]
    before = snapshot(stack.db_path, ignore=ACTIVITY)
    token = {} if not headers else {"csrf_token": session.csrf}  # the last case: same origin, no token
    wrong = []
    for path in ACTIONS[1:]:  # logout is an action too, but refusing it would only keep the session
        answer = request(stack.web_url + path.format(order=number), "POST", _form(token),
                         session.headers(**headers, **{"Content-Type": "application/x-www-form-urlencoded"}))
        if answer.status != 403:
            wrong.append(f"POST {path} with {headers or 'no token'}: HTTP {answer.status}")
    changed = differences(before, snapshot(stack.db_path, ignore=ACTIVITY))
    record(f"security:console-cross-site:{case}", tried=len(ACTIONS) - 1,
           failures=len(wrong) + len(changed))
    assert not wrong, wrong
    assert not changed, changed


def test_status_lookups_cannot_enumerate_orders(stack: Stack, order: tuple[str, str]):
    number, phone = order
    display = numbers.display(number)
    wrong_suffix = str((int(phone[-4:]) + 1) % 10000).zfill(4)
    unknown = say(stack, new_sender("enum"), f"查询工单{numbers.display(numbers.new_number())} 手机尾号{phone[-4:]}")[1]
    wrong = say(stack, new_sender("enum"), f"查询工单{display} 手机尾号{wrong_suffix}")[1]
    right = say(stack, new_sender("enum"), f"查询工单{display} 手机尾号{phone[-4:]}")[1]
    record("security:status-enumeration", tried=3, failures=int(unknown != wrong) + int("当前阶段" not in right))
    assert unknown == wrong and NO_MATCH in unknown, (unknown, wrong)
    assert "当前阶段" in right and phone not in right, right


def test_status_lookups_lock_after_five_misses(stack: Stack, order: tuple[str, str]):
    number, phone = order
    display, suffix = numbers.display(number), phone[-4:]
    prober = new_sender("prober")
    misses = [say(stack, prober, f"查询工单{numbers.display(numbers.new_number())} 手机尾号{suffix}")[1]
              for _ in range(5)]
    locked_for_prober = say(stack, prober, f"查询工单{display} 手机尾号{suffix}")[1]
    for _ in range(5):  # five misses on this order, each from a conversation of its own
        say(stack, new_sender("spray"), f"查询工单{display} 手机尾号{str((int(suffix) + 7) % 10000).zfill(4)}")
    locked_for_order = say(stack, new_sender("owner"), f"查询工单{display} 手机尾号{suffix}")[1]
    record("security:status-lockout", tried=12, failures=int("当前阶段" in locked_for_prober)
           + int("当前阶段" in locked_for_order))
    assert all(NO_MATCH in miss for miss in misses), misses
    assert "当前阶段" not in locked_for_prober and NO_MATCH not in locked_for_prober, locked_for_prober
    assert "当前阶段" not in locked_for_order, locked_for_order


def numbers_in_logs(stack: Stack) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Raw mobile numbers per log file: (unexplained, explained by the known Rasa warning leak)."""
    found: dict[str, list[str]] = {}
    known: dict[str, list[str]] = {}
    for path in sorted(stack.log_dir.glob("*.log")):
        for line in path.read_text(errors="replace").splitlines():
            for number in MOBILE.findall(line):
                target = known if RASA_PAYLOAD_WARNING in line else found
                target.setdefault(path.name, []).append(number)
    return found, known


def test_logs_and_stored_conversations_hold_no_raw_mobile_numbers(stack: Stack, order: tuple[str, str]):
    sender, phone = new_sender("pii"), new_phone()
    book_until_summary(stack, sender, phone)
    say(stack, sender, "确认")
    say(stack, sender, f"电话写错了，是{phone}")
    tracker = request(f"{stack.rasa_url}/conversations/{sender}/tracker?token={stack.rasa_token}")
    assert tracker.status == 200, tracker.text[:200]
    in_tracker = sorted(set(MOBILE.findall(tracker.text)))
    in_logs, known = numbers_in_logs(stack)
    record("security:pii", tried=1 + len(list(stack.log_dir.glob("*.log"))), failures=len(in_tracker) + len(in_logs),
           known_bug_failures=sum(len(v) for v in known.values()), numbers_in_tracker=len(in_tracker),
           numbers_in_logs={name: len(found) for name, found in in_logs.items()})
    assert phone not in tracker.text and not in_tracker, in_tracker
    assert order[1] not in json.dumps(in_logs) and not in_logs, in_logs


# Reproducer of docs/reliability.md bug 14: a message starting with / is parsed as an intent payload; when that
# fails Rasa warns with the whole message (warnings.warn to stderr, past the logging filters). The Rasa process
# now masks warnings too (bot.masking.mask_warnings, installed by bot/rasa_plugins/log_masking.py).
def test_a_slash_message_with_a_phone_number_is_not_logged_raw(stack: Stack):
    phone = new_phone()
    say(stack, new_sender("slash"), f'/inform{{"booking_phone":"{phone}"}}')
    log = (stack.log_dir / "rasa.log").read_text(errors="replace")
    assert phone not in log
    assert f'{phone[:3]}****{phone[-4:]}' in log  # the warning is still there, masked


def _tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True)
    return [name for name in out.stdout.decode().split("\0") if name]


# Built from pieces so that this file does not match itself once it is committed.
PRIVATE_KEY = re.compile("-----BEGIN " + r"(?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----")
ASSIGNED_SECRET = re.compile(r"^[ \t]*(?:export[ \t]+)?([A-Z0-9_]*(?:SECRET|PASSWORD|TOKEN|AES_KEY)[A-Z0-9_]*)"
                             r"[ \t]*[=:][ \t]*[\"']?([^\"'\s#$}{]+)", re.M)
CLOUD_KEYS = re.compile("AKIA" + r"[0-9A-Z]{16}|" + "gh" + r"p_[0-9A-Za-z]{36}|xox" + r"[bp]-[0-9A-Za-z-]{20,}")
NEVER_TRACKED = re.compile(r"(^|/)(\.env|[^/]*\.(pem|key|p12|pfx)|secret\.key|console-secret\.key)$|^var/")
PLACEHOLDER = re.compile(r"^(?:<.*>|\.\.\.|x+|changeme|change-me|example.*|your[-_].*|e2e-token|\*+|none|false|true)$",
                         re.I)


def test_no_secrets_are_committed():
    problems = []
    for name in _tracked_files():
        if NEVER_TRACKED.search(name):
            problems.append(f"{name}: a secret-bearing file is tracked")
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        if PRIVATE_KEY.search(text):
            problems.append(f"{name}: a private key")
        if CLOUD_KEYS.search(text):
            problems.append(f"{name}: a cloud/API key")
        if re.search(r"(^|/)\.env[^/]*$|\.(ya?ml|ini|cfg|conf|toml|sh)$|Dockerfile", name):
            for key, value in ASSIGNED_SECRET.findall(text):
                if not PLACEHOLDER.match(value):
                    problems.append(f"{name}: {key} has a value")
    ignored = all(subprocess.run(["git", "check-ignore", "-q", name], cwd=ROOT).returncode == 0
                  for name in (".env", "var/secret.key", "var/console-secret.key", "deploy/.env"))
    record("security:secrets", tried=len(_tracked_files()), failures=len(problems) + int(not ignored))
    assert not problems, problems
    assert ignored, ".env and var/ must be ignored by git"


def test_the_action_server_refuses_calls_without_its_token(stack: Stack):
    """Red team round 2, W1 (docs/reliability.md): whoever reached the action server could run any action. It
    now answers only the probes without the token Rasa sends (bot/action_token.py), even on loopback."""
    url = f"http://127.0.0.1:{stack.ports.actions}"
    body = json.dumps({"next_action": "action_security_no_such_action", "sender_id": "sec-token",
                       "tracker": {"sender_id": "sec-token", "slots": {}, "latest_message": {}, "events": [],
                                   "paused": False, "followup_action": None, "active_loop": {},
                                   "latest_action_name": None},
                       "domain": {}, "version": "3.6.21"}).encode()
    headers = {"Content-Type": "application/json"}
    expected = {("POST", "/webhook"): 401, ("POST", f"/webhook?token={stack.actions_token[::-1]}"): 403,
                ("POST", "/webhook?token="): 401, ("GET", "/actions"): 401,
                ("POST", f"/webhook?token={stack.actions_token}"): 404,  # reached the executor: no such action
                ("GET", "/health"): 200, ("GET", "/readyz"): 200}
    wrong = []
    for (method, path), status in expected.items():
        answer = request(url + path, method, body if method == "POST" else None, headers)
        if answer.status != status:
            wrong.append(f"{method} {path.replace(stack.actions_token, '<token>')}: HTTP {answer.status}, not {status}")
    record("security:action-server-token", tried=len(expected), failures=len(wrong))
    assert not wrong, wrong


# Reproducer of docs/reliability.md bug 15: scripts/run.sh started Rasa with --enable-api on 0.0.0.0 (Rasa's default
# interface) without --auth-token: anyone who reached port 5005 could read conversations, inject events or replace
# the model. Now Rasa listens on BANDIAN_RASA_HOST (default 127.0.0.1); another interface needs BANDIAN_RASA_TOKEN,
# and the API always has a token (BANDIAN_RASA_TOKEN, else generated into var/rasa-token: tests/security).
def test_the_embedded_profile_does_not_open_rasas_http_api_to_the_network(tmp_path: Path):
    script = (ROOT / "scripts" / "run.sh").read_text()
    line = next(line for line in script.splitlines() if '"$RASA" run --model' in line or "rasa run --model" in line)
    assert "--enable-api" in line and re.search(r"(-i|--interface) \S", line), line
    assert '--auth-token "$rasa_token"' in line and "bot.settings rasa-listen" in script
    defaults = Settings.from_env({"BANDIAN_RASA_HOST": "", "BANDIAN_RASA_TOKEN": ""})
    host, token = rasa_listen(defaults, tmp_path / "rasa-token")
    assert host == "127.0.0.1" and token == (tmp_path / "rasa-token").read_text()
    with pytest.raises(ValueError):
        rasa_listen(replace(defaults, rasa_host="0.0.0.0"), tmp_path / "rasa-token")
    assert rasa_listen(replace(defaults, rasa_host="0.0.0.0", rasa_token="t0k")) == ("0.0.0.0", "t0k")
