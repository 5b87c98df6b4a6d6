"""All settings in one typed object, read from the environment (see .env.example)."""

from __future__ import annotations

import ipaddress
import os
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a .env file (comments and blanks ignored)."""
    if not path.is_file():
        return {}
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            values[key.strip()] = value.strip().strip('"')
    return values


def _path(env: dict[str, str], name: str, default: Path) -> Path:
    value = env.get(name)
    if not value:
        return default
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path


@dataclass(frozen=True)
class Settings:
    knowledge_dir: Path
    seeds_dir: Path
    database_url: str
    log_level: str
    lookup_max_failures: int = 5  # status lookups: failed attempts per conversation or order ...
    lookup_window_minutes: int = 15  # ... within this window lock further lookups until they age out
    booking_dedupe_minutes: int = 30  # the same phone+address+business within this window is one booking
    secret_key: str = ""  # seals phone numbers and addresses kept in booking slots (default: var/secret.key)
    rasa_url: str = "http://127.0.0.1:5005"  # the web app forwards chat messages to this Rasa server
    rasa_host: str = "127.0.0.1"  # the interface `make run` starts Rasa on (its HTTP API is enabled)
    rasa_token: str = ""  # Rasa's HTTP API token (--auth-token); required when rasa_host is not loopback
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    console_user: str = "admin"
    console_password: str = ""  # empty: a random password is generated once and printed
    cookie_secure: bool = False  # true behind HTTPS: console cookies carry the Secure flag
    trust_proxy: bool = False  # behind our nginx: the client address is its X-Real-IP (login rate limit)
    wechat_token: str = ""  # the official account's server token (signature check)
    wechat_app_id: str = ""
    wechat_app_secret: str = ""
    wechat_aes_key: str = ""  # EncodingAESKey, 43 characters; set for "safe mode"
    wechat_api_base: str = "https://api.weixin.qq.com"  # a local fake server in tests

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Environment variables win over the project's .env file, which wins over defaults."""
        env = {**read_env_file(PROJECT_ROOT / ".env"), **(os.environ if environ is None else environ)}
        knowledge_dir = _path(env, "BANDIAN_KNOWLEDGE_DIR", PROJECT_ROOT / "knowledge")
        return cls(
            knowledge_dir=knowledge_dir,
            seeds_dir=_path(env, "BANDIAN_SEEDS_DIR", knowledge_dir / "seeds"),
            database_url=env.get("DATABASE_URL") or f"sqlite:///{PROJECT_ROOT / 'var' / 'bandian.db'}",
            log_level=env.get("BANDIAN_LOG_LEVEL", "INFO"),
            lookup_max_failures=int(env.get("BANDIAN_LOOKUP_MAX_FAILURES") or 5),
            lookup_window_minutes=int(env.get("BANDIAN_LOOKUP_WINDOW_MINUTES") or 15),
            booking_dedupe_minutes=int(env.get("BANDIAN_BOOKING_DEDUPE_MINUTES") or 30),
            secret_key=env.get("BANDIAN_SECRET_KEY", ""),
            rasa_url=(env.get("BANDIAN_RASA_URL") or f"http://127.0.0.1:{env.get('RASA_PORT') or 5005}").rstrip("/"),
            rasa_host=env.get("BANDIAN_RASA_HOST") or "127.0.0.1",
            rasa_token=env.get("BANDIAN_RASA_TOKEN", ""),
            web_host=env.get("BANDIAN_WEB_HOST") or "127.0.0.1",
            web_port=int(env.get("BANDIAN_WEB_PORT") or 8080),
            console_user=env.get("BANDIAN_CONSOLE_USER") or "admin",
            console_password=env.get("BANDIAN_CONSOLE_PASSWORD", ""),
            cookie_secure=_flag(env.get("BANDIAN_COOKIE_SECURE")),
            trust_proxy=_flag(env.get("BANDIAN_TRUST_PROXY")),
            wechat_token=env.get("WECHAT_TOKEN", ""),
            wechat_app_id=env.get("WECHAT_APP_ID", ""),
            wechat_app_secret=env.get("WECHAT_APP_SECRET", ""),
            wechat_aes_key=env.get("WECHAT_AES_KEY", ""),
            wechat_api_base=(env.get("WECHAT_API_BASE") or "https://api.weixin.qq.com").rstrip("/"),
        )


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach a server listening on `host` (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def rasa_listen(settings: Settings) -> tuple[str, str]:
    """(interface, token) for `rasa run --enable-api` (scripts/run.sh).

    Rasa's HTTP API reads and rewrites conversations and replaces the model, and without a token it
    asks nobody. So Rasa listens on loopback unless BANDIAN_RASA_HOST says otherwise, and then only
    with BANDIAN_RASA_TOKEN set (ValueError). The channels' webhooks need no token either way.
    """
    host, token = settings.rasa_host.strip(), settings.rasa_token.strip()
    if not is_loopback(host) and not token:
        raise ValueError(f"BANDIAN_RASA_HOST={host} would open Rasa's HTTP API to the network without a token: "
                         "set BANDIAN_RASA_TOKEN as well (see .env.example), or leave BANDIAN_RASA_HOST at 127.0.0.1")
    if any(char.isspace() for char in token):
        raise ValueError("BANDIAN_RASA_TOKEN must not contain spaces")
    return host, token


def main(argv: list[str]) -> int:
    """`python -m bot.settings rasa-listen`: Rasa's interface and token, one a line (for scripts/run.sh)."""
    if argv != ["rasa-listen"]:
        print("usage: python -m bot.settings rasa-listen", file=sys.stderr)
        return 2
    try:
        host, token = rasa_listen(Settings.from_env())
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    print(host)
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
