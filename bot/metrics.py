"""Prometheus metrics: one registry, the metric objects, and the helpers the adapters call.

Importing this module defines the metrics and nothing else: no server, no thread, no database. Each
process exports what it counts itself (docs/deployment.md, "Metrics"):

- a web app: `GET /metrics` on its own port (bot/web/metrics.py): requests, handoff waits (an agent takes a
  handoff in the console), WeChat pushes;
- an action server: prometheus_client's HTTP server on BANDIAN_ACTIONS_METRICS_PORT (actions/metrics.py,
  started by rasa_sdk's plug-in hook in rasa_sdk_plugins/): turns and their outcome, fallbacks, answer
  latency, status lookups, and the work orders by stage and region (read from the database at scrape).

Label values are bounded: intents outside the domain are counted as "other", routes are the web app's
route templates, outcomes and stages are fixed lists.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from bot.qa.context import Reply

logger = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)  # process_resident_memory_bytes, process_cpu_seconds_total, …

# outcomes of a turn answered by the question actions (action_answer, action_out_of_scope)
ANSWERED = "answered"            # the reply states facts from the knowledge base
CLARIFICATION = "clarification"  # a clarifying question with buttons (region, customer category, …)
NOT_COVERED = "not_covered"      # understood, but the knowledge base has nothing for it (or an uncovered city)
FALLBACK = "fallback"            # not understood (nlu_fallback / out_of_scope) and nothing answered it
OUTCOMES = (ANSWERED, CLARIFICATION, NOT_COVERED, FALLBACK)
FALLBACK_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
OTHER = "other"

# status lookups (bot/orders/lookup.py Outcome values, and "error" when the store failed); "locked" is a
# lookup refused because of too many misses (per conversation, client address or order number)
LOOKUP_OUTCOMES = ("found", "no_match", "bad_number", "locked", "error")
REFUSED = "locked"

TURNS = Counter("bandian_turns", "Turns answered by the question actions, by intent and outcome",
                ("intent", "outcome"), registry=REGISTRY)
FALLBACKS = Counter("bandian_fallbacks", "Messages the NLU did not understand (nlu_fallback, out_of_scope) "
                    "that reached the question actions", ("intent",), registry=REGISTRY)
ANSWER_SECONDS = Histogram("bandian_answer_seconds", "Time spent in action_answer (reading, planning, rendering)",
                           buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
                           registry=REGISTRY)
STATUS_LOOKUPS = Counter("bandian_status_lookups", "Order status lookups by outcome (locked: refused)",
                         ("outcome",), registry=REGISTRY)
HANDOFF_WAIT = Histogram("bandian_handoff_wait_seconds", "How long a 转人工 request waited until an agent took it",
                         buckets=(5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200), registry=REGISTRY)
WECHAT_PUSH = Counter("bandian_wechat_push", "WeChat customer-service messages pushed, by result (sent, failed)",
                      ("result",), registry=REGISTRY)
WEB_REQUESTS = Counter("bandian_web_requests", "Web app requests by route template and status",
                       ("route", "status"), registry=REGISTRY)
ORDERS_QUERY_ERRORS = Counter("bandian_orders_query_errors", "Scrapes whose work-order query failed",
                              registry=REGISTRY)

# the gauges OrdersCollector computes at scrape time
ORDERS = "bandian_orders"
ORDERS_OVERDUE = "bandian_orders_overdue"


# ---------------------------------------------------------------- turns
def known_intents(domain: Mapping[str, Any] | None) -> frozenset[str]:
    """The intent names of a domain as the action server receives it (strings or {name: {...}} entries)."""
    names: set[str] = set()
    for entry in (domain or {}).get("intents") or ():
        if isinstance(entry, str):
            names.add(entry)
        elif isinstance(entry, dict):
            names.update(str(name) for name in entry)
    return frozenset(names)


_INTENT = re.compile(r"[a-z][a-z0-9_]{0,63}")


def intent_label(intent: str | None, known: Iterable[str] | None = None) -> str:
    """The intent as a label value: "none" when there is none, "other" for a name outside the domain (a user
    can type `/anything` on a channel: such names must not become new time series)."""
    if not intent:
        return "none"
    if intent in FALLBACK_INTENTS:
        return intent
    if known and intent not in known:  # (a domain without its intent list: the name's form alone decides)
        return OTHER
    return intent if _INTENT.fullmatch(intent) else OTHER


def outcome_of(reply: Reply | None, intent: str | None = None) -> str:
    """answered / clarification / not_covered / fallback for a question action's reply (None: the action
    gave its fallback response)."""
    if reply is not None and reply.answered:
        return ANSWERED
    if reply is not None and reply.buttons:
        return CLARIFICATION
    if reply is None or intent in FALLBACK_INTENTS:
        return FALLBACK
    return NOT_COVERED


def record_turn(intent: str | None, reply: Reply | None, domain: Mapping[str, Any] | None = None) -> str:
    """Count a turn of a question action (and a fallback, when the NLU did not understand it); its outcome."""
    label = intent_label(intent, known_intents(domain))
    outcome = outcome_of(reply, intent)
    TURNS.labels(intent=label, outcome=outcome).inc()
    if intent in FALLBACK_INTENTS:
        FALLBACKS.labels(intent=label).inc()
    return outcome


@contextmanager
def answer_timer() -> Iterator[None]:
    """Observe the time spent in the block in bandian_answer_seconds (also when it raises)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        ANSWER_SECONDS.observe(time.perf_counter() - started)


