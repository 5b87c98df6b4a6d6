"""The agent console (bot/web/console/, docs/console.md): 1,000 generated requests each for the login form,
the lookup API and the order actions, with and without a session, CSRF token and same-origin headers.

login    never a session for a wrong or forged login; refusals are 400/401/403/413/429 with a page
lookup   with a session: 200 with an answer (400 for an empty question); without: 401
orders   without a session, CSRF token or from another origin: 401/403, nothing changed; with all three,
         requests that must not change anything (invalid stage, unknown manager, empty note) change nothing
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from urllib.parse import quote, urlencode

import pytest

from tests.faults.client import ConsoleSession, log_in, login_form, new_console_session, request
from tests.faults.db import ACTIVITY, connect
from tests.faults.stack import ROOT, VENV_BIN, Stack
from tests.fuzz.harness import fuzz
from tests.fuzz.http import Case, Outcome
from tests.fuzz.inputs import SEED, Gen, cut_digit_runs
from tests.fuzz.known_bugs import odd_digits

TOTAL = 1000
NEXT_FIELD = re.compile(r'name="next" value="([^"]*)"')
OPS = ("reveal", "advance", "reassign", "note")
EVIL = "https://evil.example"


@pytest.fixture(scope="module")
def orders(stack: Stack) -> list[str]:
    """Two sample orders in the stack's database (the demo loader, as staff would use it)."""
    subprocess.run([str(VENV_BIN / "python"), "-m", "bot.orders", "demo", "--orders", "2"], cwd=ROOT, env=stack.env,
                   check=True, stdout=subprocess.DEVNULL)
    with connect(stack.db_path) as connection:
        return [number for (number,) in connection.execute("SELECT number FROM work_orders ORDER BY id LIMIT 2")]


@pytest.fixture(scope="module")
def logged_out(stack: Stack, console: ConsoleSession) -> Iterator[ConsoleSession]:
    """A session of its own, taken before the login fuzz locks the address; afterwards the agent logs out of it
    (no agent left "online" for the customers' fuzzing). Logging out revokes that session only: the run's
    shared one (`console`, taken first) stays valid for the later tests."""
    own = new_console_session(stack)
    yield own
    request(f"{stack.web_url}/agent/logout", "POST", urlencode({"csrf_token": own.csrf}).encode(),
            {**own.headers(), "Content-Type": "application/x-www-form-urlencoded"})


def page_text(outcome: Outcome) -> str | None:
    return outcome.text if outcome.status in (200, 302, 303) else None


def lookup_answer(outcome: Outcome) -> str | None:
    data = outcome.json()
    return data.get("answer") if isinstance(data, dict) and isinstance(data.get("answer"), str) else None


def no_session_issued(outcome: Outcome) -> list[str]:
    """A login fuzz request never yields a session, and the form's next field is always a console path."""
    found = []
    if any(c.startswith("bandian_console=") and not c.startswith('bandian_console="";') and "Max-Age=0" not in c
           for c in outcome.cookies):
        found.append("a console session cookie was issued")
    target = NEXT_FIELD.search(outcome.text)
    if target and (not target.group(1).startswith("/agent") or target.group(1).startswith("//")):
        found.append(f"unsafe next={target.group(1)!r}")
    return found


# ---- login --------------------------------------------------------------------------------

def login_case(stack: Stack, gen: Gen, forms: list[tuple[str, str]]) -> Case:
    url = f"{stack.web_url}/agent/login"
    if gen.chance(0.25):
        target = gen.pick(("//evil.example/x", "https://evil.example", "/agent/../../etc/passwd", "/agent\\evil",
                           "javascript:alert(1)", "/agent/orders", gen.text(surrogates=False, huge=0)[:200]))
        return Case("login-form", "GET", f"{url}?next={quote(target, safe='')}", None, gen.headers("text/html"),
                    expect="answer", note=target)
    cookie, token = gen.pick(forms)
    fields = {"username": gen.pick(("admin", "", "ADMIN", "admin ", gen.text(surrogates=False, huge=0)[:100])),
              "password": gen.pick(("", "wrong-password", "' OR '1'='1", gen.text(surrogates=False, huge=0)[:300])),
              "csrf_token": token, "next": gen.pick(("/agent", "//evil.example", "https://evil.example/agent"))}
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    roll = gen.rng.randrange(7)
    if roll == 0:
        fields.pop("csrf_token")
    elif roll == 1:
        fields["csrf_token"] = gen.pick(("", "x" * 32, token[:-1] + "A"))
    elif roll == 2:
        headers["Origin"] = gen.pick((EVIL, "null", "http://127.0.0.1.evil.example"))
    if gen.rng.randrange(4):
        headers["Cookie"] = cookie if gen.chance(0.8) else gen.pick(("bandian_console_login=forged.sig",
                                                                      "bandian_console_login=" + "A" * 4000))
    body = urlencode(fields).encode()
    if gen.chance(0.15):
        body, headers["Content-Type"] = gen.malformed_json(), gen.pick(("application/json", "multipart/form-data"))
    return Case("login-post", "POST", url, body, headers, expect="reject", note=json.dumps(fields)[:200],
                tags=form_tags(headers))


