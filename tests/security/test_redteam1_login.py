"""Red team round 1, F1: the console login is limited per account, not only per (name, address) and address.

Before: failures were counted per (name, exact address), 5 in 15 minutes, and per exact address, 20. Nothing
counted the failures of one account, and an IPv6 client got a fresh budget for each address of its /64, so
`admin` could be guessed without end from many addresses: 12 wrong passwords from 12 IPv6 addresses (one /64)
all got 401, never 429.

Now (bot/web/console/accounts.py `attempt_login`): an IPv6 client counts as its /64; after 10 failures of one
account from all addresses together, the account takes no login attempt from an address it has not logged in
from within 90 days (429, the password not even checked); its own usual addresses keep their own limits, so
the attacker cannot lock the real user out; refused attempts are not counted, so each limit lifts 15 minutes
after the failures that caused it.
"""

from __future__ import annotations

from datetime import timedelta

from bot.feedback.store import audit
from bot.web.console.accounts import (
    LOGIN_MAX_FAILURES_PER_ACCOUNT,
    LOGIN_WINDOW,
    attempt_login,
    bootstrap_admin,
)
from tests.unit.test_console_support import ADMIN_PASSWORD, NOW, TOKEN, Harness, fresh_engine, run_console


async def login_from(h: Harness, address: str, password: str, name: str = "admin") -> int:
    """One login through the form, from `address` as our proxy reports it (X-Real-IP from loopback)."""
    form = await h.client.get("/agent/login")
    token = TOKEN.search(await form.text())
    assert token is not None
    answer = await h.client.post("/agent/login", allow_redirects=False, headers={"X-Real-IP": address},
                                 data={"csrf_token": token.group(1), "username": name, "password": password})
    h.client.session.cookie_jar.clear()  # each attempt as a new browser
    return answer.status


def test_addresses_of_one_ipv6_64_share_one_failure_count(tmp_path):
    """The red team's reproduction: 12 wrong passwords from 2001:db8:5:6::1 … ::c."""
    async def body(h: Harness) -> None:
        statuses = [await login_from(h, f"2001:db8:5:6::{n + 1:x}", f"wrong-{n}") for n in range(12)]
        assert statuses[:5] == [401] * 5 and statuses[5:] == [429] * 7, statuses
        assert await login_from(h, "2001:db8:5:6:ffff::1", ADMIN_PASSWORD) == 429  # the /64 is throttled
        assert await login_from(h, "2001:db8:5:7::1", ADMIN_PASSWORD) == 303  # another /64 is not

    run_console(tmp_path, body, trust_proxy=True)


def test_many_addresses_guessing_one_account_are_stopped_and_the_real_user_still_gets_in(tmp_path):
    async def body(h: Harness) -> None:
        assert await login_from(h, "198.51.100.7", ADMIN_PASSWORD) == 303  # the admin's usual address
        guesses = [await login_from(h, f"2001:db8:{n:x}::1", f"guess-{n}") for n in range(14)]  # 14 /64s
        assert guesses[:LOGIN_MAX_FAILURES_PER_ACCOUNT] == [401] * LOGIN_MAX_FAILURES_PER_ACCOUNT
        assert set(guesses[LOGIN_MAX_FAILURES_PER_ACCOUNT:]) == {429}, guesses
        assert await login_from(h, "203.0.113.99", ADMIN_PASSWORD) == 429  # a new address: not even checked
        assert await login_from(h, "198.51.100.7", ADMIN_PASSWORD) == 303  # the usual one: the attacker can't lock it
        h.clock.advance(minutes=16)  # the failures age out: the account opens again everywhere
        assert await login_from(h, "203.0.113.99", ADMIN_PASSWORD) == 303

    run_console(tmp_path, body, trust_proxy=True)


def test_the_account_limit_answers_the_same_for_a_name_that_does_not_exist(tmp_path):
    engine = fresh_engine(tmp_path)
    from bot.store.engine import session_factory

    with session_factory(engine)() as session:
        bootstrap_admin(session, "admin", ADMIN_PASSWORD, NOW)
        outcomes = {}
        for name in ("admin", "nobody"):
            seen = [attempt_login(session, name, "wrong", f"192.0.2.{n}", NOW) for n in range(12)]
            outcomes[name] = [(o.user, o.limited, o.remaining) for o in seen]
        assert outcomes["admin"] == outcomes["nobody"]
        assert [limited for _, limited, _ in outcomes["admin"]] == [False] * 10 + [True] * 2
        # a known address (an audited login within 90 days) passes the account limit, with its own limits
        audit(session, actor="admin", action="login", target="admin", now=NOW - timedelta(days=30),
              detail="2001:db8:aa:bb::5")
        right = attempt_login(session, "admin", ADMIN_PASSWORD, "2001:db8:aa:bb::/64", NOW)
        assert right.user == "admin" and not right.limited
        later = NOW + LOGIN_WINDOW + timedelta(seconds=1)
        assert attempt_login(session, "admin", ADMIN_PASSWORD, "192.0.2.200", later).user == "admin"
    engine.dispose()
