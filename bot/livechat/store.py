"""Handoff queue and live messages (the customer outbox and delivery targets: bot/livechat/outbox.py). Every
write commits before it returns.

Conversations are identified by `conversation_key(sender id)`, never by the raw channel id;
only a WeChat delivery target keeps the openid, because the customer-service API needs it. Sender ids
are namespaced per channel (bot/senders.py), and a conversation's delivery target never moves to
another channel. A conversation may queue at most MAX_HANDOFFS_PER_HOUR handoffs an hour.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.livechat.models import AgentPresence, Handoff, HandoffMessage, OutboxMessage
from bot.livechat.outbox import queue_for_customer
from bot.masking import mask_text
from bot.metrics import observe_handoff_wait

logger = logging.getLogger(__name__)
OPEN = ("waiting", "active")
CLOSE_REASONS = {"no_agent": "客服均不在线，已转回智能助手", "handed_back": "客服已交还智能助手",
                 "customer_left": "客户已开始新对话", "too_many": "转人工请求过于频繁，已转回智能助手"}
PRESENCE_WINDOW = timedelta(minutes=2)  # an agent whose console polled within this is online
MAX_HANDOFFS_PER_HOUR = 3  # per conversation: more requests are answered as if no agent were online (95598)


def clock() -> datetime:
    """Now, as the live-chat tables keep it: naive UTC (the web app's clock, bot/web/context.py)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class HandoffClosed(LookupError):
    """The handoff does not exist, is closed, or belongs to another agent."""


@dataclass(frozen=True)
class HandoffRequest:
    queued: bool  # False: no agent online (or too many requests), the customer should call 95598 or leave a call-back
    handoff_id: int | None = None
    position: int = 0  # 1 = next in line; 0 once an agent has taken it

    @property
    def ahead(self) -> int:
        """Customers waiting ahead of this one."""
        return max(self.position - 1, 0)


def queue_acknowledgement(ahead: int) -> str:
    """What the customer is told when the handoff is queued (or asked for again while it waits)."""
    place = "您是下一位" if ahead <= 0 else f"您前面还有{ahead}位客户在等待"
    return (f"好的，已为您转接人工客服，{place}，请稍候；排队有变化时会告诉您，"
            "客服接入后会在这里回复您。")


def queue_update(ahead: int) -> str:
    """The outbox notice when the customer's place in the queue changes."""
    if ahead <= 0:
        return "排队进度：您是下一位，客服接入后会马上回复您。"
    return f"排队进度：您前面还有{ahead}位客户在等待，请稍候。"


@dataclass(frozen=True)
class Routed:
    """What the channel does with a customer's message: hold it for the agent, or let the bot answer."""

    held: bool
    notice: str | None = None
    handoff: str = "none"  # the open handoff's status when the message was held ("waiting" / "active")


def agents_online(session: Session, now: datetime, window: timedelta = PRESENCE_WINDOW) -> int:
    query = select(func.count()).select_from(AgentPresence).where(AgentPresence.seen_at >= now - window)
    return int(session.execute(query).scalar_one())


def mark_present(session: Session, agent: str, now: datetime) -> None:
    row = session.get(AgentPresence, agent)
    if row is None:
        session.add(AgentPresence(agent=agent, seen_at=now))
    else:
        row.seen_at = now
    session.commit()


def open_handoff(session: Session, conversation: str) -> Handoff | None:
    query = (select(Handoff).where(Handoff.conversation == conversation, Handoff.status.in_(OPEN))
             .order_by(Handoff.id.desc()))
    return session.execute(query).scalars().first()


def request_handoff(
    session: Session, *, conversation: str, channel: str, summary: str, now: datetime,
    region: str | None = None, category: str | None = None, order_number: str | None = None,
    window: timedelta = PRESENCE_WINDOW,
) -> HandoffRequest:
    """Queue the conversation for an agent, or report that nobody is online (nothing stored then)."""
    existing = open_handoff(session, conversation)
    if existing is not None:
        return HandoffRequest(True, existing.id, _position(session, existing))
    if agents_online(session, now, window) == 0 or recent_handoffs(session, conversation, now) >= MAX_HANDOFFS_PER_HOUR:
        return HandoffRequest(False)
    row = Handoff(conversation=conversation, channel=channel, status="waiting", summary=mask_text(summary),
                  region=region, category=category, order_number=order_number, created_at=now)
    session.add(row)
    session.commit()
    position = _position(session, row)
    row.announced_ahead = max(position - 1, 0)  # the acknowledgement tells the customer this place
    session.commit()
    return HandoffRequest(True, row.id, position)


def recent_handoffs(session: Session, conversation: str, now: datetime, within: timedelta = timedelta(hours=1)) -> int:
    query = (select(func.count()).select_from(Handoff)
             .where(Handoff.conversation == conversation, Handoff.created_at >= now - within))
    return int(session.execute(query).scalar_one())


def _position(session: Session, row: Handoff) -> int:
    if row.status != "waiting":
        return 0
    query = select(func.count()).select_from(Handoff).where(Handoff.status == "waiting", Handoff.id <= row.id)
    return int(session.execute(query).scalar_one())


def waiting_ahead(session: Session, conversation: str) -> int | None:
    """Customers waiting ahead of this conversation's waiting handoff; None when it has none waiting."""
    row = open_handoff(session, conversation)
    if row is None or row.status != "waiting":
        return None
    return max(_position(session, row) - 1, 0)


def announce_positions(session: Session, now: datetime) -> int:
    """Tell each waiting customer whose place in the queue moved up (an outbox notice: the web chat shows it,
    WeChat gets it pushed). A conditional UPDATE of the place last told makes each move announced once, whichever
    replica notices it. Returns how many customers were told."""
    waiting = session.execute(select(Handoff.id, Handoff.conversation, Handoff.announced_ahead)
                              .where(Handoff.status == "waiting").order_by(Handoff.id)).all()
    told = 0
    for ahead, (handoff_id, conversation, announced) in enumerate(waiting):
        if announced is not None and ahead >= announced:
            continue
        told_before = (Handoff.announced_ahead.is_(None) if announced is None
                       else Handoff.announced_ahead == announced)
        won = session.execute(update(Handoff).where(Handoff.id == handoff_id, Handoff.status == "waiting", told_before)
                              .values(announced_ahead=ahead)).rowcount
        session.commit()
        if won:
            queue_for_customer(session, conversation, queue_update(ahead), now, kind="system")
            told += 1
    return told


def customer_message(session: Session, conversation: str, text: str, now: datetime,
                     window: timedelta = PRESENCE_WINDOW) -> Routed:
    """A customer's message during a handoff goes to the agent instead of the assistant.

    A handoff still waiting when every agent has gone offline is closed, and the customer told.
    """
    row = open_handoff(session, conversation)
    if row is None:
        return Routed(held=False)
    if row.status == "waiting" and agents_online(session, now, window) == 0:
        _close(session, row, now, "no_agent")
        return Routed(held=False, notice="抱歉，人工客服暂时都不在线，已为您转回智能助手。"
                                         "如需人工服务，请拨打国家电网供电服务热线 95598。")
    row.messages.append(HandoffMessage(at=now, sender="customer", text=mask_text(text)))
    status = str(row.status)
    session.commit()
    return Routed(held=True, handoff=status)


def customer_left(session: Session, conversation: str, now: datetime) -> bool:
    """The customer started a new conversation: close their open handoff (the agent sees why)."""
    row = open_handoff(session, conversation)
    if row is None:
        return False
    _close(session, row, now, "customer_left")
    return True


def close_open_handoff(session: Session, conversation: str, now: datetime, reason: str) -> bool:
    """Close the conversation's open handoff for `reason` (a key of CLOSE_REASONS); False when none is open."""
    row = open_handoff(session, conversation)
    if row is None:
        return False
    _close(session, row, now, reason)
    return True


def waiting_and_active(session: Session) -> list[Handoff]:
    query = select(Handoff).where(Handoff.status.in_(OPEN)).order_by(Handoff.id)
    return list(session.execute(query).scalars().unique())


def get_handoff(session: Session, handoff_id: int) -> Handoff | None:
    return session.get(Handoff, handoff_id)


def take_handoff(session: Session, handoff_id: int, agent: str, now: datetime) -> Handoff:
    """One agent gets it: the conditional UPDATE lets exactly one of two simultaneous takes win."""
    taken = session.execute(update(Handoff).where(Handoff.id == handoff_id, Handoff.status == "waiting")
                            .values(status="active", agent=agent, taken_at=now)).rowcount
    if not taken:
        session.rollback()
        raise HandoffClosed(f"handoff {handoff_id} is not waiting")
    row = session.get(Handoff, handoff_id, populate_existing=True)
    row.messages.append(HandoffMessage(at=now, sender="system", text=f"人工客服 {agent} 已接入"))
    session.commit()
    observe_handoff_wait(row.created_at, now)
    queue_for_customer(session, row.conversation, "您好，人工客服已接入，请问有什么可以帮您？", now, kind="agent")
    announce_positions(session, now)  # everyone behind moved up one place
    return row


def agent_reply(session: Session, handoff_id: int, agent: str, text: str, now: datetime) -> OutboxMessage:
    row = _active_for(session, handoff_id, agent)
    # the transcript is masked like the customer's side; the customer gets the text as the agent wrote it
    row.messages.append(HandoffMessage(at=now, sender="agent", text=mask_text(text)))
    session.commit()
    return queue_for_customer(session, row.conversation, text, now, kind="agent")


def hand_back(session: Session, handoff_id: int, agent: str, now: datetime) -> Handoff:
    row = _active_for(session, handoff_id, agent)
    _close(session, row, now, "handed_back")
    queue_for_customer(session, row.conversation, "人工客服已结束服务，已为您转回智能助手，您可以继续提问。",
                       now, kind="system")
    return row


def _active_for(session: Session, handoff_id: int, agent: str) -> Handoff:
    row = session.get(Handoff, handoff_id)
    if row is None or row.status != "active" or row.agent != agent:
        raise HandoffClosed(f"handoff {handoff_id} is not active for {agent}")
    return row


def _close(session: Session, row: Handoff, now: datetime, reason: str) -> None:
    was_waiting = row.status == "waiting"
    row.status, row.closed_at, row.close_reason = "closed", now, reason
    row.messages.append(HandoffMessage(at=now, sender="system", text=f"会话结束：{CLOSE_REASONS[reason]}"))
    session.commit()
    if was_waiting:  # a customer left the queue: those behind moved up
        announce_positions(session, now)
