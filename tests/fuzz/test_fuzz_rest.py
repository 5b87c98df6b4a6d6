"""Rasa's REST channel (bot/rasa_plugins/rest.py): 1,000 generated bad inputs.

Valid JSON with a strange message (each from its own sender) must be answered with text, and the same
conversation must still answer "你好" afterwards; wrong types and malformed bodies must get a 4xx with a
reason and change nothing.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

try:  # the parser Sanic uses for request.json
    from ujson import loads as server_loads
except ImportError:  # pragma: no cover
    from json import loads as server_loads

from bot.masking import mask_text
from bot.senders import RESERVED_PREFIXES
from bot.settings import Settings
from bot.untrusted import MAX_METADATA_BYTES, has_control_or_surrogate, json_bytes
from tests.faults.client import NORMAL_ANSWER, NORMAL_QUESTION, new_sender, post_json, request, say
from tests.faults.stack import Stack
from tests.fuzz.conftest import still_answers
from tests.fuzz.harness import fuzz
from tests.fuzz.http import Case, Outcome
from tests.fuzz.inputs import RASA_COMMANDS, SEED, Gen
from tests.fuzz.known_bugs import body_tags, header_tags, text_tags

TOTAL = 1000
MAX_MESSAGES = 5  # one turn never needs more bubbles than this
ODD_PATHS = ("/webhooks/rest/webhook/", "/webhooks/rest/webhook/../../status", "/webhooks/rest/%2e%2e/%2e%2e/status",
             "/webhooks/rest/webhook?sender=x&message=hi", "/webhooks/rest//webhook", "/webhooks/REST/webhook",
             "/webhooks/rest/webhook%00", "/webhooks/rest/webhook/..%2f..%2fversion", "/webhooks/%ff/webhook")


def rest_text(outcome: Outcome) -> str | None:
    data = outcome.json()
    if not isinstance(data, list):
        return None
    return "\n".join(str(m.get("text") or "") for m in data if isinstance(m, dict))


def at_most_a_few_messages(outcome: Outcome) -> list[str]:
    data = outcome.json()
    if outcome.case.expect == "answer" and isinstance(data, list) and len(data) > MAX_MESSAGES:
        return [f"{len(data)} messages for one turn (a loop?)"]
    return []


def expectation(body: bytes) -> str:
    """The documented contract of the REST channel, on the body as the server parses it (Sanic uses ujson):
    a JSON object; sender a non-empty string or an integer of at most 128 characters, without control
    characters or lone surrogates, not in another channel's namespace (web:, wechat:); message a string or
    absent; metadata an object of at most 4 KB as JSON, or absent; the whole body within Rasa's request
    size limit (Settings.rasa_max_body_bytes, 1 MB; over it Sanic answers 413). Anything else: 400."""
    if len(body) > Settings.rasa_max_body_bytes:
        return "reject"
    try:
        data = server_loads(body)
    except (ValueError, OverflowError, RecursionError):
        return "reject"
    if not isinstance(data, dict):
        return "reject"
    sender, message, metadata = data.get("sender"), data.get("message"), data.get("metadata")
    if isinstance(sender, bool) or not isinstance(sender, (str, int)) or not str(sender).strip():
        return "reject"
    if len(str(sender)) > 128 or not (message is None or isinstance(message, str)):
        return "reject"
    if has_control_or_surrogate(str(sender)):  # a NUL, a newline, a lone surrogate (red team round 1, F9)
        return "reject"
    if str(sender).startswith(RESERVED_PREFIXES):
        return "reject"
    if metadata is not None and (not isinstance(metadata, dict) or json_bytes(metadata) > MAX_METADATA_BYTES):
        return "reject"
    return "answer"


def weird_message(stack: Stack, gen: Gen) -> Case:
    sender = new_sender("fz") if gen.chance(0.8) else gen.text(surrogates=False, huge=0)[:100] or "fz-empty"
    message = gen.text()
    payload: dict[str, Any] = {"sender": sender, "message": message}
    if gen.chance(0.1):
        payload["metadata"] = {gen.text(huge=0)[:20]: gen.value() for _ in range(gen.rng.randint(0, 3))}
    if gen.chance(0.1):
        payload["input_channel"] = gen.text(surrogates=False, huge=0)[:40]
    body, headers = json.dumps(payload).encode(), gen.headers()
    expect, follow_up = expectation(body), None
    if expect == "answer" and message.strip().startswith(RASA_COMMANDS):
        expect = "clean"  # Rasa's own commands (e.g. /restart) may answer nothing
    if expect == "answer":
        follow = json.dumps({"sender": sender, "message": "你好"}).encode()
        follow_up = Case("follow-up", "POST", stack.rest_url, follow, {"Content-Type": "application/json"},
                         expect="answer", note=f"after {message!r}"[:200], tags=text_tags(message))
    return Case("weird-message", "POST", stack.rest_url, body, headers, expect=expect,
                note=repr(message)[:200], tags=text_tags(message) | header_tags(headers), follow_up=follow_up,
                size_limit=Settings.rasa_max_body_bytes)


def wrong_types(stack: Stack, gen: Gen) -> Case:
    payload: dict[str, Any] = {"sender": new_sender("fz"), "message": "你好"}
    field = gen.pick(("sender", "message", "metadata", "sender", "message"))
    value = gen.value()
    payload[field] = value
    body, headers = json.dumps(payload).encode(), gen.headers()
    expect = expectation(body)
    return Case(f"wrong-type:{field}", "POST", stack.rest_url, body, headers, expect=expect, note=repr(value)[:200],
                tags=body_tags(body) | header_tags(headers), size_limit=Settings.rasa_max_body_bytes)


def malformed(stack: Stack, gen: Gen) -> Case:
    body, headers = gen.malformed_json(), gen.headers()
    return Case("malformed", "POST", stack.rest_url, body, headers, expect=expectation(body),
                tags=body_tags(body) | header_tags(headers), size_limit=Settings.rasa_max_body_bytes)


def odd_request(stack: Stack, gen: Gen) -> Case:
    body, headers = json.dumps({"sender": new_sender("fz"), "message": "你好"}).encode(), gen.headers()
    method = gen.pick(("POST", "GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"))
    return Case(f"odd-request:{method}", method, stack.rasa_url + gen.pick(ODD_PATHS), body, headers, expect="clean",
                tags=header_tags(headers))


def cases(stack: Stack, gen: Gen) -> list[Case]:
    kinds = (weird_message, wrong_types, malformed, odd_request)
    return [gen.rng.choices(kinds, weights=(55, 20, 18, 7))[0](stack, gen) for _ in range(TOTAL)]


def test_rest_webhook_answers_or_refuses_1000_bad_inputs(stack: Stack):
    result = fuzz(stack, "rest", cases(stack, Gen(SEED)), rest_text, extra=at_most_a_few_messages, concurrency=12)
    result.assert_clean()
    still_answers(stack)


# Found by this fuzzing (10 replies, then [] for ever) and fixed in 0ae8d1f ("确认 with nothing to confirm
# no longer loops"); kept as a regression test.
@pytest.mark.parametrize("message", ["确认", "好的", "\x00", "\u200b", "？", "[]"])
def test_a_stray_confirmation_does_not_break_the_conversation(stack: Stack, message: str):
    sender = new_sender("stray")
    first = post_json(stack.rest_url, {"sender": sender, "message": message})
    assert first.status == 200 and 1 <= len(json.loads(first.body)) <= MAX_MESSAGES, first.text[:300]
    after = post_json(stack.rest_url, {"sender": sender, "message": "你好"})
    assert after.status == 200 and json.loads(after.body), "the conversation no longer answers"


# Reproducers of the cubic house-number masking (docs/reliability.md bug 1), fixed in fcbb4a0.
def test_a_long_run_of_digits_does_not_stall_other_conversations(stack: Stack):
    worst = 0.0
    with ThreadPoolExecutor(max_workers=1) as pool:
        digits = pool.submit(post_json, stack.rest_url, {"sender": new_sender("digits"), "message": "9" * 1000})
        while not digits.done():  # other customers keep asking while the digits are being handled
            began = time.monotonic()
            status, reply = say(stack, new_sender("bystander"), NORMAL_QUESTION)
            worst = max(worst, time.monotonic() - began)
            assert status == 200 and NORMAL_ANSWER in reply.replace(" ", "")
        assert digits.result().status == 200
    assert worst < 2.0, f"another customer's question waited {worst:.1f}s behind a message of 1,000 digits"


def test_masking_a_long_run_of_digits_is_fast():
    began = time.monotonic()
    mask_text("9" * 800)
    assert time.monotonic() - began < 0.1


# Reproducer of docs/reliability.md bug 2 (Sanic 21.12 parsed the Accept header strictly while rendering an
# error response, and answered 500 "An error occurred while handling an error"): bot/rasa_plugins/sanic_accept.py.
def test_a_strange_accept_header_does_not_turn_a_400_into_a_500(stack: Stack):
    answer = request(stack.rest_url, "POST", b'{"sender": "x", "message": 0}',
                     {"Content-Type": "application/json", "Accept": "\u00ff"})
    assert answer.status == 400, f"HTTP {answer.status}: {answer.text[:200]}"
    assert "message" in answer.text, answer.text[:200]  # the reason is still given


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/webhooks/rest/nowhere", None), ("PUT", "/webhooks/rest/webhook", None),
    ("POST", "/webhooks/rest/webhook", b"[]"), ("POST", "/conversations/x/execute", b"{}"),
    ("GET", "/webhooks/wechat/webhook", None), ("GET", "/status", None)])
def test_a_malformed_accept_header_changes_no_rasa_routes_answer(stack: Stack, method: str, path: str,
                                                                  body: bytes | None):
    def status(accept: str) -> int:
        headers = {"Content-Type": "application/json", "Accept": accept}
        return request(stack.rasa_url + path, method, body, headers).status

    expected = status("application/json")
    assert expected != 500
    for accept in ("\u00ff", "zzz", "text/html;q=abc", "text/html;q=5", "a/b;x", "application/json, \u00ff"):
        assert status(accept) == expected, f"{method} {path} with Accept {accept!r}"
