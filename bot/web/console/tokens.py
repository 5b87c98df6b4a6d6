"""Signed cookie values: base64url(JSON) + "." + base64url(HMAC-SHA256), with an expiry inside.

The key comes from BANDIAN_SECRET_KEY (derived for this purpose, so several web replicas share
sessions) or, without it, from var/console-secret.key, created once with mode 0600.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

from bot.settings import PROJECT_ROOT, Settings

KEY_FILE = PROJECT_ROOT / "var" / "console-secret.key"
_PURPOSE = b"bandian agent console cookies v1"


def console_key(settings: Settings, key_file: Path = KEY_FILE) -> bytes:
    secret = settings.secret_key or _read_or_create(key_file)
    return hmac.new(secret.encode("utf-8"), _PURPOSE, hashlib.sha256).digest()


def _read_or_create(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        value = path.read_text(encoding="utf-8").strip()
        if not value:
            raise RuntimeError(f"{path} is empty: delete it to create a new console key") from None
        return value
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        value = secrets.token_hex(32)
        handle.write(value)
    return value


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Signs small JSON payloads; `kind` keeps a value of one cookie from being replayed as another."""

    def __init__(self, key: bytes):
        self._key = key

    def _mac(self, kind: str, body: str) -> bytes:
        return hmac.new(self._key, f"{kind}:{body}".encode("ascii"), hashlib.sha256).digest()

    def sign(self, kind: str, payload: dict[str, Any]) -> str:
        body = _b64(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        return f"{body}.{_b64(self._mac(kind, body))}"

    def unsign(self, kind: str, token: str | None, now: float) -> dict[str, Any] | None:
        """The payload, or None when the value is missing, altered, signed for another kind or expired."""
        if not token or token.count(".") != 1:
            return None
        body, mac = token.split(".")
        try:
            if not hmac.compare_digest(_unb64(mac), self._mac(kind, body)):
                return None
            payload = json.loads(_unb64(body).decode("utf-8"))
        except (binascii.Error, ValueError, UnicodeError):
            return None
        if not isinstance(payload, dict) or not isinstance(payload.get("exp"), (int, float)):
            return None
        return payload if payload["exp"] > now else None
