"""One turn of the booking form: what the message fills, corrects, or whether it is not for the form.

Fields are name, phone, address, region, district, business, capacity, visit and confirmed.
Values that can only mean one thing (a mobile number, a business type, a visit time, a
capacity with its unit, a covered place) are taken from any message, so "电话写错了，是139…"
corrects the phone whatever was asked; names and addresses are taken when asked for, when
marked ("地址改成…", "名字是…") or from a staff one-message registration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.booking.business import find_business, parse_business
from bot.booking.capacity import find_capacity, parse_capacity
from bot.booking.name import clean_name, find_name_correction, is_name, parse_name
from bot.booking.phone import find_phone, parse_phone
from bot.booking.place import (
    find_address_correction,
    find_place,
    looks_like_address,
    parse_address,
    parse_district,
    parse_region,
)
from bot.booking.text import SEPARATORS, Parsed, blank_out, fold, is_question
from bot.booking.visit import find_visit, parse_visit
from bot.knowledge.service import KnowledgeBase

FIELDS = ("name", "phone", "address", "region", "district", "business", "capacity", "visit", "confirmed")
# Intents that mean the message is for something else (the form pauses and resumes later):
# every ask_* question intent of the QA side, plus these.
INTERRUPTIONS = frozenset({"ask_policy", "compare", "check_status", "human_handoff", "complaint", "chitchat",
                           "out_of_scope", "greet", "goodbye", "thanks", "agent", "customer", "nlu_fallback",
                           "cancel"})
ALWAYS_INTERRUPT = frozenset({"cancel", "check_status", "human_handoff", "goodbye", "agent", "customer",
                              "cancel_order"})
REGISTRATION = re.compile(r"^\s*(?:帮客户|代客户?|客户)?(?:登记|代登记|录入|新建|建)?(?:一个|一下|一条)?(?:零证)?"
                          r"(?:预约|工单)(?:办电)?(?:工单)?\s*[:：]")
_AFFIRM = re.compile(r"^(?:是的?|对的?|对|确认|确定|确认无误|没问题|没错|正确|好的?|可以|行|提交|嗯+|ok|yes|就这样"
                     r"|没有问题)"
                     r"[,，。.!！~]*(?:提交吧?|确认)?[。.!！~]*$", re.IGNORECASE)
_DENY = re.compile(r"^(?:不对|不是|错了|有误|不正确|要改|修改|改一下|不行|有错|等一下|等等)")


def is_interruption(intent: str | None) -> bool:
    return bool(intent) and (intent in INTERRUPTIONS or str(intent).startswith("ask_"))


@dataclass
class Turn:
    updates: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    reject: bool = False
    editing: bool = False


def interpret(kb: KnowledgeBase, text: str, *, intent: str | None, requested: str | None,
              filled: dict[str, Any], now: datetime) -> Turn:
    folded = fold(text or "").strip()
    if not folded or intent in ALWAYS_INTERRUPT:
        return Turn(reject=True)
    if is_interruption(intent) and is_question(folded):
        return Turn(reject=True)
    if requested == "confirmed":
        answer = _confirmation(folded, intent)
        if answer is not None:
            return answer
    registration = bool(REGISTRATION.match(folded)) or requested is None
    turn = Turn(updates=_shaped_values(kb, folded, now, requested, registration, filled))
    if requested and requested not in turn.updates and requested != "confirmed":
        parsed = _parse_requested(kb, requested, folded, now, turn.updates, filled)
        if parsed.value is not None:
            turn.updates.update(parsed.value)
        else:
            turn.error = parsed.error
    if not turn.updates and is_interruption(intent):
        return Turn(reject=True)
    if requested == "confirmed" and not turn.updates:
        turn.error = "请回复“确认”提交预约，或直接告诉我要修改的内容；不办了请说“取消”。"
    _keep_place_consistent(turn.updates, filled)
    if turn.updates and filled.get("confirmed") is not None:
        turn.updates.setdefault("confirmed", None)
    return turn


def _confirmation(text: str, intent: str | None) -> Turn | None:
    if _AFFIRM.match(text) or (intent == "affirm" and not find_phone(text).ok):
        return Turn(updates={"confirmed": True})
    if (_DENY.match(text) or intent == "deny") and len(text) <= 8:
        return Turn(updates={"confirmed": None}, editing=True)
    return None


def _shaped_values(kb: KnowledgeBase, text: str, now: datetime, requested: str | None, registration: bool,
                   filled: dict[str, Any]) -> dict[str, Any]:
    """Values recognisable by their shape, plus name/address chunks of a one-message registration."""
    updates: dict[str, Any] = {}
    spans: list[tuple[int, int]] = []
    registration_prefix = REGISTRATION.match(text)
    if registration_prefix:
        spans.append(registration_prefix.span())
    _take(updates, spans, "phone", find_phone(text))
    _take(updates, spans, "visit", find_visit(text, now), lambda v: v.slot())
    _take(updates, spans, "capacity", find_capacity(text))
    _take(updates, spans, "business", find_business(text), lambda b: b.id)
    _take(updates, spans, "name", find_name_correction(text))
    corrected = find_address_correction(kb, text)
    if corrected.ok:
        _set_location(updates, corrected.value)
    rest = blank_out(text, spans)
    _registration_chunks(kb, rest, updates, want_name=registration or requested == "name",
                         want_address=registration or requested == "address")
    if "address" not in updates and requested not in ("region", "district"):
        place = find_place(kb, rest)
        if place.ok:
            _set_location(updates, place.value)
    return updates


def _take(updates: dict[str, Any], spans: list[tuple[int, int]], name: str, parsed: Parsed,
          convert=lambda value: value) -> None:
    if parsed.ok and name not in updates:
        updates[name] = convert(parsed.value)
        if parsed.span:
            spans.append(parsed.span)


def _registration_chunks(kb: KnowledgeBase, rest: str, updates: dict[str, Any], *, want_name: bool,
                         want_address: bool) -> None:
    for chunk in (c for c in SEPARATORS.split(rest) if c):
        if "address" not in updates and looks_like_address(chunk, kb):
            parsed = parse_address(kb, chunk)
            # an address is taken when asked for, or when it names a covered place
            if parsed.ok and parsed.value and (want_address or parsed.value.region):
                _set_location(updates, parsed.value)
                continue
        name = clean_name(chunk)
        if want_name and "name" not in updates and is_name(name) and not kb.places_in(name):
            updates["name"] = name


def _set_location(updates: dict[str, Any], location: Any) -> None:
    if location.address:
        updates["address"] = location.address
    if location.region:
        updates["region"] = location.region
        updates["district"] = location.district


def _parse_requested(kb: KnowledgeBase, requested: str, text: str, now: datetime, updates: dict[str, Any],
                     filled: dict[str, Any]) -> Parsed[dict[str, Any]]:
    if requested == "name":
        if "region" in updates:
            return Parsed(error="好的，地点记下了。请再告诉我联系人的姓名，例如“张三”。")
        return _wrap(parse_name(text), lambda v: {"name": v})
    if requested == "phone":
        return _wrap(parse_phone(text), lambda v: {"phone": v})
    if requested == "address":
        return _wrap(parse_address(kb, text), _location_updates)
    if requested == "region":
        return _wrap(parse_region(kb, text), lambda v: {"region": v.region, "district": v.district})
    if requested == "district":
        region = updates.get("region") or filled.get("region")
        if not region:
            return Parsed(error="请先告诉我用电地址在哪个城市。")
        return _wrap(parse_district(kb, region, text), lambda v: {"district": v})
    if requested == "business":
        return _wrap(parse_business(text), lambda v: {"business": v.id})
    if requested == "capacity":
        return _wrap(parse_capacity(text), lambda v: {"capacity": v})
    if requested == "visit":
        return _wrap(parse_visit(text, now), lambda v: {"visit": v.slot()})
    return Parsed(error=None)


def _wrap(parsed: Parsed, convert) -> Parsed[dict[str, Any]]:
    return Parsed(convert(parsed.value)) if parsed.ok else Parsed(error=parsed.error)


def _location_updates(location: Any) -> dict[str, Any]:
    updates: dict[str, Any] = {"address": location.address}
    if location.region:
        updates.update(region=location.region, district=location.district)
    return updates


def _keep_place_consistent(updates: dict[str, Any], filled: dict[str, Any]) -> None:
    """A new region without a district clears the old district; keep a district of the same region."""
    if "region" not in updates:
        return
    if updates.get("district") is None and updates["region"] == filled.get("region") and filled.get("district"):
        updates["district"] = filled["district"]
