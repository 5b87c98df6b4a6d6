"""Plain-text status reports: stage in plain words, deadline, warning level, manager, history."""

from __future__ import annotations

from datetime import datetime

from bot.knowledge.service import KnowledgeBase
from bot.masking import mask_text
from bot.orders.deadlines import StepDeadline, step_deadline
from bot.orders.stages import BY_ID, stage
from bot.orders.views import OrderView

WEEKDAYS = "一二三四五六日"


def when(moment: datetime) -> str:
    return f"{moment.month}月{moment.day}日 {moment:%H:%M}"


def deadline_line(kb: KnowledgeBase, order: OrderView, deadline: StepDeadline) -> str:
    if deadline.stage.final:
        return ""
    if deadline.limit is None:
        doc = kb.region(order.region).document.number
        return f"本环节时限：{kb.region(order.region).name}的文件（{doc}）未规定这一环节的时限。"
    fact = deadline.limit.fact
    due = deadline.due
    if due is None:
        return ""
    if deadline.limit.unit in ("分钟", "小时"):
        due_text = f"{due:%m月%d日 %H:%M}前"
    else:
        due_text = f"{due.month}月{due.day}日（周{WEEKDAYS[due.weekday()]}）前"
    level = f"【{deadline.level.label()}】" if deadline.level else ""
    return (f"本环节时限：{deadline.limit.text}（依据{fact.source.doc}），应于{due_text}完成，"
            f"{deadline.remaining}{level}{deadline.note}")


def history_lines(order: OrderView) -> list[str]:
    lines = []
    for entry in order.history:
        moved = entry.from_stage != entry.to_stage
        what = BY_ID[entry.to_stage].name if moved or entry.from_stage is None else "备注"
        note = f"：{mask_text(entry.note)}" if entry.note else ""
        lines.append(f" · {when(entry.at)} {what}{note}")
    return lines


def status_text(kb: KnowledgeBase, order: OrderView, now: datetime, business_name: str = "") -> str:
    """The status reply: everything masked, nothing another customer could use."""
    current = stage(order.stage)
    region = kb.region(order.region)
    place = " ".join(x for x in (region.name, order.district) if x)
    lines = [
        f"工单 {order.display_number} · {place}" + (f" · {business_name}" if business_name else ""),
        f"当前阶段：{current.name}——{current.customer_text}",
    ]
    deadline = deadline_line(kb, order, step_deadline(kb, order, now))
    if deadline:
        lines.append(deadline)
    lines.append(f"客户经理：{order.manager.name if order.manager else '待分配'}")
    lines.append(f"联系人：{order.masked_name}，手机 {order.masked_phone}，地址 {order.masked_address}")
    lines.append("办理记录：")
    lines.extend(history_lines(order))
    return "\n".join(lines)
