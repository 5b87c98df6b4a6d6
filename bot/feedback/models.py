"""Tables of feedback: each web-chat exchange (question, answer, rating) and unanswered questions."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String, Text

from bot.store.base import Base


class Exchange(Base):
    __tablename__ = "exchanges"
    id = Column(Integer, primary_key=True)
    conversation = Column(String(64), nullable=False, index=True)
    channel = Column(String(16), nullable=False)
    question = Column(Text, nullable=False)  # masked
    answer = Column(Text, nullable=False)  # masked
    created_at = Column(DateTime, nullable=False, index=True)
    rating = Column(Integer, nullable=True)  # 1 = 👍, -1 = 👎
    rated_at = Column(DateTime, nullable=True)
    handled_at = Column(DateTime, nullable=True)  # an agent marked the rated answer handled (revision 0003)
    handled_by = Column(String(64), nullable=True)


class Unanswered(Base):
    __tablename__ = "unanswered"
    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, index=True)
    conversation = Column(String(64), nullable=False)
    region = Column(String(32), nullable=True)
    question = Column(Text, nullable=False)  # masked
    reason = Column(String(32), nullable=False)


class AuditEntry(Base):
    """Who did what in the console (revealing personal data, moving orders, taking handoffs)."""

    __tablename__ = "audit_log"
    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, index=True)
    actor = Column(String(64), nullable=False)
    action = Column(String(32), nullable=False)
    target = Column(String(64), nullable=False)
    detail = Column(Text, nullable=True)
