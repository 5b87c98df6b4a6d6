"""Mainland mobile numbers: 11 digits, a valid 1xx prefix; spaces, dashes, +86 and full width accepted."""

from __future__ import annotations

import re

from bot.booking.text import Parsed, fold

# Mobile prefixes in use in mainland China (China Mobile, Unicom, Telecom, Broadnet, MVNOs).
_PREFIX = re.compile(r"^1(3\d|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9])")
_CANDIDATES = (
    re.compile(r"(?<!\d)(?:\+?86[\s\-]?)?(1\d{10})(?!\d)"),
    re.compile(r"(?<!\d)(?:\+?86[\s\-]?)?(1\d{2}[\s\-]?\d{4}[\s\-]?\d{4})(?![\d])"),
    re.compile(r"(?<!\d)(?:\+?86[\s\-]?)?(1[\d\s\-]{9,15}\d)(?!\d)"),
)
_DIGITS = re.compile(r"\d[\d\s\-]*\d|\d")


def _digits(text: str) -> str:
    return re.sub(r"[\s\-]", "", text)


def check_phone(digits: str) -> str | None:
    """The reason a string of digits is not a mainland mobile number, or None when it is one."""
    if len(digits) != 11:
        return f"手机号应为11位数字，您输入的是{len(digits)}位，请核对后重新输入。"
    if not _PREFIX.match(digits):
        return f"{digits[:3]}开头的不是有效的大陆手机号段，请核对后重新输入。"
    return None


def find_phone(text: str) -> Parsed[str]:
    """A mobile number anywhere in the text (for corrections like '电话写错了，是139…')."""
    folded = fold(text)
    for pattern in _CANDIDATES:
        for match in pattern.finditer(folded):
            digits = _digits(match.group(1))
            if len(digits) == 11 and check_phone(digits) is None:
                return Parsed(digits, span=match.span())
    return Parsed()


def parse_phone(text: str) -> Parsed[str]:
    """The answer to 'what is your mobile number': a number, or what exactly is wrong with it."""
    found = find_phone(text)
    if found.ok:
        return found
    runs = [_digits(m.group()) for m in _DIGITS.finditer(fold(text))]
    runs = [r.removeprefix("86") if len(r) == 13 and r.startswith("86") else r for r in runs]
    longest = max(runs, key=len, default="")
    if len(longest) < 5:
        return Parsed(error="没有看到手机号，请输入11位手机号码，例如 139 1234 5678。")
    problem = check_phone(longest)
    return Parsed(error=problem) if problem else Parsed(longest)
