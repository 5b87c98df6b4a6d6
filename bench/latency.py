"""Turn latency of the assistant vs the utter-only baseline bot, interleaved turn by turn.

Both targets are Rasa servers answering on the REST channel: the assistant and the trivial baseline
bot. Every turn of every scenario (bench/scenarios.py) goes to both, one after the other; which goes
first alternates by round. The assistant plays the scenario, the baseline gets the same texts. The
first rounds are warm-up and not recorded. NLU alone (POST /model/parse) is timed for both on the same
texts. Optionally a few KB questions also go through the web app (/api/chat), which forwards to the
assistant's Rasa server, to show what the web layer adds.

usage: python -m bench.latency --assistant URL --baseline URL [--web URL] [--rounds 40]
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from collections import defaultdict

from bench.common import ask, parse_seconds, post_json, ratio, stats_ms, write_result
from bench.scenarios import KB_QUESTIONS, LABELS, ROUND, TURN_TYPES, Scenario, Turn

ASSISTANT, BASELINE = "assistant", "baseline"


def sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class Recorder:
    def __init__(self, targets: list[str]) -> None:
        self.turns: dict[str, dict[str, list[float]]] = {who: defaultdict(list) for who in targets}
        self.parse: dict[str, dict[str, list[float]]] = {who: defaultdict(list) for who in targets}
        self.checks: dict[str, dict[str, list[int]]] = {who: defaultdict(lambda: [0, 0]) for who in targets}
        self.errors = dict.fromkeys(targets, 0)
        self.failures: list[dict[str, str]] = []

    def turn(self, who: str, turn: Turn, reply: str, seconds: float) -> None:
        self.turns[who][turn.kind].append(seconds)
        if reply.startswith("<error"):
            self.errors[who] += 1
        if who == ASSISTANT:
            self.checks[who][turn.kind][1] += 1
            if turn.ok(reply):
                self.checks[who][turn.kind][0] += 1
            elif len(self.failures) < 10:
                self.failures.append({"target": who, "kind": turn.kind, "text": turn.text, "reply": reply[:200]})


def play_round(urls: dict[str, str], rng: random.Random, recorder: Recorder | None, rotation: int) -> None:
    names = list(urls)
    order = names[rotation % len(names):] + names[:rotation % len(names)]
    for factory in ROUND:
        seed = rng.random()
        game: Scenario = factory(random.Random(seed))
        senders = {who: [sender(f"bench-{who[0]}"), sender(f"bench-{who[0]}")] for who in urls}
        turn: Turn | None = next(game)
        while turn is not None:
            replies = {}
            for who in order:
                replies[who], seconds = ask(urls[who], senders[who][turn.thread], turn.text)
                if recorder:
                    recorder.turn(who, turn, replies[who], seconds)
            if recorder:
                for who in order:
                    recorder.parse[who][turn.kind].append(parse_seconds(urls[who], turn.text))
            try:
                turn = game.send(replies[ASSISTANT])
            except StopIteration:
                turn = None


def web_overhead(web_url: str, rest_url: str, count: int) -> dict:
    """KB questions through the web app's /api/chat vs straight to Rasa's REST channel."""
    via_web, direct = [], []
    for i in range(count):
        question = KB_QUESTIONS[i % len(KB_QUESTIONS)][0]
        session = post_json(f"{web_url}/api/session", {})["session"]  # ids are issued by the web app
        started = time.perf_counter()
        post_json(f"{web_url}/api/chat", {"session": session, "message": question})
        via_web.append(time.perf_counter() - started)
        direct.append(ask(rest_url, sender("bench-direct"), question)[1])
    return {"via_web": stats_ms(via_web[1:]), "direct": stats_ms(direct[1:])}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--assistant", required=True)
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--web")
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--web-turns", type=int, default=21)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    urls = {ASSISTANT: a.assistant.rstrip("/"), BASELINE: a.baseline.rstrip("/")}
    rng = random.Random(a.seed)
    recorder = Recorder(list(urls))
    started = time.perf_counter()
    for number in range(a.warmup + a.rounds):
        play_round(urls, rng, recorder if number >= a.warmup else None, rotation=number)
    elapsed = time.perf_counter() - started

    per_type = {}
    for kind in TURN_TYPES:
        stats = {who: stats_ms(recorder.turns[who][kind]) for who in urls}
        base = stats[BASELINE]
        per_type[kind] = {
            "label": LABELS[kind], **stats,
            "ratio_p50": ratio(stats[ASSISTANT]["p50"], base["p50"]),
            "ratio_p95": ratio(stats[ASSISTANT]["p95"], base["p95"]),
            "parse_assistant": stats_ms(recorder.parse[ASSISTANT][kind]),
            "parse_baseline": stats_ms(recorder.parse[BASELINE][kind]),
            "replies_ok": recorder.checks[ASSISTANT][kind][0], "replies": recorder.checks[ASSISTANT][kind][1],
        }
    pooled = {who: stats_ms([s for kind in TURN_TYPES for s in recorder.turns[who][kind]]) for who in urls}
    parse_pooled = {who: stats_ms([s for kind in TURN_TYPES for s in recorder.parse[who][kind]]) for who in urls}
    all_turns = {**pooled, "ratio_p50": ratio(pooled[ASSISTANT]["p50"], pooled[BASELINE]["p50"]),
                 "ratio_p95": ratio(pooled[ASSISTANT]["p95"], pooled[BASELINE]["p95"])}
    result = {
        "rounds": a.rounds, "warmup_rounds": a.warmup, "seconds": round(elapsed, 1), "targets": list(urls),
        "per_type": per_type, "all_turns": all_turns,
        "parse_all": {**parse_pooled,
                      "ratio_p50": ratio(parse_pooled[ASSISTANT]["p50"], parse_pooled[BASELINE]["p50"])},
        "errors": recorder.errors, "failures": recorder.failures,
    }
    if a.web:
        result["web"] = web_overhead(a.web.rstrip("/"), urls[ASSISTANT], a.web_turns)
    write_result("latency", result)
    for kind, row in per_type.items():
        print(f"{kind:16} assistant p50 {row['assistant']['p50']} p95 {row['assistant']['p95']} | baseline p50 "
              f"{row[BASELINE]['p50']} p95 {row[BASELINE]['p95']} | x{row['ratio_p50']} / x{row['ratio_p95']}"
              f" | ok {row['replies_ok']}/{row['replies']}")
    print(f"all turns: x{all_turns['ratio_p50']} (p50) x{all_turns['ratio_p95']} (p95); {elapsed:.0f} s")


if __name__ == "__main__":
    main()
