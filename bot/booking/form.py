"""The booking form's state as plain data: field ↔ slot names, what to ask next, acknowledgements."""

from __future__ import annotations

from typing import Any

from bot.booking.business import BY_ID as BUSINESS
from bot.booking.visit import Visit
from bot.knowledge.service import KnowledgeBase
from bot.masking import mask_address, mask_name, mask_phone

SLOT_PREFIX = "booking_"
FIELDS = ("name", "phone", "address", "region", "district", "business", "capacity", "visit", "confirmed")
MAX_FAILURES = 3
LABELS = {"name": "联系人", "phone": "手机号", "address": "用电地址", "region": "城市", "district": "区县",
          "business": "业务类型", "capacity": "用电容量", "visit": "上门时间", "confirmed": "确认"}


def slot_name(field: str) -> str:
    return SLOT_PREFIX + field


def field_name(slot: str | None) -> str | None:
    if slot and slot.startswith(SLOT_PREFIX) and slot[len(SLOT_PREFIX):] in FIELDS:
        return slot[len(SLOT_PREFIX):]
    return None


def next_field(kb: KnowledgeBase, fields: dict[str, Any]) -> str | None:
    """The next thing to ask, None when the booking is confirmed."""
    for field in FIELDS:
        if fields.get(field) is not None:
            continue
        if field == "district" and (not fields.get("region") or not kb.region(fields["region"]).districts):
            continue
        if field == "capacity" and not _asks_capacity(fields.get("business")):
            continue
        return field
    return None


def _asks_capacity(business_id: str | None) -> bool:
    business = BUSINESS.get(business_id or "")
    return bool(business and business.asks_capacity)


def shown_value(kb: KnowledgeBase, field: str, value: Any) -> str:
    """A field value as it may be shown back to the user (personal data masked)."""
    if field == "phone":
        return mask_phone(value)
    if field == "name":
        return mask_name(value)
    if field == "address":
        return mask_address(value)
    if field == "region":
        return kb.region(value).name
    if field == "business":
        return BUSINESS[value].name
    if field == "visit":
        return Visit.from_slot(value).text()
    return str(value)


def acknowledgement(kb: KnowledgeBase, before: dict[str, Any], updates: dict[str, Any], requested: str | None) -> str:
    """'已更新：手机号 139****5678' for values that replace earlier answers (corrections)."""
    changed = [f for f, v in updates.items()
               if f not in ("confirmed", "district") and f != requested and before.get(f) not in (None, v)
               and v is not None]
    if not changed:
        return ""
    return "好的，已更新：" + "，".join(f"{LABELS[f]} {shown_value(kb, f, updates[f])}" for f in changed) + "。"
