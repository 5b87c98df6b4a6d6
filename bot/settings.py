"""All settings in one typed object, read from the environment (see .env.example)."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def read_env_file(path: Path) -> dict[str, str]:
    """The variables of a .env file, read by python-dotenv: `export KEY=value`, single or double quotes
    (escapes in double quotes, multi-line values), `#` comments on their own line or after a value.
    Values are taken literally (no ${VAR} expansion); a KEY without `=` is ignored."""
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    return {key: value for key, value in dotenv_values(path, interpolate=False, encoding="utf-8").items()
            if value is not None}


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
    lookup_daily_max_failures: int = 20  # ... and at most this many in 24 hours (a patient guesser: R3-7)
    console_reveals_per_hour: int = 40  # full-data reveals one staff account may make in an hour (W4; 0: no limit)
    booking_dedupe_minutes: int = 30  # the same phone+address+business within this window is one booking
    secret_key: str = ""  # seals phone numbers and addresses kept in booking slots (default: var/secret.key)
    rasa_url: str = "http://127.0.0.1:5005"  # the web app forwards chat messages to this Rasa server
    rasa_host: str = "127.0.0.1"  # the interface `make run` starts Rasa on (its HTTP API is enabled)
    rasa_token: str = ""  # Rasa's HTTP API token (--auth-token); empty: generated once into var/rasa-token
    staff_token: str = ""  # staff tools send it (X-Bandian-Staff-Token) to the REST channel; empty: var/staff-token
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    console_user: str = "admin"
    console_password: str = ""  # empty: a random password is generated once and printed
    cookie_secure: bool = False  # true behind HTTPS: console cookies carry the Secure flag
    trust_proxy: bool = False  # behind our nginx: the client address is its X-Real-IP (login rate limit) ...
    trusted_proxies: str = "127.0.0.0/8,::1"  # ... when the request comes from one of these (CIDRs, comma-separated)
    wechat_token: str = ""  # the official account's server token (signature check)
    wechat_app_id: str = ""
    wechat_app_secret: str = ""
    wechat_aes_key: str = ""  # EncodingAESKey, 43 characters; set for "safe mode"
    wechat_api_base: str = "https://api.weixin.qq.com"  # a local fake server in tests
    # limits (bot/limits.py): "requests/seconds" per client (token bucket), "0" switches one off
    chat_rate: str = "30/60"  # web chat messages (/api/chat) per client address (many share one behind a NAT)
    session_rate: str = "60/3600"  # new web chat sessions (/api/session) per client address
    handoff_rate: str = "5/3600"  # 转人工 requests queued from the web chat per client address
    rest_rate: str = "30/60"  # REST webhook messages per client address (web chat: the address the web app signed)
    updates_rate: str = "600/60"  # web chat polls (/api/updates) per client address (a tab: one every 2 s; a NAT: many)
    feedback_rate: str = "30/60"  # 👍/👎 ratings (/api/feedback) per client address
    leave_rate: str = "20/60"  # new conversations (/api/leave) per client address
    wechat_rate: str = "20/60"  # WeChat messages per openid
    rate_limit_loopback: bool = False  # also limit clients on 127.0.0.1/::1 (this machine's tools and tests)
    rasa_max_body_bytes: int = 1024 * 1024  # Rasa's Sanic REQUEST_MAX_SIZE (SANIC_REQUEST_MAX_SIZE wins)
    rasa_request_timeout: int = 20  # seconds a request to Rasa may take to arrive, headers and body from its first
    # byte (SANIC_REQUEST_TIMEOUT wins; bot/rasa_plugins/sanic_timeouts.py)
    rasa_keep_alive_timeout: int = 20  # seconds Rasa keeps an idle connection open (SANIC_KEEP_ALIVE_TIMEOUT wins)
    web_read_timeout: float = 15.0  # seconds the web app waits for a request's headers, and for its body
    tracker_max_events: int = 1000  # a conversation session longer than this starts afresh (slots kept)
    tracker_max_bytes: int = 1_000_000  # ... and one whose stored (masked) events pass this many bytes
    tracker_max_conversations: int = 10_000  # the in-memory tracker store forgets the least recently used beyond
    tracker_memory_mb: int = 256  # ... and beyond this many MB of stored conversations
    actions_metrics_port: int = 0  # the action server's Prometheus endpoint (actions/metrics.py); 0: none
    actions_metrics_host: str = "127.0.0.1"  # ... and its interface (0.0.0.0 in a container)
    actions_token: str = ""  # Rasa sends it to the action server (?token=); empty: var/actions-token

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
            lookup_daily_max_failures=int(env.get("BANDIAN_LOOKUP_DAILY_MAX_FAILURES") or 20),
            console_reveals_per_hour=int(env.get("BANDIAN_CONSOLE_REVEALS_PER_HOUR") or 40),
            booking_dedupe_minutes=int(env.get("BANDIAN_BOOKING_DEDUPE_MINUTES") or 30),
            secret_key=env.get("BANDIAN_SECRET_KEY", ""),
            rasa_url=(env.get("BANDIAN_RASA_URL") or f"http://127.0.0.1:{env.get('RASA_PORT') or 5005}").rstrip("/"),
            rasa_host=env.get("BANDIAN_RASA_HOST") or "127.0.0.1",
            rasa_token=env.get("BANDIAN_RASA_TOKEN", ""),
            staff_token=env.get("BANDIAN_STAFF_TOKEN", ""),
            web_host=env.get("BANDIAN_WEB_HOST") or "127.0.0.1",
            web_port=int(env.get("BANDIAN_WEB_PORT") or 8080),
            console_user=env.get("BANDIAN_CONSOLE_USER") or "admin",
            console_password=env.get("BANDIAN_CONSOLE_PASSWORD", ""),
            cookie_secure=_flag(env.get("BANDIAN_COOKIE_SECURE")),
            trust_proxy=_flag(env.get("BANDIAN_TRUST_PROXY")),
            trusted_proxies=env.get("BANDIAN_TRUSTED_PROXIES") or cls.trusted_proxies,
            wechat_token=env.get("WECHAT_TOKEN", ""),
            wechat_app_id=env.get("WECHAT_APP_ID", ""),
            wechat_app_secret=env.get("WECHAT_APP_SECRET", ""),
            wechat_aes_key=env.get("WECHAT_AES_KEY", ""),
            wechat_api_base=(env.get("WECHAT_API_BASE") or "https://api.weixin.qq.com").rstrip("/"),
            chat_rate=env.get("BANDIAN_CHAT_RATE") or cls.chat_rate,
            session_rate=env.get("BANDIAN_SESSION_RATE") or cls.session_rate,
            handoff_rate=env.get("BANDIAN_HANDOFF_RATE") or cls.handoff_rate,
            rest_rate=env.get("BANDIAN_REST_RATE") or cls.rest_rate,
            updates_rate=env.get("BANDIAN_UPDATES_RATE") or cls.updates_rate,
            feedback_rate=env.get("BANDIAN_FEEDBACK_RATE") or cls.feedback_rate,
            leave_rate=env.get("BANDIAN_LEAVE_RATE") or cls.leave_rate,
            wechat_rate=env.get("BANDIAN_WECHAT_RATE") or cls.wechat_rate,
            rate_limit_loopback=_flag(env.get("BANDIAN_RATE_LIMIT_LOOPBACK")),
            rasa_max_body_bytes=int(env.get("BANDIAN_RASA_MAX_BODY_BYTES") or cls.rasa_max_body_bytes),
            rasa_request_timeout=int(env.get("BANDIAN_RASA_REQUEST_TIMEOUT") or cls.rasa_request_timeout),
            rasa_keep_alive_timeout=int(env.get("BANDIAN_RASA_KEEP_ALIVE_TIMEOUT") or cls.rasa_keep_alive_timeout),
            web_read_timeout=float(env.get("BANDIAN_WEB_READ_TIMEOUT") or cls.web_read_timeout),
            tracker_max_events=int(env.get("BANDIAN_TRACKER_MAX_EVENTS") or cls.tracker_max_events),
            tracker_max_bytes=int(env.get("BANDIAN_TRACKER_MAX_BYTES") or cls.tracker_max_bytes),
            tracker_max_conversations=int(env.get("BANDIAN_TRACKER_MAX_CONVERSATIONS")
                                          or cls.tracker_max_conversations),
            tracker_memory_mb=int(env.get("BANDIAN_TRACKER_MEMORY_MB") or cls.tracker_memory_mb),
            actions_metrics_port=int(env.get("BANDIAN_ACTIONS_METRICS_PORT") or 0),
            actions_metrics_host=env.get("BANDIAN_ACTIONS_METRICS_HOST") or cls.actions_metrics_host,
            actions_token=env.get("BANDIAN_ACTIONS_TOKEN", ""),
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


RASA_TOKEN_FILE = PROJECT_ROOT / "var" / "rasa-token"


def rasa_api_token(settings: Settings, token_file: Path | None = None) -> str:
    """The token of Rasa's HTTP API (`--auth-token`): BANDIAN_RASA_TOKEN, else var/rasa-token (created once,
    mode 0600). Whatever calls the API (not the channels' webhooks) sends it as `?token=`."""
    from bot.secretfile import read_or_create_secret

    return settings.rasa_token.strip() or read_or_create_secret(token_file or RASA_TOKEN_FILE)


def rasa_listen(settings: Settings, token_file: Path | None = None) -> tuple[str, str]:
    """(interface, token) for `rasa run --enable-api` (scripts/run.sh).

    Rasa's HTTP API reads and rewrites conversations and replaces the model, and without a token it
    asks nobody. So there is always a token (BANDIAN_RASA_TOKEN, else one generated into var/rasa-token),
    and Rasa listens on loopback unless BANDIAN_RASA_HOST says otherwise, and then only with
    BANDIAN_RASA_TOKEN set (ValueError: the clients on other machines need to know it). The channels'
    webhooks need no token either way.
    """
    host, token = settings.rasa_host.strip(), settings.rasa_token.strip()
    if not is_loopback(host) and not token:
        raise ValueError(f"BANDIAN_RASA_HOST={host} would open Rasa's HTTP API to the network with a token only "
                         "this machine knows: set BANDIAN_RASA_TOKEN as well (see .env.example), or leave "
                         "BANDIAN_RASA_HOST at 127.0.0.1")
    if any(char.isspace() for char in token):
        raise ValueError("BANDIAN_RASA_TOKEN must not contain spaces")
    return host, rasa_api_token(settings, token_file)


def main(argv: list[str]) -> int:
    """`python -m bot.settings rasa-listen`: Rasa's interface and token, one a line (for scripts/run.sh)."""
    parser = argparse.ArgumentParser(prog="python -m bot.settings",
                                     description="Settings for the start-up scripts (environment, then .env).")
    parser.add_argument("command", choices=["rasa-listen"],
                        help="rasa-listen: the interface and the API token `rasa run` gets, one a line")
    try:
        parser.parse_args(argv)
    except SystemExit as stop:  # --help (0) or a usage error (2)
        return stop.code if isinstance(stop.code, int) else 2
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
