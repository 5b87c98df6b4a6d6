"""Read Rasa's NLU test reports and fail when intent macro-F1 or entity F1 is below the target."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def macro_f1(report: Path) -> float:
    return float(json.loads(report.read_text(encoding="utf-8"))["macro avg"]["f1-score"])


def entity_f1(report: Path) -> float:
    data = json.loads(report.read_text(encoding="utf-8"))
    return float(data.get("micro avg", data.get("weighted avg", {})).get("f1-score", 0.0))


def main(out: Path, target: float) -> int:
    scores = {"intent macro-F1": macro_f1(out / "intent_report.json")}
    for report in sorted(out.glob("*_report.json")):
        if report.name != "intent_report.json" and "response_selection" not in report.name:
            scores[f"entity F1 ({report.stem.removesuffix('_report')})"] = entity_f1(report)
    failed = False
    for name, score in scores.items():
        ok = score >= target
        failed |= not ok
        print(f"{name}: {score:.3f} {'ok' if ok else f'BELOW {target}'}")
    print(f"reports: {out}/")
    return 1 if failed else 0


def cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/nlu_gate.py", description=__doc__)
    parser.add_argument("out", type=Path, help="the folder of `rasa test nlu --out` (intent_report.json, ...)")
    parser.add_argument("target", type=float, help="the lowest acceptable F1, e.g. 0.95")
    args = parser.parse_args(argv)
    return main(args.out, args.target)


if __name__ == "__main__":
    sys.exit(cli())
