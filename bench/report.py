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
    rows: list[dict[str, Any]] = []
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


GROWTH_TARGET = 1.2  # issue 16: answer p50 at 330 cities at most 1.2 × that at 5
GROWTH_BEGIN, GROWTH_END = "<!-- growth:begin -->", "<!-- growth:end -->"


def _per(growth: dict[str, Any], size: int, *path: str) -> Any:
    value: Any = growth["per_size"].get(str(size))
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _pair(row: dict[str, Any] | None) -> str:
    return f"{ms(row['p50'])} / {ms(row['p95'])}" if row and row.get("n") else "–"


def _verdict(ratio: float | None, limit: float) -> str:
    return "–" if ratio is None else ("**met**" if ratio <= limit else "**not met**")


def growth_section(growth: dict[str, Any] | None) -> str:
    if not growth:
        return "_not measured in this run (`make bench-growth` measures it alone)_"
    sizes: list[int] = growth["sizes"]
    small, large = sizes[0], sizes[-1]
    rows = []
    for size in sizes:
        ip = _per(growth, size, "inprocess")
        retargeted = ip["reply"].get("re-targeted")
        rows.append([size, ip["facts"], ip["place_names"], ip["sentences"], ms(ip["load_ms"]),
                     ms(ip["clause_index_ms"]), mib(ip["rss_loaded"]), _pair(ip["reply"]["original"]),
                     _pair(retargeted),
                     times(_ratio(ip["reply"]["original"]["p50"], _per(growth, small, "inprocess", "reply",
                                                                      "original", "p50"))),
                     f"{ip['original_unchanged']}/{growth['original_cases']}",
                     _citing(ip.get("original_citing"), ip.get("original_with_document"), ip["retargeted_citing"],
                             ip["retargeted_cases"])])
    text = ("In-process (`Answerer.reply`; a resident process per size, the timed passes going round the sizes in "
            "turn):\n\n") + table(
        ["cities", "facts", "place names", "sentences (clause search)", "KB load ms (YAML + place index)",
         "clause index ms", "RSS after loading", "reply p50 / p95 ms, original questions",
         "p50 / p95 ms, re-targeted", f"p50 vs {small} cities", f"original answers as at {small} cities",
         "answers citing the city's document: original / re-targeted"], rows)
    with_rest = [size for size in sizes if _per(growth, size, "rest")]

    def ip_of(size: int, key: str) -> Any:
        return _per(growth, size, "inprocess", key)

    if with_rest:
        rows = []
        for size in with_rest:
            rest = _per(growth, size, "rest")
            training = rest["training"]
            retargeted = rest["turn"].get("re-targeted")
            rows.append([size, f"{training['seconds']:.0f} s", f"{training['cpu_seconds']:.0f} s",
                         f"{training['bytes'] / 1e6:.1f} MB", training["dictionary_words"],
                         f"{rest['rasa_ready_s']:.0f} s", ms(rest["first_turn_ms"]), _pair(rest["turn"]["original"]),
                         _pair(retargeted),
                         times(_ratio(rest["turn"]["original"]["p50"], _per(growth, with_rest[0], "rest", "turn",
                                                                          "original", "p50"))),
                         mib(rest["memory"]["rasa"]["rss"]), mib(rest["memory"]["actions"]["rss"]), rest["errors"],
                         _citing(rest.get("original_citing"), ip_of(size, "original_with_document"),
                                 rest.get("retargeted_citing", 0), ip_of(size, "retargeted_cases"))])
        text += ("\n\nOver REST (a model trained for each KB; a Rasa server and an action server per KB, all "
                 "running at once, the cases sent to the sizes in turn):\n\n") + table(
            ["cities", "training (wall)", "training (CPU)", "model", "jieba dictionary words", "Rasa start until ready",
             "first turn ms (the action server loads the KB)", "turn p50 / p95 ms, original questions",
             "p50 / p95 ms, re-targeted", f"p50 vs {with_rest[0]} cities", "Rasa RSS", "action server RSS",
             "errors", "answers citing the city's document: original / re-targeted"], rows)
    else:
        text += "\n\nOver REST: not measured (`BENCH_GROWTH_REST=0`: in-process only)."
    text += "\n\n" + _growth_goals(growth, sizes, with_rest)
    queries = _per(growth, large, "inprocess", "queries") or {}
    if queries:
        names = list(queries)[:6]
        text += (f"\n\nKnowledgeBase queries, mean µs per call (one instrumented in-process pass; share of reply time "
                 f"at {large} cities):\n\n")
        text += table(["query", "calls per reply", *(f"{size} cities" for size in sizes), f"share at {large}"],
                      [[f"`{name}`", queries[name]["per_reply"],
                        *(_per(growth, size, "inprocess", "queries", name, "mean_us") or "–" for size in sizes),
                        f"{100 * queries[name]['share_of_reply_time']:.0f} %"] for name in names])
    if growth.get("profile_tottime"):
        text += (f"\n\ncProfile of one in-process pass over all questions at {large} cities, self time (where the "
                 "time goes that grows with the KB):\n\n" + _profile_table(growth["profile_tottime"][:8], "tottime_ms"))
        text += "\n\nCumulative:\n\n" + _profile_table(growth["profile_cumtime"][:10], "cumtime_ms")
    changed = _per(growth, large, "inprocess", "original_changed_ids") or []
    started = datetime.fromtimestamp(growth["started"], timezone.utc)
    loads = "in-process loads " + " / ".join(f"{_per(growth, size, 'loadavg_start')[0]:.1f}" for size in sizes)
    if with_rest:
        loads += ", trainings " + " / ".join(f"{(_per(growth, size, 'loadavg_training') or [0])[0]:.1f}"
                                             for size in sizes)
        loads += f", REST replay {(growth.get('loadavg_rest') or [0])[0]:.1f}"
    text += (f"\n\n![Growth curves: reply latency, loading and training, memory against the number of cities]"
             f"(growth.png)\n\n`{growth.get('command', 'make bench-growth')}`, {started:%Y-%m-%d %H:%M} UTC, took "
             f"{growth['seconds'] // 60} min {growth['seconds'] % 60} s; the 1-minute load average ({os.cpu_count()} "
             f"cores, shared with other work) when each step began, {' / '.join(map(str, sizes))} cities: {loads}; "
             f"at the end {growth['loadavg_end'][0]:.1f}. {growth['original_cases']} original cases "
             f"({', '.join(f'`{s}`' for s in growth['question_sets'])}); in-process {growth['passes']} timed passes "
             "after a warm-up pass" + ("; over REST each case once, after a first question (which makes the action "
                                       "server load its KB; timed above) and 5 warm-up turns." if with_rest else "."))
    if changed:
        new_places = _per(growth, large, "inprocess", "original_changed_places") or {}
        text += (f"\n\nOriginal cases whose last reply at {large} cities differs from that at {small}, with the places "
                 f"the reader finds in the question at {large} cities and not at {small} (none: the same places, "
                 "another answer):\n\n" + "\n".join(
                     f"- `{case}`: " + (", ".join(new_places[case]) if new_places.get(case) else "none")
                     for case in changed))
    return text


