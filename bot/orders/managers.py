"""Customer managers: who serves which district, assignment, and fictitious demo data."""

from __future__ import annotations

import re
import string

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.knowledge.models import District, Region
from bot.orders.models import CustomerManager, WorkOrder
from bot.orders.stages import BY_ID
from bot.orders.views import ManagerView
from bot.untrusted import ascii_int

_OPEN_STAGES = tuple(s for s, stage in BY_ID.items() if not stage.final)


def add_manager(
    session: Session, name: str, region: str, district: str | None, phone: str | None = None,
) -> ManagerView:
    """Add a manager (or return the existing one with that name in that district); commits."""
    existing = session.execute(select(CustomerManager).where(
        CustomerManager.region == region, CustomerManager.district == district, CustomerManager.name == name,
    )).scalar_one_or_none()
    if existing:
        return ManagerView.of(existing)
    row = CustomerManager(name=name, region=region, district=district, phone=phone, active=True)
    session.add(row)
    session.commit()
    return ManagerView.of(row)


def list_managers(session: Session, region: str | None = None) -> list[ManagerView]:
    query = select(CustomerManager).order_by(CustomerManager.region, CustomerManager.district, CustomerManager.id)
    if region:
        query = query.where(CustomerManager.region == region)
    return [ManagerView.of(row) for row in session.execute(query).scalars()]


def find_manager(session: Session, key: str) -> CustomerManager | None:
    """A manager by id (ASCII digits, at most 18: ² or ፩ pass str.isdigit() but not int()) or exact name."""
    manager_id = ascii_int(key, 18)
    query = select(CustomerManager).where(
        CustomerManager.id == manager_id if manager_id is not None else CustomerManager.name == key)
    return session.execute(query).scalars().first()


def pick_manager(session: Session, region: str, district: str | None) -> CustomerManager | None:
    """The district's active manager with the fewest open orders; else the region's general manager."""
    for where_district in ([district] if district else []) + [None]:
        same_district = (CustomerManager.district.is_(None) if where_district is None
                         else CustomerManager.district == where_district)
        candidates = session.execute(select(CustomerManager).where(
            CustomerManager.region == region, CustomerManager.active.is_(True), same_district,
        ).order_by(CustomerManager.id)).scalars().all()
        if candidates:
            return min(candidates, key=lambda m: (_open_orders(session, m.id), m.id))
    return None


def _open_orders(session: Session, manager_id: int) -> int:
    query = select(func.count()).select_from(WorkOrder).where(
        WorkOrder.manager_id == manager_id, WorkOrder.stage.in_(_OPEN_STAGES))
    return int(session.execute(query).scalar_one())


def short_district(district: District) -> str:
    """文峰区 → 文峰, 滕州市 → 滕州 (an alias when one exists)."""
    short = [a for a in district.aliases if a and len(a) < len(district.name)]
    if short:
        return min(short, key=len)
    return re.sub(r"(区|县|市|自治县)$", "", district.name) or district.name


def demo_manager_names(region: Region) -> list[tuple[str | None, str]]:
    """(district, name) pairs of clearly fictitious managers: one per district and one for the region."""
    letters = string.ascii_uppercase
    pairs: list[tuple[str | None, str]] = [(None, f"客户经理-{region.name}中心")]
    for index, district in enumerate(region.districts):
        pairs.append((district.name, f"客户经理{letters[index % 26]}-{short_district(district)}"))
    return pairs


def seed_demo_managers(session: Session, regions: tuple[Region, ...]) -> int:
    """Load the demo managers for every region and district of the gazetteer; returns how many were new."""
    added = 0
    for region in regions:
        for district, name in demo_manager_names(region):
            before = session.execute(select(func.count()).select_from(CustomerManager).where(
                CustomerManager.region == region.id, CustomerManager.name == name)).scalar_one()
            if not before:
                session.add(CustomerManager(name=name, region=region.id, district=district, active=True))
                added += 1
    session.commit()
    return added
