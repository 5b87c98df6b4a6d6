"""Per-client rate limits: a small token bucket per key (a client address, an openid), in memory.

`Rate.parse("20/60")` is 20 requests per 60 seconds with bursts of up to 20; "0" (or an empty value)
switches a limit off. Each process keeps its own buckets (no database round trip on the hot path): with
several replicas behind a load balancer a client gets up to that many times the rate, which is still a
bound. Buckets of clients that have been quiet for a while are dropped (at most `max_keys` are kept).

Clients on the loopback interface (this machine's own tools and tests, or a proxy that does not report
the client's address) are not limited unless BANDIAN_RATE_LIMIT_LOOPBACK is set; behind our own nginx
(BANDIAN_TRUST_PROXY) the client is the address nginx reports.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.settings import is_loopback

MAX_KEYS = 50_000
TOO_MANY = "您发送得太频繁了，请稍等片刻再试；紧急情况请拨打 95598。"


@dataclass(frozen=True)
class Rate:
    requests: int  # the bucket's size (the burst) ...
    seconds: float  # ... refilled evenly over this many seconds

    @classmethod
    def parse(cls, text: str | None, default: str = "0") -> Rate:
        """'20/60' → 20 per 60 s; '20' → 20 per minute; '0', '' or 'off' → no limit (ValueError otherwise)."""
        value = (text if text is not None and text.strip() else default).strip().lower()
        if value in ("0", "off", "none"):
            return cls(0, 60.0)
        count, _, seconds = value.partition("/")
        rate = cls(int(count), float(seconds or 60))
        if rate.requests < 0 or not rate.seconds > 0 or not math.isfinite(rate.seconds):
            raise ValueError(f"not a rate: {text!r} (use requests/seconds, e.g. 20/60)")
        return rate

    @property
    def enabled(self) -> bool:
        return self.requests > 0

    def __str__(self) -> str:
        return f"{self.requests}/{self.seconds:g}" if self.enabled else "off"


class RateLimiter:
    """Token buckets by key: `take(key)` is None when the request may go ahead, else the seconds to wait."""

    def __init__(self, rate: Rate, clock: Callable[[], float] = time.monotonic, max_keys: int = MAX_KEYS,
                 limit_loopback: bool = False) -> None:
        self.rate, self.clock, self.max_keys, self.limit_loopback = rate, clock, max_keys, limit_loopback
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key → (tokens, updated at)

    def take(self, key: str, cost: float = 1.0) -> float | None:
        if not self.rate.enabled or (not self.limit_loopback and is_loopback(key.removeprefix("::ffff:"))):
            return None
        now = self.clock()
        per_second = self.rate.requests / self.rate.seconds
        tokens, updated = self._buckets.pop(key, (float(self.rate.requests), now))
        tokens = min(float(self.rate.requests), tokens + (now - updated) * per_second)
        allowed = tokens >= cost
        if allowed:
            tokens -= cost
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return None if allowed else max(1.0, (cost - tokens) / per_second)

    def __len__(self) -> int:
        return len(self._buckets)


def retry_after(seconds: float) -> str:
    """The Retry-After header value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))


def client_of(peer: str | None, headers: Mapping[str, str], trust_proxy: bool) -> str:
    """The client's address: behind our own proxy (BANDIAN_TRUST_PROXY) the one it reports, else the peer's."""
    if trust_proxy:
        forwarded = headers.get("X-Real-IP") or (headers.get("X-Forwarded-For") or "").split(",")[0]
        if forwarded.strip():
            return forwarded.strip()[:64]
    return peer or "unknown"
