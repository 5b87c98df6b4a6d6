"""`python -m bot.knowledge.check`: validate the KB and prove every fact against the seeds."""

from __future__ import annotations

import sys

from bot.knowledge.loader import KnowledgeError
from bot.knowledge.service import KnowledgeBase
from bot.knowledge.sources import check_region, uncovered_figures
from bot.settings import Settings


def main() -> int:
    settings = Settings.from_env()
    try:
        kb = KnowledgeBase.load(settings.knowledge_dir)
    except KnowledgeError as exc:
        print(exc)
        return 1
    failed = False
    for region in kb.regions:
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
    sys.exit(main())
