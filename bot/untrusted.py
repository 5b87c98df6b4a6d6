"""Checks on text that came from outside (a URL, a form, a command line) before it is used.

`str.isdigit()` also accepts "²", "①" or Ethiopic "፩", on which `int()` fails, and a few thousand
digits are more than any id, limit or timestamp: `ascii_int` takes only what it can read. A lone
surrogate (an escaped one in JSON, or an invalid UTF-8 byte on a command line, PEP 383) is text no
database, log or terminal takes.
"""

from __future__ import annotations

import json


def ascii_int(text: str, max_digits: int) -> int | None:
    """The number written with 1 to `max_digits` ASCII digits (nothing else), else None."""
    return int(text) if 0 < len(text) <= max_digits and text.isascii() and text.isdigit() else None


def has_lone_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(char) <= 0xDFFF for char in text)


def has_control_or_surrogate(text: str) -> bool:
    """A lone surrogate or a control character (C0, DEL, C1: NUL, newline, ESC …): not in an identifier (a
    REST sender id). PostgreSQL text refuses NUL; logs and terminals should not get the others."""
    return any(ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F or 0xD800 <= ord(char) <= 0xDFFF for char in text)


MAX_METADATA_BYTES = 4096  # a REST message's `metadata`, as compact UTF-8 JSON


def json_bytes(value: object) -> int:
    """The size of a JSON value written compactly in UTF-8 (lone surrogates counted as written)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return len(text.encode("utf-8", "surrogatepass"))
