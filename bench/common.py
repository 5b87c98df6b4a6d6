"""Shared helpers of `make bench`: REST calls, percentiles, process memory and CPU, result files."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(os.environ.get("BENCH_RESULTS", ROOT / "var" / "bench" / "results"))
TIMEOUT = 120


def post_json(url: str, payload: dict[str, Any], timeout: float = TIMEOUT) -> Any:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def reply_text(messages: Any) -> str:
    """The texts and button titles of a REST channel answer, one string (as score.py reads it)."""
    parts: list[str] = []
    for message in messages if isinstance(messages, list) else []:
        parts.append(message.get("text") or "")
        parts.extend(button.get("title", "") for button in message.get("buttons") or [])
    return "\n".join(parts)


def ask(base_url: str, sender: str, text: str) -> tuple[str, float]:
    """One REST channel turn: (reply text, seconds). HTTP errors come back as '<error ...>'."""
    started = time.perf_counter()
    try:
        answer = reply_text(post_json(f"{base_url}/webhooks/rest/webhook", {"sender": sender, "message": text}))
    except (urllib.error.URLError, TimeoutError, ValueError) as error:
        answer = f"<error {error}>"
    return answer, time.perf_counter() - started


def parse_seconds(base_url: str, text: str) -> float:
    """Seconds for Rasa's NLU alone on `text` (POST /model/parse; needs --enable-api and the API's token,
    BANDIAN_RASA_TOKEN as scripts/bench.sh exports it)."""
    token = urllib.parse.quote(os.environ.get("BANDIAN_RASA_TOKEN", ""), safe="")
    started = time.perf_counter()
    post_json(f"{base_url}/model/parse?token={token}", {"text": text})
    return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n * q / 100), at least 1
    return ordered[int(rank) - 1]


def stats_ms(seconds: list[float]) -> dict[str, Any]:
    """n, p50, p95, mean and max in milliseconds (None when there are no samples)."""
    if not seconds:
        return {"n": 0, "p50": None, "p95": None, "mean": None, "max": None}
    return {"n": len(seconds), "p50": round(percentile(seconds, 50) * 1000, 1),
            "p95": round(percentile(seconds, 95) * 1000, 1),
            "mean": round(sum(seconds) / len(seconds) * 1000, 1), "max": round(max(seconds) * 1000, 1)}


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 2)


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process in bytes (empty when it is gone)."""
    values = {}
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    for line in lines:
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) * 1024
    return values


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its waited-for children (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # fields[0] is field 3 (state): utime, stime, cutime, cstime are fields 14..17
    return sum(int(value) for value in fields[11:15]) / CLOCK_TICKS


def descendants(pid: int) -> list[int]:
    """The process and every process below it (e.g. PostgreSQL's backends under the postmaster)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, frontier = [pid], [pid]
    while frontier:
        frontier = [child for parent in frontier for child in children.get(parent, [])]
        found.extend(frontier)
    return found


def tree_cpu_seconds(pid: int) -> float:
    return sum(cpu_seconds(p) for p in descendants(pid))


def write_result(name: str, data: Any) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def read_result(name: str) -> Any:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def parse_pids(specs: list[str]) -> dict[str, int]:
    """['rasa=123', 'actions=456'] → {'rasa': 123, 'actions': 456}."""
    return {name: int(pid) for name, _, pid in (spec.partition("=") for spec in specs)}


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores (from /proc/stat)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields)
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS
