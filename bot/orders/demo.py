"""Fictitious demo data: a manager per district of the gazetteer and a few sample orders."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from bot.knowledge.service import KnowledgeBase
from bot.orders.managers import seed_demo_managers
from bot.orders.stages import FLOW
from bot.orders.store import advance_order, create_booking
from bot.orders.views import BookingDraft, OrderView

_SAMPLES = (
    ("演示甲", "resident_new", "resident", "演示路1号"),
    ("演示乙", "nonresident_new", "lv_nonresident", "演示街2号"),
    ("演示丙", "hv_new", "hv", "演示大道3号"),
    ("演示丁", "charging", "charging_nonresident", "演示广场4号"),
    ("演示戊", "temporary", "temporary", "演示工地5号"),
)


def load_demo(session: Session, kb: KnowledgeBase, now: datetime, orders: int = 0) -> tuple[int, list[OrderView]]:
    """Managers for every district (idempotent) and `orders` sample orders spread over the stages."""
    managers = seed_demo_managers(session, kb.regions)
    made: list[OrderView] = []
    for index in range(orders):
        region = kb.regions[index % len(kb.regions)]
        district = region.districts[index % len(region.districts)].name if region.districts else None
        name, business, category, street = _SAMPLES[index % len(_SAMPLES)]
        created = now - timedelta(days=index)
        address = f"{region.full_name}{district or ''}{street}"
        draft = BookingDraft(name, f"1380000{index:04d}", region.id, district, address, business, category,
                             visit_date=date.fromordinal(now.toordinal() + 1), visit_period="上午")
        order = create_booking(session, draft, actor="demo", channel="staff", now=created,
                               request_id=f"demo-{index}").order
        for step in FLOW[1:1 + index % (len(FLOW) - 1)]:
            order = advance_order(session, order.number, to_stage=step, actor="demo", now=created + timedelta(hours=1),
                                  note="演示数据")
        made.append(order)
    return managers, made
