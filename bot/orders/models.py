"""Tables of the work-order store: orders, their history, customer managers, status lookups (on the store's Base).

Every time is a UTCDateTime (stored as UTC, read as aware UTC: bot/orders/times.py); the visit day and time are
Beijing wall clock, as the customer said them.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from bot.orders.times import UTCDateTime
from bot.store.base import Base

# What a history entry is (order_history.kind), and whether the customer may see its note:
HISTORY_KINDS = {
    "stage": "阶段",          # created, or moved to another stage; the note is the staff's explanation (internal)
    "note": "内部备注",       # a staff note: never shown to the customer
    "message": "给客户的消息",  # written for the customer: shown in the status reply and pushed
    "visit": "上门时间",      # the visit time changed; the note says from and to (shown to the customer)
    "manager": "客户经理",    # assigned or reassigned (internal)
}
CUSTOMER_NOTES = frozenset({"message", "visit"})  # kinds whose note text the customer sees


class CustomerManager(Base):
    __tablename__ = "customer_managers"
    __table_args__ = (UniqueConstraint("region", "district", "name", name="uq_manager_district_name"),)
    id = Column(Integer, primary_key=True)
    name = Column(String(64), nullable=False)
    region = Column(String(32), nullable=False, index=True)
    district = Column(String(64), nullable=True)
    phone = Column(String(20), nullable=True)
    active = Column(Boolean, nullable=False, default=True)


class WorkOrder(Base):
    __tablename__ = "work_orders"
    __table_args__ = (UniqueConstraint("dedupe_key", "dedupe_bucket", name="uq_order_dedupe"),)
    id = Column(Integer, primary_key=True)
    number = Column(String(16), nullable=False, unique=True)
    region = Column(String(32), nullable=False, index=True)
    district = Column(String(64), nullable=True)
    address = Column(String(200), nullable=False)
    contact_name = Column(String(64), nullable=False)
    phone = Column(String(16), nullable=False)
    phone_suffix = Column(String(4), nullable=False)
    business = Column(String(32), nullable=False)
    category = Column(String(64), nullable=True)
    capacity = Column(String(32), nullable=True)
    visit_date = Column(Date, nullable=True)
    visit_period = Column(String(16), nullable=True)
    visit_time = Column(Time, nullable=True)  # a time asked for within the period (Beijing wall clock)
    stage = Column(String(24), nullable=False, index=True)
    stage_since = Column(UTCDateTime, nullable=False)
    manager_id = Column(Integer, ForeignKey("customer_managers.id"), nullable=True)
    channel = Column(String(16), nullable=False)
    created_by = Column(String(64), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, index=True)
    updated_at = Column(UTCDateTime, nullable=False)
    dispatch_due = Column(UTCDateTime, nullable=True)
    dedupe_key = Column(String(64), nullable=False, index=True)
    dedupe_bucket = Column(Integer, nullable=False)
    request_id = Column(String(64), nullable=True, unique=True)
    conversation = Column(String(64), nullable=True)

    manager = relationship(CustomerManager, lazy="joined")
    history = relationship("StatusChange", order_by="StatusChange.id", lazy="selectin")


class StatusChange(Base):
    __tablename__ = "order_history"
    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("work_orders.id"), nullable=False, index=True)
    at = Column(UTCDateTime, nullable=False)
    from_stage = Column(String(24), nullable=True)
    to_stage = Column(String(24), nullable=False)
    actor = Column(String(64), nullable=False)
    note = Column(Text, nullable=True)
    kind = Column(String(16), nullable=False, server_default="note")  # a key of HISTORY_KINDS


class LookupAttempt(Base):
    __tablename__ = "lookup_attempts"
    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime, nullable=False, index=True)
    conversation = Column(String(64), nullable=False, index=True)
    order_number = Column(String(16), nullable=False, index=True)
    success = Column(Boolean, nullable=False)


class LookupClientFailure(Base):
    """A failed status lookup, by the client's address: lookups from one address are limited whatever
    sender id it uses."""

    __tablename__ = "lookup_client_failures"
    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime, nullable=False, index=True)
    client = Column(String(64), nullable=False, index=True)

