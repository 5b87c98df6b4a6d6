"""The login page: the attempts left before the lockout after each failure (the same for unknown names, so
they tell nothing about which names exist), and no command line on the page (that help is in docs)."""

from __future__ import annotations

import html

from bot.web.console.accounts import LOGIN_MAX_FAILURES, attempt_login
from tests.unit.test_console_support import NOW, Harness, run_console


def test_each_failure_says_how_many_attempts_are_left(tmp_path):
    async def body(h: Harness) -> None:
        form = html.unescape(await (await h.client.get("/agent/login")).text())
        assert "python" not in form.lower() and "bot.web.console" not in form and "<code>" not in form
        assert f"连续输错 {LOGIN_MAX_FAILURES} 次将暂停登录 15 分钟" in form
        for left in (4, 3, 2, 1):
            response = await h.login(password="wrong-password")
            assert response.status == 401
            assert f"还可以再试 {left} 次，之后将暂停登录 15 分钟" in await response.text()
        last = await h.login(password="wrong-password")
        assert last.status == 401 and "失败次数已达上限，登录已暂停 15 分钟" in await last.text()
        locked = await h.login()
        assert locked.status == 429 and "登录失败次数过多" in await locked.text()
        h.clock.advance(minutes=16)
        assert (await h.login()).status == 303

    run_console(tmp_path, body)


def test_an_unknown_name_counts_down_the_same_way(tmp_path):
    async def body(h: Harness) -> None:
        unknown = await h.login(name="nobody", password="wrong-password")
        known = await h.login(name="admin", password="wrong-password")
        assert "还可以再试 4 次" in await unknown.text() and "还可以再试 4 次" in await known.text()

    run_console(tmp_path, body)


def test_the_per_address_limit_is_counted_too(session):
    for index in range(18):  # 18 names, one failure each: 2 left for this address whatever the name
        attempt_login(session, f"user{index}", "wrong-password", "10.0.0.1", NOW)
    outcome = attempt_login(session, "someone", "wrong-password", "10.0.0.1", NOW)
    assert outcome.user is None and outcome.remaining == 1
    assert attempt_login(session, "someone", "wrong-password", "10.0.0.2", NOW).remaining == LOGIN_MAX_FAILURES - 1