def _citing(original: int | None, with_document: int | None, retargeted: int, retargeted_cases: int) -> str:
    first = f"{original}/{with_document}" if with_document else "–"
    return f"{first} / {retargeted}/{retargeted_cases}" if retargeted_cases else f"{first} / –"


def _growth_goals(growth: dict[str, Any], sizes: list[int], with_rest: list[int]) -> str:
    small, large = sizes[0], sizes[-1]
    inproc = _ratio(_per(growth, large, "inprocess", "reply", "original", "p50"),
                    _per(growth, small, "inprocess", "reply", "original", "p50"))
    lines = [f"- answer p50 flat (at most {GROWTH_TARGET}× from {small} to {large} cities), in-process: "
             f"{times(inproc)}, {_verdict(inproc, GROWTH_TARGET)}"]
    if len(with_rest) >= 2:
        a, b = with_rest[0], with_rest[-1]
        turn = _ratio(_per(growth, b, "rest", "turn", "original", "p50"), _per(growth, a, "rest", "turn", "original",
                                                                            "p50"))
        lines.append(f"- answer p50 flat over REST (a whole turn: NLU, policies, the action): {times(turn)} from {a} "
                     f"to {b} cities, {_verdict(turn, GROWTH_TARGET)}")
        cities = b / a
        for key, label in (("seconds", "wall"), ("cpu_seconds", "CPU")):
            first, last = _per(growth, a, "rest", "training", key), _per(growth, b, "rest", "training", key)
            ratio = _ratio(last, first)
            per_city = (last - first) / (b - a) if first and last else None
            lines.append(f"- training linear in the cities or better ({label} time): {times(ratio)} for {cities:.0f}× "
                         f"the cities ({per_city:+.2f} s per added city), {_verdict(ratio, cities)}"
                         if per_city is not None else f"- training ({label}): –")
    else:
        lines.append("- training linear or better: not measured (needs the REST part at two sizes or more)")
    return "Goals:\n\n" + "\n".join(lines)


