"""What the servers vouch for about a message: whether staff sent it, and the client's address.

Everything inside a message (its text, a `/intent{...}` payload, the REST body's `metadata`) is typed by
whoever reaches a public channel: the web chat, WeChat or the REST webhook. Staff powers (agent mode,
status lookups by order number alone, bookings recorded as staff bookings) therefore never follow from
what was typed or from a slot, only from this:

- The REST channel (bot/rasa_plugins/rest.py) writes `metadata["bandian_auth"]` itself, replacing whatever
  the caller sent under that key: `staff` is true only when the request carried the staff token
  (`X-Bandian-Staff-Token`, BANDIAN_STAFF_TOKEN or var/staff-token), `client` is the caller's address
  (nginx's X-Real-IP with BANDIAN_TRUST_PROXY; for the web chat the address the web app signed into
  `X-Bandian-Client`). The value is signed (HMAC-SHA256 over sender, claims and time) with a key derived
  from BANDIAN_SECRET_KEY / var/secret.key.
- The action server (actions/identity.py) believes the claims only with a valid, fresh signature for the
  conversation's own sender id; anything else reads as "a customer, address unknown".

No Rasa import: the web app, the REST channel and the actions all use this module.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import re
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from bot.booking.sealed import PREFIX as SEALED
from bot.booking.sealed import seal, unseal
from bot.limits import forwarded_client
from bot.secretfile import read_or_create_secret
from bot.settings import PROJECT_ROOT, Settings

KEY_FILE = PROJECT_ROOT / "var" / "secret.key"  # the same file bot.booking.sealed seals slots with
STAFF_TOKEN_FILE = PROJECT_ROOT / "var" / "staff-token"
ENVELOPE = "bandian_auth"  # the metadata key only the REST channel writes
STAFF_HEADER = "X-Bandian-Staff-Token"
CLIENT_HEADER = "X-Bandian-Client"  # the web app: the chat user's address ...
CLIENT_SIGNATURE_HEADER = "X-Bandian-Client-Signature"  # ... signed for this sender
MAX_AGE_SECONDS = 600  # a signed envelope older than this (or this far in the future) is ignored
MAX_ADDRESS_CHARS = 64
ADDRESS_NOISE = re.compile(r"[^0-9A-Za-z.:%\[\]_-]")  # what no IPv4/IPv6 address (or host name) has
_PURPOSE = b"bandian channel trust v1"
LOOPBACK = Settings.trusted_proxies  # the proxies trusted unless BANDIAN_TRUSTED_PROXIES says otherwise


@dataclass(frozen=True)
class Identity:
    """What the servers vouch for: staff (authenticated by the staff token) and the client's address."""

    staff: bool = False
    client: str | None = None


CUSTOMER = Identity()


@lru_cache(maxsize=8)
def _derive(secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), _PURPOSE, hashlib.sha256).digest()


def trust_key(settings: Settings, key_file: Path | None = None) -> bytes:
    """The key that signs identities (derived from BANDIAN_SECRET_KEY, else var/secret.key)."""
    return _derive(settings.secret_key or read_or_create_secret(key_file or KEY_FILE))


