"""Masking of personal data for replies, logs and stored conversation events."""

from __future__ import annotations

import logging
import re
import unicodedata
import warnings
from typing import Any, TextIO

# A mainland mobile number written with optional spaces/dashes between digit groups.
_D = "[0-9０-９]"
_SEP = "[\\s\\-－—]?"
_PHONE_IN_TEXT = re.compile(rf"(?<![0-9０-９])([1１][3-9３-９]{_D}){_SEP}({_D}{{4}}){_SEP}({_D}{{4}})(?![0-9０-９])")
_DIGIT_RUN = re.compile(r"[0-9A-Za-z]+")
# house, building, unit and room numbers in free text: 中华路12号3单元502室 → 中华路*号*单元*室
# (a digit run starts only where no digit precedes it, so long runs of digits are masked in linear time)
_HOUSE_NUMBER = re.compile(r"(?<![0-9０-９])[0-9０-９]+(?:([\-－])[0-9０-９]+)?(?=号|栋|幢|单元|室|弄|组|户)")
SEALED_PREFIX = "sealed:"
_MASK = "*"


def mask_phone(phone: str | None) -> str:
    """13912345678 → 139****5678; anything shorter keeps only its last two characters."""
    if not phone:
        return ""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone))
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return _MASK * max(len(digits) - 2, 0) + digits[-2:]


def mask_name(name: str | None) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: the family name stays for a polite 张先生/女士."""
    if not name:
        return ""
    return name[0] + _MASK * (len(name) - 1)


def mask_address(address: str | None) -> str:
    """Keep the place and street, hide house, building and room numbers: 中华路1号3单元 → 中华路*号*单元."""
    if not address:
        return ""
    return _DIGIT_RUN.sub(_MASK, unicodedata.normalize("NFKC", address))


def mask_text(text: str | None) -> str:
    """Free text with mobile numbers and house numbers masked (for logs and stored events)."""
    if not text:
        return text or ""
    masked = _PHONE_IN_TEXT.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    return _HOUSE_NUMBER.sub(_mask_house_number, masked)


def _mask_house_number(match: re.Match[str]) -> str:
    return _MASK + (match.group(1) + _MASK if match.group(1) else "")


def mask_event(event: dict[str, Any]) -> dict[str, Any]:
    """A serialised conversation event with personal data masked in its texts and slot values."""
    masked = dict(event)
    kind = masked.get("event")
    if kind in ("user", "bot") and isinstance(masked.get("text"), str):
        masked["text"] = mask_text(masked["text"])
    if kind == "user" and isinstance(masked.get("parse_data"), dict):
        parse = dict(masked["parse_data"])
        if isinstance(parse.get("text"), str):
            parse["text"] = mask_text(parse["text"])
        masked["parse_data"] = parse
    value = masked.get("value")
    if kind == "slot" and isinstance(value, str) and not value.startswith(SEALED_PREFIX):
        masked["value"] = mask_text(value)
    return masked


def install_pii_filter(logger: logging.Logger | None = None) -> None:
    """Mask personal data in everything the logger's handlers write, and in Python warnings (call once at
    process start; calling it again adds nothing)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, PiiFilter) for f in handler.filters):
            handler.addFilter(PiiFilter())
    mask_warnings()


def mask_warnings() -> None:
    """Mask personal data in Python warnings.

    `warnings.warn` does not go through logging: `warnings.showwarning` writes the text to stderr, past
    every handler's PiiFilter. Rasa warns with the customer's whole message when a message starting
    with "/" does not parse as an intent payload ("Failed to parse arguments in line
    '/inform{"booking_phone":"139…"}'"), which put raw phone numbers in rasa.log. This wraps
    `warnings.showwarning` so the message (and the source line) are masked before they are written.
    After `logging.captureWarnings(True)`, warnings go to the `py.warnings` logger instead, whose
    records the handlers' PiiFilter masks.
    """
    shown = warnings.showwarning
    if getattr(shown, "masks_pii", False):
        return

    def showwarning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                    file: TextIO | None = None, line: str | None = None) -> None:
        shown(mask_text(str(message)), category, filename, lineno, file, None if line is None else mask_text(line))

    showwarning.masks_pii = True  # type: ignore[attr-defined]
    warnings.showwarning = showwarning


class PiiFilter(logging.Filter):
    """A logging filter that masks mobile numbers in every record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