def form_tags(headers: dict[str, str]) -> frozenset[str]:
    kind = headers.get("Content-Type", "")
    return frozenset({"multipart-no-boundary"} if kind.startswith("multipart/") and "boundary=" not in kind else ())


def test_console_login_never_admits_1000_wrong_or_forged_logins(stack: Stack, logged_out: ConsoleSession):
    gen = Gen(SEED + 7)
    forms = [login_form(stack) for _ in range(5)]
    cases = [login_case(stack, gen, forms) for _ in range(TOTAL)]
    result = fuzz(stack, "console-login", cases, page_text, extra=no_session_issued)
    result.assert_clean()
    locked = log_in(stack)  # 20 failed logins from this address: even the right password is refused now
    assert locked.status == 429 and "登录失败次数过多" in locked.text, (locked.status, locked.text[:300])
    assert request(f"{stack.web_url}/agent", headers=logged_out.headers()).status == 200  # open sessions stay


# ---- lookup -------------------------------------------------------------------------------

def lookup_case(stack: Stack, gen: Gen, session: ConsoleSession) -> Case:
    question = gen.text(surrogates=False, huge=0)[:600]
    region = gen.pick(("", "yantai", "anyang", "zaozhuang", "nowhere", "../etc", gen.text(surrogates=False, huge=0)))
    query = f"q={quote(question, safe='')}&region={quote(region[:100], safe='')}"
    special = gen.chance(0.05)
    if special:
        query = gen.pick(("", "q=%ff%fe", "q=%E6%9E", "q=" + "%00" * 100, "q=a&q=b", "region=anyang"))
    headers = gen.headers("text/plain")
    if gen.chance(0.7):
        headers["Cookie"] = session.cookie
        expect = "answer" if question.strip()[:500] and not special else "clean"
    else:
        headers["Cookie"] = gen.pick(("", "bandian_console=forged.sig", session.cookie[:-3] + "xyz",
                                      session.cookie.replace("bandian_console=", "bandian_console_login="),
                                      "bandian_console=" + session.cookie.split("=", 1)[1].split(".")[0] + "."))
        expect = "reject"
    return Case("lookup", "GET", f"{stack.web_url}/agent/api/lookup?{query}", None, headers, expect=expect,
                note=question[:200])


def test_console_lookup_api_answers_or_refuses_1000_requests(stack: Stack, logged_out: ConsoleSession):
    gen = Gen(SEED + 8)
    cases = [lookup_case(stack, gen, logged_out) for _ in range(TOTAL)]
    fuzz(stack, "console-lookup", cases, lookup_answer).assert_clean()


# ---- order actions ------------------------------------------------------------------------

def number_in_path(gen: Gen, orders: list[str]) -> tuple[str, frozenset[str]]:
    real = gen.pick(orders)
    raw = gen.pick((real, f"{real[:5]}-{real[5:]}", "".join(chr(ord("０") + int(d)) for d in real),
                    "1234567890", "0000000000", real[:-1] + str((int(real[-1]) + 1) % 10), "", "..", "%2e%2e",
                    "..%2f..%2fetc%2fpasswd", "%00", "፩" * 10, "١٢٣٤٥٦٧٨٩٠", cut_digit_runs("9" * 5000),
                    gen.text(surrogates=False, huge=0)[:80]))
    tags = frozenset({"odd-digits"}) if odd_digits(raw, nfkc=True) else frozenset()
    return (raw if "%" in raw else quote(raw, safe="")), tags


