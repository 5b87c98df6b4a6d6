"""Console login, sessions, CSRF and same-origin checks, failed-login limit, the first admin password."""

from __future__ import annotations

import os
import stat

from sqlalchemy import func, select

from bot.accounts.models import ConsoleUser
from bot.feedback.models import AuditEntry
from bot.livechat.store import agents_online
from bot.web.console.accounts import add_user
from tests.unit.test_console_support import ADMIN_PASSWORD, NOW, Harness, run_console


def test_login_sets_a_hardened_session_cookie_and_lands_on_the_console(tmp_path):
    async def body(h: Harness) -> None:
        response = await h.login()
        assert response.status == 303
        assert response.headers["Location"] == "/agent"
        cookie = next(v for v in response.headers.getall("Set-Cookie") if v.startswith("bandian_console="))
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/agent" in cookie
        assert "Secure" not in cookie
        page = await h.text("/agent")
        assert 'id="lookup-input"' in page and "admin" in page
        with h.session() as session:
            assert agents_online(session, NOW) == 1  # a page load marks the agent present
            assert session.execute(select(AuditEntry.action)).scalars().all() == ["login"]

    run_console(tmp_path, body)


def test_secure_flag_when_configured(tmp_path):
    async def body(h: Harness) -> None:
        response = await h.client.get("/agent/login")  # over plain http the client then keeps no cookie
        cookie = next(v for v in response.headers.getall("Set-Cookie") if v.startswith("bandian_console_login="))
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie

    run_console(tmp_path, body, cookie_secure=True)


def test_bad_password_is_refused_politely(tmp_path):
    async def body(h: Harness) -> None:
        response = await h.login(password="wrong-password")
        assert response.status == 401
        page = await response.text()
        assert "用户名或密码不正确" in page and 'class="flash' in page
        assert "bandian_console=" not in "".join(response.headers.getall("Set-Cookie", []))
        unknown = await h.login(name="nobody")
        assert unknown.status == 401
        assert (await h.client.get("/agent", allow_redirects=False)).status == 302

    run_console(tmp_path, body)


def test_five_failures_lock_the_login_for_fifteen_minutes(tmp_path):
    async def body(h: Harness) -> None:
        for _ in range(5):
            assert (await h.login(password="wrong-password")).status == 401
        locked = await h.login()  # even the right password
        assert locked.status == 429
        assert "登录失败次数过多" in await locked.text()
        h.clock.advance(minutes=16)
        assert (await h.login()).status == 303

    run_console(tmp_path, body)


