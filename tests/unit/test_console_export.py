"""Exporting the filtered orders as CSV (UTF-8 with BOM) and Excel (.xlsx read back with openpyxl): the same
filters and order as the page, personal data masked, formulas never evaluated, admins only, audited."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from bot.feedback.models import AuditEntry
from bot.orders.store import advance_order, create_booking
from bot.web.console.accounts import add_user
from bot.web.console.export import HEADERS, to_csv, to_xlsx
from tests.unit.orders_fixtures import draft
from tests.unit.test_console_paging import book_many
from tests.unit.test_console_support import NOW, Harness, run_console

FULL_PHONE = re.compile(r"1[3-9]\d{9}")
AGENT_PASSWORD = "agent-pass-1234"


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8 then
    return list(csv.reader(io.StringIO(body[3:].decode("utf-8"), newline="")))


def read_xlsx(body: bytes) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(body)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def exports(h: Harness) -> list[tuple[str, str, str]]:
    with h.session() as session:
        rows = session.execute(select(AuditEntry).where(AuditEntry.action == "export")).scalars()
        return [(row.actor, row.target, row.detail or "") for row in rows]


def test_csv_export_is_filtered_masked_and_audited(tmp_path):
    async def body(h: Harness) -> None:
        anyang = book_many(h, 30)
        yantai = book_many(h, 2, region="yantai", start=30)
        with h.session() as session:
            advance_order(session, anyang[0], actor="t", now=NOW, to_stage="dispatched")
        await h.logged_in()
        response = await h.post("/agent/orders/export.csv", {"region": "anyang", "sort": "number", "dir": "asc"})
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        disposition = response.headers["Content-Disposition"]
        assert re.fullmatch(r'attachment; filename="orders-20251126-1800\.csv"', disposition)
        assert response.headers["Cache-Control"] == "no-store"
        raw = await response.read()
        rows = read_csv(raw)
        assert rows[0] == list(HEADERS)
        numbers = [row[0].replace("-", "") for row in rows[1:]]
        assert numbers == sorted(anyang)  # every page, not only the first 25, in the page's order
        assert not set(numbers) & set(yantai)
        text = raw.decode("utf-8")
        assert not FULL_PHONE.search(text) and "张三" not in text and "中华路1号" not in text
        first = rows[1 + numbers.index(anyang[0])]
        assert first[1] == "安阳" and first[4] == "已派单" and first[8] == "客户经理A-文峰"
        assert first[9] == "张*" and re.fullmatch(r"139\*\*\*\*\d{4}", first[10])
        assert first[11].startswith("安阳市文峰区中华路*号")
        assert b"\r\n" in raw
        staged = read_csv(await (await h.post("/agent/orders/export.csv", {"stage": "dispatched"})).read())
        assert [row[0].replace("-", "") for row in staged[1:]] == [anyang[0]]
        assert exports(h) == [("admin", "orders", "csv 30 条（共 30 条）；筛选：region=anyang；排序：number asc"),
                              ("admin", "orders", "csv 1 条（共 1 条）；筛选：stage=dispatched；排序：created desc")]

    run_console(tmp_path, body)


def test_xlsx_export_reads_back_with_openpyxl(tmp_path):
    async def body(h: Harness) -> None:
        numbers = book_many(h, 3)
        with h.session() as session:  # a name and address typed like formulas stay text
            formula = create_booking(session, draft(contact_name="=HYPERLINK(1)", phone="13700001111",
                                                    address="=cmd|' /C calc'!A0"), actor="staff", channel="staff",
                                     now=NOW).order.number
        h.clock.advance(hours=1)
        await h.logged_in()
        response = await h.post("/agent/orders/export.xlsx", {"overdue": "1"})
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert response.headers["Content-Disposition"].endswith('.xlsx"')
        body_bytes = await response.read()
        assert body_bytes[:2] == b"PK"  # a zip: a real workbook
        rows = read_xlsx(body_bytes)
        assert rows[0] == list(HEADERS)
        found = {str(row[0]).replace("-", ""): row for row in rows[1:]}
        assert set(found) == {*numbers, formula}  # every one is past the 20-minute dispatch limit
        row = found[numbers[0]]
        assert isinstance(row[5], datetime) and isinstance(row[14], datetime)  # dates are dates
        assert str(row[6]).startswith("已超时") and row[7] == "红色告警（超时告警）"  # 2 hours late on 20 minutes
        assert not any(FULL_PHONE.search(str(value)) for line in rows for value in line)
        sheet = load_workbook(io.BytesIO(body_bytes)).active
        cells = {cell.value: cell.data_type for line in sheet.iter_rows() for cell in line
                 if isinstance(cell.value, str)}
        assert all(kind == "s" for kind in cells.values())  # nothing is a formula
        assert found[formula][9] == "=" + "*" * (len("=HYPERLINK(1)") - 1)  # masked, and stored as text

    run_console(tmp_path, body)


def test_csv_cells_that_look_like_formulas_are_quoted():
    body = to_csv([["=1+1", "+2", "-3", "@SUM(A1)", "普通", 7, None, datetime(2025, 1, 2, 3, 4)]])
    rows = read_csv(body)
    assert rows[1] == ["'=1+1", "'+2", "'-3", "'@SUM(A1)", "普通", "7", "", "2025-01-02 03:04"]
    assert read_xlsx(to_xlsx([["=1+1"]]))[1][0] == "=1+1"


def test_an_agent_cannot_export_but_may_reveal_with_audit(tmp_path):
    async def body(h: Harness) -> None:
        number = book_many(h, 1)[0]
        with h.session() as session:
            add_user(session, "agent1", AGENT_PASSWORD, NOW)
        await h.logged_in("agent1", AGENT_PASSWORD)
        listing = await h.text("/agent/orders")
        assert 'id="export-csv"' not in listing and "导出" not in listing
        assert "坐席" in listing  # the role is shown beside the name
        for kind in ("csv", "xlsx"):
            refused = await h.post(f"/agent/orders/export.{kind}", {})
            assert refused.status == 403
            text = await refused.text()
            assert "只有管理员可以导出" in text and not FULL_PHONE.search(text)
        assert exports(h) == []
        revealed = await h.post(f"/agent/orders/{number}/reveal")
        assert revealed.status == 200 and FULL_PHONE.search(await revealed.text())
        with h.session() as session:
            actions = session.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.target)
                                      .where(AuditEntry.action == "reveal")).all()
        assert actions == [("agent1", "reveal", number)]

    run_console(tmp_path, body)


def test_export_needs_the_csrf_token_and_a_session(tmp_path):
    async def body(h: Harness) -> None:
        book_many(h, 2)
        assert (await h.client.post("/agent/orders/export.csv", data={}, allow_redirects=False)).status == 401
        await h.logged_in()
        assert (await h.post("/agent/orders/export.csv", {}, token="")).status == 403
        crossed = await h.post("/agent/orders/export.xlsx", {}, headers={"Origin": "http://evil.example"})
        assert crossed.status == 403
        assert (await h.client.get("/agent/orders/export.csv")).status in (404, 405)  # only a POST exports
        assert exports(h) == []
        listing = await h.text("/agent/orders", params={"region": "anyang", "sort": "number", "dir": "asc"})
        form = listing.split('id="order-export"', 1)[1].split("</form>", 1)[0]
        assert 'name="region" value="anyang"' in form and 'name="sort" value="number"' in form
        assert 'name="csrf_token"' in form and 'id="export-xlsx"' in form

    run_console(tmp_path, body)


def test_export_is_capped(tmp_path, monkeypatch):
    import bot.web.console.export as export

    monkeypatch.setattr(export, "MAX_EXPORT_ROWS", 2)

    async def body(h: Harness) -> None:
        book_many(h, 3)
        await h.logged_in()
        response = await h.post("/agent/orders/export.csv", {})
        assert len(read_csv(await response.read())) == 3  # the header and 2 rows
        assert response.headers["X-Export-Rows"] == "2" and response.headers["X-Export-Total"] == "3"
        assert "csv 2 条（共 3 条）" in exports(h)[0][2]

    run_console(tmp_path, body)


def test_the_file_name_has_the_beijing_time_of_the_export(tmp_path):
    async def body(h: Harness) -> None:
        book_many(h, 1)
        h.clock.advance(days=1, minutes=5)
        await h.logged_in()
        response = await h.post("/agent/orders/export.csv", {})
        stamp = (NOW + timedelta(days=1, hours=8, minutes=5)).strftime("%Y%m%d-%H%M")  # Beijing time
        assert stamp in response.headers["Content-Disposition"]

    run_console(tmp_path, body)


def test_a_role_change_applies_to_an_open_session(tmp_path):
    from bot.web.console.accounts import set_role

    async def body(h: Harness) -> None:
        book_many(h, 1)
        with h.session() as session:
            add_user(session, "agent1", AGENT_PASSWORD, NOW)
        await h.logged_in("agent1", AGENT_PASSWORD)
        assert (await h.post("/agent/orders/export.csv", {})).status == 403
        with h.session() as session:
            set_role(session, "agent1", "admin")
        assert (await h.post("/agent/orders/export.csv", {})).status == 200
        assert 'id="export-csv"' in await h.text("/agent/orders")
        with h.session() as session:
            set_role(session, "agent1", "agent")
        assert (await h.post("/agent/orders/export.xlsx", {})).status == 403
        assert [actor for actor, _, _ in exports(h)] == ["agent1"]

    run_console(tmp_path, body)
