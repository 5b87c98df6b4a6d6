"""Plain-text status reports.

`status_text` is the customer's progress view (like the 网上国网 app): the stages as a timeline with the
Beijing-time date each was reached, the current stage's deadline in working days and its warning level, the
visit time, the customer manager, and what was written for the customer (visit changes, messages). Internal
notes and the staff's explanations of stage moves never appear in it. `staff_history_lines` is every entry,
for staff (the CLI), with its kind.
"""

from __future__ import annotations

from datetime import datetime

from bot.knowledge.service import KnowledgeBase
from bot.masking import mask_text
from bot.orders.deadlines import StepDeadline, step_deadline
from bot.orders.stages import BY_ID, FLOW, stage
from bot.orders.times import beijing_date, shown, shown_day, shown_short
from bot.orders.views import HistoryEntry, OrderView

MESSAGE_LABELS = {"message": "留言", "visit": "上门时间"}


def when(moment: datetime) -> str:
    """'11月26日 10:00', Beijing time."""
    return shown_short(moment)


def deadline_line(kb: KnowledgeBase, order: OrderView, deadline: StepDeadline, level: bool = True) -> str:
    """The current step's limit, due date (Beijing) and what is left; with the warning level unless `level` is
    False (the progress view gives it a line of its own)."""
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
        due_text = f"{shown_short(due)}前"
    else:
        due_text = f"{shown_day(beijing_date(due))}前"
    reached = f"【{deadline.level.label()}】" if deadline.level and level else ""
    return (f"本环节时限：{deadline.limit.text}（依据{fact.source.doc}），应于{due_text}完成，"
            f"{deadline.remaining}{reached}{deadline.note}")


def warning_line(deadline: StepDeadline) -> str:
    """'预警等级：蓝色预警（办理预警）', or 正常 while no level is reached; '' without a limit."""
    if deadline.stage.final or deadline.limit is None or deadline.due is None:
        return ""
    return f"预警等级：{deadline.level.label() if deadline.level else '正常'}"


def _reached(order: OrderView) -> dict[str, HistoryEntry]:
    """The latest entry that moved the order into each stage."""
    found: dict[str, HistoryEntry] = {}
    for entry in order.history:
        if entry.moved:
            found[entry.to_stage] = entry
    return found


def timeline_lines(order: OrderView) -> list[str]:
    """✓ passed stages with their date, ● the current one, ○ those to come; skipped stages are left out."""
    reached = _reached(order)
    current = order.stage
    lines = []
    if current == "cancelled":
        for stage_id in FLOW:
            if stage_id in reached:
                lines.append(f" ✓ {BY_ID[stage_id].name}　{when(reached[stage_id].at)}")
        cancelled = reached.get("cancelled")
        lines.append(f" ✕ 已取消　{when(cancelled.at) if cancelled else ''}".rstrip())
        return lines
    position = FLOW.index(current) if current in FLOW else 0
    for index, stage_id in enumerate(FLOW):
        name = BY_ID[stage_id].name
        if index < position:
            if stage_id in reached:
                lines.append(f" ✓ {name}　{when(reached[stage_id].at)}")
        elif index == position:
            since = reached[stage_id].at if stage_id in reached else order.stage_since
            done = BY_ID[stage_id].final
            lines.append(f" {'✓' if done else '●'} {name}　{when(since)}" + ("" if done else "（当前）"))
        else:
            lines.append(f" ○ {name}")
    return lines


def customer_entries(order: OrderView) -> list[HistoryEntry]:
    """What was written for the customer: visit changes and messages (never internal notes)."""
    return [entry for entry in order.history if entry.customer_visible and entry.note]


def customer_lines(order: OrderView) -> list[str]:
    return [f" · {when(entry.at)} {MESSAGE_LABELS.get(entry.kind, '')}：{mask_text(entry.note or '')}"
            for entry in customer_entries(order)]


def history_lines(order: OrderView) -> list[str]:
    """The customer's record: stage changes by name, visit changes and messages; no internal note."""
    lines = []
    for entry in order.history:
        if entry.moved:
            lines.append(f" · {when(entry.at)} {BY_ID[entry.to_stage].name}")
        elif entry.customer_visible and entry.note:
            lines.append(f" · {when(entry.at)} {MESSAGE_LABELS.get(entry.kind, '')}：{mask_text(entry.note)}")
    return lines


def staff_history_lines(order: OrderView) -> list[str]:
    """Every entry for staff, with its kind and who wrote it (masked); internal ones marked 仅内部."""
    lines = []
    for entry in order.history:
        what = BY_ID[entry.to_stage].name if entry.moved else entry.kind_name
        seen = "客户可见" if entry.customer_visible or entry.moved else "仅内部"
        note = f"：{mask_text(entry.note)}" if entry.note else ""
        lines.append(f" · {shown(entry.at)} [{seen}] {what}（{entry.actor}）{note}")
    return lines


def status_text(kb: KnowledgeBase, order: OrderView, now: datetime, business_name: str = "") -> str:
    """The customer's progress view: everything masked, nothing another customer could use, no internal note."""
    current = stage(order.stage)
    region = kb.region(order.region)
    place = " ".join(x for x in (region.name, order.district) if x)
    lines = [
        f"工单 {order.display_number} · {place}" + (f" · {business_name}" if business_name else ""),
        f"当前阶段：{current.name}——{current.customer_text}",
        "办理进度：",
        *timeline_lines(order),
    ]
    deadline = step_deadline(kb, order, now)
    limit = deadline_line(kb, order, deadline, level=False)
    if limit:
        lines.append(limit)
    warning = warning_line(deadline)
    if warning:
        lines.append(warning)
    if order.visit_date and not current.final:
        lines.append(f"预约上门时间：{order.visit}")
    lines.append(f"客户经理：{order.manager.name if order.manager else '待分配'}")
    lines.append(f"联系人：{order.masked_name}，手机 {order.masked_phone}，地址 {order.masked_address}")
    messages = customer_lines(order)
    if messages:
        lines.append("办理动态：")
        lines.extend(messages)
    return "\n".join(lines)
