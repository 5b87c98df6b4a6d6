"""Masking of personal data for replies, logs and stored conversation events."""

from __future__ import annotations

import logging
import re
import unicodedata

# A mainland mobile number written with optional spaces/dashes between digit groups.
_D = "[0-9０-９]"
_SEP = "[\\s\\-－—]?"
_PHONE_IN_TEXT = re.compile(rf"(?<![0-9０-９])([1１][3-9３-９]{_D}){_SEP}({_D}{{4}}){_SEP}({_D}{{4}})(?![0-9０-９])")
_DIGIT_RUN = re.compile(r"[0-9A-Za-z]+")
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
    """Free text with every mobile number in it masked (for logs and stored events)."""
    if not text:
        return text or ""
    return _PHONE_IN_TEXT.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


class PiiFilter(logging.Filter):
    """A logging filter that masks mobile numbers in every record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
