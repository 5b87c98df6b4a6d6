"""Personal identifiers other than phone numbers, as the masker (bot/masking.py) finds them in text.

- A resident ID card number (居民身份证号码): 18 characters, 17 digits and a check digit or X/x, or the old
  15 digits; spaces, dashes or underscores between any two of its characters (410502 19900101 123X,
  4105-0219-9001-0112-3X); full-width digits and Chinese numerals read as for phone numbers (bot/phones.py:
  `phone_fold`). It must carry a plausible birth date (18: 18xx–20xx, month 01–12, day 01–31; 15: yymmdd)
  and a region code that does not start with 0, and it may not touch another digit. The check digit is
  not verified: a mistyped ID number is personal too.
- An e-mail address: an ASCII local part, @ (or the full-width ＠, with a space either side allowed), a domain
  with at least one dot (or 。 as a Chinese keyboard types it) and a top-level domain of letters:
  zhang.san@qq.com, ｚｈａｎｇ＠ｑｑ．ｃｏｍ, 13912345678@163。com.

Both are found in folded text (`bot.phones.fold`: same positions as the original) and masked there:
41**************3X, z***@qq.com.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.phones import SEP

_GAP = rf"{SEP}{{0,3}}"
_ID_18 = re.compile(rf"(?<!\d)\d(?:{_GAP}\d){{16}}{_GAP}[\dXx](?!\d)")
_ID_15 = re.compile(rf"(?<!\d)\d(?:{_GAP}\d){{14}}(?![\dXx])")
_ID_CHAR = re.compile(r"[\dXx]")
# An ID number has fifteen digits with at most three separators between two of them (the cheap test first)
_FIFTEEN_DIGITS = re.compile(rf"\d(?:{_GAP}\d){{14}}")

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62})"
EMAIL = re.compile(rf"(?<![A-Za-z0-9._%+\-])(?P<local>[A-Za-z0-9][A-Za-z0-9._%+\-]{{0,63}})\s?@\s?"
                   rf"(?P<domain>{_LABEL}(?:[.\u3002]{_LABEL})*[.\u3002][A-Za-z]{{2,24}})(?![A-Za-z0-9])")
MASK = "*"


@dataclass(frozen=True)
class Identifier:
    kind: str  # "id_card" | "email"
    start: int  # span in the text
    end: int
    masked: str  # what replaces it


def _plausible_id(chars: str) -> bool:
    """Whether the 18 or 15 characters of an ID number (ASCII digits, maybe a final X) carry a region and a date."""
    if chars[0] == "0":
        return False
    if len(chars) == 18:
        century, month, day = chars[6:8], int(chars[10:12]), int(chars[12:14])
        if century not in ("18", "19", "20"):
            return False
    else:
        month, day = int(chars[8:10]), int(chars[10:12])
    return 1 <= month <= 12 and 1 <= day <= 31


def _masked_id(text: str, start: int, end: int, digits: str) -> str:
    """The first two and the last two characters as written, a star for each character between them."""
    positions = [i for i in range(start, end) if _ID_CHAR.match(digits[i])]
    return ("".join(text[i] for i in positions[:2]) + MASK * (len(positions) - 4)
            + "".join(text[i] for i in positions[-2:]))


def find_id_numbers(text: str, digits: str) -> list[Identifier]:
    """ID card numbers in the text (`digits`: `bot.phones.phone_fold(text)`), in order, not overlapping."""
    if not _FIFTEEN_DIGITS.search(digits):
        return []
    found: list[Identifier] = []
    for pattern in (_ID_18, _ID_15):
        position = 0
        while (match := pattern.search(digits, position)) is not None:
            chars = "".join(_ID_CHAR.findall(match.group())).upper()
            taken = any(match.start() < other.end and other.start < match.end() for other in found)
            if not taken and _plausible_id(chars):
                found.append(Identifier("id_card", match.start(), match.end(),
                                        _masked_id(text, match.start(), match.end(), digits)))
                position = match.end()
            else:  # an ID number may start inside a run that is not one (a longer number before it)
                position = match.start() + 1
    return sorted(found, key=lambda identifier: identifier.start)


def find_emails(text: str, folded: str) -> list[Identifier]:
    """E-mail addresses in the text (`folded`: `bot.phones.fold(text)`): the local part hidden but its first
    character, the @ and the domain kept as written."""
    if "@" not in folded:
        return []
    return [Identifier("email", match.start(), match.end(),
                       text[match.start()] + MASK * 3 + text[match.end("local"):match.end()])
            for match in EMAIL.finditer(folded)]


def find_identifiers(text: str, folded: str, digits: str) -> list[Identifier]:
    """E-mail addresses, then ID numbers that are not part of one, in text order."""
    emails = find_emails(text, folded)
    ids = [n for n in find_id_numbers(text, digits) if not any(n.start < e.end and e.start < n.end for e in emails)]
    return sorted(emails + ids, key=lambda identifier: identifier.start)
