"""Reading numbers and text that came from outside."""

from __future__ import annotations

import pytest

from bot.untrusted import ascii_int, has_lone_surrogate


@pytest.mark.parametrize(("text", "expected"), [("0", 0), ("42", 42), ("000123", 123), ("9" * 12, 10**12 - 1)])
def test_ascii_digits_are_read(text, expected):
    assert ascii_int(text, 12) == expected


@pytest.mark.parametrize("text", ["", "9" * 13, "²", "①", "፩፩", "１２", "٣", "-1", "+1", " 1", "1 ", "1.0", "0x1",
                                  "1_000"])
def test_anything_else_is_none(text):
    assert ascii_int(text, 12) is None


def test_lone_surrogates_are_found_and_nothing_else():
    assert has_lone_surrogate("你好\ud800") and has_lone_surrogate("\udcff")
    assert not has_lone_surrogate("你好😀 \U0010ffff")
