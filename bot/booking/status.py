"""Reading a status question: the order number and the last four digits of the phone."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.booking.text import blank_out
from bot.orders import numbers
from bot.phones import phone_fold

_SUFFIX = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_PHONE = re.compile(r"(?<!\d)1\d{10}(?!\d)")
_ORDER_ERROR = "工单号是10位数字（如 38412-09357），这个号码校验不通过，可能有数字输错了，请核对后重新输入。"


@dataclass
class StatusTurn:
    updates: dict[str, str] = field(default_factory=dict)
    error: str | None = None


def interpret_status(text: str, requested: str | None) -> StatusTurn:
    """Fields: order (canonical 10 digits) and suffix (4 digits), in ASCII or Chinese numerals."""
    folded = phone_fold(text or "")
    turn = StatusTurn()
    spans = []
    candidate = numbers.find_number(folded)
    if candidate:
        match = numbers.CANDIDATE.search(folded)
        spans.append(match.span() if match else (0, 0))
        if numbers.is_valid(candidate):
            turn.updates["order"] = candidate
        elif requested in (None, "order"):
            turn.error = _ORDER_ERROR
    rest = blank_out(folded, spans)
    phone = _PHONE.search(rest)
    suffix = _SUFFIX.search(rest)
    if phone:
        turn.updates["suffix"] = phone.group()[-4:]
    elif suffix:
        turn.updates["suffix"] = suffix.group(1)
    if requested and requested not in turn.updates and not turn.error:
        turn.error = _missing(requested, folded)
    return turn


def _missing(requested: str, text: str) -> str:
    if requested == "order":
        if re.search(r"\d{6,}", text):
            return _ORDER_ERROR
        return "请告诉我工单号（10位数字，预约成功时发给您的）。"
    return "请告诉我预约时登记的手机号后四位（4位数字）。"
