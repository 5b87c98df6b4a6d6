"""Optional requested capacity, kept with the unit as given (千瓦 and 千伏安 are never converted)."""

from __future__ import annotations

import re

from bot.booking.text import Parsed, fold
from bot.reading.quantities import default_reader
from bot.reading.quantities import fold as quantity_fold

NOT_GIVEN = "未提供"
_BARE_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*$")
_SKIP = re.compile(r"不知道|不清楚|不确定|没有|跳过|不用|不填|不需要|还没定|待定|没想好|以后再说|算了吧")
MAX_AMOUNT = 1_000_000


def find_capacity(text: str) -> Parsed[str]:
    """A capacity read by the one quantity reader (150千瓦, 一百五千瓦, 200kVA), unit kept as given."""
    matches = [m for m in default_reader().find(quantity_fold(text)) if m.entity == "capacity"]
    if not matches:
        return Parsed()
    match = min(matches, key=lambda m: (m.start, -m.end))
    amount = match.amount or 0.0
    if not 0 < amount <= MAX_AMOUNT:
        return Parsed(error="容量数值不对，请重新输入，例如“150千瓦”。", span=(match.start, match.end))
    return Parsed(match.value, span=(match.start, match.end))


def parse_capacity(text: str) -> Parsed[str]:
    """The answer to 'how much capacity': a quantity with its unit, or 未提供 when the customer skips it."""
    found = find_capacity(text)
    if found.ok or found.error:
        return found
    if _SKIP.search(text):
        return Parsed(NOT_GIVEN)
    if _BARE_NUMBER.match(fold(text)):
        return Parsed(error="请带上单位：是千瓦（kW）还是千伏安（kVA）？例如“150千瓦”。")
    return Parsed(error="请告诉我用电容量，例如“150千瓦”或“200千伏安”；不清楚可以回复“不清楚”。")
