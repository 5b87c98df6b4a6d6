"""The slots of the order-change form (move the visit, cancel). A helper module: no actions here."""

from __future__ import annotations

from rasa_sdk import Tracker

from bot.booking.changes import KINDS

SLOTS = {"order": "change_order", "suffix": "change_suffix", "visit": "change_visit", "confirmed": "change_confirmed"}

KIND, VERIFIED, FAILURES = "change_kind", "change_verified", "change_failures"

CONFIRM_BUTTONS = [{"title": "确认取消", "payload": "/affirm"}, {"title": "不取消了", "payload": "/deny"}]

WHAT = {"reschedule": "改约上门时间", "cancel": "取消工单"}


def change_kind(tracker: Tracker) -> str:
    kind = tracker.get_slot(KIND)
    if kind in WHAT:
        return str(kind)
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    return KINDS.get(str(intent), "reschedule")
