"""Who sent the message an action answers: staff or customer, and from which address (bot/trust.py).

Only the REST channel's signed `bandian_auth` metadata on the latest user message counts. The
`agent_mode` slot says what a staff member switched on; it gives staff powers only to a message that
is itself authenticated as staff, so typing "/agent", a `/intent{"agent_mode": true}` payload or
forged metadata changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time
from typing import Any

from rasa_sdk import Tracker

from bot.services import current
from bot.trust import CUSTOMER, ENVELOPE, Identity, open_identity

AGENT_MODE_DENIED = "utter_agent_mode_denied"


def latest_metadata(tracker: Tracker) -> dict[str, Any]:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            metadata = event.get("metadata")
            return metadata if isinstance(metadata, dict) else {}
    return {}


def message_identity(tracker: Tracker) -> Identity:
    envelope = latest_metadata(tracker).get(ENVELOPE)
    if envelope is None:
        return CUSTOMER
    return open_identity(current().trust_key, tracker.sender_id, envelope, time.time())


def is_staff(tracker: Tracker) -> bool:
    return message_identity(tracker).staff


def agent_mode(tracker: Tracker) -> bool:
    """Agent mode for this message: switched on in the conversation, and the message is from staff."""
    return bool(tracker.get_slot("agent_mode")) and is_staff(tracker)


def lookup_client(identity: Identity) -> str | None:
    """The address status lookups are counted under: an IPv4 address or an IPv6 /64, not loopback (a local
    tool, or a proxy that reports no client address, would otherwise lump everyone together), not "unknown"."""
    try:
        address = ipaddress.ip_address((identity.client or "").strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return None
    if isinstance(address, ipaddress.IPv6Address):  # one subscriber has a whole /64 to pick addresses from
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def verified_mark(tracker: Tracker, number: str) -> str:
    """What the forms store in a 'verified' slot once the order number and the phone's last four digits
    matched: the number with an HMAC bound to this conversation, so a caller who sets slots in a request
    to the action server itself cannot claim a verification that never happened (red team round 2, W1)."""
    message = f"verified|{tracker.sender_id}|{number}".encode()
    tag = hmac.new(current().trust_key, message, hashlib.sha256).hexdigest()[:24]
    return f"{number}:{tag}"


def is_verified(tracker: Tracker, slot_value: object, number: object) -> bool:
    if not isinstance(slot_value, str) or not isinstance(number, str) or not number:
        return False
    return hmac.compare_digest(slot_value, verified_mark(tracker, number))
