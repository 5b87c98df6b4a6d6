"""Per-client rate limits: a small token bucket per key (a client address, an openid), in memory.

`Rate.parse("20/60")` is 20 requests per 60 seconds with bursts of up to 20; "0" (or an empty value)
switches a limit off. Each process keeps its own buckets (no database round trip on the hot path): with
several replicas behind a load balancer a client gets up to that many times the rate, which is still a
bound. Buckets of clients that have been quiet for a while are dropped (at most `max_keys` are kept).

Clients on the loopback interface (this machine's own tools and tests, or a proxy that does not report
the client's address) are not limited unless BANDIAN_RATE_LIMIT_LOOPBACK is set; behind our own nginx
(BANDIAN_TRUST_PROXY) the client is the address nginx reports - only for a request that comes from one of
BANDIAN_TRUSTED_PROXIES (loopback by default): anyone else's X-Real-IP or X-Forwarded-For is ignored, so a
client that reaches the port directly cannot pick its own address, or claim 127.0.0.1 (`forwarded_client`).

A client is an IPv4 address or an IPv6 /64 (`client_bucket`): a subscriber gets a whole /64 to pick addresses
from, so counting single IPv6 addresses would give it 2^64 budgets. nginx counts the same way
(deploy/nginx.conf, `map $binary_remote_addr $limit_client`).
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from bot.settings import is_loopback

logger = logging.getLogger(__name__)
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
        key = client_bucket(key)  # an IPv6 client by its /64 (anything else, e.g. an openid, as it is)
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


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address((text or "").strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_bucket(address: str) -> str:
    """What a client is counted as: an IPv4 address as it is (also written IPv4-mapped), an IPv6 address as
    its /64 ("2001:db8:1:2::/64"); anything that is no IP address (an openid, "unknown") unchanged."""
    parsed = _address(address)
    if parsed is None:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


@lru_cache(maxsize=16)
def trusted_networks(text: str) -> tuple[Network, ...]:
    """BANDIAN_TRUSTED_PROXIES: addresses or CIDRs separated by commas or spaces; a part that is neither is
    left out (trusting less is safe) with a warning, once."""
    networks = []
    for part in text.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            logger.warning("BANDIAN_TRUSTED_PROXIES: %r is no address or CIDR; not trusted", part[:64])
    return tuple(networks)


def _trusted(address: str | None, networks: Iterable[Network]) -> bool:
    parsed = _address(address)
    return parsed is not None and any(parsed.version == net.version and parsed in net for net in networks)


def is_trusted_proxy(peer: str | None, trusted: str) -> bool:
    """Whether a request's peer is one of the proxies in `trusted` (BANDIAN_TRUSTED_PROXIES)."""
    return _trusted(peer, trusted_networks(trusted))


def forwarded_client(peer: str | None, headers: Mapping[str, str], trust_proxy: bool, trusted: str) -> str | None:
    """The client's address. Behind our own proxy (BANDIAN_TRUST_PROXY) and only for a request whose peer is
    one of the trusted proxies (`trusted`, BANDIAN_TRUSTED_PROXIES): the X-Real-IP it sets, else the last
    X-Forwarded-For entry that is not itself a trusted proxy (entries before it are the client's own
    words). A header that is no IP address is ignored. Otherwise the peer's address (None: no peer)."""
    if trust_proxy and is_trusted_proxy(peer, trusted):
        real = (headers.get("X-Real-IP") or "").strip()
        if _address(real) is not None:
            return real[:64]
        chain = [part.strip() for part in (headers.get("X-Forwarded-For") or "").split(",") if part.strip()]
        for hop in reversed(chain):
            if _address(hop) is None:
                break
            if not _trusted(hop, trusted_networks(trusted)):
                return hop[:64]
    return peer or None
