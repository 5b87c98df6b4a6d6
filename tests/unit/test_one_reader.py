"""One reader of quantities: the question frame, the booking form and the NLU entity extractor read
a capacity the same way (bot/reading/quantities.py)."""

from __future__ import annotations

import pytest

from bot.booking.capacity import find_capacity as booking_capacity
from bot.reading.frame import find_capacity, normalize_text
from bot.reading.quantities import QuantityReader, fold


@pytest.mark.parametrize(("text", "value"), [
    ("一百五千瓦", "150千瓦"), ("150kW", "150千瓦"), ("两百千伏安", "200千伏安"), ("1,000千瓦", "1000千瓦"),
    ("一百六十千瓦的厂", "160千瓦"), ("80 KVA", "80千伏安"), ("一万千伏安", "10000千伏安"),
])
def test_every_reader_reads_the_same_capacity(text, value):
    entity = next(m.value for m in QuantityReader().find(fold(text)) if m.entity == "capacity")
    assert entity == value
    assert booking_capacity(text).value == value
    assert str(find_capacity(normalize_text(text))) == value
