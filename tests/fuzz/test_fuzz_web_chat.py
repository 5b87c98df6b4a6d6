"""The web chat's JSON API (bot/web/chat.py, docs/web.md): 1,000 generated bad inputs per endpoint.

/api/chat     valid-but-strange messages are answered (a follow-up in the same session too); the rest
              get 400/413 with {"error": …} and store nothing
/api/feedback every generated rating is refused (wrong types, or an answer of another session), nothing
              rated; then a real answer is rated once
/api/updates  strange query strings: 200 or 400, nothing stored
/api/leave    strange bodies: 200 (nothing open to close) or 400, nothing changed

Session ids are issued by the web app (POST /api/session): the cases use a pool of issued ids, and a
well-formed id the app did not issue is refused (403) like a malformed one.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import pytest

from tests.faults.client import new_web_session, post_json, request
from tests.faults.db import ACTIVITY, differences, snapshot
from tests.faults.stack import Stack
from tests.fuzz.conftest import still_answers
from tests.fuzz.harness import fuzz
from tests.fuzz.http import Case, Outcome
from tests.fuzz.inputs import RASA_COMMANDS, SEED, Gen
from tests.fuzz.known_bugs import beyond_int64, body_tags, has_lone_surrogate, header_tags, odd_digits, text_tags

TOTAL = 1000
MAX_BODY = 256 * 1024
MAX_CHARS = 2000
MAX_REPLIES = 5
SESSION = re.compile(r"[A-Za-z0-9_-]{8,64}")
POOL = 40  # issued session ids the cases pick from


def issued(stack: Stack) -> list[str]:
    if "web_sessions" not in stack.extras:
        stack.extras["web_sessions"] = [new_web_session(stack) for _ in range(POOL)]
    return stack.extras["web_sessions"]  # type: ignore[return-value]


def some_session(stack: Stack, gen: Gen, chance: float) -> str:
    """An issued session id (with `chance`), else a well-formed one the app never issued or random text."""
    if gen.chance(chance):
        return gen.pick(issued(stack))
    return gen.identifier() if gen.chance(0.5) else gen.text(surrogates=False, huge=0)[:80]


def parsed(body: bytes) -> dict[str, Any] | None:
    """The body as the web app reads it (a JSON object, else None: 400)."""
    try:
        data = json.loads(body or b"null")
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def valid_session(value: Any, sessions: list[str]) -> bool:
    return isinstance(value, str) and SESSION.fullmatch(value) is not None and value in sessions


def chat_expectation(body: bytes, sessions: list[str]) -> str:
    """docs/web.md: a session id the app issued; message a non-blank string of at most 2,000 characters;
    display absent or a string of at most 2,000; bodies over 256 KB get 413; anything else 400 (403 for a
    well-formed session id the app did not issue)."""
    data = parsed(body) if len(body) <= MAX_BODY else None
    if data is None or not valid_session(data.get("session"), sessions):
        return "reject"
    message, display = data.get("message"), data.get("display")
    if not isinstance(message, str) or not message.strip() or len(message) > MAX_CHARS:
        return "reject"
    if display is not None and (not isinstance(display, str) or len(display) > MAX_CHARS):
        return "reject"
    if has_lone_surrogate(message) or has_lone_surrogate(display):
        return "reject"  # text no store can keep (since fcbb4a0: 400)
    return "clean" if message.strip().startswith(RASA_COMMANDS) else "answer"  # /restart may answer nothing


def chat_text(outcome: Outcome) -> str | None:
    data = outcome.json()
    if not isinstance(data, dict) or not isinstance(data.get("replies"), list):
        return None
    texts = "\n".join(str(r.get("text") or "") for r in data["replies"] if isinstance(r, dict))
    return texts or (f"(handoff {data['handoff']})" if data.get("handoff") not in (None, "none") else None)


def few_replies(outcome: Outcome) -> list[str]:
    data = outcome.json()
    replies = data.get("replies") if isinstance(data, dict) else None
    if outcome.case.expect == "answer" and isinstance(replies, list) and len(replies) > MAX_REPLIES:
        return [f"{len(replies)} messages for one turn (a loop?)"]
    return []


def ok_flag(outcome: Outcome) -> str | None:
    data = outcome.json()
    return "ok" if isinstance(data, dict) and data.get("ok") is True else None


def _payload(gen: Gen, fields: dict[str, Any]) -> bytes:
    """Mostly a JSON object with strange fields; sometimes a malformed body or one over the size limit."""
    roll = gen.rng.random()
    if roll < 0.15:
        return gen.malformed_json()
    if roll < 0.18:
        return json.dumps({**fields, "message": "枣" * (MAX_BODY // 2)}).encode()
    for name in list(fields):
        if gen.chance(0.2):
            fields[name] = gen.value()
    if gen.chance(0.1):
        fields[gen.text(huge=0)[:10]] = gen.value()
    return json.dumps(fields).encode()


def chat_case(stack: Stack, gen: Gen) -> Case:
    session = some_session(stack, gen, 0.85)
    message = gen.text()
    fields: dict[str, Any] = {"session": session, "message": message}
    if gen.chance(0.15):
        fields["display"] = gen.text(huge=0)
    if gen.chance(0.05):
        fields["silent"] = gen.value()
    body, headers = _payload(gen, fields), gen.headers()
    expect, follow_up = chat_expectation(body, issued(stack)), None
    data = parsed(body) or {}
    if expect == "answer" and data.get("silent") is not True and gen.chance(0.3):
        follow = json.dumps({"session": data["session"], "message": "你好"}).encode()
        follow_up = Case("follow-up", "POST", f"{stack.web_url}/api/chat", follow, {"Content-Type": "application/json"},
                         expect="answer", note=f"after {data.get('message')!r}"[:200])
    tags = body_tags(body) | header_tags(headers) | text_tags(data.get("display"))
    return Case("chat", "POST", f"{stack.web_url}/api/chat", body, headers, expect=expect,
                note=repr(data.get("message"))[:200], tags=tags, follow_up=follow_up)


def feedback_case(stack: Stack, gen: Gen) -> Case:
    fields = {"session": gen.identifier(), "exchange_id": gen.pick((1, 2, 3, 10**6, -1, 0)),
              "rating": gen.pick((1, -1))}
    body = _payload(gen, fields)
    data = parsed(body) if len(body) <= MAX_BODY else None
    tags = body_tags(body) | (frozenset({"big-int"}) if data and beyond_int64(data.get("exchange_id")) else frozenset())
    return Case("feedback", "POST", f"{stack.web_url}/api/feedback", body, gen.headers(), expect="reject",
                note=repr(data)[:200], tags=tags)


def updates_case(stack: Stack, gen: Gen) -> Case:
    session = some_session(stack, gen, 0.6)
    after = gen.pick(("0", "1", "999999999999", "9999999999999", "-1", "1.5", "", "²", "፩", "١٢", "１２", "1e3", " 1",
                      "0x10", "NaN", gen.text(surrogates=False, huge=0)[:50]))
    query = f"session={quote(session, safe='')}&after={quote(after, safe='')}"
    if gen.chance(0.1):
        query = gen.pick(("", "session=", "after=1", f"session={quote(session)}&session=x", "%ff%fe=%ff",
                          "session=" + "a" * 9000, f"session={quote(session)}&after=1&after=2"))
    readable = after.isascii() and after.isdigit() and len(after) <= 12
    expect = "answer" if valid_session(session, issued(stack)) and readable else "reject"
    if not query.startswith("session=") or "&after=" not in query or query.count("&") != 1:
        expect = "clean"
    return Case("updates", "GET", f"{stack.web_url}/api/updates?{query}", None, gen.headers(), expect=expect,
                note=f"session={session!r} after={after!r}"[:200],
                tags=frozenset({"odd-digits"}) if odd_digits(after) else frozenset())


def leave_case(stack: Stack, gen: Gen) -> Case:
    body = _payload(gen, {"session": some_session(stack, gen, 0.7)})
    data = parsed(body) if len(body) <= MAX_BODY else None
    expect = "answer" if data is not None and valid_session(data.get("session"), issued(stack)) else "reject"
    return Case("leave", "POST", f"{stack.web_url}/api/leave", body, gen.headers(), expect=expect, tags=body_tags(body))


def updates_text(outcome: Outcome) -> str | None:
    data = outcome.json()
    return "messages" if isinstance(data, dict) and isinstance(data.get("messages"), list) else None


def test_api_chat_answers_or_refuses_1000_bad_inputs(stack: Stack):
    gen = Gen(SEED + 1)
    result = fuzz(stack, "web-chat", [chat_case(stack, gen) for _ in range(TOTAL)], chat_text, extra=few_replies)
    result.assert_clean()
    still_answers(stack)


def test_api_feedback_refuses_1000_bad_ratings_and_rates_a_real_answer(stack: Stack):
    gen = Gen(SEED + 2)
    result = fuzz(stack, "web-feedback", [feedback_case(stack, gen) for _ in range(TOTAL)], ok_flag)
    result.assert_clean()
    session = new_web_session(stack)
    answer = json.loads(post_json(f"{stack.web_url}/api/chat", {"session": session, "message": "你好"}).body)
    exchange = answer["replies"][-1]["id"]
    before = snapshot(stack.db_path, ignore=ACTIVITY)
    for rating in (2, 0, "1", 1.0, True, None, [1]):
        refused = post_json(f"{stack.web_url}/api/feedback", {"session": session, "exchange_id": exchange,
                                                             "rating": rating})
        assert refused.status == 400 and "error" in json.loads(refused.body), (rating, refused.text)
    assert not differences(before, snapshot(stack.db_path, ignore=ACTIVITY))
    rated = post_json(f"{stack.web_url}/api/feedback", {"session": session, "exchange_id": exchange, "rating": -1})
    assert rated.status == 200 and json.loads(rated.body) == {"ok": True}


def test_api_updates_answers_or_refuses_1000_bad_queries(stack: Stack):
    gen = Gen(SEED + 3)
    result = fuzz(stack, "web-updates", [updates_case(stack, gen) for _ in range(TOTAL)], updates_text)
    result.assert_clean()


def test_api_leave_answers_or_refuses_1000_bad_bodies(stack: Stack):
    gen = Gen(SEED + 4)
    result = fuzz(stack, "web-leave", [leave_case(stack, gen) for _ in range(TOTAL)], ok_flag)
    result.assert_clean()
    still_answers(stack)


# Reproducers of bugs this fuzzing found, fixed in fcbb4a0 (bot/web/chat.py); kept as regression tests.
@pytest.mark.parametrize("path", ["/api/chat", "/api/feedback", "/api/leave"])
def test_deeply_nested_json_is_refused_with_400(stack: Stack, path: str):
    answer = request(f"{stack.web_url}{path}", "POST", b"[" * 100_000, {"Content-Type": "application/json"})
    assert answer.status == 400, f"HTTP {answer.status}: {answer.text[:200]}"


@pytest.mark.parametrize("field", ["message", "display"])
def test_a_lone_surrogate_in_a_chat_message_is_answered_or_refused(stack: Stack, field: str):
    payload = {"session": new_web_session(stack), "message": "你好", field: "你好\ud800"}
    answer = post_json(f"{stack.web_url}/api/chat", payload)
    assert answer.status in (200, 400), f"HTTP {answer.status}: {answer.text[:200]}"


def test_a_huge_exchange_id_is_refused(stack: Stack):
    answer = post_json(f"{stack.web_url}/api/feedback", {"session": new_web_session(stack), "exchange_id": 10**30,
                                                         "rating": 1})
    assert 400 <= answer.status < 500, f"HTTP {answer.status}: {answer.text[:200]}"


@pytest.mark.parametrize("after", ["²", "፩"])
def test_an_after_that_is_not_a_decimal_number_is_refused(stack: Stack, after: str):
    answer = request(f"{stack.web_url}/api/updates?session={new_web_session(stack)}&after={quote(after)}")
    assert answer.status == 400, f"HTTP {answer.status}: {answer.text[:200]}"
