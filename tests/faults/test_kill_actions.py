"""kill -9 of the action server during a booking's 确认 turn (REST channel, staff registration).

Where the kill lands is controlled through the action proxy (tests/faults/stack.py):
- before:  the action_confirm_booking call is held at the proxy, the action server killed, then the call
           forwarded (it fails): no order can have been written;
- after:   the action server has answered (the order is committed), then it is killed and Rasa gets 502
           instead of the answer: the order exists but its number never reached the user;
- race:    no proxy control over the kill: it comes at a seeded random moment, 0–100 ms after 确认 is sent
           (4 runs) or 0–30 ms after the confirm call reached the action server (4 runs, racing the commit);
           the proxy only records when the call arrived and was answered, so each run reports where the kill
           landed.
After each kill the action server is restarted and the customer carries on (确认 again, …). Checked: every
order number shown exists (lost = 0), one row per phone (duplicated = 0), the conversation answers again.
"""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor

from tests.faults.booking import CONFIRM, RACE_WINDOW, Booking, faulted_turn, finish, start, still_answers
from tests.faults.client import new_sender, say
from tests.faults.results import record
from tests.faults.stack import Stack
from tests.fuzz.inputs import SEED

RACES = 8
CALL_WINDOW = 0.03  # seconds after the confirm call reached the action server


def _check(bookings: list[Booking], entry: str) -> None:
    lost = sum(len(b.lost) for b in bookings)
    duplicated = sum(b.duplicated for b in bookings)
    missing = [b.name for b in bookings if len(b.rows) != 1]
    record(entry, tried=len(bookings), failures=lost + duplicated + len(missing), orders_lost=lost,
           orders_duplicated=duplicated, scenarios=[b.summary() for b in bookings])
    assert lost == 0, [b.summary() for b in bookings if b.lost]
    assert duplicated == 0, [b.summary() for b in bookings if b.duplicated]
    assert not missing, f"no order in the end for {missing}: {[b.summary() for b in bookings]}"


def _kill_at(stack: Stack, booking: Booking, **hook: object) -> None:
    armed = stack.proxy.arm(CONFIRM, **hook)
    faulted_turn(stack, booking)
    assert armed.fired.is_set(), "the confirm call never reached the action proxy"
    assert not stack.actions.alive, "the action server should be dead"
    stack.actions.restart()
    finish(stack, booking)


def test_kill_before_the_order_is_written(stack: Stack):
    booking = start(stack, "actions: kill before the confirm call", new_sender("kill-actions-before"))
    _kill_at(stack, booking, before=stack.actions.kill9)
    _check([booking], "faults:kill-actions-before")
    assert booking.fault_status == 200  # Rasa stays up and answers the HTTP request
    still_answers(stack, booking.sender)


def test_kill_after_the_order_is_written_but_before_rasa_hears_of_it(stack: Stack):
    booking = start(stack, "actions: kill after the commit", new_sender("kill-actions-after"))
    _kill_at(stack, booking, after=stack.actions.kill9, drop_response=True)
    _check([booking], "faults:kill-actions-after")
    still_answers(stack, booking.sender)


def _race(stack: Stack, offset: float, index: int, from_call: bool) -> Booking:
    """Kill the action server `offset` s after 确认 is sent, or after the confirm call reached it (`from_call`)."""
    anchor = "the confirm call arrived" if from_call else "确认 was sent"
    booking = start(stack, f"actions: race, kill {offset * 1000:.0f} ms after {anchor}", new_sender(f"race-{index}"))
    observer = stack.proxy.arm(CONFIRM)  # nothing injected: it only sees when the call arrives and returns
    with ThreadPoolExecutor(max_workers=1) as pool:
        sent = time.monotonic()
        turn = pool.submit(faulted_turn, stack, booking)
        if from_call:
            assert observer.fired.wait(30), "the confirm call never came"
        time.sleep(offset)  # the point of a race: an arbitrary moment, not a readiness condition
        killed = time.monotonic()
        stack.actions.kill9()
        turn.result()
    phase = ("after the answer" if observer.done.is_set() and observer.done_at <= killed else
             "during the call" if observer.fired.is_set() and observer.fired_at <= killed else "before the call")
    timing = [f"kill at +{(killed - sent) * 1000:.0f} ms"]
    if observer.fired.is_set():
        timing.append(f"call at +{(observer.fired_at - sent) * 1000:.0f} ms")
    if observer.done.is_set():
        timing.append(f"answer at +{(observer.done_at - sent) * 1000:.0f} ms")
    booking.kill_phase = f"{phase} ({', '.join(timing)})"
    stack.proxy.disarm()
    stack.actions.restart()
    finish(stack, booking)
    return booking


def test_kill_at_random_moments_of_the_confirmation(stack: Stack):
    """Half the kills at a random moment of the whole turn, half within ~30 ms of the confirm call's arrival
    (the action takes ~10–30 ms there, so these race the commit itself)."""
    rng = random.Random(SEED)
    bookings = [_race(stack, rng.uniform(0.0, RACE_WINDOW), index, from_call=False) for index in range(RACES // 2)]
    bookings += [_race(stack, rng.uniform(0.0, CALL_WINDOW), index, from_call=True)
                 for index in range(RACES // 2, RACES)]
    _check(bookings, "faults:kill-actions-race")
    still_answers(stack, new_sender("after-races"))


# Reproducer of docs/reliability.md bug 13 (Rasa answered 200 with [] while the action server was down):
# bot/rasa_plugins/action_server_down.py.
def test_the_customer_is_told_something_when_the_action_server_is_down(stack: Stack):
    booking = start(stack, "actions: down", new_sender("actions-down"))
    stack.actions.kill9()
    try:
        faulted_turn(stack, booking)
        question = say(stack, booking.sender, "枣庄10千伏双电源用户办电要多久")  # the answer is a custom action too
    finally:
        stack.actions.restart()
    assert booking.fault_status == 200 and booking.fault_reply.strip(), "the customer got no answer"
    assert "稍后再试" in booking.fault_reply and "95598" in booking.fault_reply, booking.fault_reply
    assert not booking.shown and "成功" not in booking.fault_reply, booking.fault_reply  # no success claimed
    assert booking.rows_after_fault == 0, "nothing can have been stored"
    assert question[0] == 200 and "稍后再试" in question[1], question
    finish(stack, booking)  # afterwards the booking completes as usual
    assert len(booking.rows) == 1 and booking.shown == set(booking.rows), booking.summary()
