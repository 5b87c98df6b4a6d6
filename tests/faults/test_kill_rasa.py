"""kill -9 of the Rasa server during a booking's 确认 turn (REST channel, staff registration).

- while the order is written: the action proxy sees the action_confirm_booking call arrive, kills Rasa,
  then lets the call through: the action server commits the order, but nobody is left to tell the user;
- race: Rasa is killed at a seeded random moment 0–100 ms after 确认 is sent.
Rasa is restarted each time. With the embedded profile's in-memory tracker store (endpoints.yml) the
restart forgets every conversation, so the customer starts over (register again, 确认): the 30-minute
same-phone/address/business rule must hand back the order already written, not a second one.
"""

from __future__ import annotations

import json
import random
import time
from concurrent.futures import ThreadPoolExecutor

from tests.faults.booking import CONFIRM, RACE_WINDOW, Booking, faulted_turn, finish, start, still_answers
from tests.faults.client import new_sender, new_web_session, post_json, say
from tests.faults.db import orders_for_phone
from tests.faults.results import record
from tests.faults.stack import Stack
from tests.fuzz.inputs import SEED

BUSY = "助手暂时无法回复"  # the web chat's answer while Rasa is down (bot/web/chat.py BUSY)


def _after_restart(stack: Stack, booking: Booking) -> dict[str, object]:
    """What the user meets after the restart, then the rest of the booking."""
    status, reply = say(stack, booking.sender, "确认")  # the conversation was in memory: it is gone
    forgotten = status == 200 and "工单号" not in reply
    finish(stack, booking)
    still_answers(stack, booking.sender)
    return {"first_reply_after_restart": reply[:80], "conversation_forgotten": forgotten}


def test_kill_rasa_while_the_order_is_being_written(stack: Stack):
    booking = start(stack, "rasa: kill while action_confirm_booking runs", new_sender("kill-rasa"))
    armed = stack.proxy.arm(CONFIRM, before=stack.rasa.kill9)
    faulted_turn(stack, booking, timeout=30)
    assert armed.done.wait(30), "the confirm call never finished at the action server"
    written = orders_for_phone(stack.db_path, booking.phone)
    down = post_json(f"{stack.web_url}/api/chat", {"session": new_web_session(stack), "message": "你好"})
    began = time.monotonic()
    stack.rasa.restart()
    restart_seconds = time.monotonic() - began
    seen = _after_restart(stack, booking)
    _record([booking], "faults:kill-rasa-during-confirm", restart_seconds=round(restart_seconds, 1),
            written_while_rasa_died=len(written), web_chat_while_down=down.status, **seen)
    assert booking.fault_status == 0, "the user's request should have broken with the server"
    assert len(written) == 1, "the action server should still have committed the order"
    assert booking.rows == written, "the user must get the order already written, not a new one"
    assert down.status == 502 and BUSY in json.loads(down.body)["error"], down.text


def test_kill_rasa_at_a_random_moment_of_the_confirmation(stack: Stack):
    offset = random.Random(SEED + 1).uniform(0.0, RACE_WINDOW)
    booking = start(stack, f"rasa: race, kill {offset * 1000:.0f} ms after 确认", new_sender("race-rasa"))
    observer = stack.proxy.arm(CONFIRM)
    with ThreadPoolExecutor(max_workers=1) as pool:
        turn = pool.submit(faulted_turn, stack, booking, "确认", 30)
        time.sleep(offset)  # an arbitrary moment, on purpose
        stack.rasa.kill9()
        turn.result()
    observer.done.wait(30)  # a call already forwarded still completes at the action server
    booking.kill_phase = ("answered before the kill" if booking.fault_status == 200 else
                          "confirm call had reached the action server" if observer.fired.is_set() else
                          "before the confirm call")
    stack.proxy.disarm()
    stack.rasa.restart()
    seen = _after_restart(stack, booking)
    _record([booking], "faults:kill-rasa-race", **seen)


def _record(bookings: list[Booking], entry: str, **figures: object) -> None:
    lost = sum(len(b.lost) for b in bookings)
    duplicated = sum(b.duplicated for b in bookings)
    missing = [b.name for b in bookings if len(b.rows) != 1]
    record(entry, tried=len(bookings), failures=lost + duplicated + len(missing), orders_lost=lost,
           orders_duplicated=duplicated, scenarios=[b.summary() for b in bookings], **figures)
    assert lost == 0, [b.summary() for b in bookings]
    assert duplicated == 0, [b.summary() for b in bookings]
    assert not missing, [b.summary() for b in bookings]
