"""Knowledge-base query time in-process: loading, Answerer.reply per call, KnowledgeBase queries per call.

Every case of the question sets is replayed as a conversation (the reply's context carries over to the
next turn, as the action's slots do; no NLU, so no intent hint). Reply timing passes run without any
instrumentation; a separate pass wraps the KnowledgeBase query methods to time and count each call
(inclusive of nested queries), and one more runs under cProfile.

usage: python -m bench.kb_timing [--passes 5] [--sets tests/eval/questions.yml ../shared/eval/questions.yml]
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import pstats
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bench.common import ROOT, percentile, stats_ms, write_result
from bot.knowledge.service import KnowledgeBase
from bot.qa.context import Context
from bot.qa.planner import Answerer

QUERY_METHODS = ("places_in", "resolve_place", "facts", "best_facts", "nearest", "silence",
                 "search_clauses", "category_ranks", "category_lineage", "subgroups")
DEFAULT_SETS = (ROOT / "tests" / "eval" / "questions.yml", ROOT.parent / "shared" / "eval" / "questions.yml")


def load_cases(paths: list[Path]) -> dict[str, list[list[str]]]:
    """{'own: tests/eval/questions.yml': [turns, ...], 'public: ../shared/eval/questions.yml': ...}"""
    sets = {}
    for path in paths:
        if path.is_file():
            resolved = path.resolve()
            name = (f"own: {resolved.relative_to(ROOT)}" if resolved.is_relative_to(ROOT)
                    else f"public: ../{resolved.relative_to(ROOT.parent)}")
            sets[name] = [case["turns"] for case in yaml.safe_load(path.read_text(encoding="utf-8"))]
    return sets


def play(answerer: Answerer, conversations: list[list[str]], on_reply: Callable[[float], None] | None = None) -> None:
    for turns in conversations:
        context = Context()
        for text in turns:
            started = time.perf_counter()
            reply = answerer.reply(text, context)
            if on_reply:
                on_reply(time.perf_counter() - started)
            context = reply.context


def instrument(timings: dict[str, list[float]]) -> Callable[[], None]:
    """Wrap the KnowledgeBase query methods to time every call; returns a function that unwraps them."""
    originals: dict[str, Any] = {}
    for name in QUERY_METHODS:
        original = KnowledgeBase.__dict__.get(name)
        if original is None or not callable(original):
            continue
        originals[name] = original
        is_static = isinstance(original, staticmethod)
        function = original.__func__ if is_static else original

        def timed(*args: Any, __function=function, __name=name, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return __function(*args, **kwargs)
            finally:
                timings[__name].append(time.perf_counter() - started)

        setattr(KnowledgeBase, name, staticmethod(timed) if is_static else functools.wraps(function)(timed))

    def restore() -> None:
        for name, original in originals.items():
            setattr(KnowledgeBase, name, original)

    return restore


def top_functions(profile: cProfile.Profile, sort: str, limit: int = 15) -> list[dict[str, Any]]:
    stats = pstats.Stats(profile)
    rows = []
    for (filename, line, function), (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append({"function": f"{short_path(filename)}:{line}({function})", "calls": calls,
                     "tottime_ms": round(tottime * 1000, 1), "cumtime_ms": round(cumtime * 1000, 1)})
    key = "tottime_ms" if sort == "tottime" else "cumtime_ms"
    return sorted(rows, key=lambda row: row[key], reverse=True)[:limit]


def short_path(filename: str) -> str:
    for marker in ("site-packages/", str(ROOT) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename.rsplit("/", 1)[-1] if "/" in filename else filename


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--passes", type=int, default=5)
    ap.add_argument("--sets", nargs="*", type=Path, default=list(DEFAULT_SETS))
    ap.add_argument("--profile-out", type=Path, default=ROOT / "var" / "bench" / "profile-answerer.prof")
    a = ap.parse_args()
    sets = load_cases(a.sets)

    from bot.services import current

    started = time.perf_counter()
    kb = current().kb
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    engine = current().answerer
    engine.reply("枣庄10千伏双电源用户办电要多久", Context())
    first_s = time.perf_counter() - started
    all_cases = [turns for cases in sets.values() for turns in cases]
    play(engine, all_cases)  # warm-up pass: caches filled as in a long-running action server

    replies: dict[str, list[float]] = {}
    for name, cases in sets.items():
        replies[name] = []
        for _ in range(a.passes):
            play(engine, cases, replies[name].append)

    timings: dict[str, list[float]] = defaultdict(list)
    counted: list[float] = []
    restore = instrument(timings)
    try:
        play(engine, all_cases, counted.append)
    finally:
        restore()

    profile = cProfile.Profile()
    profile.enable()
    play(engine, all_cases)
    profile.disable()
    a.profile_out.parent.mkdir(parents=True, exist_ok=True)
    profile.dump_stats(str(a.profile_out))

    result = {
        "kb_load_ms": round(load_s * 1000, 1), "first_reply_ms": round(first_s * 1000, 1),
        "regions": len(kb.regions), "facts": sum(len(region.facts) for region in kb.regions),
        "passes": a.passes,
        "reply": {name: stats_ms(seconds) for name, seconds in replies.items()},
        "reply_all": stats_ms([s for seconds in replies.values() for s in seconds]),
        "queries": {name: {"calls": len(seconds), "per_reply": round(len(seconds) / max(len(counted), 1), 2),
                           "mean_us": round(sum(seconds) / len(seconds) * 1e6, 1),
                           "p50_us": round(percentile(seconds, 50) * 1e6, 1),
                           "p95_us": round(percentile(seconds, 95) * 1e6, 1),
                           "share_of_reply_time": round(sum(seconds) / max(sum(counted), 1e-9), 3)}
                    for name, seconds in sorted(timings.items(), key=lambda item: -sum(item[1]))},
        "profile_tottime": top_functions(profile, "tottime"),
        "profile_cumtime": [row for row in top_functions(profile, "cumtime", 40)
                            if not row["function"].startswith(("bench/", "~", "<"))][:15],
        "profile_file": str(a.profile_out.relative_to(ROOT)) if a.profile_out.is_relative_to(ROOT) else str(
            a.profile_out),
    }
    write_result("kb", result)
    print(f"KB load {result['kb_load_ms']} ms; first reply {result['first_reply_ms']} ms; "
          f"reply p50 {result['reply_all']['p50']} ms p95 {result['reply_all']['p95']} ms "
          f"over {result['reply_all']['n']} calls")
    for name, row in list(result["queries"].items())[:6]:
        print(f"  {name:18} {row['per_reply']:>6} calls/reply  mean {row['mean_us']} µs")


if __name__ == "__main__":
    main()
