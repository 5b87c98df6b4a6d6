"""The answerer and knowledge base the console uses (injectable through WebContext.extras), and names."""

from __future__ import annotations

from bot.booking.business import BY_ID as BUSINESSES
from bot.knowledge.service import KnowledgeBase
from bot.orders.stages import BY_ID as STAGES
from bot.qa.planner import Answerer
from bot.services import current
from bot.web.context import WebContext


def answerer_of(context: WebContext) -> Answerer:
    """extras["answerer"] when a test provides one, else the app's services' (the KB loads on first use)."""
    given = context.extras.get("answerer")
    if isinstance(given, Answerer):
        return given
    return (context.services or current()).answerer


def kb_of(context: WebContext) -> KnowledgeBase:
    return answerer_of(context).kb


def region_name(kb: KnowledgeBase, region_id: str | None) -> str:
    if not region_id:
        return ""
    try:
        return kb.region(region_id).name
    except KeyError:
        return region_id


def category_name(kb: KnowledgeBase, category_id: str | None) -> str:
    if not category_id:
        return ""
    entry = kb.vocab.categories.get(category_id)
    return str(entry.get("name", category_id)) if isinstance(entry, dict) else category_id


def business_name(business_id: str) -> str:
    found = BUSINESSES.get(business_id)
    return found.name if found else business_id


def stage_name(stage_id: str | None) -> str:
    found = STAGES.get(stage_id or "")
    return found.name if found else (stage_id or "")