def staff_token(settings: Settings, token_file: Path | None = None, create: bool = True) -> str:
    """The token staff tools send in X-Bandian-Staff-Token: BANDIAN_STAFF_TOKEN, else var/staff-token (created
    once by `python -m bot.trust staff-token`, which scripts/run.sh runs). "" when there is none: no staff."""
    configured, path = settings.staff_token.strip(), token_file or STAFF_TOKEN_FILE
    if configured or not create:
        return configured or _read(path)
    return read_or_create_secret(path, lambda: secrets.token_urlsafe(32))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def _mac(key: bytes, *parts: str) -> str:
    # surrogatepass: a lone surrogate in a sender id (valid JSON) must not make this raise (the REST channel
    # refuses such a sender with 400, but its rate limit reads the body first)
    message = json.dumps(parts, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _same(given: Any, expected: str) -> bool:
    return isinstance(given, str) and hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


def seal_identity(key: bytes, sender: str, identity: Identity, now: float) -> dict[str, Any]:
    at = int(now)
    client = identity.client or ""
    return {"staff": identity.staff, "client": client, "at": at,
            "sig": _mac(key, "identity", sender, "1" if identity.staff else "0", client, str(at))}


def open_identity(key: bytes, sender: str, envelope: Any, now: float) -> Identity:
    """The identity the envelope vouches for, or a customer of unknown address (missing, altered, stale)."""
    if not isinstance(envelope, dict):
        return CUSTOMER
    staff, client, at = envelope.get("staff"), envelope.get("client"), envelope.get("at")
    if not isinstance(staff, bool) or not isinstance(client, str) or type(at) is not int:
        return CUSTOMER
    if not -60 <= now - at <= MAX_AGE_SECONDS:
        return CUSTOMER
    if not _same(envelope.get("sig"), _mac(key, "identity", sender, "1" if staff else "0", client, str(at))):
        return CUSTOMER
    return Identity(staff=staff, client=client or None)


def sign_client(key: bytes, sender: str, address: str) -> str:
    return _mac(key, "client", sender, address)


def forward_headers(key: bytes, sender: str, address: str) -> dict[str, str]:
    """Headers with which the web app tells the REST channel its chat user's address (none for an empty one)."""
    address = ADDRESS_NOISE.sub("", address)[:MAX_ADDRESS_CHARS]
    if not address:
        return {}
    return {CLIENT_HEADER: address, CLIENT_SIGNATURE_HEADER: sign_client(key, sender, address)}


def request_identity(key: bytes, token: str, sender: str, headers: Mapping[str, str], peer: str | None,
                     trust_proxy: bool, trusted_proxies: str = LOOPBACK) -> Identity:
    """Who sent a REST request: staff with the staff token; the address the web app signed, else the
    proxy's X-Real-IP (only behind our own proxy, for a request from one of `trusted_proxies`:
    bot/limits.py `forwarded_client`), else the peer's."""
    given = headers.get(STAFF_HEADER) or ""
    staff = bool(token) and bool(given) and _same(given, token)
    forwarded = (headers.get(CLIENT_HEADER) or "").strip()
    if forwarded and _same(headers.get(CLIENT_SIGNATURE_HEADER), sign_client(key, sender, forwarded)):
        client: str | None = forwarded
    else:
        client = forwarded_client(peer, headers, trust_proxy, trusted_proxies)
    return Identity(staff=staff, client=client[:MAX_ADDRESS_CHARS] if client else None)


NAMES_HEADER = "X-Bandian-Contact-Names"  # the REST channel → the web app: the conversation's contact names, sealed


def seal_names(names: tuple[str, ...], box: Fernet) -> str:
    """The contact names the booking form took in a conversation, encrypted for the web app (which masks them
    in the exchanges it stores: bot/masking.py `mask_names`)."""
    return str(seal(json.dumps(list(names), ensure_ascii=False), box))


def open_names(value: str | None, box: Fernet) -> tuple[str, ...]:
    """The names in a NAMES_HEADER value; () when there is none or it does not open (another key, altered)."""
    opened = unseal(value, box) if value and value.startswith(SEALED) else None
    try:
        names = json.loads(opened) if opened else []
    except ValueError:
        return ()
    return tuple(name for name in names if isinstance(name, str)) if isinstance(names, list) else ()


def main(argv: list[str]) -> int:
    """`python -m bot.trust staff-token`: the staff token (created in var/staff-token when not configured)."""
    parser = argparse.ArgumentParser(prog="python -m bot.trust",
                                     description="The staff token for the REST channel (environment, then .env).")
    parser.add_argument("command", choices=["staff-token"],
                        help="staff-token: print the token staff tools send in X-Bandian-Staff-Token "
                             "(BANDIAN_STAFF_TOKEN, else var/staff-token, created once with mode 0600)")
    try:
        parser.parse_args(argv)
    except SystemExit as stop:  # --help (0) or a usage error (2)
        return stop.code if isinstance(stop.code, int) else 2
    print(staff_token(Settings.from_env()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
