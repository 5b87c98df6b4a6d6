"""Read-only queries the stores do not offer: order search, new handoff messages, managers of a region."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from bot.livechat.models import Handoff, HandoffMessage
from bot.masking import mask_name
from bot.orders.models import CustomerManager, WorkOrder
from bot.orders.stages import STAGES
from bot.orders.views import ManagerView, OrderView
from bot.web.console.paging import Sorting

FINAL_STAGES = ("completed", "cancelled")


def _like(text: str) -> str:
    return "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"


@dataclass(frozen=True)
class OrderFilters:
    """The orders page's filters (also what an export exports)."""

    text: str = ""  # an order number (or its first digits), a phone's last 4 digits, or part of a name
    region: str = ""
    stage: str = ""
    overdue: bool = False  # open orders past their current step's deadline (computed: see overdue_ids)

    def params(self) -> dict[str, str]:
        return {"q": self.text, "region": self.region, "stage": self.stage, "overdue": "1" if self.overdue else ""}

    @property
    def by_personal_data(self) -> bool:
        """Whether the text searches contact names or a phone's last four digits: a search that confirms
        whether a person has an order (an order number is what staff are given to look up)."""
        digits = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", self.text).strip())
        return self.by_name or (digits.isdigit() and len(digits) == 4)

    @property
    def by_name(self) -> bool:
        """Whether the text searches contact names (not an order number or a phone's last digits)."""
        text = unicodedata.normalize("NFKC", self.text).strip()
        return bool(text) and not re.sub(r"[\s\-]", "", text).isdigit()

    def described(self) -> str:
        """For the audit log: the filters in force, a name searched for masked (孙八 → 孙*)."""
        params = {**self.params(), "q": mask_name(self.text) if self.by_name else self.text}
        return " ".join(f"{k}={v}" for k, v in params.items() if v) or "全部"


ORDER_SORTS: dict[str, Any] = {
    "created": WorkOrder.created_at,
    "stage_since": WorkOrder.stage_since,
    "number": WorkOrder.number,
    "region": WorkOrder.region,
    "stage": case({stage.id: index for index, stage in enumerate(STAGES)}, value=WorkOrder.stage, else_=99),
    "manager": CustomerManager.name,
}


def _where(query: Select, filters: OrderFilters, ids: Sequence[int] | None) -> Select:
    text = unicodedata.normalize("NFKC", filters.text).strip()
    digits = re.sub(r"[\s\-]", "", text)
    if digits.isdigit() and len(digits) == 4:
        query = query.where(WorkOrder.phone_suffix == digits)
    elif digits.isdigit():
        query = query.where(WorkOrder.number.startswith(digits))
    elif text:
        query = query.where(WorkOrder.contact_name.like(_like(text), escape="\\"))
    if filters.region:
        query = query.where(WorkOrder.region == filters.region)
    if filters.stage:
        query = query.where(WorkOrder.stage == filters.stage)
    if filters.overdue:
        query = query.where(WorkOrder.stage.not_in(FINAL_STAGES))
    if ids is not None:
        query = query.where(WorkOrder.id.in_(list(ids)))
    return query


def count_orders(session: Session, filters: OrderFilters, ids: Sequence[int] | None = None) -> int:
    query = _where(select(func.count()).select_from(WorkOrder), filters, ids)
    return int(session.execute(query).scalar_one())


def find_orders(session: Session, filters: OrderFilters, sorting: Sorting, *, offset: int = 0, limit: int = 25,
                ids: Sequence[int] | None = None) -> list[OrderView]:
    """One page of the filtered orders in a stable order: the sort column, then the id the same way round."""
    column = ORDER_SORTS.get(sorting.key, WorkOrder.created_at)
    query = select(WorkOrder)
    if sorting.key == "manager":
        query = query.outerjoin(CustomerManager, WorkOrder.manager_id == CustomerManager.id)
    ordered: tuple[Any, ...] = ((column.desc(), WorkOrder.id.desc()) if sorting.descending
                                else (column.asc(), WorkOrder.id.asc()))
    if sorting.key == "manager":  # orders without a manager (待分配) last either way
        ordered = (CustomerManager.name.is_(None), *ordered)
    query = _where(query, filters, ids).order_by(*ordered).offset(offset).limit(limit)
    return [OrderView.of(row) for row in session.execute(query).scalars().unique()]


