"""Replay recorded action-server requests in-process: time per action, a cProfile of the slowest turn type,
and what the database connection pool does.

bench/profile_rasa.py kept request bodies as Rasa sent them. Each is replayed through rasa_sdk's
ActionExecutor with the project's actions, including the JSON decoding of the request and the encoding
of the answer (what the action server does besides HTTP). A replayed booking confirmation gets a fresh
sender id and a one-microsecond dedupe window, so it writes a new order as the original call did.

The slowest turn type is the one with the highest assistant p50 in the latency run (results/latency.json).
The replay runs as the product does (bot/store/engine.py: SQLite files get a connection pool). On SQLite it is
repeated with two variants of bot.store.engine.make_engine applied in this process only: without a pool (NullPool,
SQLAlchemy 1.4's default for files: every session connects, runs its PRAGMAs and, closing the last
connection to a WAL database, checkpoints it), and the pool plus `PRAGMA synchronous=NORMAL` (measured,
not applied: the product keeps SQLite's default synchronous=FULL for durability).

usage: python -m bench.profile_actions --bodies FILE [--kind booking_confirm] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import ROOT, read_result, stats_ms, write_result
from bench.kb_timing import top_functions
from bench.scenarios import TURN_TYPES


async def handle(executor: Any, raw: str) -> str:
    """What the action server does with one request, minus HTTP: decode, run, encode."""
    body = json.loads(raw)
    body["sender_id"] = body["tracker"]["sender_id"] = f"replay-{uuid.uuid4().hex[:12]}"
    return json.dumps(await executor.run(body))


def slowest_kind() -> str | None:
    latency = read_result("latency") or {}
    per_type = latency.get("per_type") or {}
    return max(TURN_TYPES, key=lambda kind: per_type[kind]["assistant"]["p50"] or 0) if per_type else None


VARIANTS = ("nullpool", "pool+normal")


def database_variant(name: str, url: str) -> Callable[[], None]:
    """Apply a variant of bot.store.engine.make_engine (one of VARIANTS) for SQLite in this process; returns the undo.

    The engine in use for `url` is disposed first: connections idle in its pool would keep the WAL database
    open, and a NullPool session closing "the last connection" would then not checkpoint it."""
    from sqlalchemy import event
    from sqlalchemy.pool import NullPool

    import bot.store.runtime as store

    original = store.make_engine

    def make_engine(engine_url: str, **kwargs: Any) -> Any:
        if not engine_url.startswith("sqlite"):
            return original(engine_url, **kwargs)
        if name == "nullpool":
            return original(engine_url, poolclass=NullPool, **kwargs)
        engine = original(engine_url, **kwargs)
        event.listen(engine, "connect", lambda connection, _record: connection.execute("PRAGMA synchronous=NORMAL"))
        return engine

    def use(make: Callable[..., Any]) -> None:
        store.engine_for(url).dispose()
        store.engine_for.cache_clear()
        store.sessions_for.cache_clear()
        store.make_engine = make  # the name engine_for calls

    use(make_engine)
    return lambda: use(original)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bodies", type=Path, required=True)
    ap.add_argument("--kind", help="turn type to profile (default: the slowest in the latency run)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile-out", type=Path, default=ROOT / "var" / "bench" / "profile-actions.prof")
    a = ap.parse_args()
    kind = a.kind or slowest_kind()
    rasa = read_result("profile_rasa") or {}
    wanted = set(((rasa.get("per_type") or {}).get(kind) or {}).get("actions_called", {}))
    raws = [line for line in a.bodies.read_text(encoding="utf-8").splitlines() if line.strip()]

    from rasa_sdk.executor import ActionExecutor

    import actions.booking
    from bot.settings import Settings

    actions.booking.dedupe_window = lambda _settings: timedelta(microseconds=1)  # type: ignore[assignment]
    executor = ActionExecutor()
    executor.register_package("actions")
    loop = asyncio.new_event_loop()

    def replay(selected: list[str], times: dict[str, list[float]] | None = None) -> None:
        for raw in selected:
            started = time.perf_counter()
            loop.run_until_complete(handle(executor, raw))
            if times is not None:
                times[json.loads(raw)["next_action"]].append(time.perf_counter() - started)

    replay(raws)  # warm-up: services built, caches filled
    per_action: dict[str, list[float]] = defaultdict(list)
    for _ in range(a.repeat):
        replay(raws, per_action)

    chosen = [raw for raw in raws if json.loads(raw)["next_action"] in wanted]
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(a.repeat):
        replay(chosen)
    profile.disable()
    a.profile_out.parent.mkdir(parents=True, exist_ok=True)
    profile.dump_stats(str(a.profile_out))

    variants: dict[str, dict[str, Any]] = {}
    database_url = Settings.from_env().database_url
    if database_url.startswith("sqlite"):
        for name in VARIANTS:
            undo = database_variant(name, database_url)
            try:
                replay(raws)
                times: dict[str, list[float]] = defaultdict(list)
                for _ in range(a.repeat):
                    replay(raws, times)
            finally:
                undo()
            variants[name] = {action: stats_ms(seconds) for action, seconds in sorted(times.items())}
    loop.close()

    sizes = [len(raw.encode()) for raw in raws]
    result = {
        "kind": kind, "actions": sorted(wanted), "calls_profiled": len(chosen) * a.repeat,
        "request_bytes_mean": round(sum(sizes) / max(len(sizes), 1)),
        "per_action": {name: stats_ms(seconds) for name, seconds in sorted(per_action.items())},
        "database_variants": variants,
        "profile_tottime": top_functions(profile, "tottime", 12),
        "profile_cumtime": [row for row in top_functions(profile, "cumtime", 80)
                            if row["function"].startswith(("actions/", "bot/", "sqlalchemy/", "rasa_sdk/"))][:18],
        "profile_file": str(a.profile_out.relative_to(ROOT)),
    }
    write_result("profile_actions", result)
    for name, row in result["per_action"].items():
        extra = "  ".join(f"{variant} p50 {rows[name]['p50']}" for variant, rows in variants.items() if name in rows)
        print(f"  {name:30} p50 {row['p50']} ms  p95 {row['p95']} ms  (n={row['n']})  {extra}")
    print(f"profiled {kind}: {', '.join(sorted(wanted))}; mean request {result['request_bytes_mean']} bytes")


if __name__ == "__main__":
    main()
