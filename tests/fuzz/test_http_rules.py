"""The harness's own rules: when a cut connection counts as the server's refusal."""

from __future__ import annotations

from tests.fuzz.http import Case, Outcome, problems


def _cut(body: bytes, expect: str = "reject", limit: int | None = 10,
         error: str = "ConnectionError: Connection lost") -> list[str]:
    case = Case("c", "POST", "http://127.0.0.1:1/x", body, expect=expect, size_limit=limit)
    return problems(Outcome(case, error=error), lambda outcome: None)


def test_a_body_over_the_limit_may_be_refused_by_closing_the_connection():
    assert _cut(b"x" * 11) == []
    assert _cut(b"x" * 11, error="ClientOSError: [Errno 32] Broken pipe") == []


def test_any_other_lost_connection_is_a_failure():
    assert _cut(b"x" * 10)                                  # within the limit: it had to be answered
    assert _cut(b"x" * 11, limit=None)                      # no documented limit
    assert _cut(b"x" * 11, expect="answer")                 # a request that had to be answered
    assert _cut(b"x" * 11, error="TimeoutError: ")          # no answer in time is never a refusal
