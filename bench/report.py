"""Write docs/benchmarks.md (from bench/benchmarks.md.tmpl) and var/results/bench.json from the run's results.

Every table is filled from var/bench/results/*.json of the run that just finished; the explanation
section is hand-written in the template.

usage: python -m bench.report
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.common import RESULTS, ROOT, read_result
from bench.scenarios import LABELS, TURN_TYPES

TEMPLATE = ROOT / "bench" / "benchmarks.md.tmpl"
DOC = ROOT / "docs" / "benchmarks.md"
RAW = ROOT / "var" / "results" / "bench.json"
TARGET_RATIO = 1.5
SETUPS = {"memory-1": "1 replica, in-memory tracker store (as `make run`), direct",
          "prod-1": "1 replica, PostgreSQL tracker + Redis lock store, via nginx",
          "prod-2": "2 replicas, PostgreSQL tracker + Redis lock store, via nginx"}


def ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def times(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def mib(value: int | None) -> str:
    return "–" if not value else f"{value / 2**20:.0f} MiB"


def table(header: list[str], rows: list[list[Any]], align: str = "") -> str:
    align = align or "l" + "r" * (len(header) - 1)
    marks = [":---" if a == "l" else "---:" for a in align]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(marks) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- sections

def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    memtotal = re.search(r"MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text())
    from importlib.metadata import version

    return {"nproc": len(os.sched_getaffinity(0)), "cpu_model": model.group(1).strip() if model else "?",
            "ram_bytes": int(memtotal.group(1)) * 1024 if memtotal else None, "kernel": platform.release(),
            "python": platform.python_version(), "rasa": version("rasa"), "rasa_sdk": version("rasa-sdk"),
            "tensorflow": version("tensorflow")}


def phases() -> list[dict[str, Any]]:
    path = RESULTS / "phases.txt"
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text().splitlines():
        *name, started, load1, load5, load15 = line.split()
        rows.append({"phase": " ".join(name), "started": int(started), "loadavg": [float(load1), float(load5),
                                                                                   float(load15)]})
    ends = [row["started"] for row in rows[1:]] + [int(time.time())]
    for row, end in zip(rows, ends, strict=True):
        row["seconds"] = end - row["started"]
    return rows


def machine_section(info: dict[str, Any], run: list[dict[str, Any]], started: int, total_s: int) -> str:
    rows = [["CPU", f"{info['nproc']} × {info['cpu_model']} (`nproc` = {info['nproc']})"],
            ["RAM", mib(info["ram_bytes"]).replace(" MiB", "") + " MiB"],
            ["software", f"Linux {info['kernel']}, Python {info['python']}, Rasa {info['rasa']}, "
                         f"rasa-sdk {info['rasa_sdk']}, TensorFlow {info['tensorflow']}"],
            ["run", f"`make bench`, {datetime.fromtimestamp(started, timezone.utc):%Y-%m-%d %H:%M} UTC, took "
                    f"{total_s // 60} min {total_s % 60} s"]]
    text = table(["", ""], rows, "ll")
    if run:
        text += "\n\nPhases (seconds, and the 1-minute load average when each began; anything else running on " \
                "the machine shows up here):\n\n"
        text += table(["phase", "seconds", "load average at start"],
                      [[row["phase"], row["seconds"], row["loadavg"][0]] for row in run if row["phase"] != "report"])
    return text


def latency_section(latency: dict[str, Any] | None) -> str:
    if not latency:
        return "_not measured_"
    rows = []
    for kind in TURN_TYPES:
        row = latency["per_type"][kind]
        verdict = "yes" if row["ratio_p50"] is not None and row["ratio_p50"] <= TARGET_RATIO else "**no**"
        rows.append([row["label"], row["assistant"]["n"], ms(row["assistant"]["p50"]), ms(row["assistant"]["p95"]),
                     ms(row["baseline"]["p50"]), ms(row["baseline"]["p95"]), times(row["ratio_p50"]),
                     times(row["ratio_p95"]), verdict, f"{row['replies_ok']}/{row['replies']}"])
    pooled = latency["all_turns"]
    rows.append(["**all turns**", pooled["assistant"]["n"], ms(pooled["assistant"]["p50"]),
                 ms(pooled["assistant"]["p95"]), ms(pooled["baseline"]["p50"]), ms(pooled["baseline"]["p95"]),
                 f"**{times(pooled['ratio_p50'])}**", f"**{times(pooled['ratio_p95'])}**",
                 "yes" if (pooled["ratio_p50"] or 99) <= TARGET_RATIO else "**no**", ""])
    text = table(["turn type", "turns", "assistant p50", "p95", "baseline p50", "p95", "ratio p50", "ratio p95",
                  f"p50 ≤ {TARGET_RATIO}×", "replies as expected"], rows)
    text += (f"\n\n{latency['rounds']} rounds after {latency['warmup_rounds']} warm-up rounds, "
             f"{latency['seconds']:.0f} s; milliseconds. Errors: "
             + ", ".join(f"{who} {count}" for who, count in latency["errors"].items()) + ".")
    nlu = [[row["label"], ms(row["parse_assistant"]["p50"]), ms(row["parse_baseline"]["p50"]),
            times(_ratio(row["parse_assistant"]["p50"], row["parse_baseline"]["p50"]))]
           for row in (latency["per_type"][kind] for kind in TURN_TYPES)]
    parse_all = latency["parse_all"]
    nlu.append(["**all turns**", ms(parse_all["assistant"]["p50"]), ms(parse_all["baseline"]["p50"]),
                f"**{times(parse_all['ratio_p50'])}**"])
    text += "\n\nNLU alone on the same texts (`POST /model/parse`, p50 ms):\n\n"
    text += table(["turn type", "assistant", "baseline", "ratio"], nlu)
    if latency.get("web"):
        web = latency["web"]
        text += (f"\n\nThrough the web app (`POST /api/chat` on the web app, which forwards to the same Rasa server "
                 f"and records the exchange): KB question p50 {ms(web['via_web']['p50'])} ms, p95 "
                 f"{ms(web['via_web']['p95'])} ms, vs {ms(web['direct']['p50'])} / {ms(web['direct']['p95'])} ms "
                 f"straight to the REST channel ({web['via_web']['n']} questions each).")
    return text


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


STAGE_COLUMNS = (("NLU", "NLU"), ("policy prediction", "policies"), ("action request build", "request build"),
                 ("action server call (HTTP)", "action server (HTTP)"),
                 ("action answer validation", "answer validation"), ("tracker fetch", "tracker fetch"),
                 ("tracker save", "tracker save"))


def stages_section(rasa: dict[str, Any] | None) -> str:
    if not rasa:
        return "_not measured_"
    stock = rasa.get("with_stock_validation")
    rows = []
    for kind in TURN_TYPES:
        row = rasa["per_type"][kind]
        total = row["mean_ms"]["total"]
        named = sum(row["mean_ms"][stage] for stage, _ in STAGE_COLUMNS)
        cells = [row["label"], row["turns"], ms(total), *(ms(row["mean_ms"][stage]) for stage, _ in STAGE_COLUMNS),
                 ms(max(total - named, 0.0))]
        if stock:
            stock_total = stock[kind]["mean_ms"]["total"]
            cells.append(f"{ms(stock_total)} (ours {_saving(stock_total, total)})")
        rows.append(cells)
    header = ["turn type", "turns", "total", *(label for _, label in STAGE_COLUMNS), "other"]
    text = table(header + (["total with Rasa's stock validation"] if stock else []), rows)
    calls = {kind: rasa["per_type"][kind]["calls"] for kind in TURN_TYPES}
    text += (f"\n\nMean milliseconds per turn, {rasa['rounds']} rounds, the assistant's model in an in-process "
             "`Agent` (bench/profile_rasa.py) with the project's endpoints.yml and the bench's action server; no "
             "HTTP server in front. Stages are Rasa's own methods timed from outside: NLU = "
             "`MessageProcessor.parse_message` (the same work as `POST /model/parse`); policies = every "
             f"`_predict_next_with_tracker` (about {_mean_calls(calls, 'policy prediction')} per turn: after the "
             "user message and after each action); request build = the tracker and the domain turned into the "
             "action server's request; action server = the HTTP call (the action itself, JSON both ways); answer "
             "validation = `RemoteAction._validate_action_result`; other = the rest (events, NLG of `utter_` "
             "responses, locks). Answer validation is the product's (bot/rasa_plugins/action_validation.py: "
             "validators built once per process, each event checked against its own type's schema).")
    if stock:
        text += (" The last column repeats the run with Rasa's stock validation (`jsonschema.validate`, which checks "
                 "Rasa's constant response schema against the meta-schema and builds a new validator on every call), "
                 "and in brackets how much less the product's total is.")
    return text


def _saving(before: float, after: float) -> str:
    return f"−{100 * (before - after) / before:.0f} %" if before else "–"


def _mean_calls(calls: dict[str, dict[str, float]], stage: str) -> str:
    values = [row[stage] for row in calls.values() if row.get(stage)]
    return f"{sum(values) / len(values):.1f}" if values else "–"


def load_section(load: dict[str, Any] | None, replicas: dict[str, Any] | None) -> str:
    if not load:
        return "_not measured_"
    rows = []
    for run in load.values():
        cores = ", ".join(f"{name} {value:.2f}" for name, value in run["cores_used"].items()
                          if name not in ("machine", "load generator") and value >= 0.005)
        rows.append([SETUPS.get(run["name"], run["name"]), run["concurrency"],
                     f"{run['raw']['windows']} × {run['window_s']:.0f} s", run["turns_per_s"],
                     run["conversations_per_min"], ms(run["latency"]["p50"]), ms(run["latency"]["p95"]),
                     run["errors"], run["replies_unexpected"], cores, run["cores_used"].get("load generator", 0),
                     run["cores_used_by_others"], per_rasa_core(run) or "–"])
    text = table(["setup", "conversations", "measured", "turns/s", "conversations/min", "p50 ms", "p95 ms",
                  "errors", "unexpected replies", "cores used by the servers", "load generator",
                  "other processes", "turns per Rasa core-second"], rows, "lrlrrrrrrlrrr")
    scaling = []
    for concurrency in (10, 50):
        one, two = load.get(f"prod-1-c{concurrency}"), load.get(f"prod-2-c{concurrency}")
        if one and two:
            scaling.append([concurrency, times(_ratio(two["turns_per_s"], one["turns_per_s"])),
                            times(_ratio(two["latency"]["p50"], one["latency"]["p50"])),
                            times(_ratio(two["latency"]["p95"], one["latency"]["p95"])),
                            times(_ratio(rasa_cores(two), rasa_cores(one))),
                            times(_ratio(per_rasa_core(two), per_rasa_core(one)))])
    if scaling:
        text += "\n\nTwo replicas vs one (same stores, both through nginx, alternating windows):\n\n"
        text += table(["conversations", "throughput 2 / 1", "p50 2 / 1", "p95 2 / 1", "Rasa cores used 2 / 1",
                       "turns per Rasa core-second 2 / 1"], scaling)
    any_run = next(iter(load.values()))
    text += ("\n\nClosed loop: each conversation sends its next turn as soon as the reply arrives (no think time); "
             "fresh conversations from the load mix (KB questions, clarifications, bookings with their status "
             f"lookup, out-of-scope); {any_run['warmup_s']:.0f} s warm-up before each measured window; p50/p95 over "
             "all turns of the windows. Cores used = CPU seconds ÷ window seconds (1.00 = one core busy); "
             "\"other processes\" = the machine's busy CPU (/proc/stat) minus the servers measured and the load "
             "generator: whatever else ran on the machine at the time. Turns per Rasa core-second = turns/s ÷ the "
             "cores the Rasa processes got: what a replica does with the CPU it is given.")
    if replicas and replicas.get("skipped"):
        text += f"\n\nReplica phase skipped: {replicas['skipped']}."
    elif replicas:
        text += (f" Replicas: PostgreSQL on :{replicas['pg_port']}, Redis on :{replicas['redis_port']}, nginx on "
                 f":{replicas['nginx_port']}, started by `scripts/prod-services.sh` (the production profile's) with "
                 f"the bench's ports and directory; Rasa endpoints `{replicas['endpoints']}`; each Rasa replica calls "
                 "the action servers through nginx. Both replicas run throughout; nginx is pointed at one or at both "
                 "in alternating windows (1, 2, 2, 1), so both setups see the same background load.")
    return text


def rasa_cores(run: dict[str, Any]) -> float:
    return sum(value for name, value in run["cores_used"].items() if name.startswith("rasa"))


def per_rasa_core(run: dict[str, Any]) -> float | None:
    """Turns per second per core the Rasa processes got: throughput with the CPU they had factored out."""
    cores = rasa_cores(run)
    return round(run["turns_per_s"] / cores, 1) if cores else None


def kb_section(kb: dict[str, Any] | None) -> str:
    if not kb:
        return "_not measured_"
    rows = [[name, row["n"], ms(row["p50"]), ms(row["p95"]), ms(row["mean"]), ms(row["max"])]
            for name, row in {**kb["reply"], "**all**": kb["reply_all"]}.items()]
    text = table(["question set", "calls", "p50 ms", "p95 ms", "mean ms", "max ms"], rows)
    text += (f"\n\n`Answerer.reply` per call, in-process, {kb['passes']} passes after a warm-up pass; every case "
             f"replayed as a conversation (context carried over). Loading the KB ({kb['regions']} regions, "
             f"{kb['facts']} facts) with jieba's dictionary: {ms(kb['kb_load_ms'])} ms once per process; the first "
             f"reply after it: {ms(kb['first_reply_ms'])} ms.\n\nKnowledgeBase queries (one instrumented pass; "
             "inclusive of nested queries):\n\n")
    queries = [[f"`{name}`", row["per_reply"], row["mean_us"], row["p50_us"], row["p95_us"],
                f"{100 * row['share_of_reply_time']:.0f} %"] for name, row in kb["queries"].items()]
    text += table(["query", "calls per reply", "mean µs", "p50 µs", "p95 µs", "share of reply time"], queries)
    return text


def training_section(training: dict[str, Any] | None) -> str:
    if not training:
        return "_not measured_"
    a, b = training["assistant"], training["baseline"]

    def seconds(row: dict[str, Any], key: str) -> str:
        return f"{row[key]:.0f} s" if row.get(key) else "skipped"

    rows = [["training time (wall)", seconds(a, "seconds"), seconds(b, "seconds"),
             times(_ratio(a["seconds"], b["seconds"]))],
            ["training CPU time (user + system)", seconds(a, "cpu_seconds"), seconds(b, "cpu_seconds"),
             times(_ratio(a.get("cpu_seconds"), b.get("cpu_seconds")))],
            ["model (.tar.gz)", f"{a['bytes'] / 1e6:.1f} MB", f"{b['bytes'] / 1e6:.1f} MB",
             times(_ratio(a["bytes"], b["bytes"]))]]
    text = table(["", "assistant", "baseline", "ratio"], rows)
    if training["skipped"]:
        text += ("\n\n`BENCH_SKIP_TRAINING=1`: training was skipped and the models of an earlier run (or "
                 "`scripts/train.sh`'s) were used; no training time was measured.")
    else:
        text += ("\n\n`rasa train --out <temporary dir>` with an empty `RASA_CACHE_DIRECTORY` (nothing reused "
                 "from earlier trainings), one after the other, nothing else of the bench running; the assistant's "
                 "time includes building its jieba user dictionary (`python -m bot.nlu.dictionary`, as "
                 "`scripts/train.sh`). Wall time depends on what else runs on the machine (see the load average "
                 "of the training phase above); CPU time hardly does.")
    return text


MEMORY_NAMES = {"rasa": "Rasa server (assistant)", "actions": "action server", "web": "web app",
                "baseline": "Rasa server (baseline bot)", "rasa1": "Rasa replica 1", "rasa2": "Rasa replica 2",
                "actions1": "action server 1", "actions2": "action server 2", "postgres": "PostgreSQL (all processes)",
                "redis": "Redis", "nginx": "nginx (master + workers)"}
MEMORY_GROUPS = {"single": "after the latency runs", "single-after-load": "after load at 50 conversations",
                 "replicas": "replicas, after load at 50 conversations"}


def memory_section(memory: dict[str, Any] | None) -> str:
    if not memory:
        return "_not measured_"
    rows = [[MEMORY_NAMES.get(name, name), MEMORY_GROUPS.get(group, group), mib(row["rss"]), mib(row["hwm"])]
            for group, processes in memory.items() for name, row in processes.items()]
    text = table(["process", "when", "RSS (VmRSS)", "peak (VmHWM)"], rows, "llrr")
    single = memory.get("single", {})
    if single.get("rasa") and single.get("baseline"):
        text += (f"\n\nAssistant Rasa server vs baseline Rasa server: "
                 f"{times(_ratio(single['rasa']['rss'], single['baseline']['rss']))} the resident memory.")
    return text


def accuracy_section(accuracy: dict[str, Any] | None) -> str:
    if not accuracy:
        return "_not measured_"
    rows = []
    for name, row in accuracy.items():
        cases = row["cases_file"] if name == "own" else "../" + row["cases_file"]
        for who, label in (("bot", "assistant (REST)"), ("bm25", "jieba BM25 paragraph retrieval")):
            rows.append([f"{name}: `{cases}`", label, f"{row[who]['correct']}/{row[who]['cases']}",
                         f"{row[who]['percent']:.1f} %"])
    text = table(["question set", "system", "correct", "accuracy"], rows, "llrr")
    text += ("\n\n`../shared/eval/score.py bot http://127.0.0.1:6105 --cases …` and "
             "`score.py bm25 knowledge/seeds --cases …`: the same regexes decide both (BM25 answers with the "
             "best-matching seed paragraph for all turns of a case joined).")
    return text


def profile_section(actions: dict[str, Any] | None, rasa: dict[str, Any] | None, kb: dict[str, Any] | None) -> str:
    if not actions:
        return "_not measured_"
    variants = actions.get("database_variants") or {}
    header = ["action", "calls", "p50 ms", "p95 ms"] + [f"p50 ms, {VARIANTS.get(name, name)}" for name in variants]
    rows = [[f"`{name}`", row["n"], ms(row["p50"]), ms(row["p95"]),
             *(ms(variant.get(name, {}).get("p50")) for variant in variants.values())]
            for name, row in actions["per_action"].items()]
    text = (f"Slowest turn type in the latency run: **{LABELS.get(actions['kind'], actions['kind'])}**.\n\n"
            "Action-server requests recorded from Rasa, replayed in-process (JSON decode, `ActionExecutor.run`, JSON "
            f"encode; no HTTP). Mean request body: {actions['request_bytes_mean'] / 1024:.0f} KiB (Rasa sends the "
            "tracker and the whole domain with every action call).\n\n")
    text += table(header, rows)
    text += ("\n\np50 and p95: as the product (`bot/store/engine.py`; on SQLite, the `make run` database, files get a "
             "connection pool).")
    if variants:
        text += (" The other columns repeat the replay with a variant of `bot.store.engine.make_engine` in the "
                 "bench process only: without a pool (NullPool, SQLAlchemy 1.4's default for SQLite files: every "
                 "session opens the file and runs its PRAGMAs and, closing the last connection, checkpoints the "
                 "WAL), and the pool with `PRAGMA synchronous=NORMAL` (measured, not applied: the product keeps "
                 "SQLite's default, FULL, for durability).")
    text += (f"\n\ncProfile of the slowest turn type's actions ({', '.join(f'`{a}`' for a in actions['actions'])}; "
             f"{actions['calls_profiled']} calls; `{actions['profile_file']}`), cumulative:\n\n")
    text += _profile_table(actions["profile_cumtime"][:12], "cumtime_ms")
    text += "\n\nSelf time:\n\n" + _profile_table(actions["profile_tottime"][:8], "tottime_ms")
    if rasa:
        text += (f"\n\ncProfile of Rasa handling all turn types in-process (`{rasa['profile_file']}`; wall time "
                 "while a coroutine waits is attributed to it), cumulative:\n\n")
        text += _profile_table(rasa["profile_cumtime"][:14], "cumtime_ms")
    if kb:
        text += (f"\n\ncProfile of `Answerer.reply` over both question sets (`{kb['profile_file']}`), "
                 "cumulative:\n\n" + _profile_table(kb["profile_cumtime"][:10], "cumtime_ms"))
        text += "\n\nSelf time:\n\n" + _profile_table(kb["profile_tottime"][:8], "tottime_ms")
    return text


VARIANTS = {"nullpool": "without a pool", "pool+normal": "pool + synchronous=NORMAL"}


def _profile_table(rows: list[dict[str, Any]], key: str) -> str:
    return table(["function", "calls", key.replace("_ms", " ms")],
                 [[f"`{row['function']}`", row["calls"], row[key]] for row in rows], "lrr")


# ---------------------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(prog="python -m bench.report", description=__doc__.split("\n\n")[0]).parse_args(argv)
    started = int((RESULTS / "started").read_text()) if (RESULTS / "started").is_file() else int(time.time())
    info, run = machine(), phases()
    finished = next((row["started"] for row in run if row["phase"] == "report"), int(time.time()))
    total_s = finished - started
    results = {name: read_result(name) for name in ("training", "latency", "profile_rasa", "load", "kb",
                                                    "profile_actions", "memory", "accuracy", "replicas")}
    sections = {
        "machine": machine_section(info, run, started, total_s),
        "latency": latency_section(results["latency"]),
        "stages": stages_section(results["profile_rasa"]),
        "load": load_section(results["load"], results["replicas"]),
        "kb": kb_section(results["kb"]),
        "training": training_section(results["training"]),
        "memory": memory_section(results["memory"]),
        "accuracy": accuracy_section(results["accuracy"]),
        "profile": profile_section(results["profile_actions"], results["profile_rasa"], results["kb"]),
    }
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, section in sections.items():
        text = text.replace("{{" + name + "}}", section)
    missing = re.findall(r"\{\{\w+\}\}", text)
    if missing:
        raise SystemExit(f"unfilled placeholders in {TEMPLATE}: {missing}")
    DOC.write_text(text, encoding="utf-8")
    RAW.parent.mkdir(parents=True, exist_ok=True)
    RAW.write_text(json.dumps({"date": datetime.fromtimestamp(started, timezone.utc).isoformat(timespec="seconds"),
                               "command": "make bench", "seconds": total_s, "machine": info, "phases": run,
                               **results}, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)} and {RAW.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
