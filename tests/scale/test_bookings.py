"""Bookings through the REST channel, many at once, each stored exactly once in PostgreSQL.

A booking's turns alternate between Rasa replicas and action servers: the phone number and
address are kept sealed in the slots (one BANDIAN_SECRET_KEY for every replica) and the order is
committed by whichever action server handles the confirmation.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.scale.topology import ORDER_NUMBER, RASA_REPLICAS, Turn, new_phone, say, together

CUSTOMERS = 10
PHONES: set[str] = set()


def orders_by_phone(db: Engine, phones: list[str]) -> dict[str, list[str]]:
    query = text("SELECT phone, number FROM work_orders WHERE phone = ANY(:phones) ORDER BY id")
    found: dict[str, list[str]] = {phone: [] for phone in phones}
    with db.connect() as connection:
        for row in connection.execute(query, {"phones": phones}):
            found[row.phone].append(row.number.replace("-", ""))
    return found


def number_in(turn: Turn) -> str | None:
    match = ORDER_NUMBER.search(turn.text)
    return match.group(1).replace("-", "") if match else None


def register(sender: str, phone: str, house: int) -> Turn:
    """Staff one-message registration (agent mode): the summary, waiting for 确认."""
    say(sender, "/agent")
    summary = say(sender, f"登记零证预约：王五 {phone} 安阳市文峰区中华路{house}号 居民新装 下周三上午")
    assert f"{phone[:3]}****{phone[-4:]}" in summary.text and "确认" in summary.text, summary.text
    return summary


def test_ten_customers_booking_at_the_same_time_get_one_order_each(run_id: str, app_db: Engine, tracker_db: Engine):
    customers = [(f"scale-{run_id}-b{index}", new_phone(PHONES), 100 + index) for index in range(CUSTOMERS)]

    def book(index: int) -> list[Turn]:
        sender, phone, house = customers[index]
        answers = ("我要预约办电", "李四", phone, f"安阳市文峰区中华路{house}号", "居民新装", "下周三上午", "确认")
        return [say(sender, message) for message in answers]

    bookings = together(CUSTOMERS, book)

    numbers = {}
    for (sender, phone, _house), turns in zip(customers, bookings, strict=True):
        confirmation = turns[-1]
        assert "预约成功" in confirmation.text, f"{sender}: {[turn.text for turn in turns]}"
        numbers[phone] = number_in(confirmation)
    # round robin under concurrency: a 7-turn booking stays on one of two replicas with probability 1/64
    spread = sum({turn.upstream for turn in turns} == RASA_REPLICAS for turns in bookings)
    assert spread >= CUSTOMERS // 2, f"only {spread} of {CUSTOMERS} bookings were served by every replica"
    stored = orders_by_phone(app_db, [phone for _sender, phone, _house in customers])
    assert all(len(found) == 1 for found in stored.values()), f"orders per phone: {stored}"
    assert {phone: found[0] for phone, found in stored.items()} == numbers

    # phone numbers never reach the tracker store in clear (masked events, sealed slots)
    with tracker_db.connect() as connection:
        for sender, phone, _house in customers:
            leaked = connection.execute(text("SELECT count(*) FROM events WHERE sender_id = :s AND data LIKE :p"),
                                        {"s": sender, "p": f"%{phone}%"}).scalar_one()
            assert leaked == 0, f"{sender}: the phone number is stored in clear"


def test_the_same_booking_confirmed_twice_at_once_is_stored_once(run_id: str, app_db: Engine):
    """A double tap on 确认: the two messages reach both replicas at the same moment."""
    sender, phone = f"scale-{run_id}-twice", new_phone(PHONES)
    register(sender, phone, 200)

    replies = together(2, lambda _index: say(sender, "确认"))

    assert sum("预约成功" in reply.text for reply in replies) == 1, [reply.text for reply in replies]
    assert len(orders_by_phone(app_db, [phone])[phone]) == 1


def test_two_conversations_confirming_the_same_booking_at_once_make_one_order(run_id: str, app_db: Engine):
    phone = new_phone(PHONES)
    senders = [f"scale-{run_id}-same{index}" for index in range(2)]
    for sender in senders:
        register(sender, phone, 300)

    replies = together(2, lambda index: say(senders[index], "确认"))

    numbers = [number_in(reply) for reply in replies]
    stored = orders_by_phone(app_db, [phone])[phone]
    assert len(stored) == 1, f"{len(stored)} orders for one booking"
    # the conversation that booked it gets the number; the other is told it exists, and nothing of it
    # (red team round 3, R3-1: the number is what lookups and changes check)
    assert sorted(numbers, key=str) == sorted([stored[0], None], key=str), [reply.text for reply in replies]
    assert any("已经登记过了" in reply.text and stored[0][:5] not in reply.text for reply in replies)