def open_order_keys(session: Session, filters: OrderFilters, scan: int) -> list[tuple[int, OrderView]]:
    """The open orders of the filters, the longest in their stage first (for the overdue filter)."""
    query = _where(select(WorkOrder), replace(filters, overdue=True), None)
    query = query.order_by(WorkOrder.stage_since, WorkOrder.id).limit(scan)
    return [(row.id, OrderView.of(row)) for row in session.execute(query).scalars().unique()]


def search_orders(
    session: Session, *, text: str = "", region: str | None = None, stage_id: str | None = None,
    open_only: bool = False, limit: int = 100,
) -> list[OrderView]:
    """Newest first. `text`: an order number (or its first digits), a phone's last 4 digits, or part of a name."""
    filters = OrderFilters(text=text, region=region or "", stage=stage_id or "", overdue=open_only)
    return find_orders(session, filters, Sorting("created", True), limit=limit)


def region_managers(session: Session, region: str) -> list[ManagerView]:
    query = (select(CustomerManager).where(CustomerManager.region == region, CustomerManager.active.is_(True))
             .order_by(CustomerManager.district.is_not(None), CustomerManager.district, CustomerManager.id))
    return [ManagerView.of(row) for row in session.execute(query).scalars()]


def manager_in_region(session: Session, manager_id: int, region: str) -> CustomerManager | None:
    row = session.get(CustomerManager, manager_id)
    return row if row is not None and row.region == region and row.active else None


def messages_after(session: Session, handoff_id: int, after: int, limit: int = 200) -> list[HandoffMessage]:
    query = (select(HandoffMessage).where(HandoffMessage.handoff_id == handoff_id, HandoffMessage.id > after)
             .order_by(HandoffMessage.id).limit(limit))
    return list(session.execute(query).scalars())


def waiting_count(session: Session) -> int:
    query = select(func.count()).select_from(Handoff).where(Handoff.status == "waiting")
    return int(session.execute(query).scalar_one())


HANDOFF_STATUSES = {"open": ("waiting", "active"), "waiting": ("waiting",), "active": ("active",),
                    "closed": ("closed",), "all": ()}
HANDOFF_SORTS: dict[str, Any] = {
    "created": Handoff.created_at,
    "id": Handoff.id,
    "status": case({"waiting": 0, "active": 1, "closed": 2}, value=Handoff.status, else_=3),
    "region": Handoff.region,
    "agent": Handoff.agent,
}


def _handoff_where(query: Select, status: str, region: str) -> Select:
    wanted = HANDOFF_STATUSES.get(status, HANDOFF_STATUSES["open"])
    if wanted:
        query = query.where(Handoff.status.in_(wanted))
    if region:
        query = query.where(Handoff.region == region)
    return query


def count_handoffs(session: Session, status: str, region: str) -> int:
    query = _handoff_where(select(func.count()).select_from(Handoff), status, region)
    return int(session.execute(query).scalar_one())


def find_handoffs(session: Session, status: str, region: str, sorting: Sorting, *, offset: int = 0,
                  limit: int = 25) -> list[Handoff]:
    column = HANDOFF_SORTS.get(sorting.key, Handoff.created_at)
    ordered = (column.desc(), Handoff.id.desc()) if sorting.descending else (column.asc(), Handoff.id.asc())
    query = _handoff_where(select(Handoff), status, region).order_by(*ordered).offset(offset).limit(limit)
    return list(session.execute(query).scalars().unique())


def newest_waiting(session: Session) -> int:
    """The id of the newest waiting handoff (0: none): the console rings when it grows."""
    query = select(func.max(Handoff.id)).where(Handoff.status == "waiting")
    return int(session.execute(query).scalar() or 0)
