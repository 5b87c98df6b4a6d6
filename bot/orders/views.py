"""Plain, session-free views of orders for replies, the CLI and the console."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.masking import mask_address, mask_name, mask_phone
from bot.orders import numbers
from bot.orders.models import CustomerManager, StatusChange, WorkOrder


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
    at: datetime
    from_stage: str | None
    to_stage: str
    actor: str
    note: str | None

    @classmethod
    def of(cls, row: StatusChange) -> HistoryEntry:
        return cls(row.at, row.from_stage, row.to_stage, row.actor, row.note)


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
        )

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
