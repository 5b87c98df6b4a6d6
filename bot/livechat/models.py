"""Tables of live chat: handoffs, their messages, the outbox to customers, delivery targets, call-back requests."""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, ForeignKey, Integer, String, Text, Time
from sqlalchemy.orm import relationship

from bot.store.base import Base


class Handoff(Base):
    """A customer's request for a person: waiting → active (an agent took it) → closed."""

    __tablename__ = "handoffs"
    id = Column(Integer, primary_key=True)
    conversation = Column(String(64), nullable=False, index=True)  # conversation_key(sender id)
    channel = Column(String(16), nullable=False)
    status = Column(String(16), nullable=False, index=True)
    region = Column(String(32), nullable=True)
    category = Column(String(64), nullable=True)
    summary = Column(Text, nullable=False, default="")
    order_number = Column(String(16), nullable=True)
    agent = Column(String(64), nullable=True)
    created_at = Column(DateTime, nullable=False)
    taken_at = Column(DateTime, nullable=True)
    closed_at = Column(DateTime, nullable=True)
    close_reason = Column(String(32), nullable=True)
    # customers ahead of this one when the customer was last told their place in the queue (revision 0005)
    announced_ahead = Column(Integer, nullable=True)

    messages = relationship("HandoffMessage", order_by="HandoffMessage.id", lazy="selectin")


class HandoffMessage(Base):
    __tablename__ = "handoff_messages"
    id = Column(Integer, primary_key=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id"), nullable=False, index=True)
    at = Column(DateTime, nullable=False)
    sender = Column(String(16), nullable=False)  # customer | agent | system
    text = Column(Text, nullable=False)


class OutboxMessage(Base):
    """A message for a customer outside a turn; web chat polls these, WeChat gets them pushed."""

    __tablename__ = "outbox"
    id = Column(Integer, primary_key=True)
    conversation = Column(String(64), nullable=False, index=True)
    kind = Column(String(16), nullable=False)  # agent | notice | system
    text = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False)
    delivered_at = Column(DateTime, nullable=True)
    # WeChat pushing (bot/livechat/push.py, revision 0005): attempts made, when the next may be made (a claim
    # holds it for a while too), the last temporary error, and when a refusal set the message aside for good
    attempts = Column(Integer, nullable=False, default=0, server_default="0")
    next_attempt_at = Column(DateTime, nullable=True)
    last_error = Column(String(200), nullable=True)
    set_aside_at = Column(DateTime, nullable=True, index=True)


class DeliveryTarget(Base):
    """Where a conversation can be reached outside a turn (WeChat needs the openid)."""

    __tablename__ = "delivery_targets"
    conversation = Column(String(64), primary_key=True)
    channel = Column(String(16), nullable=False)
    address = Column(String(128), nullable=False, default="")
    updated_at = Column(DateTime, nullable=False)


class AgentPresence(Base):
    __tablename__ = "agent_presence"
    agent = Column(String(64), primary_key=True)
    seen_at = Column(DateTime, nullable=False)


class CallbackRequest(Base):
    """A customer's request to be called back when no agent was online (revision 0005).

    The phone number is kept sealed (bot/booking/sealed.py) with a masked copy for lists; the preferred time
    is a Beijing day, a period (上午 / 下午 / 全天) and optionally a time of day, within the service hours.
    """

    __tablename__ = "callback_requests"
    id = Column(Integer, primary_key=True)
    conversation = Column(String(64), nullable=False, index=True)
    channel = Column(String(16), nullable=False)
    phone_sealed = Column(Text, nullable=False)
    phone_masked = Column(String(16), nullable=False)
    preferred_day = Column(Date, nullable=False)
    preferred_period = Column(String(8), nullable=False)
    preferred_at = Column(Time, nullable=True)
    region = Column(String(32), nullable=True)
    summary = Column(Text, nullable=False, default="")
    status = Column(String(16), nullable=False, index=True)  # open | done
    created_at = Column(DateTime, nullable=False, index=True)
    done_at = Column(DateTime, nullable=True)
    done_by = Column(String(64), nullable=True)
