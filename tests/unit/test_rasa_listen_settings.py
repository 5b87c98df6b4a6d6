"""Where `make run` starts Rasa with its HTTP API (docs/reliability.md bug 15).

scripts/run.sh started `rasa run --enable-api` on 0.0.0.0 (Rasa's default) without a token. Now it asks
`python -m bot.settings rasa-listen` for the interface and token: 127.0.0.1 unless BANDIAN_RASA_HOST says
otherwise, and another interface only with BANDIAN_RASA_TOKEN. There is always a token: without
BANDIAN_RASA_TOKEN one is generated into var/rasa-token (tests/security/test_trust_rasa_api.py).
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import bot.settings as settings_module
from bot.settings import Settings, is_loopback, main, rasa_listen

ROOT = Path(__file__).resolve().parents[2]
UNSET = {"BANDIAN_RASA_HOST": "", "BANDIAN_RASA_TOKEN": ""}  # whatever a developer's .env says


@pytest.fixture(autouse=True)
def token_file(tmp_path, monkeypatch) -> Path:
    """The generated token goes to the test's folder, not var/."""
    path = tmp_path / "rasa-token"
    monkeypatch.setattr(settings_module, "RASA_TOKEN_FILE", path)
    return path


def test_rasa_listens_on_loopback_by_default(token_file):
    settings = Settings.from_env(UNSET)
    assert (settings.rasa_host, settings.rasa_token) == ("127.0.0.1", "")
    assert rasa_listen(settings) == ("127.0.0.1", token_file.read_text())


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.1.1", "localhost", "::1", "[::1]"])
def test_loopback_needs_no_configured_token(host, token_file):
    assert is_loopback(host)
    assert rasa_listen(replace(Settings.from_env(UNSET), rasa_host=host)) == (host, token_file.read_text())


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "rasa.example", ""])
def test_any_other_interface_needs_a_token(host):
    settings = replace(Settings.from_env(UNSET), rasa_host=host)
    assert not is_loopback(host)
    with pytest.raises(ValueError, match="BANDIAN_RASA_TOKEN"):
        rasa_listen(settings)
    assert rasa_listen(replace(settings, rasa_token="s3cret")) == (host, "s3cret")


def test_settings_read_the_environment():
    settings = Settings.from_env({"BANDIAN_RASA_HOST": "0.0.0.0", "BANDIAN_RASA_TOKEN": "t0k"})
    assert (settings.rasa_host, settings.rasa_token) == ("0.0.0.0", "t0k")
    with pytest.raises(ValueError, match="spaces"):
        rasa_listen(replace(settings, rasa_token="a b"))


def test_the_command_line_for_run_sh(monkeypatch, capsys, token_file):
    monkeypatch.setenv("BANDIAN_RASA_HOST", "")
    monkeypatch.setenv("BANDIAN_RASA_TOKEN", "")
    assert main(["rasa-listen"]) == 0
    assert capsys.readouterr().out == f"127.0.0.1\n{token_file.read_text()}\n"
    monkeypatch.setenv("BANDIAN_RASA_HOST", "0.0.0.0")
    assert main(["rasa-listen"]) == 1
    assert "BANDIAN_RASA_TOKEN" in capsys.readouterr().err
    assert main([]) == 2
    done = subprocess.run([sys.executable, "-m", "bot.settings", "rasa-listen"], cwd=ROOT, capture_output=True,
                          text=True, env={"PYTHONPATH": str(ROOT), "BANDIAN_RASA_HOST": "127.0.0.1",
                                          "BANDIAN_RASA_TOKEN": "x"})
    assert (done.returncode, done.stdout) == (0, "127.0.0.1\nx\n")


def test_run_sh_passes_the_interface_and_token_to_rasa():
    script = (ROOT / "scripts" / "run.sh").read_text()
    command = re.search(r'"\$RASA" run --model .*?(?<!\\)\n', script, re.S)
    assert command is not None
    assert '--interface "$rasa_host"' in command.group() and '--auth-token "$rasa_token"' in command.group()
    assert "--enable-api" in command.group() and "bot.settings rasa-listen" in script
    assert 'SANIC_HOST=127.0.0.1 "$RASA" run actions' in script  # the action server (no auth at all): loopback
