"""Where a turn's time goes inside Rasa: the assistant's model in an in-process Agent, stage by stage.

The Agent is loaded with the project's endpoints.yml (masking in-memory tracker store) and the bench's
running action server, and plays the scenarios sequentially (no HTTP server in front: the REST channel's
own cost is not included). Loading our tracker store imports bot.rasa_plugins, so the Agent validates
action-server answers as the product does (bot/rasa_plugins/action_validation.py: a JSON-schema validator
built once). Passes:

1. warm-up, recording the first request bodies Rasa sends to the action server (for bench/profile_actions.py);
2. stage timing: Rasa's methods wrapped with wall-clock timers (nested stages inclusive);
3. the same with Rasa's stock validation (`action_validation.uninstall()`: `jsonschema.validate`, which
   checks the schema itself against the meta-schema and builds a validator on every call), to show what
   the product's validation saves;
4. a cProfile pass (as the product).

usage: python -m bench.profile_rasa --model PATH --bodies FILE [--endpoints endpoints.yml] [--rounds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import importlib
import inspect
import json
import logging
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import ROOT, stats_ms, write_result
from bench.kb_timing import top_functions
from bench.latency import sender
from bench.scenarios import LABELS, ROUND, TURN_TYPES, Turn

TOTAL = "total"
# (module, class, method, stage)
STAGES = (
    ("rasa.core.agent", "Agent", "handle_message", TOTAL),
    ("rasa.core.processor", "MessageProcessor", "get_tracker", "tracker fetch"),
    ("rasa.core.processor", "MessageProcessor", "parse_message", "NLU"),
    ("rasa.core.processor", "MessageProcessor", "run_action_extract_slots", "slot extraction"),
    ("rasa.core.processor", "MessageProcessor", "_predict_next_with_tracker", "policy prediction"),
    ("rasa.core.actions.action", "RemoteAction", "_action_call_format", "action request build"),
    ("rasa.utils.endpoints", "EndpointConfig", "request", "action server call (HTTP)"),
    ("rasa.core.actions.action", "RemoteAction", "_validate_action_result", "action answer validation"),
    ("rasa.core.processor", "MessageProcessor", "save_tracker", "tracker save"),
)
STAGE_NAMES = tuple(stage for *_, stage in STAGES)


def patch(cls: type, method: str, make: Callable[[Any], Any]) -> Callable[[], None]:
    """Replace cls.method by make(original function); returns the undo."""
    original = cls.__dict__[method]
    static = isinstance(original, staticmethod)
    replacement = make(original.__func__ if static else original)
    setattr(cls, method, staticmethod(replacement) if static else replacement)
    return lambda: setattr(cls, method, original)


class StageTimer:
    """Wall time and calls per stage, accumulated per turn; also the custom actions each turn called."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.actions: list[str] = []

    def take(self) -> dict[str, Any]:
        taken = {"seconds": dict(self.seconds), "calls": dict(self.calls), "actions": list(self.actions)}
        self.seconds.clear()
        self.calls.clear()
        self.actions.clear()
        return taken

    def timed(self, stage: str) -> Callable[[Any], Any]:
        def make(function: Any) -> Any:
            if inspect.iscoroutinefunction(function):
                @functools.wraps(function)
                async def timed_async(*args: Any, **kwargs: Any) -> Any:
                    started = time.perf_counter()
                    try:
                        return await function(*args, **kwargs)
                    finally:
                        self.seconds[stage] += time.perf_counter() - started
                        self.calls[stage] += 1
                return timed_async

            @functools.wraps(function)
            def timed_sync(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return function(*args, **kwargs)
                finally:
                    self.seconds[stage] += time.perf_counter() - started
                    self.calls[stage] += 1
            return timed_sync
        return make

    def install(self) -> Callable[[], None]:
        undo = [patch(getattr(importlib.import_module(module), cls), method, self.timed(stage))
                for module, cls, method, stage in STAGES]

        from rasa.core.actions.action import RemoteAction

        def named(function: Any) -> Any:
            @functools.wraps(function)
            async def run(action: Any, *args: Any, **kwargs: Any) -> Any:
                self.actions.append(action.name())
                return await function(action, *args, **kwargs)
            return run

        undo.append(patch(RemoteAction, "run", named))
        return lambda: [step() for step in reversed(undo)]


def capture_bodies(path: Path, keep: int) -> Callable[[], None]:
    """Write the first `keep` action-server request bodies of each action to `path` (JSON lines)."""
    from rasa.core.actions.action import RemoteAction

    kept: Counter[str] = Counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    out = path.open("w", encoding="utf-8")

    def make(function: Any) -> Any:
        @functools.wraps(function)
        def call_format(action: Any, *args: Any, **kwargs: Any) -> Any:
            body = function(action, *args, **kwargs)
            if kept[body["next_action"]] < keep:
                kept[body["next_action"]] += 1
                out.write(json.dumps(body, ensure_ascii=False) + "\n")
            return body
        return call_format

    undo = patch(RemoteAction, "_action_call_format", make)

    def restore() -> None:
        undo()
        out.close()
    return restore


async def play(agent: Any, rng: random.Random, rounds: int,
               on_turn: Callable[[Turn, str], None] | None = None) -> None:
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    for _ in range(rounds):
        for factory in ROUND:
            scenario = factory(rng)
            senders = [sender("bench-r"), sender("bench-r")]
            turn = next(scenario)
            while True:
                channel = CollectingOutputChannel()
                await agent.handle_message(UserMessage(turn.text, channel, senders[turn.thread], input_channel="rest"))
                reply = "\n".join([m.get("text") or "" for m in channel.messages]
                                  + [b.get("title", "") for m in channel.messages for b in m.get("buttons") or []])
                if on_turn:
                    on_turn(turn, reply)
                try:
                    turn = scenario.send(reply)
                except StopIteration:
                    break


async def timed_pass(agent: Any, rng: random.Random, rounds: int) -> dict[str, list[dict[str, Any]]]:
    timer = StageTimer()
    turns: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def record(turn: Turn, reply: str) -> None:
        turns[turn.kind].append({**timer.take(), "ok": turn.ok(reply)})

    restore = timer.install()
    try:
        await play(agent, rng, rounds, record)
    finally:
        restore()
    return turns


def summarize(turns: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    summary = {}
    for kind in TURN_TYPES:
        samples = turns[kind]
        n = max(len(samples), 1)
        summary[kind] = {
            "label": LABELS[kind], "turns": len(samples), "replies_ok": sum(s["ok"] for s in samples),
            "total": stats_ms([s["seconds"].get(TOTAL, 0.0) for s in samples]),
            "mean_ms": {stage: round(sum(s["seconds"].get(stage, 0.0) for s in samples) / n * 1000, 1)
                        for stage in STAGE_NAMES},
            "calls": {stage: round(sum(s["calls"].get(stage, 0) for s in samples) / n, 2) for stage in STAGE_NAMES},
            "actions_called": dict(Counter(name for s in samples for name in s["actions"]).most_common()),
        }
    return summary


async def run(a: argparse.Namespace) -> dict[str, Any]:
    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints

    from bot.rasa_plugins import action_validation

    started = time.perf_counter()
    agent = await load_agent(model_path=a.model, endpoints=AvailableEndpoints.read_endpoints(a.endpoints))
    load_s = time.perf_counter() - started
    rng = random.Random(5)

    restore = capture_bodies(a.bodies, a.keep)
    try:
        await play(agent, rng, a.warmup)
    finally:
        restore()
    action_validation.install()  # a no-op: importing bot.rasa_plugins installed it
    as_is = await timed_pass(agent, rng, a.rounds)
    action_validation.uninstall()
    try:
        stock = await timed_pass(agent, rng, a.rounds)
    finally:
        action_validation.install()

    profile = cProfile.Profile()
    profile.enable()
    await play(agent, rng, a.profile_rounds)
    profile.disable()
    a.profile_out.parent.mkdir(parents=True, exist_ok=True)
    profile.dump_stats(str(a.profile_out))

    return {
        "model_load_s": round(load_s, 1), "rounds": a.rounds, "stages": list(STAGE_NAMES),
        "per_type": summarize(as_is), "with_stock_validation": summarize(stock),
        "profile_cumtime": [row for row in top_functions(profile, "cumtime", 300)
                            if row["function"].startswith(("rasa/", "bot/", "jsonschema/", "sqlalchemy/"))][:22],
        "profile_tottime": top_functions(profile, "tottime", 12),
        "profile_file": str(a.profile_out.relative_to(ROOT)),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--bodies", type=Path, required=True)
    ap.add_argument("--endpoints", default="endpoints.yml")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--profile-rounds", type=int, default=3)
    ap.add_argument("--keep", type=int, default=20)
    ap.add_argument("--profile-out", type=Path, default=ROOT / "var" / "bench" / "profile-rasa.prof")
    a = ap.parse_args()

    import rasa.utils.tensorflow.environment as tf_env
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    # as `rasa run` without --debug sets itself up
    configure_logging_and_warnings(logging.INFO, warn_only_once=True, filter_repeated_logs=True)
    tf_env.setup_tf_environment()
    configure_structlog(logging.INFO)
    result = asyncio.run(run(a))
    write_result("profile_rasa", result)
    for kind, row in result["per_type"].items():
        parts = ", ".join(f"{stage} {ms}" for stage, ms in row["mean_ms"].items() if ms)
        stock = result["with_stock_validation"][kind]["total"]
        print(f"{kind:16} ({row['turns']} turns, ok {row['replies_ok']}): {parts}; "
              f"with Rasa's stock validation: total p50 {stock['p50']} ms")


if __name__ == "__main__":
    main()
