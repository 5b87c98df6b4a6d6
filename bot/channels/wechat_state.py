"""What the WeChat webhook remembers between requests, in memory: the numbered choices last sent to each
customer, the messages being processed (WeChat's retries join them) and the signed requests seen (replays)."""

from __future__ import annotations

import asyncio
import hashlib
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

MAX_TIMESTAMP_SKEW = 300  # seconds; older or future-dated signed requests are refused (replays)
REPLAY_WINDOW = 2.0 * MAX_TIMESTAMP_SKEW  # a request is acceptable this long (timestamps ± the skew) ...
DEDUPE_TTL = REPLAY_WINDOW  # ... so message ids and nonces are remembered that long (retries come within ~15 s)
MAX_NONCES = 200_000  # nonces remembered at most (the oldest are forgotten first)
CHOICES_TTL = 1800.0  # seconds a numbered button list can be answered with its number


class Choices:
    """The last numbered button list sent to each customer, so that "2" means the second button."""

    def __init__(self, ttl: float = CHOICES_TTL, clock: Callable[[], float] = time.monotonic,
                 max_entries: int = 10000) -> None:
        self.ttl, self.clock, self.max_entries = ttl, clock, max_entries
        self._entries: OrderedDict[str, tuple[float, list[str]]] = OrderedDict()

    def remember(self, openid: str, choices: list[str]) -> None:
        self._entries.pop(openid, None)
        if choices:
            self._entries[openid] = (self.clock(), choices)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def resolve(self, openid: str, text: str) -> str:
        """The choice a bare number stands for, else the text itself."""
        number = unicodedata.normalize("NFKC", text).strip().rstrip(".、")
        entry = self._entries.get(openid)
        # isdecimal, not isdigit: int() fails on Ethiopic "፩" (a digit, not a decimal one; NFKC keeps it)
        if not number.isdecimal() or len(number) > 4 or entry is None or self.clock() - entry[0] > self.ttl:
            return text
        index = int(number)
        return entry[1][index - 1] if 1 <= index <= len(entry[1]) else text


@dataclass
class Pending:
    """One received message: its processing (shared by WeChat's retries) and how its answer is delivered."""

    task: asyncio.Future[str]
    started: float
    deferred: bool = False  # True: the answer goes through the customer-service API, retries get "success"


class InFlight:
    """Messages received within the TTL, by dedupe key; an entry is dropped only once its processing ended."""

    def __init__(self, ttl: float = DEDUPE_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.clock = ttl, clock
        self._entries: OrderedDict[str, Pending] = OrderedDict()

    def start(self, key: str, work: Callable[[], Coroutine[Any, Any, str]]) -> tuple[Pending, bool]:
        """The entry of `key`, starting `work` for it when it is new (second value: whether it is new)."""
        self._purge()
        pending = self._entries.get(key)
        if pending is not None:
            return pending, False
        pending = Pending(asyncio.ensure_future(work()), self.clock())
        self._entries[key] = pending
        return pending, True

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def _purge(self) -> None:
        now = self.clock()
        while self._entries:
            pending = next(iter(self._entries.values()))
            if now - pending.started < self.ttl or not pending.task.done():
                return
            self._entries.popitem(last=False)


class Nonces:
    """Signed requests seen within the replay window: a signed (timestamp, nonce) may come again only with the
    same body (WeChat retrying the same push); with another body it is a replay of a captured signature.

    Keyed by what the signature covers: SHA-1 over the *sorted* token, timestamp and nonce, so a captured
    query string with timestamp and nonce swapped has the same signature. The key is the sorted pair, and
    a swapped replay is one more replay, not a new request (red team round 1, F7)."""

    def __init__(self, ttl: float = REPLAY_WINDOW, clock: Callable[[], float] = time.monotonic,
                 max_entries: int = MAX_NONCES) -> None:
        self.ttl, self.clock, self.max_entries = ttl, clock, max_entries
        self._seen: OrderedDict[tuple[str, str], tuple[float, str]] = OrderedDict()

    def fresh(self, timestamp: str, nonce: str, body: bytes) -> bool:
        """Whether the request may be handled (and remember it)."""
        now = self.clock()
        while self._seen and (now - next(iter(self._seen.values()))[0] > self.ttl
                              or len(self._seen) > self.max_entries):
            self._seen.popitem(last=False)
        fingerprint = hashlib.sha256(body).hexdigest()
        key = (timestamp, nonce) if timestamp <= nonce else (nonce, timestamp)  # what the signature covers
        seen = self._seen.get(key)
        if seen is not None:
            return seen[1] == fingerprint
        self._seen[key] = (now, fingerprint)
        return True

    def __len__(self) -> int:
        return len(self._seen)
