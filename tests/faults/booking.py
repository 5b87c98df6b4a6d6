"""A staff booking over the REST channel, a fault at its confirmation, and what the user and the database
show afterwards: orders lost (a number shown to the user but not stored) and duplicated (two rows for one
phone)."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field

from tests.faults.client import book_until_summary, say, shown_orders
from tests.faults.db import orders_for_phone
from tests.faults.stack import Stack

STORE_FAILED = "系统暂时无法保存预约"  # utter_booking_store_failed
CONFIRM = "action_confirm_booking"  # the action that writes the order
RACE_WINDOW = 0.1  # seconds after 确认 is sent in which races kill (the call reaches the actions at ~50–80 ms)
_phones = itertools.count(1)


def new_phone() -> str:
    """A valid mobile number of its own for each scenario (rows are counted per phone)."""
    return f"1390{next(_phones):03d}{secrets.randbelow(10000):04d}"


@dataclass
class Booking:
    name: str
    sender: str
    phone: str
    fault_status: int = 0  # the HTTP status of the faulted 确认 turn (0: no answer at all)
    fault_reply: str = ""
    replies: list[str] = field(default_factory=list)  # everything the user was shown, in order
    rows: list[str] = field(default_factory=list)  # order numbers stored for the phone at the end
    rows_after_fault: int = -1  # orders stored for the phone right after the faulted turn
    steps_to_finish: list[str] = field(default_factory=list)
    kill_phase: str = ""  # for races: where the kill landed relative to the confirm call

    @property
    def shown(self) -> set[str]:
        return shown_orders(*self.replies)

    @property
    def lost(self) -> set[str]:
        """Numbers the user saw that are not in the database."""
        return self.shown - set(self.rows)

    @property
    def duplicated(self) -> int:
        return max(len(self.rows) - 1, 0)

    def summary(self) -> dict[str, object]:
        return {"scenario": self.name, "fault_status": self.fault_status, "fault_reply": self.fault_reply[:120],
                "rows_after_fault": self.rows_after_fault, "rows": len(self.rows), "shown": sorted(self.shown),
                "lost": sorted(self.lost), "duplicated": self.duplicated, "steps_after_restart": self.steps_to_finish,
                "kill_phase": self.kill_phase}


def start(stack: Stack, name: str, sender: str) -> Booking:
    booking = Booking(name, sender, new_phone())
    booking.replies.append(book_until_summary(stack, sender, booking.phone))
    return booking


def faulted_turn(stack: Stack, booking: Booking, message: str = "确认", timeout: float = 90) -> None:
    status, reply = say(stack, booking.sender, message, timeout)
    booking.fault_status, booking.fault_reply = status, reply
    booking.replies.append(reply)
    if stack.db_path.exists():
        booking.rows_after_fault = len(orders_for_phone(stack.db_path, booking.phone))


def finish(stack: Stack, booking: Booking) -> None:
    """What a customer does next: say 确认 again; if no number comes, follow the bot (预约办电 → 确认); if the
    conversation was forgotten, register again. Then count the rows for the phone."""
    for message in ("确认", "预约办电", "确认"):
        if booking.shown:
            break
        status, reply = say(stack, booking.sender, message)
        booking.steps_to_finish.append(message)
        booking.replies.append(reply if status == 200 else f"HTTP {status}")
        if message == "预约办电" and "请核对预约信息" not in reply:
            break
    if not booking.shown:  # the conversation is gone (e.g. Rasa restarted): the user starts over
        booking.steps_to_finish.append("register again")
        booking.replies.append(book_until_summary(stack, booking.sender, booking.phone))
        booking.replies.append(say(stack, booking.sender, "确认")[1])
        booking.steps_to_finish.append("确认")
    booking.rows = orders_for_phone(stack.db_path, booking.phone)


def still_answers(stack: Stack, sender: str) -> str:
    status, reply = say(stack, sender, "枣庄10千伏双电源用户办电要多久")
    assert status == 200 and "18个工作日" in reply.replace(" ", ""), reply
    return reply
