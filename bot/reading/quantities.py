"""Numbers, capacities, lengths, voltages and supply terms in customer text, with character offsets.

The one reader of quantities: the question reader (bot.reading.frame), the booking form
(bot.booking.capacity) and the NLU entity extractor (bot.nlu.entities) all read numbers here, so
"一百五千瓦" is 150千瓦 everywhere. Chinese numerals with 万, 点, 〇, digit strings and colloquial
forms ("一百五" = 150). Plain Python, no Rasa or spaCy imports.

All matching runs on `fold(text)`, which has exactly the length of `text`, so offsets found in
the folded text are offsets in the original. No regex uses word boundaries (they never match
inside Chinese text).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bot.knowledge.models import Quantity

CHINESE_NUMERAL_CHARS = "零〇一二两三四五六七八九十百千万"
_DIGIT_CHARS = "零〇一二两三四五六七八九"
_DIGIT_VALUE = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_UNIT_VALUE = {"十": 10, "百": 100, "千": 1000, "万": 10000}

# An Arabic number (optionally with thousands separators and decimals) or a Chinese one that
# does not start with a bare unit character ("上百千瓦" is not 100千瓦).
_ARABIC = r"(?<![\d.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_CHINESE = r"[零〇一二两三四五六七八九十][零〇一二两三四五六七八九十百千万]*(?:点[零〇一二两三四五六七八九]+)?"
NUMBER = rf"(?:{_ARABIC}|{_CHINESE})"

# Units as customers write them, folded (lower case, half width) → the unit's name in
# knowledge/shared.yml. Built from the KB's `units` table when one is given.
DEFAULT_UNITS: dict[str, dict[str, Any]] = {
    "千瓦": {"dimension": "power", "synonyms": ["千瓦", "kW", "KW", "kw"]},
    "千伏安": {"dimension": "apparent_power", "synonyms": ["千伏安", "kVA", "KVA", "kva"]},
    "米": {"dimension": "length", "synonyms": ["米", "m"]},
    "公里": {"dimension": "length", "synonyms": ["公里", "km", "千米"]},
}
CAPACITY_DIMENSIONS = ("power", "apparent_power")
LENGTH_DIMENSIONS = ("length",)

# Supply terms → the canonical 单电源 / 双电源.
SUPPLY_TERMS: dict[str, str] = {
    "双电源": "双电源", "双回路": "双电源", "双路电源": "双电源", "两路电源": "双电源", "两回路": "双电源",
    "双回路电源": "双电源", "两个电源": "双电源", "多电源": "双电源",
    "单电源": "单电源", "单回路": "单电源", "单路电源": "单电源", "一路电源": "单电源", "单回路电源": "单电源",
}
# Voltage words without a number.
VOLTAGE_TERMS: dict[str, str] = {"低压": "低压", "高压": "高压"}


def _fold_char(char: str) -> str:
    if char == "，":  # a Chinese list comma, never a thousands separator: "100，150千瓦" is two numbers
        return char
    folded = unicodedata.normalize("NFKC", char)
    if len(folded) != 1:
        folded = char
    lowered = folded.lower()
    return lowered if len(lowered) == 1 else folded


@lru_cache(maxsize=4096)
def _fold_cached(char: str) -> str:
    return _fold_char(char)


def fold(text: str) -> str:
    """Full width → half width, Latin → lower case, character for character (same length)."""
    if text.isascii():
        return text.lower()
    return "".join(_fold_cached(c) for c in text)


_CHINESE_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def chinese_to_int(text: str) -> int | None:
    """'一百六十' → 160, '八十' → 80; None for anything else."""
    total, current = 0, 0
    for char in text:
        if char in _CHINESE_DIGITS:
            current = _CHINESE_DIGITS[char]
        elif char in "十百千":
            unit = {"十": 10, "百": 100, "千": 1000}[char]
            total += (current or 1) * unit
            current = 0
        else:
            return None
    return total + current


def parse_chinese_number(text: str) -> float | None:
    """'一百六十' → 160, '一百五' → 150, '两万' → 20000, '零点四' → 0.4, '一五〇' → 150."""
    text = text.replace("〇", "零")
    whole, _, decimals = text.partition("点")
    if decimals and not all(c in _DIGIT_VALUE for c in decimals):
        return None
    if not whole:
        return None
    if all(c in _DIGIT_VALUE for c in whole) and len(whole) > 1:  # 一五零: digit by digit
        value = float(int("".join(str(_DIGIT_VALUE[c]) for c in whole)))
    else:
        integer = _chinese_integer(whole)
        if integer is None:
            return None
        value = float(integer)
    if decimals:
        value += float("0." + "".join(str(_DIGIT_VALUE[c]) for c in decimals))
    return value


def _chinese_integer(text: str) -> int | None:
    if "万" in text:
        high, _, low = text.partition("万")
        high_value = _chinese_integer(high) if high else 1
        if high_value is None:
            return None
        if low and low in _DIGIT_VALUE:  # 一万五 = 15000
            return high_value * 10000 + _DIGIT_VALUE[low] * 1000
        low_value = _chinese_integer(low) if low else 0
        return None if low_value is None else high_value * 10000 + low_value
    if len(text) >= 3 and text[-1] in _DIGIT_VALUE and text[-2] in "百千" and "零" not in text:
        # colloquial: 一百五 = 150, 两千五 = 2500
        head = chinese_to_int(text[:-1])
        return None if head is None else head + _DIGIT_VALUE[text[-1]] * _UNIT_VALUE[text[-2]] // 10
    return chinese_to_int(text)


def parse_number(text: str) -> float | None:
    """An Arabic ('1,000', '90.5') or Chinese numeral → its value; None if it is not a number."""
    text = fold(text).strip()
    if not text:
        return None
    if text[0].isdigit():
        try:
            return float(text.replace(",", ""))
        except ValueError:
            return None
    if all(c in CHINESE_NUMERAL_CHARS or c == "点" for c in text):
        return parse_chinese_number(text)
    return None


def format_amount(amount: float) -> str:
    """150.0 → '150', 0.4 → '0.4'."""
    if float(amount).is_integer():
        return str(int(amount))
    return f"{round(amount, 6):f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class QuantityMatch:
    start: int
    end: int
    entity: str  # capacity | length | voltage | supply
    value: str
    amount: float | None = None
    unit: str | None = None


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


class QuantityReader:
    """Finds capacities, lengths, voltages and supply terms in folded text. Compiled once."""

    def __init__(self, units: Mapping[str, Mapping[str, Any]] | None = None):
        units = units or DEFAULT_UNITS
        self.unit_names: dict[str, str] = {}  # folded synonym → unit name
        capacity_words: list[str] = []
        length_words: list[str] = []
        for name, entry in units.items():
            dimension = entry.get("dimension")
            if dimension not in CAPACITY_DIMENSIONS + LENGTH_DIMENSIONS:
                continue
            for synonym in {name, *entry.get("synonyms", [])}:
                word = fold(str(synonym))
                self.unit_names[word] = name
                (capacity_words if dimension in CAPACITY_DIMENSIONS else length_words).append(word)
        # 千瓦时 / kWh are energy, not capacity; m², mm, ms are not lengths.
        self.capacity = re.compile(rf"(?P<num>{NUMBER})\s*(?P<unit>{_alternation(capacity_words)})(?![a-z时·])")
        self.length = re.compile(rf"(?P<num>{NUMBER})\s*(?P<unit>{_alternation(length_words)})(?![a-z0-9²³])")
        # 10千伏, 10kv, 十千伏, 0.4千伏, 10(20)千伏; never 千伏安 / kva (that is a capacity).
        self.kilovolt = re.compile(rf"(?P<num>{NUMBER})(?:\s*\(\s*\d+(?:\.\d+)?\s*\))?\s*(?:千伏|kv)(?![安a-z])")
        self.volt = re.compile(r"(?<![\d.])(?P<num>220|230|380|400)\s*(?:伏特?|v)(?![a-z安])")
        self.words = re.compile(_alternation([*SUPPLY_TERMS, *VOLTAGE_TERMS]))

    def find(self, folded: str) -> list[QuantityMatch]:
        """Every candidate (they may overlap; the caller picks the best cover)."""
        return [*self._amounts(folded), *self._words(folded)]

    def _amounts(self, folded: str) -> Iterator[QuantityMatch]:
        for entity, pattern in (("capacity", self.capacity), ("length", self.length)):
            for match in pattern.finditer(folded):
                amount = parse_number(match.group("num"))
                if amount is None:
                    continue
                unit = self.unit_names[match.group("unit")]
                yield QuantityMatch(match.start(), match.end(), entity, f"{format_amount(amount)}{unit}", amount, unit)
        for pattern, unit in ((self.kilovolt, "千伏"), (self.volt, "伏")):
            for match in pattern.finditer(folded):
                amount = parse_number(match.group("num"))
                if amount is None or amount <= 0:
                    continue
                value = f"{format_amount(amount)}{unit}"
                yield QuantityMatch(match.start(), match.end(), "voltage", value, amount, unit)

    def _words(self, folded: str) -> Iterator[QuantityMatch]:
        for match in self.words.finditer(folded):
            word = match.group()
            if word in SUPPLY_TERMS:
                yield QuantityMatch(match.start(), match.end(), "supply", SUPPLY_TERMS[word])
            else:
                yield QuantityMatch(match.start(), match.end(), "voltage", VOLTAGE_TERMS[word])


@lru_cache(maxsize=1)
def default_reader() -> QuantityReader:
    return QuantityReader()


def first_capacity(text: str) -> Quantity | None:
    """The first capacity (千瓦 or 千伏安, never converted) a text states."""
    folded = fold(text)
    matches = [m for m in default_reader().find(folded) if m.entity == "capacity" and m.amount and m.unit]
    if not matches:
        return None
    first = min(matches, key=lambda m: (m.start, -m.end))
    assert first.amount is not None and first.unit is not None
    return Quantity(first.amount, first.unit)


def first_length(text: str) -> Quantity | None:
    """The first line length a text states, in metres ('1.2公里' → 1200米)."""
    matches = [m for m in default_reader().find(fold(text)) if m.entity == "length" and m.amount and m.unit]
    if not matches:
        return None
    first = min(matches, key=lambda m: (m.start, -m.end))
    assert first.amount is not None
    return Quantity(first.amount * (1000 if first.unit == "公里" else 1), "米")
