"""Growth curve: what happens as the knowledge base grows from the 5 real cities to the ~330 prefecture-level
cities of a national rollout (issue 16, item 5).

For each size (default 5, 50, 330 regions) a KB is generated into a temporary directory
(bench/growth_kb.py: the real five, plus their documents copied to other real cities with every place
name replaced; never written into knowledge/). The questions are the customer-style sets, the same texts
at every size ("original"), and the same questions re-targeted at synthetic cities (the names of the city
asked about and of its districts replaced by a synthetic city's, the targets spread over the KB), so that
lookups have to find them in the big KB. Then:

- in-process: a resident Python process per size (`python -m bench.growth inprocess`) loads its KB
  (timed: median of 3 loads of the YAML and place index, and of the clause index; the segmenter's words
  once; RSS after) and warms up; then the timed passes of `Answerer.reply` over every case (each replayed
  as a conversation, as bench/kb_timing.py does) go round the sizes in turn, so that the machine's other
  load falls on all sizes alike; last one instrumented pass (the KB queries' time per reply) and, for the
  largest size, cProfile;
- over REST (unless BENCH_GROWTH_REST=0): a model trained for each KB (its jieba dictionary and the entity
  extractor's patterns come from the KB; cold Rasa cache), timed, its size; then a Rasa server and an
  action server per KB (BANDIAN_KNOWLEDGE_DIR, BANDIAN_SEEDS_DIR), loopback ports 6200-6299, all running
  at once: each started and asked a first question (the action server loads the KB then) while nothing
  else of this benchmark runs, then every case sent once, the sizes interleaved case by case; both
  servers' RSS after.

Results: var/bench/results/growth.json (bench/report.py renders the "Growth" section of
docs/benchmarks.md and docs/growth.png from it).

usage: python -m bench.growth [--sizes 5 50 330] [--passes 3] [--no-rest] [--keep DIR]
       python -m bench.growth inprocess --kb DIR --cases FILE --out FILE [--profile]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from bench.common import ROOT, ask, post_json, proc_status, reply_text, stats_ms, write_result

SIZES = (5, 50, 330)
QUESTION_SETS = (ROOT.parent / "shared" / "eval" / "customer_questions.yml", ROOT / "tests" / "eval" / "questions.yml")
# loopback ports of this benchmark (6200-6299 are the growth phase's); the first free one of each range is used
RASA_PORTS = range(6211, 6240)
ACTIONS_PORTS = range(6261, 6290)
PY = str(ROOT / ".venv" / "bin" / "python")
RASA = str(ROOT / ".venv" / "bin" / "rasa")
READY_TIMEOUT = 600
LOG_DIR = ROOT / "var" / "bench" / "log"


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


# ------------------------------------------------------------------------------------------ questions

def load_questions(paths: tuple[Path, ...] = QUESTION_SETS) -> list[dict[str, Any]]:
    """[{'id', 'set', 'turns'}] of the question sets that exist."""
    cases = []
    for path in paths:
        if not path.is_file():
            print(f"growth: question set {path} not found, skipped", file=sys.stderr)
            continue
        name = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else f"../{path.relative_to(ROOT.parent)}"
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            cases.append({"id": case["id"], "set": name, "turns": [str(t) for t in case["turns"]]})
    return cases


def annotate(cases: list[dict[str, Any]], kb: Any) -> None:
    """Give each case about one region that region's document number ('document'), to check the answer by."""
    for case in cases:
        named = {p.region.id for turn in case["turns"] for p in kb.places_in(turn)}
        if len(named) == 1:
            case["document"] = kb.region(next(iter(named))).document.number


def retarget(cases: list[dict[str, Any]], growth: Any, kb: Any) -> list[dict[str, Any]]:
    """The cases about one real city, asked about a synthetic city copied from it instead.

    A case is re-targeted when its turns name exactly one real region; its target is one of the synthetic
    cities copied from that region (spread over the KB by the case's position) whose replacement leaves no
    real region named in any turn and names the target in some turn (a district the new city had no county
    for, or a typo of the real name, would not be replaced: the next candidate is tried)."""
    real_ids = {region.id for region in kb.regions} - {s.region_id for s in growth.synthetic}
    by_template: dict[str, list[Any]] = defaultdict(list)
    for synthetic in growth.synthetic:
        by_template[synthetic.template_id].append(synthetic)
    found = []
    for index, case in enumerate(cases):
        named = {p.region.id for turn in case["turns"] for p in kb.places_in(turn)}
        if len(named) != 1 or not named <= real_ids:
            continue
        candidates = by_template.get(next(iter(named)), [])
        for step in range(len(candidates)):
            target = candidates[(index * 7 + step) % len(candidates)]
            turns = [target.rename(turn) for turn in case["turns"]]
            places = {p.region.id for turn in turns for p in kb.places_in(turn)}
            if places == {target.region_id}:
                found.append({"id": f"{case['id']}@{target.region_id}", "set": "re-targeted", "turns": turns,
                              "target": target.region_id, "document": target.document_number})
                break
    return found


