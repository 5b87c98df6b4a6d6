"""Product bugs found by the fuzzing, reported to the lead and not yet fixed.

A failure that matches a bug listed here for its entry point is counted as *known*: it is reported
(var/reliability/failures-<entry>.txt, the summary) but does not fail the broad fuzz test, so that the
test still catches anything new. Each bug also has a reproducer marked `xfail(strict=True)` in the
entry point's test file. When a bug is fixed its reproducer XPASSes (and fails, being strict): remove
the marker and the bug here.
"""

from __future__ import annotations

import contextlib
import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fuzz.http import Outcome


@dataclass(frozen=True)
class Bug:
    id: str
    summary: str
    entries: frozenset[str]
    matches: Callable[[Outcome, list[str]], bool]


def _tagged(tag: str) -> Callable[[Outcome, list[str]], bool]:
    return lambda outcome, _found: tag in outcome.case.tags


BUGS: tuple[Bug, ...] = ()  # every bug found so far is fixed (docs/reliability.md, "Product bugs found")


def known(entry: str) -> Callable[[Outcome, list[str]], str | None]:
    """The classifier for `judge()`: the id and summary of the known bug explaining a failure, if any."""
    bugs = [bug for bug in BUGS if entry in bug.entries]

    def explain(outcome: Outcome, found: list[str]) -> str | None:
        return next((f"{bug.id}: {bug.summary}" for bug in bugs if bug.matches(outcome, found)), None)

    return explain


def has_lone_surrogate(text: Any) -> bool:
    return isinstance(text, str) and any(0xD800 <= ord(char) <= 0xDFFF for char in text)


def json_depth(body: bytes) -> int:
    """How deeply the body's brackets nest (counted on the raw bytes, strings ignored roughly)."""
    depth = deepest = 0
    for byte in body:
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
    return deepest


def beyond_int64(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63


def odd_digits(text: str, nfkc: bool = False) -> bool:
    """Characters Python calls digits that int() does not read (², ①, Ethiopic ፩; after NFKC only the latter)."""
    normal = unicodedata.normalize("NFKC", text) if nfkc else text
    return any(char.isdigit() and not char.isdecimal() for char in normal)


def text_tags(text: Any) -> frozenset[str]:
    return frozenset({"lone-surrogate"} if has_lone_surrogate(text) else set())


def header_tags(headers: dict[str, str]) -> frozenset[str]:
    return frozenset({"non-ascii-header"} if any(not value.isascii() for value in headers.values()) else set())


def body_tags(body: bytes) -> frozenset[str]:
    tags = set()
    if json_depth(body) >= 500:
        tags.add("deep-json")
    with contextlib.suppress(ValueError, AttributeError, RecursionError):
        tags |= text_tags(json.loads(body).get("message"))
    return frozenset(tags)
