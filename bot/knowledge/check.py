"""`python -m bot.knowledge.check [REGION_FILE ...]`: validate the KB and prove every fact against the seeds.

With file arguments only those region files are checked (handy while writing one region).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.knowledge.loader import KnowledgeError, load_region_files, load_vocabulary
from bot.knowledge.service import KnowledgeBase
from bot.knowledge.sources import check_region, uncovered_figures
from bot.settings import Settings


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot.knowledge.check",
                                description="Validate the knowledge base and prove every fact against the seed "
                                            "documents (BANDIAN_KNOWLEDGE_DIR, BANDIAN_SEEDS_DIR).")
    p.add_argument("region_files", nargs="*", type=Path, metavar="REGION_FILE",
                   help="check only these region files (default: every region of the knowledge base)")
    return p


def main(argv: list[str]) -> int:
    try:
        files: list[Path] = parser().parse_args(argv).region_files
    except SystemExit as stop:  # --help (0) or a usage error (2)
        return stop.code if isinstance(stop.code, int) else 2
    settings = Settings.from_env()
    try:
        if files:
            vocab = load_vocabulary(settings.knowledge_dir / "shared.yml")
            regions = load_region_files(files, vocab)
        else:
            regions = list(KnowledgeBase.load(settings.knowledge_dir).regions)
    except KnowledgeError as exc:
        print(exc)
        return 1
    failed = False
    for region in regions:
        problems = check_region(region, settings.seeds_dir)
        missing = sorted(uncovered_figures(region, settings.seeds_dir))
        print(f"{region.name}: {len(region.facts)} facts, {len(problems)} problems, "
              f"{len(missing)} seed figures not yet in any statement")
        for problem in problems:
            print("  ", problem)
        if missing:
            print("   uncovered:", " ".join(n + u for n, u in missing))
        failed |= bool(problems or missing)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
