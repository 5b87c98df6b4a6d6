"""Status lookups: one answer for every miss, lockout after repeated failures."""

from __future__ import annotations

from datetime import timedelta

from orders_fixtures import NOW, draft

from bot.orders import LookupPolicy, Outcome, create_booking, lookup_order, numbers
from bot.orders.lookup import phone_suffix

POLICY = LookupPolicy(max_failures=5, window=timedelta(minutes=15))


def make_order(session, phone="13912345678") -> str:
    result = create_booking(session, draft(phone=phone), actor="customer", channel="customer", now=NOW)
    return result.order.number


def other_valid_number(number: str) -> str:
    while True:
        candidate = numbers.new_number()
        if candidate != number:
            return candidate


def look(session, number, suffix, conversation="c1", minutes=0, agent=False):
    return lookup_order(session, number, suffix, conversation=conversation, now=NOW + timedelta(minutes=minutes),
                        policy=POLICY, agent=agent)


def test_found_with_number_and_phone_suffix(session):
    number = make_order(session)
    result = look(session, numbers.display(number), "5678")
    assert result.outcome is Outcome.FOUND and result.order.number == number


def test_wrong_number_and_wrong_suffix_look_exactly_the_same(session):
    number = make_order(session)
    wrong_suffix = look(session, number, "0000")
    wrong_number = look(session, other_valid_number(number), "5678")
    assert wrong_suffix == wrong_number
    assert wrong_suffix.outcome is Outcome.NO_MATCH and wrong_suffix.order is None


def test_typo_in_the_number_is_caught_by_the_check_digit_without_a_lookup(session):
    number = make_order(session)
    typo = number[:3] + str((int(number[3]) + 1) % 10) + number[4:]
    assert look(session, typo, "5678").outcome is Outcome.BAD_NUMBER
    assert look(session, "12345", "5678").outcome is Outcome.BAD_NUMBER


def test_missing_suffix_is_a_miss_unless_agent(session):
    number = make_order(session)
    assert look(session, number, None).outcome is Outcome.NO_MATCH
    assert look(session, number, None, agent=True).outcome is Outcome.FOUND


def test_five_failures_in_one_conversation_lock_it_even_for_the_right_details(session):
    number = make_order(session)
    for i in range(5):
        assert look(session, other_valid_number(number), "5678", minutes=i).outcome is Outcome.NO_MATCH
    assert look(session, number, "5678", minutes=6).outcome is Outcome.LOCKED
    assert look(session, number, "5678", conversation="c2", minutes=6).outcome is Outcome.FOUND
    # the failures age out of the 15-minute window
    assert look(session, number, "5678", minutes=16).outcome is Outcome.FOUND


def test_five_failures_for_one_order_lock_it_across_conversations(session):
    number = make_order(session)
    for i in range(5):
        assert look(session, number, f"000{i}", conversation=f"attacker-{i}").outcome is Outcome.NO_MATCH
    assert look(session, number, "5678", conversation="owner", minutes=1).outcome is Outcome.LOCKED
    other = make_order(session, phone="13800001111")
    assert look(session, other, "1111", conversation="owner", minutes=1).outcome is Outcome.FOUND


def test_four_failures_do_not_lock(session):
    number = make_order(session)
    for i in range(4):
        look(session, number, "0000", minutes=i)
    assert look(session, number, "5678", minutes=5).outcome is Outcome.FOUND


def test_phone_suffix_parsing():
    assert phone_suffix("5678") == "5678"
    assert phone_suffix("尾号是５６７８") == "5678"
    assert phone_suffix("13912345678") == "5678"
    assert phone_suffix("56") is None
    assert phone_suffix(None) is None
