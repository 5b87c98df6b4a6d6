"""Sealing personal data kept in conversation slots while a booking form is open.

Slots become tracker events, and tracker events are stored. The phone number and address are
therefore kept there only encrypted (Fernet, key from BANDIAN_SECRET_KEY or var/secret.key);
the order store holds the real values once the booking is confirmed.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from bot.settings import PROJECT_ROOT, Settings

PREFIX = "sealed:"
KEY_FILE = PROJECT_ROOT / "var" / "secret.key"


def _read_or_create(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        value = secrets.token_hex(32)
        handle.write(value)
    return value


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode("utf-8")).digest()))


def fernet(settings: Settings, key_file: Path = KEY_FILE) -> Fernet:
    return _fernet(settings.secret_key or _read_or_create(key_file))


def seal(value: str | None, box: Fernet) -> str | None:
    if value is None or value.startswith(PREFIX):
        return value
    return PREFIX + box.encrypt(value.encode("utf-8")).decode("ascii")


def unseal(value: str | None, box: Fernet) -> str | None:
    """The plain value; None when the token cannot be opened (another key, or tampered with)."""
    if value is None or not value.startswith(PREFIX):
        return value
    try:
        return box.decrypt(value[len(PREFIX):].encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        return None
