"""Password hashing: scrypt with a per-user random salt, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache

SCHEME = "scrypt"
N, R, P = 2**14, 8, 1  # 16 MiB, ~50 ms per hash
SALT_BYTES = 16
KEY_BYTES = 32
MIN_LENGTH = 8


class WeakPassword(ValueError):
    pass


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"密码至少 {MIN_LENGTH} 个字符")
    if password.strip() != password:
        raise WeakPassword("密码首尾不能有空格")


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=KEY_BYTES,
                          maxmem=256 * r * n + 1024 * 1024)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    return f"{SCHEME}${N}${R}${P}${salt.hex()}${_derive(password, salt, N, R, P).hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != SCHEME:
            return False
        computed = _derive(password, bytes.fromhex(salt), int(n), int(r), int(p))
        return hmac.compare_digest(computed, bytes.fromhex(digest))
    except ValueError:
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def burn_time(password: str) -> None:
    """Spend the time of a real check, so an unknown user name cannot be told apart by timing."""
    verify_password(password, _dummy_hash())


def fingerprint(stored: str) -> str:
    """A short value that changes whenever the password does (sessions bound to it end then)."""
    return hashlib.sha256(stored.encode("utf-8")).hexdigest()[:12]
