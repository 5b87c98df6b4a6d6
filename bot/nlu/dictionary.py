"""Build the jieba user dictionary from the knowledge base.

`python -m bot.nlu.dictionary build/jieba` writes build/jieba/userdict.txt: region, district
and alias names, category names, topic and area synonyms, so that segmentation keeps
'滕州', '三零', '高可靠性供电费' whole.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.knowledge.service import KnowledgeBase
from bot.reading.quantities import SUPPLY_TERMS
from bot.settings import Settings

EXTRA_TERMS = ("零证预约", "两证办结", "一证办结", "容缺办理", "刷脸办电", "规划红线", "高可靠性供电费",
               "双电源", "单电源", "小微企业", "不停电作业", "装表接电", "供电方案", "千伏安", "千伏")


def domain_words(kb: KnowledgeBase) -> list[str]:
    words: set[str] = set(kb.gazetteer)
    for table in (kb.vocab.topics, kb.vocab.areas):
        for entry in table.values():
            words.update(entry.get("synonyms", []))
    words.update(entry["name"] for entry in kb.vocab.categories.values())
    words.update(EXTRA_TERMS)
    # Added for the entity extractor (bot.nlu.entities): uncovered places and supply terms stay whole.
    words.update(kb.vocab.other_places)
    words.update(SUPPLY_TERMS)
    return sorted(w for w in words if len(w) >= 2 and not w.isascii())


def write_dictionary(kb: KnowledgeBase, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "userdict.txt"
    path.write_text("".join(f"{w} 200000\n" for w in domain_words(kb)), encoding="utf-8")
    return path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.nlu.dictionary",
                                     description="Write the jieba user dictionary built from the knowledge base "
                                                 "(DIRECTORY/userdict.txt; the tokenizer in config.yml reads it).")
    parser.add_argument("directory", nargs="?", type=Path, default=Path("build/jieba"),
                        help="where to write userdict.txt (default: build/jieba)")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    kb = KnowledgeBase.load(settings.knowledge_dir)
    path = write_dictionary(kb, args.directory)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
