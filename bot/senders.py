"""Whose conversation a message belongs to: one sender-id namespace per channel, and web chat session ids.

Rasa keys a conversation by its sender id, and so do the order store, the live chat (handoffs, outbox,
delivery targets) and the feedback tables (`conversation_key(sender id)`). Each channel therefore has a
namespace of its own, so that nobody can speak in, or read the outbox of, another channel's conversation:

- WeChat: `wechat:<openid>` (bot/channels/wechat.py; the openid comes from a signed request);
- web chat: `web:<session id>`, where the session id was issued by the web app (`WebSessions.issue`): 22
  characters (when it was issued and 88 random bits) and 22 of an HMAC over them, so any replica can check
  it without a database; an id older than MAX_SESSION_AGE (30 days) is refused like a forged one (the page
  then asks for a new one), so a leaked id does not read the conversation's outbox for ever;
- REST: the caller's own `sender`, which may not start with `web:` or `wechat:` (bot/rasa_plugins/rest.py
  refuses it, except `web:` with a session id the web app issued: that is the web app forwarding a chat).

No Rasa import: the web app, the WeChat channel and the REST channel all use this module.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from bot.secretfile import read_or_create_secret
from bot.settings import PROJECT_ROOT, Settings

WEB = "web"
WECHAT = "wechat"
REST = "rest"
WEB_PREFIX = f"{WEB}:"
WECHAT_PREFIX = f"{WECHAT}:"
RESERVED_PREFIXES = (WEB_PREFIX, WECHAT_PREFIX)
KEY_FILE = PROJECT_ROOT / "var" / "secret.key"  # the key file bot.booking.sealed and bot.trust use
_PURPOSE = b"bandian web chat session ids v1"
_NONCE_BYTES = 16
_TIME_BYTES = 5  # the nonce starts with the second it was issued (big-endian), then random bytes
MAX_SESSION_AGE = 30 * 24 * 3600  # seconds a web chat session id is accepted after it was issued
_CLOCK_SKEW = 300  # ... and how far in the future (replicas' clocks differ a little)
_MAC_BYTES = 16
_B64_CHARS = 22  # 16 bytes in unpadded base64url
SESSION_CHARS = 2 * _B64_CHARS
_SESSION = re.compile(rf"[A-Za-z0-9_-]{{{SESSION_CHARS}}}")


def wechat_sender(openid: str) -> str:
    return WECHAT_PREFIX + openid


def openid_of(sender: str) -> str:
    """The openid of a WeChat sender id (a bare openid is returned as it is)."""
    return sender.removeprefix(WECHAT_PREFIX)


def web_sender(session: str) -> str:
    return WEB_PREFIX + session


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@lru_cache(maxsize=8)
def _derive(secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), _PURPOSE, hashlib.sha256).digest()


def session_key(settings: Settings, key_file: Path = KEY_FILE) -> bytes:
    """The key web chat session ids are signed with (from BANDIAN_SECRET_KEY, else var/secret.key): the web
    app and Rasa's REST channel must share it, as they share the key that seals booking slots."""
    return _derive(settings.secret_key or read_or_create_secret(key_file))


class WebSessions:
    """Issues web chat session ids and recognises the ones it issued (with the same key)."""

    def __init__(self, key: bytes, max_age: float = MAX_SESSION_AGE, clock: Callable[[], float] = time.time) -> None:
        self._key, self._max_age, self._clock = key, max_age, clock

    def _mac(self, nonce: str) -> str:
        return _b64(hmac.new(self._key, f"web-session:{nonce}".encode("ascii"), hashlib.sha256).digest()[:_MAC_BYTES])

    def issue(self) -> str:
        issued = int(self._clock()).to_bytes(_TIME_BYTES, "big")
        nonce = _b64(issued + secrets.token_bytes(_NONCE_BYTES - _TIME_BYTES))
        return nonce + self._mac(nonce)

    def valid(self, session: object) -> bool:
        if not isinstance(session, str) or not _SESSION.fullmatch(session):
            return False
        nonce, mac = session[:_B64_CHARS], session[_B64_CHARS:]
        if not hmac.compare_digest(mac.encode("ascii"), self._mac(nonce).encode("ascii")):
            return False
        issued = int.from_bytes(base64.urlsafe_b64decode(nonce + "==")[:_TIME_BYTES], "big")
        return -_CLOCK_SKEW <= self._clock() - issued <= self._max_age


def rest_sender(sender: str, sessions: WebSessions) -> tuple[str, str]:
    """(sender id, input channel) for a REST request's `sender` (ValueError: a namespace REST may not use).

    A `web:` sender is the web app forwarding a chat message, accepted only with a session id it issued."""
    if sender.startswith(WEB_PREFIX) and sessions.valid(sender[len(WEB_PREFIX):]):
        return sender, WEB
    if sender.startswith(RESERVED_PREFIXES):
        raise ValueError(f"sender 不能以 {' 或 '.join(RESERVED_PREFIXES)} 开头（这些会话属于网页聊天和微信渠道）")
    return sender, REST
