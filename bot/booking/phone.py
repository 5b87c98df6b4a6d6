"""Mainland mobile numbers: 11 digits, a valid 1xx prefix; spaces, dashes, dots, +86/0086 and full width
accepted. What counts as a phone number is defined once, in bot/phones.py, which the masker uses too:
every number this parser takes is masked in logs, stored conversations and exchanges."""

from __future__ import annotations

from bot.booking.text import Parsed
from bot.phones import digit_runs, find_landlines, find_mobile, mobile_problem


def check_phone(digits: str) -> str | None:
    """The reason a string of digits is not a mainland mobile number, or None when it is one."""
    return mobile_problem(digits)


def find_phone(text: str) -> Parsed[str]:
    """A mobile number anywhere in the text (for corrections like '电话写错了，是139…')."""
    found = find_mobile(text)
    if found is None:
        return Parsed()
    return Parsed(found.digits, span=(found.start, found.end))


def parse_phone(text: str) -> Parsed[str]:
    """The answer to 'what is your mobile number': a number, or what exactly is wrong with it.

    Only what `find_phone` finds is taken; everything else is explained (too short, a landline, a prefix
    no mobile number has)."""
    found = find_phone(text)
    if found.ok:
        return found
    if find_landlines(text):
        return Parsed(error="这是固定电话号码，请留一个手机号（11位），方便客户经理联系您。")
    runs = [r[2:] if len(r) == 13 and r.startswith("86") else r for r in digit_runs(text)]
    runs = [r[4:] if len(r) == 15 and r.startswith("0086") else r for r in runs]
    longest = max(runs, key=len, default="")
    if len(longest) < 5:
        return Parsed(error="没有看到手机号，请输入11位手机号码，例如 139 1234 5678。")
    return Parsed(error=check_phone(longest) or "没有看到手机号，请输入11位手机号码，例如 139 1234 5678。")
