"""Train the assistant and the baseline bot into a temporary directory, timed, with a cold Rasa cache.

Each `rasa train` gets an empty output directory and an empty RASA_CACHE_DIRECTORY, so nothing is
reused from earlier trainings (Rasa would otherwise restore trained components from .rasa/cache).
The assistant's time includes building its jieba user dictionary (scripts/train.sh does the same).
The models are kept as var/bench/models/{assistant,baseline}.tar.gz for the servers of the run.

With --skip, those models are reused when present (else the assistant's model comes from
scripts/train.sh and the baseline is trained, untimed) and the training section says so.
Prints `assistant=PATH baseline=PATH` on its last line.

usage: python -m bench.training [--skip]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, write_result

MODELS = ROOT / "var" / "bench" / "models"
LOGS = ROOT / "var" / "bench" / "log"
RASA = str(ROOT / ".venv" / "bin" / "rasa")
ASSISTANT_ARGS: list[str] = []  # config.yml, domain.yml and data/ are Rasa's defaults
BASELINE_ARGS = ["--config", "bench/baseline_bot/config.yml", "--domain", "bench/baseline_bot/domain.yml",
                 "--data", "bench/baseline_bot/data"]


def train(name: str, args: list[str], before: list[list[str]] | None = None) -> dict:
    """Train one model cold into a temporary directory; returns wall and CPU seconds, bytes and the kept path.

    CPU seconds (user + system of the training processes) hardly change when other processes compete
    for the cores; wall seconds do."""
    LOGS.mkdir(parents=True, exist_ok=True)
    MODELS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"train-{name}.log"
    with tempfile.TemporaryDirectory(prefix=f"train-{name}-", dir=ROOT / "var" / "bench") as tmp:
        env = {**os.environ, "RASA_CACHE_DIRECTORY": str(Path(tmp) / "cache")}
        started = time.perf_counter()
        cpu_before = children_cpu_seconds()
        with log.open("w", encoding="utf-8") as out:
            for command in before or []:
                subprocess.run(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=True)
            run = subprocess.run([RASA, "train", *args, "--out", tmp, "--fixed-model-name", name],
                                 cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
        seconds = time.perf_counter() - started
        cpu = children_cpu_seconds() - cpu_before
        if run.returncode != 0:
            sys.stderr.write(log.read_text(encoding="utf-8")[-3000:])
            raise SystemExit(f"training {name} failed; log: {log}")
        model = MODELS / f"{name}.tar.gz"
        shutil.move(str(Path(tmp) / f"{name}.tar.gz"), model)
    return {"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1), "bytes": model.stat().st_size,
            "model": str(model.relative_to(ROOT))}


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip", action="store_true")
    a = ap.parse_args()
    dictionary = [str(ROOT / ".venv" / "bin" / "python"), "-m", "bot.nlu.dictionary", "build/jieba"]
    assistant, baseline = MODELS / "assistant.tar.gz", MODELS / "baseline.tar.gz"
    result: dict = {"skipped": a.skip}
    if not a.skip:
        result["assistant"] = train("assistant", ASSISTANT_ARGS, before=[dictionary])
        result["baseline"] = train("baseline", BASELINE_ARGS)
    else:
        if not assistant.is_file():
            built = subprocess.run(["scripts/train.sh"], cwd=ROOT, capture_output=True, text=True, check=True)
            assistant = ROOT / built.stdout.strip().splitlines()[-1]
        if not baseline.is_file():
            train("baseline", BASELINE_ARGS)
        for name, path in (("assistant", assistant), ("baseline", baseline)):
            result[name] = {"seconds": None, "cpu_seconds": None, "bytes": path.stat().st_size,
                            "model": str(path.relative_to(ROOT))}
    write_result("training", result)
    print(f"assistant={ROOT / result['assistant']['model']} baseline={ROOT / result['baseline']['model']}")


if __name__ == "__main__":
    main()