# ---------------------------------------------------------------- orders, handoffs, pushes, web
def record_status_lookup(outcome: str) -> None:
    STATUS_LOOKUPS.labels(outcome=outcome if outcome in LOOKUP_OUTCOMES else OTHER).inc()


def observe_handoff_wait(requested_at: datetime | None, taken_at: datetime) -> None:
    """A handoff was taken: observe how long it waited (never negative)."""
    if requested_at is None:
        return
    HANDOFF_WAIT.observe(max(0.0, (taken_at - requested_at).total_seconds()))


def record_push(sent: bool) -> None:
    WECHAT_PUSH.labels(result="sent" if sent else "failed").inc()


def record_web_request(route: str, status: int) -> None:
    WEB_REQUESTS.labels(route=route, status=str(status)).inc()


# ---------------------------------------------------------------- orders gauges
@dataclass(frozen=True)
class OrderCounts:
    """Work orders by (stage, region), and the open ones past their current step's deadline."""

    by_stage_region: Mapping[tuple[str, str], int] = field(default_factory=dict)
    overdue: Mapping[tuple[str, str], int] = field(default_factory=dict)


def order_families(counts: OrderCounts) -> list[Metric]:
    orders = GaugeMetricFamily(ORDERS, "Work orders by current stage and region", labels=("stage", "region"))
    for (stage, region), count in sorted(counts.by_stage_region.items()):
        orders.add_metric((stage, region), count)
    overdue = GaugeMetricFamily(ORDERS_OVERDUE, "Open work orders past their current step's deadline, by stage "
                                "and region", labels=("stage", "region"))
    for (stage, region), count in sorted(counts.overdue.items()):
        overdue.add_metric((stage, region), count)
    return [orders, overdue]


class OrdersCollector(Collector):
    """The orders gauges, read by `read` when scraped; the last reading is reused for `ttl` seconds (one
    database read per interval however many scrapers). A failed read exports no orders gauges and counts
    bandian_orders_query_errors_total."""

    def __init__(self, read: Callable[[], OrderCounts], ttl: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._read, self._ttl, self._clock = read, ttl, clock
        self._lock = threading.Lock()
        self._last: tuple[float, OrderCounts] | None = None

    def counts(self) -> OrderCounts | None:
        with self._lock:
            now = self._clock()
            if self._last is not None and now - self._last[0] < self._ttl:
                return self._last[1]
            try:
                counts = self._read()
            except Exception:
                logger.warning("work orders not counted for the metrics", exc_info=True)
                ORDERS_QUERY_ERRORS.inc()
                return None
            self._last = (now, counts)
            return counts

    def collect(self) -> Iterable[Metric]:
        counts = self.counts()
        return order_families(counts) if counts is not None else []

    def describe(self) -> Iterable[Metric]:
        return order_families(OrderCounts())


class _Forward(Collector):
    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Metric]:
        return self._registry.collect()


def exported_registry(*extra: Collector) -> CollectorRegistry:
    """What one process serves: every metric of REGISTRY plus its own collectors (an action server's
    orders gauges), as a registry of its own (REGISTRY itself stays the same in every process)."""
    registry = CollectorRegistry()
    registry.register(_Forward(REGISTRY))
    for collector in extra:
        registry.register(collector)
    return registry


def exported_names() -> frozenset[str]:
    """Every metric family name this code can export (for checking dashboards against it)."""
    families = [*REGISTRY.collect(), *order_families(OrderCounts())]
    return frozenset(family.name for family in families)


def sample_names() -> frozenset[str]:
    """Every series name these families expose (counters' _total, histograms' _bucket/_sum/_count, …)."""
    names: set[str] = set()
    for family in [*REGISTRY.collect(), *order_families(OrderCounts())]:
        names.add(family.name)
        if family.type == "counter":
            names.update({f"{family.name}_total", f"{family.name}_created"})
        elif family.type == "histogram":
            names.update(f"{family.name}{suffix}" for suffix in ("_bucket", "_sum", "_count", "_created"))
    return frozenset(names)


# ---------------------------------------------------------------- serving (called explicitly, never at import)
@dataclass
class MetricsServer:
    """prometheus_client's HTTP server thread: every path answers with the metrics."""

    server: Any
    thread: threading.Thread
    port: int

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_metrics_server(port: int, host: str = "127.0.0.1", *extra: Collector) -> MetricsServer:
    """Serve REGISTRY (plus `extra`) on host:port from a daemon thread; OSError when the port is taken."""
    from prometheus_client import start_http_server

    server, thread = start_http_server(port, addr=host, registry=exported_registry(*extra))
    return MetricsServer(server, thread, server.server_address[1])
