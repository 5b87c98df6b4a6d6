"""Plain, session-free views of orders for replies, the CLI and the console."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from bot.masking import mask_address, mask_name, mask_phone
from bot.orders import numbers
from bot.orders.models import CUSTOMER_NOTES, HISTORY_KINDS, CustomerManager, StatusChange, WorkOrder
from bot.orders.times import visit_text


@dataclass(frozen=True)
class BookingDraft:
    """What a customer or staff member registers (phone as 11 canonical digits)."""

    contact_name: str
    phone: str
    region: str
    district: str | None
    address: str
    business: str
    category: str | None = None
    capacity: str | None = None
    visit_date: date | None = None
    visit_period: str | None = None
    visit_time: time | None = None


@dataclass(frozen=True)
class ManagerView:
    id: int
    name: str
    region: str
    district: str | None
    phone: str | None

    @classmethod
    def of(cls, row: CustomerManager) -> ManagerView:
        return cls(row.id, row.name, row.region, row.district, row.phone)


@dataclass(frozen=True)
class HistoryEntry:
    """One entry of an order's history. `at` is aware UTC; `kind` says what it is and who may read its note."""

    at: datetime
    from_stage: str | None
    to_stage: str
    actor: str
    note: str | None
    kind: str = "note"

    @classmethod
    def of(cls, row: StatusChange) -> HistoryEntry:
        return cls(row.at, row.from_stage, row.to_stage, row.actor, row.note, row.kind or "note")

    @property
    def moved(self) -> bool:
        """A creation or a stage change."""
        return self.kind == "stage" and (self.from_stage is None or self.from_stage != self.to_stage)

    @property
    def customer_visible(self) -> bool:
        """Whether the customer may read the note (customer messages and visit changes; never internal notes)."""
        return self.kind in CUSTOMER_NOTES

    @property
    def kind_name(self) -> str:
        return HISTORY_KINDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class OrderView:
    number: str
    region: str
    district: str | None
    address: str
    contact_name: str
    phone: str
    business: str
    category: str | None
    capacity: str | None
    visit_date: date | None
    visit_period: str | None
    stage: str
    stage_since: datetime
    manager: ManagerView | None
    channel: str
    created_by: str
    created_at: datetime
    dispatch_due: datetime | None
    history: tuple[HistoryEntry, ...]
    visit_time: time | None = None

    @classmethod
    def of(cls, row: WorkOrder) -> OrderView:
        return cls(
            number=row.number, region=row.region, district=row.district, address=row.address,
            contact_name=row.contact_name, phone=row.phone, business=row.business, category=row.category,
            capacity=row.capacity, visit_date=row.visit_date, visit_period=row.visit_period,
            stage=row.stage, stage_since=row.stage_since,
            manager=ManagerView.of(row.manager) if row.manager else None,
            channel=row.channel, created_by=row.created_by, created_at=row.created_at,
            dispatch_due=row.dispatch_due, history=tuple(HistoryEntry.of(h) for h in row.history),
            visit_time=row.visit_time,
        )

    @property
    def visit(self) -> str:
        """'12月2日（周二）上午', '' when no visit time was asked for (Beijing wall clock, as the customer said it)."""
        return visit_text(self.visit_date, self.visit_period, self.visit_time) if self.visit_date else ""

    @property
    def display_number(self) -> str:
        return numbers.display(self.number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_address(self) -> str:
        return mask_address(self.address)

    @property
    def masked_name(self) -> str:
        return mask_name(self.contact_name)
