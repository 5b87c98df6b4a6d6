"""Exporting the filtered orders (the orders page's filters and order) as CSV or Excel: admins only, audited,
personal data masked as on the page (bot/masking.py: 139****5678, 张*, 中华路*号).

CSV is UTF-8 with a byte-order mark, so that Excel opens the Chinese text correctly, and CRLF line ends.
Excel is a real .xlsx workbook (openpyxl) with dates as dates. Times are Beijing wall clock
(bot/orders/times.py). In both, a cell that starts like a formula (= + - @) is written as text, never
evaluated (a customer typed the name and address).
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from aiohttp import web
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from bot.feedback.store import audit
from bot.masking import mask_address, mask_name, mask_phone
from bot.orders.times import beijing_naive
from bot.web.console.auth import Agent, action
from bot.web.console.forms import posted_form
from bot.web.console.knowledge import kb_of
from bot.web.console.orders import MAX_EXPORT_ROWS, OrderRow, order_row, overdue_ids, read_filters, read_sorting
from bot.web.console.queries import count_orders, find_orders
from bot.web.console.roles import needs
from bot.web.context import web_context

Cell = str | int | datetime | date | None
HEADERS = ("工单号", "地区", "区县", "业务", "当前阶段", "进入阶段", "本环节时限", "预警", "客户经理",
           "联系人", "手机", "地址", "预约上门", "来源", "登记时间")
WIDTHS = (14, 8, 10, 16, 10, 17, 14, 14, 16, 8, 14, 28, 14, 14, 17)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Export:
    rows: list[list[Cell]]
    total: int  # how many orders matched (more than the rows when over MAX_EXPORT_ROWS)


def cells(row: OrderRow) -> list[Cell]:
    order = row.order
    visit = f"{order.visit_date:%Y-%m-%d} {order.visit_period or ''}".strip() if order.visit_date else ""
    return [order.display_number, row.region, order.district or "", row.business, row.stage,
            beijing_naive(order.stage_since),
            row.remaining, row.warning, order.manager.name if order.manager else "待分配",
            mask_name(order.contact_name), mask_phone(order.phone), mask_address(order.address), visit,
            "客户自助预约" if order.channel == "customer" else "工作人员代登记", beijing_naive(order.created_at)]


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(rows: Iterable[Sequence[Cell]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow([_text(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(rows: Iterable[Sequence[Cell]], title: str = "工单") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(list(HEADERS))
    for row in rows:
        sheet.append([value for value in row])
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = TYPE_STRING  # "=..." stays text: openpyxl would store a formula
            elif isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
    for index, width in enumerate(WIDTHS, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def _export(request: web.Request, agent: Agent, kind: str) -> web.StreamResponse:
    context = web_context(request)
    kb = await asyncio.to_thread(kb_of, context)
    form = {key: value for key, value in (await posted_form(request)).items() if isinstance(value, str)}
    filters, sorting = read_filters(form, kb), read_sorting(form)
    now = context.now()

    def load(session: Session) -> Export:
        ids = overdue_ids(session, kb, filters, now) if filters.overdue else None
        total = count_orders(session, filters, ids)
        found = find_orders(session, filters, sorting, limit=MAX_EXPORT_ROWS, ids=ids) if total else []
        rows = [cells(order_row(kb, order, now)) for order in found]
        detail = (f"{kind} {len(rows)} 条（共 {total} 条）；筛选：{filters.described()}；"
                  f"排序：{sorting.key} {sorting.direction}")
        audit(session, actor=agent.name, action="export", target="orders", now=now, detail=detail)
        return Export(rows, total)

    export = await context.run_db(load)
    stamp = f"{beijing_naive(now):%Y%m%d-%H%M}"
    if kind == "csv":
        body, content_type, name = to_csv(export.rows), "text/csv; charset=utf-8", f"orders-{stamp}.csv"
    else:
        body = await asyncio.to_thread(to_xlsx, export.rows)
        content_type, name = XLSX_TYPE, f"orders-{stamp}.xlsx"
    return web.Response(body=body, headers={
        "Content-Type": content_type, "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store", "X-Export-Rows": str(len(export.rows)), "X-Export-Total": str(export.total)})


@action
@needs("export")
async def export_csv(request: web.Request, agent: Agent) -> web.StreamResponse:
    return await _export(request, agent, "csv")


@action
@needs("export")
async def export_xlsx(request: web.Request, agent: Agent) -> web.StreamResponse:
    return await _export(request, agent, "xlsx")
