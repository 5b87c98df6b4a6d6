"""Places in a message beyond the covered regions' own names.

Two readers over real data instead of a "X市" pattern:
- `ChinaGazetteer`: China's administrative divisions (the data the `cpca` package ships) tell a
  real place the assistant does not cover (杭州, 西湖区) from words that merely contain 市/省/县
  (市场监管部门, 省级园区, 县城).
- `sound_alike`: a one-character slip of a covered place typed by pinyin input (凯利 → 凯里,
  岩台 → 烟台): same toneless pinyin, and one character in common.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

from pypinyin import lazy_pinyin

SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县", "地区",
            "省", "市", "县", "区", "盟", "旗")
# Division names that are also ordinary words in a question about electricity.
GENERIC = frozenset({"城区", "郊区", "矿区", "新区", "市辖区", "市中区", "开发区", "高新区", "林区", "示范区",
                     "中心区", "工业区", "城关", "新城", "新市", "城中", "城东", "城西", "城南", "城北", "东区",
                     "西区", "南区", "北区", "中区", "河东", "河西", "江北", "江南", "和平", "新华", "东方", "长安",
                     "安康", "永安", "太平", "丰台", "平安", "吉利", "通道", "大安", "宁安", "普安", "共和",
                     "白云", "青山", "金山", "东山", "西山", "南山", "北山", "海港", "港口", "港区", "铁山",
                     "新兴", "清河", "红旗", "文明", "振兴", "建华", "铁东", "铁西", "园区", "永和"})
_CJK = re.compile(r"[\u4e00-\u9fff]+")


@dataclass(frozen=True)
class Division:
    name: str       # full name, e.g. 杭州市
    short: str      # without its suffix, e.g. 杭州
    prefecture_or_above: bool


def _adcodes_file() -> Path:
    spec = find_spec("cpca")  # only located, not imported (importing it loads pandas)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the cpca package (China's administrative divisions) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"


def _short(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


@lru_cache(maxsize=1)
def divisions() -> tuple[Division, ...]:
    rows = csv.DictReader(_adcodes_file().open(encoding="utf-8"))
    found: dict[str, Division] = {}
    for row in rows:
        name, code = row["name"].strip(), row["adcode"].strip()
        if not _CJK.fullmatch(name) or len(name) < 2:
            continue
        prefecture = code[4:6] == "00"  # province (xx0000…) or prefecture (xxyy00…)
        found.setdefault(name, Division(name, _short(name), prefecture))
    return tuple(found.values())


class ChinaGazetteer:
    """Real place names of China, longest first, for telling places from ordinary words."""

    def __init__(self, entries: Iterable[Division] | None = None):
        names: dict[str, str] = {}
        for division in entries if entries is not None else divisions():
            if division.name not in GENERIC:
                names.setdefault(division.name, division.name)
            # a bare short name ("杭州") is a place only for provinces and prefectures; county short
            # names are too often ordinary words
            if division.prefecture_or_above and division.short not in GENERIC and len(division.short) >= 2:
                names.setdefault(division.short, division.name)
        self._names = sorted(names, key=len, reverse=True)
        self._full = names

    def find(self, text: str, known: Iterable[str] = ()) -> str | None:
        """The first real place named in `text` that does not overlap a `known` name."""
        taken = [span for k in known if k and k in text for span in _occurrences(k, text)]
        hits = []
        for name in self._names:
            if name not in text:  # most names: one substring test, no pattern to compile
                continue
            for start, end in _occurrences(name, text):
                if not any(a < end and start < b for a, b in taken):
                    hits.append((start, -len(name), name))
                    taken.append((start, end))
        return min(hits)[2] if hits else None


def _occurrences(name: str, text: str) -> list[tuple[int, int]]:
    """Where `name` occurs in `text`, left to right, without overlaps (as re.finditer finds them)."""
    spans, start = [], text.find(name)
    while start >= 0:
        spans.append((start, start + len(name)))
        start = text.find(name, start + len(name))
    return spans


@lru_cache(maxsize=1)
def china_gazetteer() -> ChinaGazetteer:
    return ChinaGazetteer()


@lru_cache(maxsize=65536)
def _toneless(text: str) -> tuple[str, ...]:
    return tuple(lazy_pinyin(text))


@lru_cache(maxsize=4)
def _sound_index(names: frozenset[str]) -> tuple[dict[tuple[str, ...], list[str]], list[int]]:
    """The names by their toneless pinyin, and their lengths longest first: built once per set of names
    (a frozenset keeps its hash, so finding the index again costs nothing however many names there are)."""
    candidates = sorted(n for n in names if len(n) >= 2 and _CJK.fullmatch(n))
    by_sound: dict[tuple[str, ...], list[str]] = {}
    for name in candidates:
        by_sound.setdefault(_toneless(name), []).append(name)
    return by_sound, sorted({len(n) for n in candidates}, reverse=True)


def sound_alike(text: str, names: Iterable[str]) -> str | None:
    """The covered name that a window of `text` sounds like, differing in one character only."""
    by_sound, lengths = _sound_index(names if isinstance(names, frozenset) else frozenset(names))
    for run in _CJK.findall(text):
        for size in lengths:
            for i in range(len(run) - size + 1):
                window = run[i:i + size]
                for name in by_sound.get(_toneless(window), ()):
                    if sum(a != b for a, b in zip(window, name, strict=True)) == 1:
                        return name
    return None
