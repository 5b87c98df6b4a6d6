"""Figures for the reliability summary: one JSON line per test (scripts/test-reliability.sh sums them up)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from tests.faults.stack import ROOT

RESULTS = Path(os.environ.get("RELIABILITY_RESULTS") or ROOT / "var" / "reliability" / "results.jsonl")


def record(entry: str, *, tried: int, failures: int, **figures: object) -> None:
    """Append the figures of one entry point or scenario (the last line per entry wins)."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    line = {"entry": entry, "tried": tried, "failures": failures, "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            **figures}
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, ensure_ascii=False) + "\n")
