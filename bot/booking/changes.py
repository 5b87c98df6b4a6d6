"""Reading a customer's request to move the visit or cancel an order, one message at a time.

Fields: order (canonical 10 digits), suffix (4 digits), visit (a Visit slot string, for a reschedule) and
confirmed (True / False, for a cancellation). The visit is read first and blanked out, so "2025年12月5日"
is never taken for a phone suffix; then the order number and the suffix as in a status lookup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.booking.status import interpret_status
from bot.booking.text import blank_out, fold
from bot.booking.visit import chinese_numerals_to_digits, find_visit, parse_visit

KINDS = {"reschedule_visit": "reschedule", "cancel_order": "cancel"}
FIELDS = ("order", "suffix", "visit", "confirmed")
_YES = re.compile(r"^(?:是的?|对的?|确认|确定|确认取消|取消吧|对，?取消|好的?|可以|行|嗯+|没错|ok|yes)[,，。.!！~]*"
                  r"(?:取消吧?|确认取消)?[。.!！~]*$", re.IGNORECASE)
_NO = re.compile(r"^(?:不|别|先不|不用|不要|算了|不取消|暂时不|还是不)")


@dataclass
class ChangeTurn:
    updates: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def interpret_change(text: str, *, kind: str, requested: str | None, now: datetime,
                     intent: str | None = None) -> ChangeTurn:
    """What one message gives: `now` as bot.booking.visit.find_visit takes it (aware, or Beijing wall clock)."""
    folded = chinese_numerals_to_digits(fold(text or "")).strip()
    turn = ChangeTurn()
    if requested == "confirmed":
        answer = confirmation(folded, intent)
        if answer is not None:
            turn.updates["confirmed"] = answer
            return turn
    spans: list[tuple[int, int]] = []
    if kind == "reschedule":
        found = parse_visit(folded, now) if requested == "visit" else find_visit(folded, now)
        if found.value is not None:
            turn.updates["visit"] = found.value.slot()
        elif found.error and (requested == "visit" or found.span):
            turn.error = found.error
        if found.span:
            spans.append(found.span)
    rest = blank_out(folded, spans)
    status = interpret_status(rest, requested if requested in ("order", "suffix") else None)
    turn.updates.update(status.updates)
    if status.error and not turn.error and not (requested == "visit" and turn.updates.get("visit")):
        turn.error = status.error
    if requested == "confirmed" and not turn.updates and not turn.error:
        turn.error = "请回复“确认取消”取消这张工单，或回复“不取消了”保留它。"
    return turn


def confirmation(text: str, intent: str | None) -> bool | None:
    """True for a yes, False for a no, None for anything else."""
    if _NO.match(text) or (intent == "deny" and len(text) <= 8):
        return False
    if _YES.match(text) or (intent == "affirm" and len(text) <= 8):
        return True
    return None
