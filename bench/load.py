"""Throughput and latency under N concurrent conversations (closed loop, no think time).

Each of N workers plays conversations from the load mix (bench/scenarios.py) one after another, each
with fresh sender ids, sending the next turn as soon as the reply arrives. Turns that finish inside the
measured window (after the warm-up) count. Over the window, the CPU seconds of the given server
processes (with their children), of the load generator itself and of the whole machine are recorded,
so what other processes took is known too.

A run with the same --name and --concurrency as an earlier one is merged into it (samples pooled,
windows added up): scripts/bench.sh alternates short windows of the setups it compares.

usage: python -m bench.load --url URL --concurrency 10 --name NAME [--warmup 5] [--duration 30]
                            [--pids rasa=PID actions=PID ...]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import time
import uuid
from collections import defaultdict
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector

from bench.common import (
    machine_cpu_seconds,
    parse_pids,
    read_result,
    reply_text,
    stats_ms,
    tree_cpu_seconds,
    write_result,
)
from bench.scenarios import LOAD_MIX, TURN_TYPES


class Window:
    def __init__(self, warmup: float, duration: float) -> None:
        self.start = time.perf_counter() + warmup
        self.end = self.start + duration

    def counts(self, finished: float) -> bool:
        return self.start <= finished <= self.end

    def over(self) -> bool:
        return time.perf_counter() > self.end


async def worker(number: int, url: str, http: ClientSession, window: Window, samples: dict[str, list[float]],
                 outcome: dict[str, int]) -> None:
    rng = random.Random(f"{number}-{uuid.uuid4()}")  # new phones every window: a repeated booking would be deduped
    mix = LOAD_MIX[number % len(LOAD_MIX):] + LOAD_MIX[:number % len(LOAD_MIX)]  # workers start staggered
    played = 0
    while not window.over():
        scenario = mix[played % len(mix)](rng)
        played += 1
        senders = [f"load-{uuid.uuid4().hex[:12]}", f"load-{uuid.uuid4().hex[:12]}"]
        turn = next(scenario)
        while not window.over():
            started = time.perf_counter()
            try:
                async with http.post(f"{url}/webhooks/rest/webhook",
                                     json={"sender": senders[turn.thread], "message": turn.text}) as response:
                    body: Any = await response.json(content_type=None) if response.status == 200 else None
                reply = reply_text(body) if body is not None else ""
                failed = body is None
            except (ClientError, asyncio.TimeoutError):
                reply, failed = "", True
            finished = time.perf_counter()
            if window.counts(finished):
                samples[turn.kind].append(finished - started)
                outcome["errors" if failed else ("ok" if turn.ok(reply) else "unexpected")] += 1
            if failed:
                break
            try:
                turn = scenario.send(reply)
            except StopIteration:
                outcome["conversations"] += window.counts(time.perf_counter())
                break


class Meter:
    """CPU seconds of the server processes, the load generator and the machine between two readings."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.start = self.read()

    def read(self) -> dict[str, float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        busy, _total = machine_cpu_seconds()
        return {**{name: tree_cpu_seconds(pid) for name, pid in self.pids.items()},
                "load generator": usage.ru_utime + usage.ru_stime, "machine": busy}

    def spent(self) -> dict[str, float]:
        end = self.read()
        return {name: round(end[name] - self.start[name], 2) for name in end}


async def run(url: str, concurrency: int, warmup: float, duration: float,
              pids: dict[str, int]) -> tuple[dict[str, list[float]], dict[str, int], dict[str, float]]:
    samples: dict[str, list[float]] = defaultdict(list)
    outcome: dict[str, int] = defaultdict(int)
    window = Window(warmup, duration)
    connector = TCPConnector(limit=concurrency + 4)
    async with ClientSession(connector=connector, timeout=ClientTimeout(total=300)) as http:
        workers = asyncio.gather(*(worker(n, url, http, window, samples, outcome) for n in range(concurrency)))
        await asyncio.sleep(warmup)
        meter = Meter(pids)
        await asyncio.sleep(max(window.end - time.perf_counter(), 0))
        cpu = meter.spent()
        await workers
    return samples, outcome, cpu


def summarize(raw: dict[str, Any]) -> dict[str, Any]:
    """The reported figures from the pooled samples and summed windows of one setup and concurrency."""
    window = raw["duration_s"]
    all_turns = [ms / 1000 for kind in TURN_TYPES for ms in raw["samples_ms"].get(kind, [])]
    ours = sum(seconds for name, seconds in raw["cpu_seconds"].items() if name != "machine")  # + load generator
    return {
        "turns": len(all_turns), "turns_per_s": round(len(all_turns) / window, 2),
        "conversations_per_min": round(raw["outcome"].get("conversations", 0) * 60 / window, 1),
        "latency": stats_ms(all_turns),
        "per_type": {kind: stats_ms([ms / 1000 for ms in raw["samples_ms"].get(kind, [])]) for kind in TURN_TYPES},
        "replies_ok": raw["outcome"].get("ok", 0), "replies_unexpected": raw["outcome"].get("unexpected", 0),
        "errors": raw["outcome"].get("errors", 0),
        "cores_used": {name: round(seconds / window, 2) for name, seconds in raw["cpu_seconds"].items()},
        "cores_used_by_others": round(max(raw["cpu_seconds"]["machine"] - ours, 0.0) / window, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--concurrency", type=int, required=True)
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--duration", type=float, default=30)
    ap.add_argument("--name", required=True, help="the setup, e.g. 'memory-1' or 'prod-2'")
    ap.add_argument("--pids", nargs="*", default=[])
    a = ap.parse_args()
    samples, outcome, cpu = asyncio.run(run(a.url.rstrip("/"), a.concurrency, a.warmup, a.duration,
                                            parse_pids(a.pids)))
    runs = read_result("load") or {}
    key = f"{a.name}-c{a.concurrency}"
    raw = runs.get(key, {}).get("raw") or {"duration_s": 0.0, "windows": 0, "samples_ms": {}, "outcome": {},
                                            "cpu_seconds": {}}
    raw["duration_s"] += a.duration
    raw["windows"] += 1
    for kind, seconds in samples.items():
        raw["samples_ms"].setdefault(kind, []).extend(round(s * 1000, 1) for s in seconds)
    for name, count in outcome.items():
        raw["outcome"][name] = raw["outcome"].get(name, 0) + count
    for name, seconds in cpu.items():
        raw["cpu_seconds"][name] = round(raw["cpu_seconds"].get(name, 0.0) + seconds, 2)
    runs[key] = {"name": a.name, "concurrency": a.concurrency, "warmup_s": a.warmup, "window_s": a.duration,
                 **summarize(raw), "raw": raw}
    write_result("load", runs)
    this = summarize({"duration_s": a.duration, "samples_ms": {k: [s * 1000 for s in v] for k, v in samples.items()},
                      "outcome": outcome, "cpu_seconds": cpu})
    print(f"{a.name} c={a.concurrency}: {this['turns_per_s']} turns/s, p50 {this['latency']['p50']} ms, "
          f"p95 {this['latency']['p95']} ms, ok {this['replies_ok']}, unexpected {this['replies_unexpected']}, "
          f"errors {this['errors']}; cores {this['cores_used']}, others {this['cores_used_by_others']}")


if __name__ == "__main__":
    main()
