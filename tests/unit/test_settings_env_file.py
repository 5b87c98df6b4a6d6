"""The .env file is read by python-dotenv: `export`, quotes and comments as a shell (and docker) write them."""

from __future__ import annotations

from pathlib import Path

import pytest

import bot.settings as settings_module
from bot.settings import Settings, read_env_file

ROOT = Path(__file__).resolve().parents[2]

ENV_FILE = """\
# the production console
export BANDIAN_CONSOLE_USER=duty-manager
BANDIAN_CONSOLE_PASSWORD="s3cret # not a comment"   # a comment
BANDIAN_WEB_PORT='8181'
  BANDIAN_COOKIE_SECURE = true
BANDIAN_LOG_LEVEL=WARNING # comment after an unquoted value
BANDIAN_SECRET_KEY='literal ${NOT_EXPANDED}'
WECHAT_TOKEN=
A_KEY_WITHOUT_VALUE
"""


def test_export_quotes_and_comments(tmp_path: Path):
    path = tmp_path / ".env"
    path.write_text(ENV_FILE, encoding="utf-8")
    assert read_env_file(path) == {
        "BANDIAN_CONSOLE_USER": "duty-manager",
        "BANDIAN_CONSOLE_PASSWORD": "s3cret # not a comment",
        "BANDIAN_WEB_PORT": "8181",
        "BANDIAN_COOKIE_SECURE": "true",
        "BANDIAN_LOG_LEVEL": "WARNING",
        "BANDIAN_SECRET_KEY": "literal ${NOT_EXPANDED}",
        "WECHAT_TOKEN": "",
    }


def test_settings_read_the_project_env_file_and_the_environment_wins(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch):
    (tmp_path / ".env").write_text(ENV_FILE, encoding="utf-8")
    monkeypatch.setattr(settings_module, "PROJECT_ROOT", tmp_path)
    settings = Settings.from_env({"BANDIAN_LOG_LEVEL": "DEBUG"})
    assert (settings.console_user, settings.console_password) == ("duty-manager", "s3cret # not a comment")
    assert settings.web_port == 8181 and settings.cookie_secure is True
    assert settings.log_level == "DEBUG"


def test_a_missing_env_file_is_no_settings(tmp_path: Path):
    assert read_env_file(tmp_path / ".env") == {}


def test_the_example_env_file_reads_as_documented():
    values = read_env_file(ROOT / ".env.example")
    assert values["DATABASE_URL"] == "sqlite:///var/bandian.db"
    assert values["BANDIAN_RASA_HOST"] == "127.0.0.1" and values["BANDIAN_RASA_TOKEN"] == ""
    assert values["WECHAT_API_BASE"] == "https://api.weixin.qq.com"
