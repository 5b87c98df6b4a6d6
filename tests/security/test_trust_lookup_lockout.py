"""Status-lookup lockout that holds across identities (bot/orders/lookup.py, actions/status.py).

Before: failures were counted per conversation (sender id) and per order number only. A guesser who
changed the sender id with every attempt and tried each order number fewer than five times was never
locked out. Now the client's address (as the REST channel vouches for it) is counted too, every refusal
reads the same, a lockout ends when its failures age out, and the console lists the lockouts in force.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from trust_helpers import NOW, identity_metadata, make_order

from actions.identity import lookup_client
from actions.status import ActionCheckStatus, ValidateStatusForm
from bot.orders import LookupPolicy, Outcome, lookup_order, numbers
from bot.orders.lookup import current_lockouts
from bot.orders.times import as_utc
from bot.services import current
from bot.settings import Settings
from bot.store.runtime import sessions_for
from bot.trust import Identity
from bot.web.console.templating import when
from tests.actions.booking_sim import Sim
from tests.unit.test_console_support import Harness, run_console

POLICY = LookupPolicy(max_failures=5, window=timedelta(minutes=15))
GUESSER = "203.0.113.7"


def other_number(number: str) -> str:
    while (candidate := numbers.new_number()) == number:
        pass
    return candidate


@pytest.fixture()
def url() -> str:
    return Settings.from_env().database_url


def look(url: str, number: str, suffix: str, *, conversation: str, client: str | None, minutes: float = 0):
    with sessions_for(url)() as session:
        return lookup_order(session, number, suffix, conversation=conversation, client=client,
                            now=NOW + timedelta(minutes=minutes), policy=POLICY).outcome


def test_changing_the_sender_id_does_not_reset_the_attempts_of_one_address(url):
    number = make_order(url)
    for i in range(5):  # five different orders, five different sender ids: no per-order or per-sender limit hit
        assert look(url, other_number(number), "5678", conversation=f"rotating-{i}", client=GUESSER) is Outcome.NO_MATCH
    assert look(url, number, "5678", conversation="rotating-new", client=GUESSER, minutes=1) is Outcome.LOCKED
    assert look(url, number, "5678", conversation="someone", client="198.51.100.2", minutes=1) is Outcome.FOUND
    assert look(url, number, "5678", conversation="rotating-new", client=GUESSER, minutes=16) is Outcome.FOUND


def _patient_guesses(url: str, number: str, batches: int = 4) -> float:
    """Five wrong suffixes every 16 minutes (never five within 15), each from a new address and conversation;
    returns the minute of the last guess."""
    minute = 0.0
    for batch in range(batches):
        for i in range(5):
            minute = batch * 16 + i * 0.1
            outcome = look(url, number, f"{batch}{i:03d}", conversation=f"patient-{batch}-{i}",
                           client=f"198.18.{batch}.{i + 1}", minutes=minute)
            assert outcome is Outcome.NO_MATCH
    return minute


def test_a_patient_guesser_is_stopped_after_twenty_misses_a_day(url):
    """Red team R3-7: five tries per quarter hour, forever, tried all 10⁴ suffixes of one order in ~21 days."""
    number = make_order(url)
    last = _patient_guesses(url, number)
    # no short-window lock any more (the last five are 16 minutes old), but twenty misses in a day
    assert look(url, number, "5678", conversation="owner", client="198.51.100.9", minutes=last + 16) is Outcome.LOCKED
    with sessions_for(url)() as session:
        (lock,) = [lock for lock in current_lockouts(session, NOW + timedelta(minutes=last + 16), POLICY)
                   if lock.kind == "order"]
        assert lock.failures == 20 and lock.until == as_utc(NOW + timedelta(days=1))  # the first miss ages out
    assert look(url, number, "5678", conversation="owner", client="198.51.100.9",
                minutes=24 * 60 + 1) is Outcome.FOUND


def test_fewer_than_twenty_misses_a_day_lock_nothing_beyond_the_window(url):
    number = make_order(url)
    last = _patient_guesses(url, number, batches=3)
    assert look(url, number, "5678", conversation="owner", client="198.51.100.9", minutes=last + 16) is Outcome.FOUND


# ---- through the action, with the address the REST channel signed --------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = NOW + timedelta(minutes=25)

    def __call__(self):
        return self.now


@pytest.fixture()
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(current(), "clock", clock)
    return clock


def ask(text: str, sender: str, client: str | None) -> str:
    sim = Sim(sender=sender, active_loop="status_form", metadata=identity_metadata(sender, client=client))
    sim.say(text, "check_status")
    sim.run(ValidateStatusForm())
    if sim.slots.get("requested_slot") is None:
        sim.run(ActionCheckStatus())
    message = sim.messages[-1]
    return f"{message.get('response') or message.get('text')}|{message.get('wait', '')}"


def test_a_guesser_rotating_sender_ids_is_locked_out_by_address(url, clock):
    number = make_order(url)
    for i in range(5):
        assert ask(f"工单{other_number(number)} 尾号5678", f"guess-{i}", GUESSER) == "utter_status_no_match|"
    assert ask(f"工单{number} 尾号5678", "guess-new", GUESSER) == "utter_status_locked|15分钟"
    assert "当前阶段" in ask(f"工单{number} 尾号5678", "owner", "198.51.100.2")


def test_the_loopback_address_is_not_counted(url, clock):
    """A local tool, or the web app on this machine without a forwarded address: not one client for everybody."""
    number = make_order(url)
    for i in range(6):
        ask(f"工单{other_number(number)} 尾号5678", f"local-{i}", "127.0.0.1")
    assert "当前阶段" in ask(f"工单{number} 尾号5678", "local-new", "127.0.0.1")


@pytest.mark.parametrize(("client", "counted"), [
    ("203.0.113.7", "203.0.113.7"), ("::ffff:203.0.113.7", "203.0.113.7"),
    ("2001:db8::1", "2001:db8::/64"), ("2001:db8::abcd:1", "2001:db8::/64"),  # one subscriber's /64 is one client
    ("127.0.0.1", None), ("::1", None), ("::ffff:127.0.0.1", None), ("unknown", None), (None, None)])
def test_which_address_is_counted(client, counted):
    assert lookup_client(Identity(client=client)) == counted


def test_every_refusal_reads_the_same_whichever_limit_was_hit(url, clock):
    by_sender, by_order, by_client = make_order(url, "13900000001"), make_order(url, "13900000002"), \
        make_order(url, "13900000003")
    for i in range(5):
        ask(f"工单{other_number(by_sender)} 尾号0001", "one-sender", f"198.51.100.{10 + i}")
        ask(f"工单{by_order} 尾号999{i}", f"sender-{i}", f"198.51.100.{20 + i}")
        ask(f"工单{other_number(by_client)} 尾号0003", f"client-{i}", "198.51.100.30")
    refusals = {
        ask(f"工单{by_sender} 尾号0001", "one-sender", "198.51.100.40"),
        ask(f"工单{by_order} 尾号0002", "fresh", "198.51.100.41"),
        ask(f"工单{by_client} 尾号0003", "fresh-2", "198.51.100.30"),
    }
    assert refusals == {"utter_status_locked|15分钟"}


def test_a_day_long_lock_names_the_hours_left(url, clock):
    number = make_order(url)
    last = _patient_guesses(url, number)
    clock.now = as_utc(NOW + timedelta(minutes=last + 16))  # the first miss (minute 0) ages out 24 h after it
    assert ask(f"工单{number} 尾号5678", "owner", "198.51.100.60") == "utter_status_locked|23小时"
    clock.now = as_utc(NOW + timedelta(hours=20))
    assert ask(f"工单{number} 尾号5678", "owner", "198.51.100.60") == "utter_status_locked|4小时"


def test_a_locked_order_opens_again_for_its_owner_when_the_failures_age_out(url, clock):
    number = make_order(url)
    for i in range(5):
        ask(f"工单{number} 尾号000{i}", f"attacker-{i}", f"198.51.100.{50 + i}")
    assert ask(f"工单{number} 尾号5678", "owner", "198.51.100.60") == "utter_status_locked|15分钟"
    clock.now += timedelta(minutes=10)
    assert ask(f"工单{number} 尾号5678", "owner", "198.51.100.60") == "utter_status_locked|15分钟"  # not extended ...
    clock.now += timedelta(minutes=6)
    assert "当前阶段" in ask(f"工单{number} 尾号5678", "owner", "198.51.100.60")  # ... and over after 15 minutes


def test_current_lockouts_say_what_is_locked_and_until_when(url):
    number = make_order(url)
    for i in range(5):
        look(url, number, f"000{i}", conversation="c-guesser", client=GUESSER, minutes=i)
    with sessions_for(url)() as session:
        found = {(lock.kind, lock.key): lock for lock in current_lockouts(session, NOW + timedelta(minutes=5), POLICY)}
        assert set(found) == {("order", number), ("conversation", "c-guesser"), ("client", GUESSER)}
        assert {lock.failures for lock in found.values()} == {5}
        # the oldest failure ages out (times come back as aware UTC; a naive NOW is UTC: bot/orders/times.py)
        assert found[("order", number)].until == as_utc(NOW + timedelta(minutes=15))
        assert current_lockouts(session, NOW + timedelta(minutes=15, seconds=1), POLICY) == []


# ---- the console ------------------------------------------------------------------------------------

def test_the_console_lists_lockouts_and_still_shows_the_locked_order(tmp_path):
    async def body(h: Harness) -> None:
        url = str(h.factory.kw["bind"].url)
        number = await asyncio.to_thread(make_order, url)
        for i in range(5):
            await asyncio.to_thread(look, url, number, f"000{i}", conversation=f"attacker-{i}", client=GUESSER,
                                    minutes=-1)
        await h.logged_in()
        page = await h.text("/agent/orders")
        assert 'id="lookup-lockouts"' in page and "进度查询锁定" in page
        assert numbers.display(number) in page and GUESSER in page
        assert when(NOW + timedelta(minutes=14)) in page
        assert "24 小时内失败 20 次" in page  # both limits explained to staff
        order = await h.text(f"/agent/orders/{number}")  # staff still look the order up for its owner
        assert numbers.display(number) in order and "当前阶段" in order

    run_console(tmp_path, body)