# ------------------------------------------------------------------------------------------ in-process

def inprocess(kb_dir: Path, cases_file: Path, out: Path, profile: bool) -> None:
    """One KB in this (fresh) process: load it (timed), warm up, then obey the parent on stdin, one line each:
    `pass` (time one pass over every group of cases), `finish` (an instrumented pass, cProfile if asked,
    the numbers written to `out`, exit). Answers `ready` once loaded and `done` after each command."""
    from bench.kb_timing import instrument, top_functions
    from bot.knowledge.service import KnowledgeBase
    from bot.nlu.dictionary import domain_words
    from bot.qa.context import Context
    from bot.qa.planner import Answerer
    from bot.text import _tokenizer, add_words

    channel = os.fdopen(os.dup(1), "w")  # the answers to the parent; anything else printed goes to stderr
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    cases = json.loads(cases_file.read_text(encoding="utf-8"))
    _tokenizer()  # jieba's own dictionary: the same for every KB size, not part of the KB's load
    rss_base = proc_status(os.getpid()).get("VmRSS", 0)
    seeds = kb_dir / "seeds"
    loads, indexes, words_s = [], [], 0.0
    kb = None
    rss_loaded = 0
    for attempt in range(3):
        started = time.perf_counter()
        loaded = KnowledgeBase.load(kb_dir, seeds)
        _ = loaded.gazetteer
        loads.append(time.perf_counter() - started)
        if attempt == 0:
            started = time.perf_counter()
            add_words(domain_words(loaded))
            words_s = time.perf_counter() - started
        started = time.perf_counter()
        _ = loaded.clause_index
        indexes.append(time.perf_counter() - started)
        if attempt == 0:
            kb = loaded
            rss_loaded = proc_status(os.getpid()).get("VmRSS", 0)
        del loaded
    assert kb is not None
    engine = Answerer(kb)
    started = time.perf_counter()
    engine.reply(cases["all"][0]["turns"][0], Context())
    first_s = time.perf_counter() - started

    def play(conversations: list[dict[str, Any]], timings: list[float] | None = None) -> dict[str, str]:
        last = {}
        for case in conversations:
            context = Context()
            reply = None
            for text in case["turns"]:
                started = time.perf_counter()
                reply = engine.reply(text, context)
                if timings is not None:
                    timings.append(time.perf_counter() - started)
                context = reply.context
            last[case["id"]] = reply.text if reply else ""
        return last

    every = cases["all"]
    groups = {name: [c for c in every if c["id"] in set(ids)] for name, ids in cases["groups"].items()}
    places = {case["id"]: sorted({p.region.name + (f" {p.district}" if p.district else "")
                                  for turn in case["turns"] for p in kb.places_in(turn)})
              for case in groups.get("original", [])}  # what the reader takes each question to be about
    play(every)  # warm-up: caches filled as in a long-running action server
    timings: dict[str, list[float]] = {name: [] for name in groups}
    texts: dict[str, str] = {}
    passes = 0
    print("ready", file=channel, flush=True)
    for command in sys.stdin:
        if command.strip() == "pass":
            for name, group in groups.items():
                texts.update(play(group, timings[name]))
            passes += 1
            print("done", file=channel, flush=True)
        elif command.strip() == "finish":
            break
    rss_after = proc_status(os.getpid())
    query_times: dict[str, list[float]] = defaultdict(list)
    counted: list[float] = []
    restore = instrument(query_times)
    try:
        play(every, counted)
    finally:
        restore()
    result: dict[str, Any] = {
        "regions": len(kb.regions), "facts": sum(len(r.facts) for r in kb.regions),
        "districts": sum(len(r.districts) for r in kb.regions), "place_names": len(kb.gazetteer),
        "clauses": len(kb.clause_index.passages), "sentences": len(kb.clause_index.sentences),
        "load_ms": round(statistics.median(loads) * 1000, 1),
        "clause_index_ms": round(statistics.median(indexes) * 1000, 1),
        "words_ms": round(words_s * 1000, 1), "first_reply_ms": round(first_s * 1000, 1),
        "rss_base": rss_base, "rss_loaded": rss_loaded, "rss_after": rss_after.get("VmRSS", 0),
        "hwm_after": rss_after.get("VmHWM", 0), "passes": passes,
        "reply": {name: stats_ms(seconds) for name, seconds in timings.items()},
        "reply_all": stats_ms([s for seconds in timings.values() for s in seconds]),
        "queries": {name: {"per_reply": round(len(seconds) / max(len(counted), 1), 2),
                           "mean_us": round(sum(seconds) / len(seconds) * 1e6, 1),
                           "share_of_reply_time": round(sum(seconds) / max(sum(counted), 1e-9), 3)}
                    for name, seconds in sorted(query_times.items(), key=lambda item: -sum(item[1]))},
        "texts": texts, "places": places,
    }
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        play(every)
        profiler.disable()
        result["profile_tottime"] = top_functions(profiler, "tottime", 12)
        result["profile_cumtime"] = [row for row in top_functions(profiler, "cumtime", 40)
                                     if not row["function"].startswith(("bench/", "~", "<"))][:12]
    out.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    print("done", file=channel, flush=True)


