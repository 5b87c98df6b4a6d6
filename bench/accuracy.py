"""Accuracy of the assistant vs a jieba BM25 paragraph-retrieval baseline, with ../shared/eval/score.py.

Both are scored on the public question set (../shared/eval/questions.yml) and on the project's own set
(tests/eval/questions.yml): `score.py bm25 knowledge/seeds` and `score.py bot URL`.

usage: python -m bench.accuracy --url http://127.0.0.1:6105
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, write_result

SCORE = ROOT.parent / "shared" / "eval" / "score.py"
SETS = {"public": ROOT.parent / "shared" / "eval" / "questions.yml", "own": ROOT / "tests" / "eval" / "questions.yml"}


def score(mode: str, target: str, cases: Path, out: Path) -> dict:
    started = time.perf_counter()
    run = subprocess.run([sys.executable, str(SCORE), mode, target, "--cases", str(cases), "--out", str(out)],
                         capture_output=True, text=True, cwd=ROOT, check=False)
    found = re.search(r"(\d+)/(\d+) correct \(([\d.]+)%\)", run.stdout)
    if not found:
        raise SystemExit(f"score.py {mode} gave no result:\n{run.stdout}\n{run.stderr}")
    latency = re.search(r"latency p50 (\d+) ms\s+p95 (\d+) ms", run.stdout)
    return {"correct": int(found.group(1)), "cases": int(found.group(2)), "percent": float(found.group(3)),
            "latency_p50_ms": int(latency.group(1)) if latency else None,
            "latency_p95_ms": int(latency.group(2)) if latency else None,
            "seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--seeds", default="knowledge/seeds")
    ap.add_argument("--out-dir", type=Path, default=ROOT / "var" / "bench")
    a = ap.parse_args()
    result = {}
    for name, cases in SETS.items():
        result[name] = {"cases_file": str(cases.relative_to(ROOT.parent)) if name == "public"
                        else str(cases.relative_to(ROOT)),
                        "bm25": score("bm25", a.seeds, cases, a.out_dir / f"accuracy-{name}-bm25.json"),
                        "bot": score("bot", a.url, cases, a.out_dir / f"accuracy-{name}-bot.json")}
        print(f"{name}: assistant {result[name]['bot']['correct']}/{result[name]['bot']['cases']}, "
              f"BM25 {result[name]['bm25']['correct']}/{result[name]['bm25']['cases']}")
    write_result("accuracy", result)


if __name__ == "__main__":
    main()
