"""Turn latency of the assistant vs the utter-only baseline bot, interleaved turn by turn.

All targets are Rasa servers answering on the REST channel: the assistant, the trivial baseline bot
and, with --fixed, the assistant with the bench's candidate fixes (bench/patched.py). Every turn of
every scenario (bench/scenarios.py) goes to each of them in turn; the order rotates by round. The
assistant and the fixed assistant each play their own copy of the scenario (same texts; order numbers
are their own), the baseline gets the assistant's texts. The first rounds are warm-up and not
recorded. NLU alone (POST /model/parse) is timed for the assistant and the baseline on the same texts.
Optionally a few KB questions also go through the web app (/api/chat), which forwards to the
assistant's Rasa server, to show what the web layer adds.

usage: python -m bench.latency --assistant URL --baseline URL [--fixed URL] [--web URL] [--rounds 40]
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from collections import defaultdict

from bench.common import ask, parse_seconds, post_json, ratio, stats_ms, write_result
from bench.scenarios import KB_QUESTIONS, LABELS, ROUND, TURN_TYPES, Scenario, Turn

BASELINE = "baseline"
PLAYERS = ("assistant", "fixed")  # targets that play a scenario with their own replies


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
        if who in PLAYERS:
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
        games: dict[str, Scenario] = {who: factory(random.Random(seed)) for who in urls if who in PLAYERS}
        senders = {who: [sender(f"bench-{who[0]}"), sender(f"bench-{who[0]}")] for who in urls}
        turns: dict[str, Turn | None] = {who: next(game) for who, game in games.items()}
        while any(turns.values()):
            replies = {}
            for who in order:
                turn = turns.get("assistant") if who == BASELINE else turns.get(who)
                if turn is None:
                    continue
                replies[who], seconds = ask(urls[who], senders[who][turn.thread], turn.text)
                if recorder:
                    recorder.turn(who, turn, replies[who], seconds)
            lead = turns.get("assistant")
            if recorder and lead:
                for who in order:
                    if who in ("assistant", BASELINE):
                        recorder.parse[who][lead.kind].append(parse_seconds(urls[who], lead.text))
            for who, game in games.items():
                if turns[who] is not None:
                    try:
                        turns[who] = game.send(replies[who])
                    except StopIteration:
                        turns[who] = None


def web_overhead(web_url: str, rest_url: str, count: int) -> dict:
    """KB questions through the web app's /api/chat vs straight to Rasa's REST channel."""
    via_web, direct = [], []
    for i in range(count):
        question = KB_QUESTIONS[i % len(KB_QUESTIONS)][0]
        started = time.perf_counter()
        post_json(f"{web_url}/api/chat", {"session": sender("benchweb"), "message": question})
        via_web.append(time.perf_counter() - started)
        direct.append(ask(rest_url, sender("bench-direct"), question)[1])
    return {"via_web": stats_ms(via_web[1:]), "direct": stats_ms(direct[1:])}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--assistant", required=True)
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--fixed", help="the assistant with the bench's candidate fixes (bench/patched.py)")
    ap.add_argument("--web")
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--web-turns", type=int, default=21)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    urls = {"assistant": a.assistant.rstrip("/"), BASELINE: a.baseline.rstrip("/")}
    if a.fixed:
        urls["fixed"] = a.fixed.rstrip("/")
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
            "ratio_p50": ratio(stats["assistant"]["p50"], base["p50"]),
            "ratio_p95": ratio(stats["assistant"]["p95"], base["p95"]),
            "parse_assistant": stats_ms(recorder.parse["assistant"][kind]),
            "parse_baseline": stats_ms(recorder.parse[BASELINE][kind]),
            "replies_ok": recorder.checks["assistant"][kind][0], "replies": recorder.checks["assistant"][kind][1],
        }
        if "fixed" in urls:
            per_type[kind].update({
                "fixed_ratio_p50": ratio(stats["fixed"]["p50"], base["p50"]),
                "fixed_ratio_p95": ratio(stats["fixed"]["p95"], base["p95"]),
                "fixed_replies_ok": recorder.checks["fixed"][kind][0],
                "fixed_replies": recorder.checks["fixed"][kind][1]})
    pooled = {who: stats_ms([s for kind in TURN_TYPES for s in recorder.turns[who][kind]]) for who in urls}
    parse_pooled = {who: stats_ms([s for kind in TURN_TYPES for s in recorder.parse[who][kind]])
                    for who in ("assistant", BASELINE)}
    all_turns = {**pooled, "ratio_p50": ratio(pooled["assistant"]["p50"], pooled[BASELINE]["p50"]),
                 "ratio_p95": ratio(pooled["assistant"]["p95"], pooled[BASELINE]["p95"])}
    if "fixed" in urls:
        all_turns.update({"fixed_ratio_p50": ratio(pooled["fixed"]["p50"], pooled[BASELINE]["p50"]),
                          "fixed_ratio_p95": ratio(pooled["fixed"]["p95"], pooled[BASELINE]["p95"])})
    result = {
        "rounds": a.rounds, "warmup_rounds": a.warmup, "seconds": round(elapsed, 1), "targets": list(urls),
        "per_type": per_type, "all_turns": all_turns,
        "parse_all": {**parse_pooled,
                      "ratio_p50": ratio(parse_pooled["assistant"]["p50"], parse_pooled[BASELINE]["p50"])},
        "errors": recorder.errors, "failures": recorder.failures,
    }
    if a.web:
        result["web"] = web_overhead(a.web.rstrip("/"), urls["assistant"], a.web_turns)
    write_result("latency", result)
    for kind, row in per_type.items():
        fixed = f" | fixed p50 {row['fixed']['p50']} x{row['fixed_ratio_p50']}" if "fixed" in row else ""
        print(f"{kind:16} assistant p50 {row['assistant']['p50']} p95 {row['assistant']['p95']} | baseline p50 "
              f"{row[BASELINE]['p50']} p95 {row[BASELINE]['p95']} | x{row['ratio_p50']} / x{row['ratio_p95']}"
              f"{fixed} | ok {row['replies_ok']}/{row['replies']}")
    print(f"all turns: x{all_turns['ratio_p50']} (p50) x{all_turns['ratio_p95']} (p95); {elapsed:.0f} s")


if __name__ == "__main__":
    main()
