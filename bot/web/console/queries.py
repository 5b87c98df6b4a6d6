"""Read-only queries the stores do not offer: order search, new handoff messages, managers of a region."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.livechat.models import Handoff, HandoffMessage
from bot.orders.models import CustomerManager, WorkOrder
from bot.orders.views import ManagerView, OrderView

FINAL_STAGES = ("completed", "cancelled")


def _like(text: str) -> str:
    return "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"


def search_orders(
    session: Session, *, text: str = "", region: str | None = None, stage_id: str | None = None,
    open_only: bool = False, limit: int = 100,
) -> list[OrderView]:
    """Newest first. `text`: an order number (or its first digits), a phone's last 4 digits, or part of a name."""
    query = select(WorkOrder).order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc()).limit(limit)
    text = unicodedata.normalize("NFKC", text).strip()
    digits = re.sub(r"[\s\-]", "", text)
    if digits.isdigit() and len(digits) == 4:
        query = query.where(WorkOrder.phone_suffix == digits)
    elif digits.isdigit():
        query = query.where(WorkOrder.number.startswith(digits))
    elif text:
        query = query.where(WorkOrder.contact_name.like(_like(text), escape="\\"))
    if region:
        query = query.where(WorkOrder.region == region)
    if stage_id:
        query = query.where(WorkOrder.stage == stage_id)
    if open_only:
        query = query.where(WorkOrder.stage.not_in(FINAL_STAGES))
    return [OrderView.of(row) for row in session.execute(query).scalars().unique()]


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
