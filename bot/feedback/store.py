"""Recording exchanges, ratings and unanswered questions; summaries for the console."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.booking.name import asks_for_name
from bot.feedback.models import AuditEntry, Exchange, Unanswered
from bot.masking import mask_name_answer, mask_text


@dataclass(frozen=True)
class Counted:
    text: str
    count: int
    last_at: datetime
    example: str = ""  # for 👎: the latest answer given


def record_exchange(session: Session, *, conversation: str, channel: str, question: str, answer: str,
                    now: datetime) -> int:
    """Store a question and its answer masked; a question answering "请问联系人怎么称呼？" is a name."""
    previous = session.execute(select(Exchange.answer).where(Exchange.conversation == conversation)
                               .order_by(Exchange.id.desc()).limit(1)).scalar()
    mask = mask_name_answer if asks_for_name(previous) else mask_text
    row = Exchange(conversation=conversation, channel=channel, question=mask(question),
                   answer=mask_text(answer), created_at=now)
    session.add(row)
    session.commit()
    return int(row.id)


def transcript(session: Session, conversation: str, until: datetime, limit: int = 50) -> list[Exchange]:
    """The conversation's last `limit` exchanges up to `until`, oldest first (masked when stored): what the
    assistant and the customer said before a handoff."""
    query = (select(Exchange).where(Exchange.conversation == conversation, Exchange.created_at <= until)
             .order_by(Exchange.id.desc()).limit(limit))
    return list(reversed(session.execute(query).scalars().all()))


def rate(session: Session, *, exchange_id: int, conversation: str, rating: int, now: datetime) -> bool:
    """Rate an exchange of this conversation (False: no such exchange in this conversation)."""
    if rating not in (1, -1):
        raise ValueError("rating must be 1 or -1")
    row = session.get(Exchange, exchange_id)
    if row is None or row.conversation != conversation:
        return False
    row.rating, row.rated_at = rating, now
    session.commit()
    return True


def record_unanswered(session: Session, *, conversation: str, question: str, reason: str,
                      now: datetime, region: str | None = None) -> None:
    session.add(Unanswered(at=now, conversation=conversation, region=region, question=mask_text(question)[:500],
                           reason=reason))
    session.commit()


def disliked(session: Session, limit: int = 100) -> list[Counted]:
    query = (select(Exchange.question, func.count(), func.max(Exchange.rated_at), func.max(Exchange.answer))
             .where(Exchange.rating == -1).group_by(Exchange.question)
             .order_by(func.count().desc(), func.max(Exchange.rated_at).desc()).limit(limit))
    return [Counted(q, n, at, answer) for q, n, at, answer in session.execute(query)]


def unanswered(session: Session, limit: int = 100) -> list[Counted]:
    query = (select(Unanswered.question, func.count(), func.max(Unanswered.at), func.max(Unanswered.reason))
             .group_by(Unanswered.question).order_by(func.count().desc(), func.max(Unanswered.at).desc())
             .limit(limit))
    return [Counted(q, n, at, reason) for q, n, at, reason in session.execute(query)]


def rating_counts(session: Session) -> dict[int, int]:
    query = select(Exchange.rating, func.count()).where(Exchange.rating.is_not(None)).group_by(Exchange.rating)
    return {int(rating): int(n) for rating, n in session.execute(query)}


def audit(session: Session, *, actor: str, action: str, target: str, now: datetime, detail: str | None = None) -> None:
    session.add(AuditEntry(at=now, actor=actor, action=action, target=target, detail=detail))
    session.commit()


def actions_since(session: Session, actor: str, action: str, since: datetime) -> int:
    """How many times `actor` did `action` from `since` on (audit log)."""
    query = select(func.count()).select_from(AuditEntry).where(
        AuditEntry.actor == actor, AuditEntry.action == action, AuditEntry.at >= since)
    return int(session.execute(query).scalar_one())


def audit_trail(session: Session, target: str | None = None, limit: int = 200) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if target:
        query = query.where(AuditEntry.target == target)
    return list(session.execute(query).scalars())
