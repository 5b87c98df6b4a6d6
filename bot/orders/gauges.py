"""Work orders counted for the metrics (bot/metrics.py): by stage and region, and the open ones past their
current step's deadline, computed as the console's 超时 filter does (bot/orders/deadlines.py)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.knowledge.service import KnowledgeBase
from bot.metrics import OrderCounts
from bot.orders.deadlines import step_deadline
from bot.orders.models import WorkOrder
from bot.orders.stages import STAGES, UnknownStage
from bot.orders.views import OrderView

FINAL = tuple(stage.id for stage in STAGES if stage.final)
OVERDUE_SCAN = 1000  # open orders examined for the overdue gauge, the longest in their stage first


def order_counts(session: Session, kb: KnowledgeBase, now: datetime, scan: int = OVERDUE_SCAN) -> OrderCounts:
    """One GROUP BY for the stages, one read of the open orders' stage, region, category and stage start."""
    grouped = session.execute(select(WorkOrder.stage, WorkOrder.region, func.count())
                              .group_by(WorkOrder.stage, WorkOrder.region)).all()
    waiting = session.execute(select(WorkOrder.region, WorkOrder.category, WorkOrder.stage, WorkOrder.stage_since)
                              .where(WorkOrder.stage.not_in(FINAL))
                              .order_by(WorkOrder.stage_since, WorkOrder.id).limit(scan)).all()
    overdue: Counter[tuple[str, str]] = Counter()
    for region, category, stage, since in waiting:
        if _overdue(kb, region, category, stage, since, now):
            overdue[(stage, region)] += 1
    return OrderCounts({(stage, region): int(count) for stage, region, count in grouped}, dict(overdue))


def _overdue(kb: KnowledgeBase, region: str, category: str | None, stage: str, since: datetime,
             now: datetime) -> bool:
    # step_deadline reads an order's region, category, stage and stage start; the rest stays blank
    view = OrderView(number="", region=region, district=None, address="", contact_name="", phone="", business="",
                     category=category, capacity=None, visit_date=None, visit_period=None, stage=stage,
                     stage_since=since, manager=None, channel="", created_by="", created_at=since,
                     dispatch_due=None, history=())
    try:
        return step_deadline(kb, view, now).overdue
    except (KeyError, UnknownStage):  # a region or stage the knowledge base does not know (as the console)
        return False
