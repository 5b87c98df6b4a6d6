"""docs/growth.png: the growth benchmark's curves (bench/growth.py's results), drawn by bench/report.py.

usage: python -m bench.growth_plot [OUT.png]   (from var/bench/results/growth.json)
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bench.common import ROOT, read_result

PNG = ROOT / "docs" / "growth.png"


def _series(growth: dict[str, Any], *path: str) -> tuple[list[int], list[float]]:
    xs, ys = [], []
    for size in growth["sizes"]:
        value: Any = growth["per_size"].get(str(size))
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, int | float):
            xs.append(size)
            ys.append(float(value))
    return xs, ys


def plot(growth: dict[str, Any], out: Path = PNG) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = growth["sizes"]
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), dpi=100)
    (latency, rest), (load, memory) = axes

    def line(ax: Any, label: str, style: str, *path: str, scale: float = 1.0) -> None:
        xs, ys = _series(growth, *path)
        if xs:
            ax.plot(xs, [y * scale for y in ys], style, label=label)

    line(latency, "original questions p50", "o-", "inprocess", "reply", "original", "p50")
    line(latency, "original questions p95", "o--", "inprocess", "reply", "original", "p95")
    line(latency, "re-targeted p50", "s-", "inprocess", "reply", "re-targeted", "p50")
    line(latency, "re-targeted p95", "s--", "inprocess", "reply", "re-targeted", "p95")
    latency.set_title("Answerer.reply in-process (ms)")
    latency.set_yscale("log")

    line(rest, "original questions p50", "o-", "rest", "turn", "original", "p50")
    line(rest, "original questions p95", "o--", "rest", "turn", "original", "p95")
    line(rest, "re-targeted p50", "s-", "rest", "turn", "re-targeted", "p50")
    line(rest, "re-targeted p95", "s--", "rest", "turn", "re-targeted", "p95")
    rest.set_title("turn over REST, Rasa + action server (ms)")
    if not growth.get("rest"):
        rest.text(0.5, 0.5, "not measured (BENCH_GROWTH_REST=0)", ha="center", va="center", transform=rest.transAxes)

    line(load, "KB load, YAML + place index (s)", "o-", "inprocess", "load_ms", scale=1e-3)
    line(load, "clause index (s)", "o--", "inprocess", "clause_index_ms", scale=1e-3)
    line(load, "training, wall (s)", "s-", "rest", "training", "seconds")
    line(load, "training, CPU (s)", "s--", "rest", "training", "cpu_seconds")
    line(load, "Rasa start until ready (s)", "^-", "rest", "rasa_ready_s")
    load.set_title("loading and training (s)")
    load.set_yscale("log")

    mib = 1 / 2**20
    line(memory, "in-process, after loading", "o-", "inprocess", "rss_loaded", scale=mib)
    line(memory, "Rasa server", "s-", "rest", "memory", "rasa", "rss", scale=mib)
    line(memory, "action server", "^-", "rest", "memory", "actions", "rss", scale=mib)
    line(memory, "model .tar.gz", "d--", "rest", "training", "bytes", scale=mib)
    memory.set_title("memory (RSS, MiB) and model size (MiB)")

    for ax in axes.flat:
        ax.set_xscale("log")
        ax.set_xticks(sizes)
        ax.set_xticklabels([str(s) for s in sizes])
        ax.minorticks_off()
        ax.set_xlabel("cities in the knowledge base")
        ax.grid(True, which="major", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    command = growth.get("command", "make bench-growth")
    fig.suptitle(f"Growth: the knowledge base from {sizes[0]} to {sizes[-1]} cities ({command})")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.growth_plot", description=__doc__.split("\n\n")[0])
    ap.add_argument("out", nargs="?", type=Path, default=PNG)
    a = ap.parse_args(argv)
    growth = read_result("growth")
    if not growth:
        raise SystemExit("no growth results (run python -m bench.growth first)")
    print(f"wrote {plot(growth, a.out)}")


if __name__ == "__main__":
    main()