def order_case(stack: Stack, gen: Gen, session: ConsoleSession, orders: list[str]) -> Case:
    number, tags = number_in_path(gen, orders)
    authorized = gen.chance(0.35)
    ops = OPS[1:] if authorized else OPS  # an authorized reveal is legitimately audited
    op = gen.pick((*ops, *ops, "delete", "../reveal", "", "advance/x"))
    method = "POST" if gen.chance(0.85) else gen.pick(("GET", "PUT", "DELETE"))
    url = f"{stack.web_url}/agent/orders/{number}" + (f"/{op}" if op else "")
    fields = {"to_stage": gen.pick(("", "nowhere", "COMPLETED", "submitted ", gen.text(surrogates=False, huge=0)[:40])),
              "manager": gen.pick(("", "0", "999999", "-1", "abc", "²", "9" * 20)),
              "note": gen.pick(("", "   ", "\u3000\t\n")), "csrf_token": session.csrf}
    headers = {"Content-Type": gen.pick(("application/x-www-form-urlencoded",) * 8 + ("multipart/form-data", "")),
               "Cookie": session.cookie}
    if not authorized:
        broken = gen.rng.randrange(5)
        if broken == 0:
            headers.pop("Cookie")
        elif broken == 1:
            headers["Cookie"] = gen.pick(("bandian_console=forged.sig", session.cookie[:-4] + "abcd"))
        elif broken == 2:
            fields.pop("csrf_token")
        elif broken == 3:
            fields["csrf_token"] = gen.pick(("", "x" * 32, session.csrf[:-1] + "Z"))
        else:
            headers["Origin"] = gen.pick((EVIL, "null", "http://evil.example"))
    elif gen.chance(0.3):
        headers["X-CSRF-Token"] = fields.pop("csrf_token")
    if fields.get("manager") == "²":
        tags |= {"odd-digits"}
    tags |= form_tags(headers)
    expect = "clean" if authorized or method != "POST" or op not in OPS else "reject"
    return Case(f"order-{op or 'page'}", method, url, urlencode(fields).encode(), headers, expect=expect,
                note=f"authorized={authorized} {json.dumps(fields, ensure_ascii=False)[:150]}", tags=tags)


def test_console_order_actions_refuse_1000_unauthorized_or_invalid_requests(
        stack: Stack, logged_out: ConsoleSession, orders: list[str]):
    gen = Gen(SEED + 9)
    cases = [order_case(stack, gen, logged_out, orders) for _ in range(TOTAL)]
    result = fuzz(stack, "console-orders", cases, page_text, activity=ACTIVITY)
    result.assert_clean()


def test_a_note_with_markup_is_shown_escaped(stack: Stack, logged_out: ConsoleSession, orders: list[str]):
    number = orders[0]
    posted = request(f"{stack.web_url}/agent/orders/{number}/note", "POST",
                     urlencode({"note": "<script>alert(1)</script>", "csrf_token": logged_out.csrf}).encode(),
                     {**logged_out.headers(), "Content-Type": "application/x-www-form-urlencoded"})
    assert posted.status == 303
    shown = request(f"{stack.web_url}/agent/orders/{number}", headers=logged_out.headers())
    assert shown.status == 200 and "<script>alert(1)</script>" not in shown.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.text


def test_an_order_number_of_strange_digits_is_not_found(stack: Stack, logged_out: ConsoleSession):
    answer = request(f"{stack.web_url}/agent/orders/{quote('፩' * 10)}", headers=logged_out.headers())
    assert answer.status == 404, f"HTTP {answer.status}: {answer.text[:200]}"


def test_a_login_post_without_multipart_boundary_is_refused(stack: Stack):
    answer = request(f"{stack.web_url}/agent/login", "POST", b"username=admin",
                     {"Content-Type": "multipart/form-data"})
    assert 400 <= answer.status < 500, f"HTTP {answer.status}: {answer.text[:200]}"


def test_a_strange_manager_id_is_refused_politely(stack: Stack, logged_out: ConsoleSession, orders: list[str]):
    answer = request(f"{stack.web_url}/agent/orders/{orders[0]}/reassign", "POST",
                     urlencode({"manager": "²", "csrf_token": logged_out.csrf}).encode(),
                     {**logged_out.headers(), "Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status == 303, f"HTTP {answer.status}: {answer.text[:200]}"
