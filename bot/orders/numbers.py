"""Order numbers: 9 random digits and a Damm check digit, read over the phone as 5+5 digits.

Digits only, because callers read them aloud in Chinese; random (not a counter) so they cannot
be enumerated (10⁹ possibilities, and lookups also need the phone suffix and are rate limited);
the Damm check digit catches every single mistyped digit and every swap of adjacent digits.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

from bot.phones import ORDER_NUMBER, ORDER_SEPARATOR

LENGTH = 10
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
SEPARATOR = ORDER_SEPARATOR  # between the two halves: a space or any dash people type
CANDIDATE = re.compile(ORDER_NUMBER)


def damm_digit(digits: str) -> str:
    interim = 0
    for ch in digits:
        interim = _DAMM[interim][int(ch)]
    return str(interim)


def is_valid(number: str) -> bool:
    """A canonical number: 10 ASCII digits whose check digit is right (not ² or Ethiopic ፩, which
    str.isdigit() accepts but int() cannot read)."""
    return len(number) == LENGTH and number.isascii() and number.isdigit() and damm_digit(number) == "0"


def new_number() -> str:
    """A fresh random order number (first digit never 0, so it reads naturally)."""
    body = str(secrets.randbelow(9) + 1) + "".join(str(secrets.randbelow(10)) for _ in range(LENGTH - 2))
    return body + damm_digit(body)


def canonical(text: str) -> str | None:
    """'38412-09357', '３８４１２ ０９３５７', '38412—09357' → '3841209357'; None unless it is a valid number."""
    digits = re.sub(SEPARATOR, "", unicodedata.normalize("NFKC", text))
    return digits if is_valid(digits) else None


def find_number(text: str) -> str | None:
    """The first order-number-shaped run of 10 digits in free text (check digit not tested)."""
    match = CANDIDATE.search(unicodedata.normalize("NFKC", text))
    return re.sub(SEPARATOR, "", match.group()) if match else None


def display(number: str) -> str:
    """3841209357 → 38412-09357."""
    return f"{number[:5]}-{number[5:]}"
