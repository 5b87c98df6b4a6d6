"""Reveals of personal data in the console, audited and limited per staff account (red team W4): an account
that shows one order's phone after another stops at `console_reveals_per_hour` until an hour has passed."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.feedback.store import actions_since, audit

WINDOW = timedelta(hours=1)


def refusal(limit: int) -> str:
    return (f"您在1小时内已查看完整信息{limit}次，已达上限，请稍后再试；"
            "如工作确需更多，请联系管理员调整 BANDIAN_CONSOLE_REVEALS_PER_HOUR。")


def allow_reveal(session: Session, *, actor: str, target: str, now: datetime, limit: int) -> bool:
    """Audit the reveal and allow it, or audit the refusal once the account's hourly limit is reached."""
    if limit > 0 and actions_since(session, actor, "reveal", now - WINDOW) >= limit:
        audit(session, actor=actor, action="reveal_refused", target=target, now=now)
        return False
    audit(session, actor=actor, action="reveal", target=target, now=now)
    return True
