"""The console's first password and its cookies (bot/web/console/state.py, bot/web/console/auth.py).

Before: a generated admin password was printed and logged at WARNING, and scripts/run.sh starts the web
app with its output in var/log/web.log (mode 0644), so the password stayed in a world-readable log file.
And the session cookie got `Secure` only with BANDIAN_COOKIE_SECURE, not for a request that came over HTTPS.
"""

from __future__ import annotations

import logging
import re
import ssl
import stat
import sys
from dataclasses import replace
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from bot.settings import Settings
from bot.web.console.auth import cookie_options
from bot.web.context import WEB_KEY, WebContext
from tests.unit.test_console_support import Harness, run_console

ROOT = Path(__file__).resolve().parents[2]


def test_a_generated_admin_password_goes_to_a_private_file_never_to_a_log(tmp_path, capsys, caplog):
    caplog.set_level(logging.INFO)
    seen: dict[str, str] = {}

    async def body(h: Harness) -> None:
        path = tmp_path / "console-admin-password"
        seen["password"] = path.read_text().strip()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert (await h.login(password=seen["password"])).status == 303

    run_console(tmp_path, body, announce=False, console_password="")  # stdout here is not a terminal
    password = seen["password"]
    assert len(password) >= 12
    printed = capsys.readouterr()
    assert password not in printed.out and password not in printed.err
    assert not any(password in record.getMessage() for record in caplog.records)
    assert any("console-admin-password" in record.getMessage() for record in caplog.records)  # where it is


def test_on_a_terminal_the_password_is_shown_once(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)

    async def body(h: Harness) -> None:
        pass

    run_console(tmp_path, body, announce=False, console_password="")
    password = (tmp_path / "console-admin-password").read_text().strip()
    assert f"初始密码：{password}" in capsys.readouterr().out


def test_run_sh_copies_no_password_out_of_the_log():
    script = (ROOT / "scripts" / "run.sh").read_text(encoding="utf-8")
    assert not re.search(r'grep -h "初始密码" var/log/web\.log\s*2>/dev/null \|\| true', script)
    shown = [line for line in script.splitlines() if "cat var/console-admin-password" in line]
    assert shown and all("[ -t 1 ]" in line for line in shown)  # only to a terminal


# ---- the Secure flag ------------------------------------------------------------------------------

def login_cookie(tmp_path: Path, headers: dict[str, str], **settings: object) -> str:
    found: dict[str, str] = {}

    async def body(h: Harness) -> None:
        response = await h.client.get("/agent/login", headers=headers)
        found["cookie"] = response.headers.get("Set-Cookie", "")

    run_console(tmp_path, body, **settings)
    assert found["cookie"].startswith("bandian_console_login=")
    return found["cookie"]


def secure(cookie: str) -> bool:
    return "secure" in [part.strip().lower() for part in cookie.split(";")]


def test_the_cookie_is_secure_behind_our_https_proxy(tmp_path):
    assert secure(login_cookie(tmp_path / "a", {"X-Forwarded-Proto": "https"}, trust_proxy=True))
    assert not secure(login_cookie(tmp_path / "b", {"X-Forwarded-Proto": "http"}, trust_proxy=True))
    assert not secure(login_cookie(tmp_path / "c", {}, trust_proxy=True))
    # without BANDIAN_TRUST_PROXY the header is anybody's word
    assert not secure(login_cookie(tmp_path / "d", {"X-Forwarded-Proto": "https"}, trust_proxy=False))
    assert secure(login_cookie(tmp_path / "e", {}, cookie_secure=True))


def test_the_cookie_is_secure_for_a_request_over_https():
    app = web.Application()
    app[WEB_KEY] = WebContext(settings=replace(Settings.from_env({}), cookie_secure=False), factory=None)  # type: ignore[arg-type]
    over_tls = make_mocked_request("GET", "/agent/login", app=app, sslcontext=ssl.create_default_context())
    plain = make_mocked_request("GET", "/agent/login", app=app)
    assert cookie_options(over_tls, 60)["secure"] is True
    assert cookie_options(plain, 60)["secure"] is None
