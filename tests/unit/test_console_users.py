"""The account CLI (python -m bot.web.console.users), password hashing and the cookie signer."""

from __future__ import annotations

import io

from bot.store.runtime import sessions_for
from bot.web.console.accounts import attempt_login, get_user
from bot.web.console.passwords import hash_password, verify_password
from bot.web.console.tokens import Signer
from bot.web.console.users import main
from tests.unit.test_console_support import NOW


def test_add_passwd_disable_and_list(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'users.db'}"
    assert main(["--database-url", url, "add", "agent1"], stdin=io.StringIO("first-password\n")) == 0
    assert main(["--database-url", url, "add", "agent1"], stdin=io.StringIO("other-password\n")) == 1
    assert main(["--database-url", url, "add", "agent2"], stdin=io.StringIO("short\n")) == 1
    assert "至少 8 个字符" in capsys.readouterr().err
    assert main(["--database-url", url, "passwd", "agent1"], stdin=io.StringIO("second-password\n")) == 0
    with sessions_for(url)() as session:
        user = get_user(session, "agent1")
        assert user is not None and user.role == "agent" and user.password_hash.startswith("scrypt$")
        assert "second-password" not in user.password_hash
        assert attempt_login(session, "agent1", "second-password", "127.0.0.1", NOW).user == "agent1"
        assert attempt_login(session, "agent1", "first-password", "127.0.0.1", NOW).user is None
    assert main(["--database-url", url, "disable", "agent1"]) == 0
    with sessions_for(url)() as session:
        assert attempt_login(session, "agent1", "second-password", "127.0.0.1", NOW).user is None
    capsys.readouterr()
    assert main(["--database-url", url, "list"]) == 0
    assert "agent1\tagent" in capsys.readouterr().out


def test_password_hashes_are_salted():
    first, second = hash_password("same-password"), hash_password("same-password")
    assert first != second
    assert verify_password("same-password", first) and verify_password("same-password", second)
    assert not verify_password("other-password", first)
    assert not verify_password("same-password", "garbage")


def test_signer_rejects_other_keys_kinds_and_expired_values():
    signer = Signer(b"k" * 32)
    token = signer.sign("session", {"user": "admin", "exp": 100})
    assert signer.unsign("session", token, 99) == {"user": "admin", "exp": 100}
    assert signer.unsign("session", token, 100) is None
    assert signer.unsign("flash", token, 99) is None
    assert Signer(b"x" * 32).unsign("session", token, 99) is None
    assert signer.unsign("session", "not-a-token", 0) is None


def test_role_command_changes_what_a_user_may_do(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'roles.db'}"
    assert main(["--database-url", url, "add", "agent1"], stdin=io.StringIO("first-password\n")) == 0
    assert main(["--database-url", url, "role", "agent1", "admin"]) == 0
    assert "agent1 现在是管理员" in capsys.readouterr().out
    with sessions_for(url)() as session:
        user = get_user(session, "agent1")
        assert user is not None and user.role == "admin"
    assert main(["--database-url", url, "role", "nobody", "agent"]) == 1
    assert "没有用户 nobody" in capsys.readouterr().err