def citing(texts: dict[str, str], cases: list[dict[str, Any]]) -> int:
    """How many cases' last replies name the document of the city they ask about."""
    return sum(1 for case in cases if case.get("document") and case["document"] in texts.get(case["id"], ""))


def rotated(sizes: list[int], turn: int) -> list[int]:
    """The sizes in a different order each round, so that none is always first after a pause."""
    shift = turn % len(sizes)
    return sizes[shift:] + sizes[:shift]


# ------------------------------------------------------------------------------------------ processes

class Processes:
    """Every process this benchmark started, each in a session of its own; all stopped by `stop_all`."""

    def __init__(self) -> None:
        self.processes: dict[str, subprocess.Popen[Any]] = {}
        self.ports: set[int] = set()

    def start(self, name: str, command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[Any]:
        """A server, its output to `log`."""
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as out:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        self.processes[name] = process
        return process

    def start_piped(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[Any]:
        """A worker that takes commands on stdin and answers on stdout (its stderr: ours)."""
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   text=True, start_new_session=True)
        self.processes[name] = process
        return process

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)


def expect(process: subprocess.Popen[Any], word: str, what: str) -> None:
    assert process.stdout is not None
    line = process.stdout.readline()
    if line.strip() != word:
        raise SystemExit(f"growth: {what} answered {line.strip()!r} instead of {word!r} (exit {process.poll()})")


def command(process: subprocess.Popen[Any], line: str, what: str) -> None:
    assert process.stdin is not None
    process.stdin.write(line + "\n")
    process.stdin.flush()
    expect(process, "done", what)


def free_port(candidates: range, taken: set[int]) -> int:
    """The first port of `candidates` nobody listens on (another stack may run on this machine) and this run
    has not used yet (a stopped server's port may linger in TIME_WAIT)."""
    for port in candidates:
        if port in taken:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        taken.add(port)
        return port
    raise SystemExit(f"growth: no free port in {candidates.start}-{candidates.stop - 1}")


def wait_ready(url: str, process: subprocess.Popen[Any], log: Path) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < READY_TIMEOUT:
        if process.poll() is not None:
            sys.stderr.write(log.read_text(encoding="utf-8", errors="replace")[-3000:])
            raise SystemExit(f"growth: a server stopped while starting (log: {log})")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return time.perf_counter() - started
        except OSError:
            time.sleep(1)
    raise SystemExit(f"growth: {url} not ready after {READY_TIMEOUT} s (log: {log})")


# ------------------------------------------------------------------------------------------ REST