def growth_block(growth: dict[str, Any] | None) -> str:
    """The template's growth section (between its markers), filled in."""
    template = TEMPLATE.read_text(encoding="utf-8")
    start, end = template.index(GROWTH_BEGIN), template.index(GROWTH_END) + len(GROWTH_END)
    return template[start:end].replace("{{growth}}", growth_section(growth))


def splice_growth(doc: str, block: str) -> str:
    """docs/benchmarks.md with its growth section replaced by `block` (inserted before the hand-written
    closing section when it has none yet), every other section left as the last full run wrote it."""
    if GROWTH_BEGIN in doc and GROWTH_END in doc:
        start, end = doc.index(GROWTH_BEGIN), doc.index(GROWTH_END) + len(GROWTH_END)
        return doc[:start] + block + doc[end:]
    anchor = doc.find("## What the numbers say")
    if anchor < 0:
        return doc.rstrip("\n") + "\n\n" + block + "\n"
    return doc[:anchor] + block + "\n\n" + doc[anchor:]


def write_growth_plot(growth: dict[str, Any] | None) -> None:
    if growth:
        from bench.growth_plot import PNG, plot

        plot(growth, PNG)


def report_growth_only() -> None:
    """`make bench-growth`: only the growth section of docs/benchmarks.md, docs/growth.png and the growth
    entry of var/results/bench.json are rewritten."""
    growth = read_result("growth")
    if not growth:
        raise SystemExit(f"no growth results in {RESULTS} (python -m bench.growth first)")
    doc = DOC.read_text(encoding="utf-8") if DOC.is_file() else ""
    if not doc:
        raise SystemExit(f"{DOC} does not exist: run `make bench` for the whole report")
    DOC.write_text(splice_growth(doc, growth_block(growth)), encoding="utf-8")
    write_growth_plot(growth)
    raw = json.loads(RAW.read_text(encoding="utf-8")) if RAW.is_file() else {}
    raw["growth"] = growth
    RAW.parent.mkdir(parents=True, exist_ok=True)
    RAW.write_text(json.dumps(raw, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"wrote the growth section of {DOC.relative_to(ROOT)}, docs/growth.png and {RAW.relative_to(ROOT)}")


# ---------------------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=["growth"],
                    help="growth: rewrite only the growth section (make bench-growth), keep the rest of the document")
    if ap.parse_args(argv).only == "growth":
        report_growth_only()
        return
    started = int((RESULTS / "started").read_text()) if (RESULTS / "started").is_file() else int(time.time())
    info, run = machine(), phases()
    finished = next((row["started"] for row in run if row["phase"] == "report"), int(time.time()))
    total_s = finished - started
    results = {name: read_result(name) for name in ("training", "latency", "profile_rasa", "load", "kb",
                                                    "profile_actions", "memory", "accuracy", "replicas",
                                                    "growth")}
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
        "growth": growth_section(results["growth"]),
    }
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, section in sections.items():
        text = text.replace("{{" + name + "}}", section)
    missing = re.findall(r"\{\{\w+\}\}", text)
    if missing:
        raise SystemExit(f"unfilled placeholders in {TEMPLATE}: {missing}")
    DOC.write_text(text, encoding="utf-8")
    write_growth_plot(results["growth"])
    RAW.parent.mkdir(parents=True, exist_ok=True)
    RAW.write_text(json.dumps({"date": datetime.fromtimestamp(started, timezone.utc).isoformat(timespec="seconds"),
                               "command": "make bench", "seconds": total_s, "machine": info, "phases": run,
                               **results}, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)} and {RAW.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