def test_login_form_needs_its_own_token(tmp_path):
    async def body(h: Harness) -> None:
        response = await h.client.post("/agent/login", data={"username": "admin", "password": ADMIN_PASSWORD},
                                       allow_redirects=False)
        assert response.status == 403
        await h.client.get("/agent/login")
        forged = await h.client.post("/agent/login", allow_redirects=False,
                                     data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": "x"})
        assert forged.status == 403

    run_console(tmp_path, body)


def test_unauthenticated_pages_redirect_and_apis_refuse(tmp_path):
    async def body(h: Harness) -> None:
        for path in ("/agent", "/agent/orders", "/agent/handoffs", "/agent/feedback", "/agent/orders/1234567890"):
            response = await h.client.get(path, allow_redirects=False)
            assert response.status == 302, path
            assert response.headers["Location"].startswith("/agent/login?next=/agent")
        for path in ("/agent/api/handoffs", "/agent/api/lookup?q=x", "/agent/api/handoffs/1/messages"):
            response = await h.client.get(path)
            assert response.status == 401, path
            assert "error" in await response.json()
        posted = await h.client.post("/agent/handoffs/1/take", data={"csrf_token": "x"}, allow_redirects=False)
        assert posted.status == 401
        assert (await h.client.get("/agent/login")).status == 200

    run_console(tmp_path, body)


def test_logout_ends_the_session(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        response = await h.post("/agent/logout")
        assert response.status == 303 and response.headers["Location"] == "/agent/login"
        assert (await h.client.get("/agent", allow_redirects=False)).status == 302
        with h.session() as session:
            assert agents_online(session, NOW) == 0

    run_console(tmp_path, body)


def test_a_copied_session_cookie_is_refused_after_logout(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        jar = h.client.session.cookie_jar
        copied = next(c for c in jar if c.key == "bandian_console").value
        other_tab = await h.csrf()
        assert (await h.post("/agent/logout")).status == 303
        jar.update_cookies({"bandian_console": copied})  # e.g. kept by another tab or a stolen copy
        assert (await h.client.get("/agent", allow_redirects=False)).status == 302
        api = await h.client.get("/agent/api/lookup?q=烟台居民接电要几天", allow_redirects=False)
        assert api.status == 401
        stale = await h.client.post("/agent/logout", headers={"X-CSRF-Token": other_tab}, allow_redirects=False)
        assert stale.status == 401
        await h.logged_in()  # logging in again gives a new, working session
        assert (await h.client.get("/agent", allow_redirects=False)).status == 200

    run_console(tmp_path, body)


def test_session_expires_after_eight_hours(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        h.clock.advance(hours=7, minutes=59)
        assert (await h.client.get("/agent", allow_redirects=False)).status == 200
        h.clock.advance(minutes=2)
        assert (await h.client.get("/agent", allow_redirects=False)).status == 302

    run_console(tmp_path, body)


def test_tampered_cookie_is_no_session(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        cookie = next(c for c in h.client.session.cookie_jar if c.key == "bandian_console")
        body_part, mac = cookie.value.split(".")
        h.client.session.cookie_jar.clear()
        good = f"bandian_console={cookie.value}"
        assert (await h.client.get("/agent", allow_redirects=False, headers={"Cookie": good})).status == 200
        for value in (body_part + "x." + mac, body_part + "." + mac[:-2], body_part):
            bad = await h.client.get("/agent", allow_redirects=False, headers={"Cookie": f"bandian_console={value}"})
            assert bad.status == 302, value

    run_console(tmp_path, body)


def test_post_without_or_with_a_wrong_csrf_token_is_refused(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        missing = await h.post("/agent/logout", token="")
        assert missing.status == 403
        wrong = await h.post("/agent/logout", token="not-the-token")
        assert wrong.status == 403
        assert (await h.client.get("/agent", allow_redirects=False)).status == 200  # still logged in
        header = await h.client.post("/agent/logout", headers={"X-CSRF-Token": await h.csrf()},
                                     allow_redirects=False)
        assert header.status == 303

    run_console(tmp_path, body)


def test_cross_site_origin_or_referer_is_refused(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        evil = await h.post("/agent/logout", headers={"Origin": "https://evil.example"})
        assert evil.status == 403
        null = await h.post("/agent/logout", headers={"Origin": "null"})
        assert null.status == 403
        referer = await h.post("/agent/logout", headers={"Referer": "https://evil.example/page"})
        assert referer.status == 403
        assert (await h.client.get("/agent", allow_redirects=False)).status == 200
        same = await h.post("/agent/logout", headers={"Origin": h.origin})
        assert same.status == 303

    run_console(tmp_path, body)


def test_agents_added_later_can_log_in_and_a_disabled_one_cannot(tmp_path):
    async def body(h: Harness) -> None:
        with h.session() as session:
            add_user(session, "agent1", "agent-pass-1", NOW)
        await h.logged_in("agent1", "agent-pass-1")
        assert "agent1" in await h.text("/agent")
        with h.session() as session:
            session.execute(select(ConsoleUser).where(ConsoleUser.name == "agent1")).scalar_one().active = False
            session.commit()
        assert (await h.client.get("/agent", allow_redirects=False)).status == 302

    run_console(tmp_path, body)


def test_a_random_admin_password_is_generated_once_and_kept_in_a_private_file(tmp_path, capsys):
    seen: dict[str, str] = {}

    async def first(h: Harness) -> None:
        assert "初始密码" not in capsys.readouterr().out  # stdout is not a terminal here (tests/security)
        seen["password"] = (tmp_path / "console-admin-password").read_text().strip()
        assert (await h.login(password=seen["password"])).status == 303

    async def second(h: Harness) -> None:
        assert "初始密码" not in capsys.readouterr().out
        assert (await h.login(password=seen["password"])).status == 303
        with h.session() as session:
            assert session.execute(select(func.count()).select_from(ConsoleUser)).scalar_one() == 1

    run_console(tmp_path, first, announce=False, console_password="")
    run_console(tmp_path, second, announce=False, console_password="")


def test_a_configured_password_resets_the_admin(tmp_path):
    async def first(h: Harness) -> None:
        assert h.announced == []
        assert (await h.login(password="first-password")).status == 303

    async def second(h: Harness) -> None:
        assert (await h.login(password="first-password")).status == 401
        assert (await h.login(password="second-password")).status == 303

    run_console(tmp_path, first, console_password="first-password")
    run_console(tmp_path, second, console_password="second-password")


def test_without_a_secret_key_a_private_key_file_is_created(tmp_path):
    async def body(h: Harness) -> None:
        assert (await h.login()).status == 303

    run_console(tmp_path, body, secret_key="")
    key_file = tmp_path / "console-secret.key"
    assert key_file.is_file()
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