def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def server_env(kb_dir: Path, work: Path) -> dict[str, str]:
    """The environment of a training and of the servers of one KB."""
    env = {**os.environ, "BANDIAN_KNOWLEDGE_DIR": str(kb_dir), "BANDIAN_SEEDS_DIR": str(kb_dir / "seeds"),
           "DATABASE_URL": f"sqlite:///{work / 'bandian.db'}", "PYTHONPATH": str(ROOT),
           "BANDIAN_LOG_LEVEL": "WARNING", "TF_CPP_MIN_LOG_LEVEL": "2", "RASA_TELEMETRY_ENABLED": "false",
           "SANIC_HOST": "127.0.0.1",
           "BANDIAN_RASA_TOKEN": os.environ.get("BANDIAN_RASA_TOKEN") or secrets.token_hex(16),
           # the action server refuses calls without it; Rasa sends it (endpoints_text)
           "BANDIAN_ACTIONS_TOKEN": secrets.token_hex(16)}
    env.setdefault("BANDIAN_SECRET_KEY", _fernet_key())
    return env


def train(kb_dir: Path, work: Path, name: str) -> dict[str, Any]:
    """The assistant's model for this KB, trained cold: the KB's jieba dictionary (as scripts/train.sh), then
    `rasa train` with config.yml pointing at it. Wall and CPU seconds, bytes, the model's path."""
    jieba_dir = work / "jieba"
    config = (ROOT / "config.yml").read_text(encoding="utf-8")
    if "dictionary_path: build/jieba" not in config:
        raise SystemExit("growth: config.yml no longer names dictionary_path: build/jieba; update bench/growth.py")
    (work / "config.yml").write_text(config.replace("dictionary_path: build/jieba", f"dictionary_path: {jieba_dir}"),
                                     encoding="utf-8")
    models = work / "models"
    log = LOG_DIR / f"growth-train-{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**server_env(kb_dir, work), "RASA_CACHE_DIRECTORY": str(work / "rasa-cache")}
    started, cpu_before = time.perf_counter(), children_cpu_seconds()
    with log.open("wb") as out:
        for step in ([PY, "-m", "bot.nlu.dictionary", str(jieba_dir)],
                     [RASA, "train", "--config", str(work / "config.yml"), "--domain", "domain.yml",
                      "--data", "data", "--out", str(models), "--fixed-model-name", name]):
            done = subprocess.run(step, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
            if done.returncode != 0:
                sys.stderr.write(log.read_text(encoding="utf-8", errors="replace")[-3000:])
                raise SystemExit(f"growth: training failed (log: {log})")
    seconds, cpu = time.perf_counter() - started, children_cpu_seconds() - cpu_before
    model = models / f"{name}.tar.gz"
    shutil.rmtree(work / "rasa-cache", ignore_errors=True)
    return {"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1), "bytes": model.stat().st_size,
            "dictionary_words": len((jieba_dir / "userdict.txt").read_text(encoding="utf-8").splitlines()),
            "model": str(model)}


def endpoints_text(actions_port: int) -> str:
    """endpoints.yml naming this run's action server and its token (as `endpoints_file` in scripts/env.sh)."""
    text = (ROOT / "endpoints.yml").read_text(encoding="utf-8")
    line = "  url: http://127.0.0.1:5055/webhook"
    if line not in text:
        raise SystemExit(f"growth: endpoints.yml no longer names the action server as '{line.strip()}'")
    return text.replace(line, f"  url: http://127.0.0.1:{actions_port}/webhook\n  token: ${{BANDIAN_ACTIONS_TOKEN}}")


def start_stack(size: int, kb_dir: Path, work: Path, model: str, first_question: str,
                processes: Processes) -> dict[str, Any]:
    """Rasa and the action server on this KB's model and directory, ready, the action server's KB loaded by a
    first question (timed). Nothing else of this benchmark runs meanwhile."""
    env = server_env(kb_dir, work)
    rasa_port, actions_port = free_port(RASA_PORTS, processes.ports), free_port(ACTIONS_PORTS, processes.ports)
    endpoints = work / "endpoints.yml"
    endpoints.write_text(endpoints_text(actions_port), encoding="utf-8")
    actions_log, rasa_log = LOG_DIR / f"growth-actions-{size}.log", LOG_DIR / f"growth-rasa-{size}.log"
    token = env["BANDIAN_RASA_TOKEN"]
    actions = processes.start(f"actions-{size}", [RASA, "run", "actions", "--actions", "actions", "--port",
                                                  str(actions_port)], env, actions_log)
    rasa = processes.start(f"rasa-{size}", [RASA, "run", "--model", model, "--enable-api", "--interface", "127.0.0.1",
                                            "--port", str(rasa_port), "--auth-token", token, "--credentials",
                                            "credentials.yml", "--endpoints", str(endpoints)], env, rasa_log)
    wait_ready(f"http://127.0.0.1:{actions_port}/health", actions, actions_log)
    ready_s = wait_ready(f"http://127.0.0.1:{rasa_port}/status?token={urllib.parse.quote(token)}", rasa, rasa_log)
    url = f"http://127.0.0.1:{rasa_port}"
    started = time.perf_counter()  # the first question: the action server loads the KB (a minute when it is big)
    first = post_json(f"{url}/webhooks/rest/webhook", {"sender": f"growth-first-{size}", "message": first_question},
                      timeout=1800)
    first_s = time.perf_counter() - started
    return {"url": url, "rasa": rasa.pid, "actions": actions.pid, "rasa_ready_s": round(ready_s, 1),
            "first_turn_ms": round(first_s * 1000, 1), "first_turn_ok": bool(reply_text(first))}


def rest_replay(stacks: dict[int, dict[str, Any]], cases: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Every case of every size once over REST, the sizes interleaved case by case (their order rotating), so
    that whatever else the machine does at a time falls on all of them alike."""
    sizes = sorted(stacks)
    timings: dict[int, dict[str, list[float]]] = {size: defaultdict(list) for size in sizes}
    texts: dict[int, dict[str, str]] = {size: {} for size in sizes}
    errors = dict.fromkeys(sizes, 0)
    group_of = {size: {case_id: group for group, ids in cases[size]["groups"].items() for case_id in ids}
                for size in sizes}
    for index, case in enumerate(cases[sizes[0]]["all"][1:6]):  # warm-up turns, not timed
        for size in sizes:
            ask(stacks[size]["url"], f"growth-warmup-{index}", case["turns"][0])
    longest = max(len(cases[size]["all"]) for size in sizes)
    for index in range(longest):
        for size in rotated(sizes, index):
            if index >= len(cases[size]["all"]):
                continue
            case = cases[size]["all"][index]
            sender, text = f"growth-{size}-{secrets.token_hex(4)}", ""
            for turn in case["turns"]:
                text, seconds = ask(stacks[size]["url"], sender, turn)
                errors[size] += text.startswith("<error")
                timings[size][group_of[size][case["id"]]].append(seconds)
            texts[size][case["id"]] = text
    result = {}
    for size in sizes:
        memory = {who: proc_status(stacks[size][who]) for who in ("rasa", "actions")}
        by_group = {group: [c for c in cases[size]["all"] if c["id"] in set(ids)]
                    for group, ids in cases[size]["groups"].items()}
        result[size] = {
            "turn": {group: stats_ms(seconds) for group, seconds in timings[size].items()},
            "turn_all": stats_ms([s for seconds in timings[size].values() for s in seconds]),
            "errors": errors[size],
            "memory": {who: {"rss": values.get("VmRSS", 0), "hwm": values.get("VmHWM", 0)}
                       for who, values in memory.items()},
            **{f"{group.replace('re-targeted', 'retargeted')}_citing": citing(texts[size], group_cases)
               for group, group_cases in by_group.items()}}
    return result


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


# ------------------------------------------------------------------------------------------ main

@contextlib.contextmanager
def stopped_on_exit(processes: Processes) -> Iterator[None]:
    """Stop every process started here on any exit, SIGTERM and Ctrl+C included."""
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        yield
    finally:
        processes.stop_all()
        signal.signal(signal.SIGTERM, previous)


def measure(sizes: list[int], passes: int, with_rest: bool, keep: Path | None) -> dict[str, Any]:
    from bench.growth_kb import generate
    from bot.knowledge.service import KnowledgeBase

    originals = load_questions()
    started = time.time()
    result: dict[str, Any] = {"started": int(started), "loadavg_start": loadavg(), "sizes": sizes, "passes": passes,
                              "rest": with_rest, "question_sets": sorted({c["set"] for c in originals}),
                              "original_cases": len(originals), "per_size": {}}
    rows: dict[int, dict[str, Any]] = {size: {} for size in sizes}
    processes = Processes()
    base = keep or Path(tempfile.mkdtemp(prefix="growth-", dir=ROOT / "var" / "bench"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        with stopped_on_exit(processes):
            # 1. the KBs and their questions
            kbs: dict[int, Any] = {}
            cases: dict[int, dict[str, Any]] = {}
            for size in sizes:
                print(f"-- {size} cities: generating the KB ({time.strftime('%H:%M:%S')}, load average "
                      f"{loadavg()[0]})", flush=True)
                work = base / f"kb-{size}"
                began = time.perf_counter()
                growth = generate(work / "knowledge", size)
                rows[size]["generate_s"] = round(time.perf_counter() - began, 1)
                rows[size]["synthetic"] = len(growth.synthetic)
                rows[size]["seed_bytes"] = sum(p.stat().st_size for p in growth.seeds.iterdir())
                kb = KnowledgeBase.load(growth.directory, growth.seeds)
                if size == sizes[0]:
                    annotate(originals, kb)
                retargeted = retarget(originals, growth, kb)
                del kb
                kbs[size] = growth
                cases[size] = {"regions": size, "all": originals + retargeted, "retargeted": retargeted,
                               "groups": {"original": [c["id"] for c in originals],
                                          **({"re-targeted": [c["id"] for c in retargeted]} if retargeted else {})}}
                (work / "cases.json").write_text(json.dumps(cases[size], ensure_ascii=False), encoding="utf-8")

            # 2. in-process: a resident process per size, loaded one after the other, timed passes interleaved
            workers = {}
            for size in sizes:
                print(f"-- {size} cities: loading in-process ({loadavg()[0]})", flush=True)
                rows[size]["loadavg_inprocess"] = loadavg()
                work = base / f"kb-{size}"
                workers[size] = processes.start_piped(
                    f"inprocess-{size}", [PY, "-m", "bench.growth", "inprocess", "--kb", str(kbs[size].directory),
                                          "--cases", str(work / "cases.json"), "--out", str(work / "inprocess.json"),
                                          *(["--profile"] if size == max(sizes) else [])],
                    {**os.environ, "PYTHONPATH": str(ROOT)})
                expect(workers[size], "ready", f"the in-process worker for {size} cities")
            print(f"-- in-process: {passes} passes, the sizes interleaved ({loadavg()[0]})", flush=True)
            for turn in range(passes):
                for size in rotated(sizes, turn):
                    command(workers[size], "pass", f"the in-process worker for {size} cities")
            for size in sizes:
                command(workers[size], "finish", f"the in-process worker for {size} cities")
                processes.stop(f"inprocess-{size}")
                rows[size]["inprocess"] = _inprocess_result(base / f"kb-{size}" / "inprocess.json", originals,
                                                            cases[size]["retargeted"], rows[sizes[0]])
                reply = rows[size]["inprocess"]["reply"]["original"]
                print(f"   {size} cities: reply p50 {reply['p50']} ms, p95 {reply['p95']} ms", flush=True)

            # 3. REST: a model per KB, then every stack up at once and the cases interleaved
            if with_rest:
                models = {}
                for size in sizes:
                    print(f"-- {size} cities: training ({time.strftime('%H:%M:%S')}, load average {loadavg()[0]})",
                          flush=True)
                    rows[size]["loadavg_training"] = loadavg()
                    training = train(kbs[size].directory, base / f"kb-{size}", f"growth-{size}")
                    models[size] = training.pop("model")
                    rows[size]["rest"] = {"training": training}
                    print(f"   {training['seconds']} s", flush=True)
                stacks = {}
                for size in sizes:
                    print(f"-- {size} cities: starting Rasa and the action server ({loadavg()[0]})", flush=True)
                    stacks[size] = start_stack(size, kbs[size].directory, base / f"kb-{size}", models[size],
                                               originals[0]["turns"][0], processes)
                    rows[size]["rest"].update({k: v for k, v in stacks[size].items()
                                               if k not in ("url", "rasa", "actions")})
                print(f"-- REST: every case once, the sizes interleaved ({loadavg()[0]})", flush=True)
                result["loadavg_rest"] = loadavg()
                for size, measured in rest_replay(stacks, cases).items():
                    rows[size]["rest"].update(measured)
                    turn = measured["turn"]["original"]
                    print(f"   {size} cities: turn p50 {turn['p50']} ms, p95 {turn['p95']} ms", flush=True)
                for size in sizes:
                    processes.stop(f"rasa-{size}")
                    processes.stop(f"actions-{size}")
    finally:
        if keep is None:
            shutil.rmtree(base, ignore_errors=True)
    for size in sizes:
        rows[size]["loadavg_start"] = rows[size].get("loadavg_inprocess", loadavg())
        result["per_size"][str(size)] = rows[size]
    largest = rows[max(sizes)]["inprocess"]
    result["profile_tottime"] = largest.pop("profile_tottime", [])
    result["profile_cumtime"] = largest.pop("profile_cumtime", [])
    result["seconds"] = int(time.time() - started)
    result["loadavg_end"] = loadavg()
    return result


def _inprocess_result(path: Path, originals: list[dict[str, Any]], retargeted: list[dict[str, Any]],
                      first: dict[str, Any]) -> dict[str, Any]:
    """A worker's numbers, with its answers checked: cited documents, and the original questions' last
    replies compared with those of the first (smallest) size."""
    measured = json.loads(path.read_text(encoding="utf-8"))
    texts, places = measured.pop("texts"), measured.pop("places")
    originals_texts = {c["id"]: texts.get(c["id"], "") for c in originals}
    baseline = first.get("inprocess", {}).get("_texts", originals_texts)
    baseline_places = first.get("inprocess", {}).get("_places", places)
    measured["_texts"], measured["_places"] = originals_texts, places
    measured["original_unchanged"] = sum(1 for case_id, text in originals_texts.items()
                                         if baseline.get(case_id) == text)
    measured["original_changed_ids"] = sorted(case_id for case_id, text in originals_texts.items()
                                              if baseline.get(case_id) != text)
    # for each changed answer, the places the reader finds in the question that it did not find at the first size
    measured["original_changed_places"] = {
        case_id: sorted(set(places.get(case_id, [])) - set(baseline_places.get(case_id, [])))
        for case_id in measured["original_changed_ids"]}
    measured["retargeted_cases"] = len(retargeted)
    measured["retargeted_citing"] = citing(texts, retargeted)
    measured["original_with_document"] = sum(1 for c in originals if c.get("document"))
    measured["original_citing"] = citing(texts, [c for c in originals if c.get("document")])
    return measured


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["inprocess"]:
        ap = argparse.ArgumentParser(prog="python -m bench.growth inprocess",
                                     description="Measure one KB in this process (run by python -m bench.growth; "
                                                 "reads the commands `pass` and `finish` on stdin).")
        ap.add_argument("--kb", type=Path, required=True)
        ap.add_argument("--cases", type=Path, required=True)
        ap.add_argument("--out", type=Path, required=True)
        ap.add_argument("--profile", action="store_true")
        a = ap.parse_args(argv[1:])
        inprocess(a.kb, a.cases, a.out, a.profile)
        return
    ap = argparse.ArgumentParser(prog="python -m bench.growth", description=__doc__.split("\n\n")[0],
                                 epilog="python -m bench.growth inprocess --help: the per-size worker")
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="regions per KB (default 5 50 330)")
    ap.add_argument("--passes", type=int, default=3, help="timed passes over the questions in-process")
    ap.add_argument("--no-rest", action="store_true",
                    help="in-process only (also BENCH_GROWTH_REST=0): no training, no servers")
    ap.add_argument("--keep", type=Path, help="write the KBs (and models) here and keep them")
    ap.add_argument("--command", default="python -m bench.growth", help="how the run was started, for the report")
    a = ap.parse_args(argv)
    with_rest = not a.no_rest and os.environ.get("BENCH_GROWTH_REST", "1") != "0"
    result = {"command": a.command, **measure(sorted(set(a.sizes)), a.passes, with_rest, a.keep)}
    for row in result["per_size"].values():
        row["inprocess"].pop("_texts", None)
        row["inprocess"].pop("_places", None)
    write_result("growth", result)
    sizes = result["per_size"]
    first, last = sizes[str(min(a.sizes))], sizes[str(max(a.sizes))]
    ratio = last["inprocess"]["reply"]["original"]["p50"] / max(first["inprocess"]["reply"]["original"]["p50"], 1e-9)
    print(f"\ngrowth: in-process reply p50 (original questions) {min(a.sizes)} → {max(a.sizes)} cities: "
          f"{ratio:.2f}×; took {result['seconds'] // 60} min")


if __name__ == "__main__":
    main()
