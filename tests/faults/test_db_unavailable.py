"""The database briefly unavailable (SQLite: its directory moved away, or a write lock held by another
connection) during a booking confirmation and under the web chat, console and WeChat channel.

The tests run as root, so `chmod 000` would not stop anyone: the database directory is renamed instead
(new connections then fail with "unable to open database file"; SQLAlchemy 1.4 opens a connection per
session for SQLite files, so nothing keeps it open).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from tests.faults.booking import CONFIRM, STORE_FAILED, faulted_turn, finish, start
from tests.faults.client import (
    NORMAL_ANSWER,
    NORMAL_QUESTION,
    console_session,
    new_sender,
    new_web_session,
    post_json,
    request,
    say,
    wechat_query,
)
from tests.faults.db import ACTIVITY, differences, orders_for_phone, snapshot
from tests.faults.results import record
from tests.faults.stack import Stack
from tests.fuzz.http import leaks

LOCK_SECONDS = 3.0
POLITE = ("请稍后再试", "95598")


def _away(stack: Stack):
    return stack.db_dir.with_name(stack.db_dir.name + ".offline")


def take_offline(stack: Stack) -> None:
    stack.db_dir.rename(_away(stack))


def bring_back(stack: Stack) -> None:
    if _away(stack).exists():
        _away(stack).rename(stack.db_dir)


@contextmanager
def database_gone(stack: Stack) -> Iterator[None]:
    take_offline(stack)
    try:
        yield
    finally:
        bring_back(stack)


def test_a_booking_confirmed_while_the_database_is_gone_says_try_again_and_writes_nothing(stack: Stack):
    booking = start(stack, "database gone during 确认", new_sender("db-gone"))
    before = snapshot(stack.db_path, ignore=ACTIVITY)
    stack.proxy.arm(CONFIRM, before=lambda: take_offline(stack), after=lambda: bring_back(stack))
    try:
        faulted_turn(stack, booking)
    finally:
        bring_back(stack)
    changed = differences(before, snapshot(stack.db_path, ignore=ACTIVITY))
    nothing_written = orders_for_phone(stack.db_path, booking.phone) == [] and not changed
    finish(stack, booking)
    record("faults:db-gone-during-confirm", tried=1, failures=int(STORE_FAILED not in booking.fault_reply)
           + int(not nothing_written) + len(booking.lost) + booking.duplicated, orders_lost=len(booking.lost),
           orders_duplicated=booking.duplicated, changed_while_gone=changed, scenarios=[booking.summary()])
    assert booking.fault_status == 200 and STORE_FAILED in booking.fault_reply, booking.fault_reply
    assert nothing_written, changed
    assert len(booking.rows) == 1 and not booking.lost, booking.summary()


def test_a_booking_waits_out_a_short_write_lock(stack: Stack):
    booking = start(stack, f"database locked {LOCK_SECONDS:.0f} s during 确认", new_sender("db-locked"))
    holder = sqlite3.connect(str(stack.db_path), timeout=30, isolation_level=None, check_same_thread=False)
    released = threading.Event()

    def lock() -> None:
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the database

        def release() -> None:
            holder.execute("COMMIT")
            released.set()

        threading.Timer(LOCK_SECONDS, release).start()

    stack.proxy.arm(CONFIRM, before=lock)
    began = time.monotonic()
    try:
        faulted_turn(stack, booking)
    finally:
        released.wait(LOCK_SECONDS + 5)
        holder.close()
    took = time.monotonic() - began
    booking.rows = orders_for_phone(stack.db_path, booking.phone)
    record("faults:db-locked-during-confirm", tried=1, failures=int(len(booking.rows) != 1) + len(booking.lost),
           orders_lost=len(booking.lost), orders_duplicated=booking.duplicated, turn_seconds=round(took, 1),
           scenarios=[booking.summary()])
    assert booking.shown and booking.rows == sorted(booking.shown), booking.summary()
    assert took >= LOCK_SECONDS - 0.5, f"the turn took {took:.1f}s: the lock was not in the way"


def test_channels_answer_politely_while_the_database_is_gone(stack: Stack):
    console = console_session(stack)
    session = new_web_session(stack)
    openid = "o-db-" + uuid.uuid4().hex[:8]
    wechat_body = (f"<xml><ToUserName>gh</ToUserName><FromUserName>{openid}</FromUserName><CreateTime>"
                   f"{int(time.time())}</CreateTime><MsgType>text</MsgType><Content>{NORMAL_QUESTION}</Content>"
                   f"<MsgId>{uuid.uuid4().int % 10**18}</MsgId></xml>").encode()
    with database_gone(stack):
        answers = {
            "POST /api/chat": post_json(f"{stack.web_url}/api/chat", {"session": session, "message": NORMAL_QUESTION}),
            "GET /api/updates": request(f"{stack.web_url}/api/updates?session={session}&after=0"),
            "POST /api/feedback": post_json(f"{stack.web_url}/api/feedback",
                                            {"session": session, "exchange_id": 1, "rating": 1}),
            "POST /api/leave": post_json(f"{stack.web_url}/api/leave", {"session": session}),
            "GET /agent/orders": request(f"{stack.web_url}/agent/orders", headers=console.headers()),
        }
        rest = say(stack, new_sender("db-gone-rest"), NORMAL_QUESTION)
        wechat = request(f"{stack.wechat_url}?{wechat_query(stack.wechat_token)}", "POST", wechat_body,
                         {"Content-Type": "text/xml"})
    after = post_json(f"{stack.web_url}/api/chat", {"session": session, "message": NORMAL_QUESTION})
    impolite = {name: f"HTTP {a.status}: {a.text[:120]}" for name, a in answers.items()
                if not (a.status == 503 and a.headers is not None and a.headers.get("Retry-After")
                        and any(p in a.text for p in POLITE) and not leaks(a.text))}
    record("faults:db-gone-channels", tried=len(answers) + 2, failures=len(impolite)
           + int(rest[0] != 200 or NORMAL_ANSWER not in rest[1].replace(" ", "")) + int(wechat.status != 200),
           statuses={name: a.status for name, a in answers.items()}, rest=rest[0], wechat=wechat.status,
           web_chat_after=after.status)
    assert not impolite, impolite
    assert rest[0] == 200 and NORMAL_ANSWER in rest[1].replace(" ", ""), rest  # Rasa and the actions need no DB
    assert wechat.status == 200 and NORMAL_ANSWER in wechat.text.replace(" ", ""), wechat.text[:300]
    assert after.status == 200 and NORMAL_ANSWER in json.dumps(json.loads(after.body), ensure_ascii=False)
