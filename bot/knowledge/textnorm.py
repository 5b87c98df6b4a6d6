"""Text normalisation shared by the source checks and the clause search."""

from __future__ import annotations

import re
import unicodedata

_SPACE_OR_MARKUP = re.compile(r"[\s*|]+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def normalize(text: str) -> str:
    """Fold full-width forms (NFKC), drop whitespace and markdown markup."""
    folded = unicodedata.normalize("NFKC", text)
    return _SPACE_OR_MARKUP.sub("", folded)


def numbers_in(text: str) -> list[str]:
    """Arabic numbers in a text, width-folded ('１６０' and '160' are equal); white space and
    table pipes separate numbers (a table row '1	5	--' holds 1 and 5, not 15)."""
    spaced = _SPACE_OR_MARKUP.sub(" ", unicodedata.normalize("NFKC", text))
    return [_canonical(n) for n in _NUMBER.findall(spaced)]


def _canonical(number: str) -> str:
    return str(float(number)).removesuffix(".0")
