"""Small text helpers shared by the booking parsers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.phones import fold as phones_fold

T = TypeVar("T")

_QUESTION = re.compile(r"[?？]|吗|什么|多久|多少|怎么|怎样|哪些|哪个|几个|几天|是否|能不能|要不要|可不可以|有没有"
                       r"|为啥|为什么")
SEPARATORS = re.compile(r"[\s,，;；、。/|]+")


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """A parser's answer: a value, or a specific message saying what is wrong."""

    value: T | None = None
    error: str | None = None
    span: tuple[int, int] | None = None

    @property
    def ok(self) -> bool:
        return self.value is not None


def fold(text: str) -> str:
    """Full-width digits, letters and punctuation to half width; same length as the input. The masker's fold
    (bot/phones.py), so that every number the parsers read in folded text is found by the masker too."""
    return phones_fold(text)


def is_question(text: str) -> bool:
    return bool(_QUESTION.search(text))


def blank_out(text: str, spans: list[tuple[int, int]]) -> str:
    """Replace the given spans by spaces (so the remaining chunks keep their positions)."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)
