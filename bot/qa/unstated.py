"""Saying plainly what a document does not state, before anything else: the question wants a kind
of figure (an amount of money, a percentage, a phone number) that none of the facts found states."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.knowledge.models import Fact
from bot.reading.forms import Measure

# the figure kinds checked, what they are called, and how a statement states one
MEASURE_WORDS = {Measure.MONEY: "具体金额", Measure.PERCENT: "具体比例", Measure.PHONE: "具体电话",
                 Measure.MATERIALS: "要带的具体材料"}
_STATES = {Measure.MONEY: re.compile(r"\d+(\.\d+)?(万)?元"), Measure.PERCENT: re.compile(r"%|％|百分之"),
           Measure.PHONE: re.compile(r"\d{5,}"), Measure.MATERIALS: re.compile(r"证|材料|资料|清单|文件|图纸|报告")}


def unmet_measure(measures: Iterable[Measure], facts: Iterable[Fact]) -> Measure | None:
    """The first figure kind asked (money, percentage, phone) that no fact states."""
    statements = [f.statement for f in facts]
    for measure in measures:
        if measure in _STATES and not any(_STATES[measure].search(s) for s in statements):
            return measure
    return None


def measure_word(measures: Iterable[Measure]) -> str:
    return next((MEASURE_WORDS[m] for m in measures if m in MEASURE_WORDS), "相关规定")
