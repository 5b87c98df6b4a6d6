"""The work-order store on a fresh SQLite file per test."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from orders_fixtures import NOW, draft, synthetic_kb
from sqlalchemy import func, select, text

from bot.orders import (
    InvalidTransition,
    add_manager,
    advance_order,
    create_booking,
    get_order,
    list_orders,
    reassign_order,
    seed_demo_managers,
)
from bot.orders.models import WorkOrder
from bot.orders.store import add_note
from bot.store.engine import session_factory


def book(session, **kwargs):
    options = dict(actor="customer", channel="customer", now=NOW)
    return create_booking(session, kwargs.pop("the_draft", draft()), **(options | kwargs))


def count_orders(session) -> int:
    return session.execute(select(func.count()).select_from(WorkOrder)).scalar_one()


def test_sqlite_file_is_in_wal_mode(engine):
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_booking_is_committed_with_history_and_manager(engine, session):
    add_manager(session, "客户经理A-文峰", "anyang", "文峰区")
    result = book(session, dispatch_within=timedelta(minutes=20))
    assert result.created
    order = result.order
    assert order.stage == "submitted" and order.manager and order.manager.name == "客户经理A-文峰"
    assert order.dispatch_due == NOW + timedelta(minutes=20)
    assert [h.to_stage for h in order.history] == ["submitted", "submitted"]
    assert "分配客户经理" in (order.history[1].note or "")
    with session_factory(engine)() as other:  # visible to another connection: it was committed
        assert get_order(other, order.number) is not None


def test_same_booking_within_the_window_returns_the_existing_order(session):
    first = book(session)
    again = book(session, now=NOW + timedelta(minutes=10),
                 the_draft=draft(address=" 安阳市文峰区中华路1号。", contact_name="张三丰"))
    assert not again.created and again.order.number == first.order.number
    assert count_orders(session) == 1


def test_a_different_business_or_a_later_booking_is_a_new_order(session):
    first = book(session)
    other_business = book(session, the_draft=draft(business="capacity_increase"))
    later = book(session, now=NOW + timedelta(hours=2))
    assert len({first.order.number, other_business.order.number, later.order.number}) == 3


def test_a_retried_request_returns_the_same_order(session):
    first = book(session, request_id="req-1")
    retried = book(session, request_id="req-1", now=NOW + timedelta(hours=5), the_draft=draft(address="别处1号"))
    assert not retried.created and retried.order.number == first.order.number


def test_cancelled_booking_does_not_block_booking_again(session):
    first = book(session)
    advance_order(session, first.order.number, to_stage="cancelled", actor="customer", now=NOW)
    again = book(session, now=NOW + timedelta(minutes=1))
    assert again.created and again.order.number != first.order.number


def test_two_threads_submitting_the_same_booking_make_one_order(engine):
    factory = session_factory(engine)
    rounds = 8
    results: dict[int, list] = {r: [] for r in range(rounds)}
    errors: list[Exception] = []

    def submit(round_: int, request_id: str, barrier: threading.Barrier) -> None:
        try:
            with factory() as own:
                barrier.wait()
                results[round_].append(book(own, request_id=request_id,
                                            the_draft=draft(phone=f"1390000000{round_}")))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    for round_ in range(rounds):
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=submit, args=(round_, f"r{round_}-{i}", barrier)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors
    for pair in results.values():
        assert len(pair) == 2 and pair[0].order.number == pair[1].order.number
        assert sorted(r.created for r in pair) == [False, True]
    with factory() as check:
        assert count_orders(check) == rounds


def test_advance_records_history_and_refuses_bad_moves(session):
    number = book(session).order.number
    order = advance_order(session, number, actor="staff:王", now=NOW + timedelta(hours=1), note="已派单")
    assert order.stage == "dispatched" and order.stage_since == NOW + timedelta(hours=1)
    order = advance_order(session, number, to_stage="inspection", actor="staff:王", now=NOW + timedelta(days=1))
    assert [(h.from_stage, h.to_stage) for h in order.history][-2:] == [
        ("submitted", "dispatched"), ("dispatched", "inspection")]
    with pytest.raises(InvalidTransition):
        advance_order(session, number, to_stage="accepted", actor="staff", now=NOW)
    advance_order(session, number, to_stage="cancelled", actor="staff", now=NOW)
    with pytest.raises(InvalidTransition):
        advance_order(session, number, actor="staff", now=NOW)


def test_reassign_and_note_are_in_the_history(session):
    add_manager(session, "客户经理A-文峰", "anyang", "文峰区")
    other = add_manager(session, "客户经理B-文峰", "anyang", "文峰区")
    number = book(session).order.number
    order = reassign_order(session, number, str(other.id), actor="staff", now=NOW, note="原经理休假")
    assert order.manager and order.manager.name == "客户经理B-文峰"
    assert "客户经理A-文峰 → 客户经理B-文峰" in (order.history[-1].note or "")
    order = add_note(session, number, "客户改约周五", actor="staff", now=NOW)
    assert order.history[-1].note == "客户改约周五" and order.stage == "submitted"


def test_new_orders_go_to_the_least_busy_manager_and_fall_back_to_the_region(session):
    add_manager(session, "甲", "anyang", "文峰区")
    add_manager(session, "乙", "anyang", "文峰区")
    add_manager(session, "中心", "anyang", None)
    names = [book(session, the_draft=draft(phone=f"1391234567{i}")).order.manager.name for i in range(4)]
    assert sorted(names) == ["乙", "乙", "甲", "甲"]
    elsewhere = book(session, the_draft=draft(district="林州市", address="林州市红旗渠大道1号"))
    assert elsewhere.order.manager.name == "中心"


def test_demo_managers_cover_every_district_once(session):
    kb = synthetic_kb()
    assert seed_demo_managers(session, kb.regions) == 5
    assert seed_demo_managers(session, kb.regions) == 0
    order = book(session, the_draft=draft(district="林州市"))
    assert order.order.manager.name == "客户经理B-林州"


def test_list_orders_filters(session):
    book(session)
    second = book(session, the_draft=draft(business="temporary", region="yantai", district="芝罘区"))
    advance_order(session, second.order.number, actor="staff", now=NOW)
    assert [o.number for o in list_orders(session, region="yantai")] == [second.order.number]
    assert [o.stage for o in list_orders(session, stage_id="submitted")] == ["submitted"]
    assert len(list_orders(session, open_only=True)) == 2


def test_views_mask_personal_data(session):
    order = book(session).order
    assert order.masked_phone == "139****5678"
    assert order.masked_address == "安阳市文峰区中华路*号"
    assert order.masked_name == "张*"
