"""Sending many generated requests at once, and what every answer must (not) contain."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from yarl import URL

CONCURRENCY = 12
TIMEOUT = aiohttp.ClientTimeout(total=90)
# how a connection the server closed while the body was still being sent is reported (see Case.size_limit)
CUT_OFF = ("ConnectionError: Connection lost", "ClientOSError: [Errno 32]", "ClientOSError: [Errno 104]",
           "ServerDisconnectedError")

# What must never reach a user: a Python stack trace or the name of an exception class.
LEAK = re.compile(
    r"Traceback \(most recent call last\)|File \"/|\bat 0x[0-9a-f]{6,}|"
    r"\b(?:Value|Type|Key|Index|Attribute|Recursion|UnicodeEncode|UnicodeDecode|Overflow|Operational|Integrity|"
    r"Runtime|Assertion|Name|JSONDecode|ZeroDivision|Lookup|NotImplemented|OS|Connection|Timeout|Memory|Stop)Error\b|"
    r"\b(?:SQLAlchemyError|RasaException|InvalidUsage|SanicException|StatementError|ProgrammingError|"
    r"LineTooLong|BadStatusLine|HttpProcessingError|ClientConnectorError)\b|sqlalchemy\.|sqlite3\.")


@dataclass(frozen=True)
class Case:
    """One request and what it must get: "answer" (200 with text), "reject" (4xx with a reason) or "clean"
    (anything but a 5xx or a leak; for inputs whose right answer legitimately depends on chance)."""

    kind: str
    method: str
    url: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    expect: str = "clean"
    note: str = ""
    tags: frozenset[str] = frozenset()  # properties of the input (see known_bugs.py)
    follow_up: Case | None = None  # sent after this one, on the same conversation
    # the server's documented limit on the body: over it the server may answer 413 and close the connection
    # before the body has arrived (RFC 9110 §15.5.14); a client still sending then sees the connection cut
    # (a broken pipe) instead of the 413, which is still a refusal
    size_limit: int | None = None

    def over_size_limit(self) -> bool:
        return self.size_limit is not None and self.body is not None and len(self.body) > self.size_limit

    def describe(self) -> str:
        body = self.body[:160] if self.body is not None else b""
        extra = f" note={self.note[:160]!r}" if self.note else ""
        return f"[{self.kind}] {self.method} {self.url[:200]} body={body!r}{extra}"


@dataclass
class Outcome:
    case: Case
    status: int = 0
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    error: str = ""
    cookies: list[str] = field(default_factory=list)  # every Set-Cookie header
    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


async def _send(session: aiohttp.ClientSession, case: Case) -> Outcome:
    try:
        async with session.request(case.method, URL(case.url, encoded=True), data=case.body, headers=case.headers,
                                   allow_redirects=False,
                                   skip_auto_headers=("Content-Type",) if "Content-Type" not in case.headers else ()
                                   ) as response:
            return Outcome(case, response.status, await response.read(), dict(response.headers),
                           cookies=response.headers.getall("Set-Cookie", []))
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
        return Outcome(case, error=f"{type(error).__name__}: {error}")


async def _run(cases: list[Case], concurrency: int) -> list[Outcome]:
    limit = asyncio.Semaphore(concurrency)
    # a fresh connection per request: a server may close a kept-alive connection after refusing a request,
    # and a request racing that close would fail in the client, not in the server under test
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=True)
    async with aiohttp.ClientSession(timeout=TIMEOUT, connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                     auto_decompress=True) as session:
        async def one(case: Case) -> list[Outcome]:
            async with limit:
                done = [await _send(session, case)]
                if case.follow_up is not None:
                    done.append(await _send(session, case.follow_up))
                return done

        batches = await asyncio.gather(*(one(case) for case in cases))
    return [outcome for batch in batches for outcome in batch]


def send_all(cases: Iterable[Case], concurrency: int = CONCURRENCY) -> list[Outcome]:
    """Every case (and its follow-up, in order), `concurrency` at a time."""
    return asyncio.run(_run(list(cases), concurrency))


def leaks(text: str) -> str | None:
    match = LEAK.search(text)
    return match.group() if match else None


def problems(outcome: Outcome, answered: Callable[[Outcome], str | None]) -> list[str]:
    """What is wrong with an answer; `answered` returns the answer's user-visible text (None: not an answer)."""
    case = outcome.case
    if outcome.error:
        if case.expect == "reject" and case.over_size_limit() and outcome.error.startswith(CUT_OFF):
            return []
        return [f"no HTTP answer ({outcome.error})"]
    found = []
    if outcome.status >= 500:
        found.append(f"HTTP {outcome.status}")
    leak = leaks(outcome.text)
    if leak:
        found.append(f"stack trace or exception name in the body: {leak!r}")
    if case.expect == "answer":
        text = answered(outcome) if outcome.status == 200 else None
        if not text or not text.strip():
            found.append(f"not answered with text (HTTP {outcome.status}: {outcome.text[:120]!r})")
    elif case.expect == "reject":
        if not 400 <= outcome.status < 500:
            found.append(f"expected a 4xx rejection, got HTTP {outcome.status}: {outcome.text[:120]!r}")
        elif not outcome.body.strip():
            found.append(f"HTTP {outcome.status} without a reason")
    return found


@dataclass
class Verdict:
    tried: int
    failures: list[tuple[Outcome, list[str]]]
    known: list[tuple[Outcome, list[str], str]]  # failures explained by a known product bug (see known_bugs.py)

    def report(self, limit: int = 12) -> str:
        lines = [f"{len(self.failures)} of {self.tried} requests failed:"]
        for outcome, found in self.failures[:limit]:
            lines.append(f"- {'; '.join(found)}\n    {outcome.case.describe()}")
        return "\n".join(lines)


def judge(outcomes: list[Outcome], answered: Callable[[Outcome], str | None],
          known: Callable[[Outcome, list[str]], str | None] = lambda _o, _f: None,
          extra: Callable[[Outcome], list[str]] = lambda _o: []) -> Verdict:
    """Every outcome checked by `problems` and `extra`; failures split into known bugs and the rest."""
    verdict = Verdict(len(outcomes), [], [])
    for outcome in outcomes:
        found = problems(outcome, answered) + ([] if outcome.error else extra(outcome))
        if not found:
            continue
        bug = known(outcome, found)
        if bug:
            verdict.known.append((outcome, found, bug))
        else:
            verdict.failures.append((outcome, found))
    return verdict
