"""What the assistant says around a booking: the summary to confirm, and the confirmation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.booking.business import BY_ID as BUSINESS
from bot.booking.capacity import NOT_GIVEN
from bot.booking.visit import Visit
from bot.knowledge import selection
from bot.knowledge.models import Fact
from bot.knowledge.service import FactQuery, KnowledgeBase
from bot.masking import mask_address, mask_name, mask_phone
from bot.orders.deadlines import dispatch_limit
from bot.orders.times import beijing_date, shown_clock
from bot.orders.views import OrderView


def place_text(kb: KnowledgeBase, region: str | None, district: str | None) -> str:
    if not region:
        return ""
    return " ".join(x for x in (kb.region(region).name, district) if x)


def summary(kb: KnowledgeBase, fields: dict[str, Any]) -> str:
    """The booking as entered, with the phone, house numbers and given name masked."""
    business = BUSINESS.get(fields.get("business") or "")
    lines = [
        "请核对预约信息（手机号中间四位和门牌号已隐藏）：",
        f"· 联系人：{mask_name(fields.get('name'))}",
        f"· 手机号：{mask_phone(fields.get('phone'))}",
        f"· 用电地址：{mask_address(fields.get('address'))}"
        f"（{place_text(kb, fields.get('region'), fields.get('district'))}）",
        f"· 业务类型：{business.name if business else ''}",
    ]
    if fields.get("capacity") and fields["capacity"] != NOT_GIVEN:
        lines.append(f"· 用电容量：{fields['capacity']}")
    if fields.get("visit"):
        lines.append(f"· 希望上门时间：{Visit.from_slot(fields['visit']).text()}")
    lines.append("无误请回复“确认”；要修改请直接说，例如“电话改成139……”“时间改到周五下午”；不办了请说“取消”。")
    return "\n".join(lines)


def _materials(kb: KnowledgeBase, region: str, category: str, on: datetime) -> list[Fact]:
    facts = kb.best_facts(region, FactQuery(topic="materials", category=category))
    return selection.select([f for f in facts if f.aspect == "list"], on=beijing_date(on))[:2]


def _steps(kb: KnowledgeBase, region: str, category: str, on: datetime) -> list[Fact]:
    facts = kb.best_facts(region, FactQuery(topic="steps", category=category, aspect="count"))
    return selection.select(facts, on=beijing_date(on))[:1]


def already_booked(order: OrderView) -> str:
    """A duplicate of an order booked in another conversation: nothing of the order but the masked phone."""
    return (f"这笔预约（同一手机号、地址和业务）之前已经登记过了，不会重复建单。客户经理会按登记的手机号"
            f"（{order.masked_phone}）与您联系。查询或修改预约，请使用登记时收到的工单号。")


def confirmation(kb: KnowledgeBase, order: OrderView, created: bool, now: datetime) -> str:
    region = kb.region(order.region)
    doc = region.document.number
    head = "预约成功！" if created else "这笔预约之前已经登记过了，不会重复建单。"
    lines = [head, f"工单号：{order.display_number}（查询进度时需要工单号和手机号后四位，请记好）"]
    manager = order.manager.name if order.manager else "供电服务指挥中心指派的客户经理"
    visit = f"，按您希望的时间 {order.visit}" if order.visit_date else ""
    lines.append(f"客户经理：{manager}将与您（{order.masked_phone}）联系{visit}上门收取资料，您不用带任何资料。")
    lines.append(_dispatch_line(kb, order, doc))
    materials = _materials(kb, order.region, order.category or "all", now)
    if materials:
        lines.append("客户经理上门时收取的资料：" + "；".join(f.statement for f in materials) + f"（依据{doc}）")
    else:
        lines.append(f"需要的资料：{region.name}的文件没有列出具体清单，客户经理上门时会告诉您。")
    steps = _steps(kb, order.region, order.category or "all", now)
    if steps:
        lines.append("后续环节：" + steps[0].statement + f"（依据{doc}）")
    return "\n".join(lines)


def _dispatch_line(kb: KnowledgeBase, order: OrderView, doc: str) -> str:
    limit = dispatch_limit(kb, order.region)
    if limit is None or order.dispatch_due is None:
        name = kb.region(order.region).name
        return f"派单时限：{name}的文件（{doc}）未规定预约工单的派单时限，客户经理会尽快与您联系。"
    due = shown_clock(order.dispatch_due)
    return f"派单时限：按{doc}，预约工单在{limit.text}内（{due}前）派发给客户经理。"
