"""The console for daily work in a real browser: the dashboard draws its charts (Chart.js, vendored), the orders
list pages and exports CSV and Excel, a new handoff rings (a notification, after the agent's click).

The servers' database (DATABASE_URL, which scripts/test.sh exports for the servers and these tests) is seeded
with orders, handoffs and rated answers first, so that there is something to page through and to draw.
"""

from __future__ import annotations

import csv
import io
import os
import random
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DESKTOP, WEB_URL, new_page, screenshot
from tests.browser.pages import Console

REGIONS = (("anyang", "文峰区", "安阳市文峰区中华路{}号"), ("zaozhuang", "滕州市", "枣庄市滕州市荆河路{}号"),
           ("yantai", "芝罘区", "烟台市芝罘区南大街{}号"), ("lianyungang", "海州区", "连云港市海州区朝阳路{}号"))
FULL_PHONE = re.compile(r"1[3-9]\d{9}")
QUESTIONS = ("光伏并网要多久", "充电桩怎么报装", "电费怎么交", "临时用电", "光伏并网要多久", "充电桩怎么报装",
             "光伏并网要多久")


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _services():  # type: ignore[no-untyped-def]
    """The servers' services, for writing straight into their database."""
    from bot.services import Services
    from bot.settings import Settings

    if not os.environ.get("DATABASE_URL"):
        pytest.skip("DATABASE_URL (the servers' database) is not set: nothing to seed")
    return Services.from_settings(Settings.from_env())


@pytest.fixture(scope="module")
def seeded() -> dict[str, object]:
    """About 40 orders over three weeks in four regions, some advanced, some overdue; handoffs with waits;
    rated answers and unanswered questions. Times in UTC, naive (how the store keeps them)."""
    from bot.feedback.store import rate, record_exchange, record_unanswered
    from bot.livechat.models import Handoff
    from bot.orders.store import advance_order, create_booking
    from bot.orders.views import BookingDraft

    services = _services()
    now = utc_now()
    rng = random.Random()
    tag = rng.randrange(10**4)
    numbers: list[str] = []
    with services.session() as session:
        for index in range(40):
            region, district, address = REGIONS[index % len(REGIONS)]
            when = now - timedelta(days=rng.choice((0, 0, 1, 2, 3, 5, 8, 12, 16, 20)), minutes=rng.randrange(600))
            draft = BookingDraft(contact_name=rng.choice(("张三", "李四", "王五", "欧阳娜娜")),
                                 phone=f"13{rng.randrange(5, 10)}{rng.randrange(10**8):08d}", region=region,
                                 district=district, address=address.format(f"{tag}{index}"),
                                 business="resident_new", category="resident")
            order = create_booking(session, draft, actor="staff", channel="staff", now=when).order
            numbers.append(order.number)
            move = rng.choice((None, None, "dispatched", "accepted", "completed"))
            if move:
                advance_order(session, order.number, actor="seed", now=when + timedelta(minutes=10), to_stage=move)
        # 安阳 bookings waiting for dispatch (20 minutes): 蓝 at 50 % used, 橙 at 80 %, 黄 late, 红 late by half
        for index, (district, minutes) in enumerate((("林州市", 12), ("林州市", 17), ("殷都区", 25), ("北关区", 13),
                                                     ("北关区", 45), ("殷都区", 18), ("汤阴县", 24))):
            draft = BookingDraft(contact_name="赵六", phone=f"1380{tag:04d}{index:03d}", region="anyang",
                                 district=district, address=f"安阳市{district}人民路{tag}{index}号",
                                 business="resident_new", category="resident")
            create_booking(session, draft, actor="staff", channel="staff", now=now - timedelta(minutes=minutes))
        for index, (minutes, taken) in enumerate(((2, True), (7, True), (25, True), (1, True), (40, False))):
            created = now - timedelta(days=index % 3, hours=index + 1)
            session.add(Handoff(conversation=f"seed-{tag}-{index}", channel="web", status="closed",
                                region=REGIONS[index % 4][0], summary="客户问：办电进度", created_at=created,
                                taken_at=created + timedelta(minutes=minutes) if taken else None,
                                closed_at=created + timedelta(minutes=minutes + 5), agent="admin" if taken else None))
        session.commit()
        for index in range(24):
            when = now - timedelta(days=index % 6, minutes=index)
            conversation = f"seed-{tag}-c{index}"
            exchange = record_exchange(session, conversation=conversation, channel="web",
                                       question=f"安阳居民新装要多久{index}",
                                       answer="安阳居民用户：低压居民新装2个工作日。", now=when)
            if index % 2:
                rate(session, exchange_id=exchange, conversation=conversation, rating=-1 if index % 3 == 0 else 1,
                     now=when)
        for index, question in enumerate(QUESTIONS):
            record_unanswered(session, conversation=f"seed-{tag}-u{index}", question=question, reason="no_answer",
                              now=now - timedelta(days=index % 4), region="anyang")
    return {"numbers": numbers, "tag": tag}


@pytest.fixture
def admin(browser: Browser) -> Iterator[Page]:
    context, page = new_page(browser, DESKTOP)
    context.grant_permissions(["notifications"], origin=WEB_URL)
    yield page
    context.close()


def test_the_dashboard_draws_its_charts(admin: Page, seeded: dict[str, object]):
    Console(admin).login()
    admin.click("nav.nav a[href='/agent/dashboard']")
    expect(admin).to_have_url(re.compile(r"/agent/dashboard$"))
    expect(admin.locator("body")).to_have_attribute("data-charts", "ready")
    for chart in ("chart-orders-created", "chart-orders-stage", "chart-warnings", "chart-handoff-wait",
                  "chart-quality", "chart-unanswered"):
        canvas = admin.locator(f"#{chart}")
        expect(canvas).to_have_attribute("data-drawn", "1")
        box = canvas.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 100, (chart, box)
        size = canvas.evaluate("c => [c.width, c.height]")
        assert size[0] > 0 and size[1] > 0, (chart, size)
    # something was drawn: not every pixel of the orders chart is blank
    painted = admin.locator("#chart-orders-created").evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i]) n++; } return n; }")
    assert painted > 1000
    assert int(admin.locator("#tile-orders").inner_text()) >= 30
    expect(admin.locator("#dashboard-error")).to_be_hidden()
    screenshot(admin, "console-dashboard", full_page=True)


def test_the_dashboard_fits_a_phone(browser: Browser, seeded: dict[str, object]):
    context, page = new_page(browser, {"width": 390, "height": 844})
    try:
        Console(page).login()
        page.goto(WEB_URL + "/agent/dashboard")
        expect(page.locator("body")).to_have_attribute("data-charts", "ready")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width  # nothing wider than the screen: the charts stack in one column
        box = page.locator("#chart-warnings").bounding_box()
        assert box is not None and 300 < box["width"] <= 390
    finally:
        context.close()


def test_the_orders_list_pages_sorts_and_exports(admin: Page, seeded: dict[str, object]):
    Console(admin).login()
    admin.goto(WEB_URL + "/agent/orders")
    rows = admin.locator("table.orders tbody tr")
    expect(rows).to_have_count(25)
    first_page = rows.locator("a.order-link").all_inner_texts()
    admin.locator(".pager a.page-next").first.click()
    expect(admin).to_have_url(re.compile(r"page=2"))
    second_page = admin.locator("table.orders a.order-link").all_inner_texts()
    assert second_page and not set(first_page) & set(second_page)
    expect(admin.locator(".page-current")).to_have_text("2")
    screenshot(admin, "console-orders-page", full_page=True)  # page 2: the pager at the bottom

    admin.select_option("select[name=region]", "anyang")
    admin.click("#order-search-submit")
    admin.locator("th a.sort[data-sort=number]").click()
    expect(admin).to_have_url(re.compile(r"region=anyang.*sort=number.*dir=asc|sort=number.*region=anyang"))
    shown = admin.locator("table.orders a.order-link").all_inner_texts()
    assert shown == sorted(shown) and all(row for row in shown)
    assert all("安阳" in text for text in admin.locator("table.orders tbody tr td:nth-child(2)").all_inner_texts())

    total = int(re.search(r"共 (\d+) 张", admin.locator(".pager-count").inner_text()).group(1))  # type: ignore[union-attr]
    with admin.expect_download() as csv_download:
        admin.click("#export-csv")
    download = csv_download.value
    assert re.fullmatch(r"orders-\d{8}-\d{4}\.csv", download.suggested_filename)
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
    assert table[0][:3] == ["工单号", "地区", "区县"] and len(table) - 1 == total
    assert {row[1] for row in table[1:]} == {"安阳"}
    numbers = [row[0] for row in table[1:]]
    assert numbers == sorted(numbers)  # the page's order
    assert not FULL_PHONE.search(raw.decode("utf-8"))

    with admin.expect_download() as xlsx_download:
        admin.click("#export-xlsx")
    assert xlsx_download.value.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(Path(xlsx_download.value.path()).read_bytes()))
    values = [[cell.value for cell in line] for line in book.active.iter_rows()]
    assert values[0][0] == "工单号" and len(values) - 1 == total
    assert [row[0] for row in values[1:]] == numbers
    assert not any(FULL_PHONE.search(str(value)) for line in values for value in line)


def test_a_new_handoff_rings_once_alerts_are_on(admin: Page, seeded: dict[str, object]):
    from bot.livechat.models import Handoff

    services = _services()
    admin.add_init_script("""
        window.__notes = [];
        window.Notification = class {
          constructor(title, options) { window.__notes.push({title: title, body: (options || {}).body}); }
          close() {}
          static get permission() { return "granted"; }
          static requestPermission() { return Promise.resolve("granted"); }
        };""")
    Console(admin).login()
    admin.goto(WEB_URL + "/agent/orders")
    toggle = admin.locator("#notify-toggle")
    expect(toggle).to_be_visible()
    toggle.click()
    expect(toggle).to_have_text(re.compile("提醒已开启"))
    admin.wait_for_timeout(1500)  # the first heartbeat remembers the queue as it is
    with services.session() as session:
        row = Handoff(conversation=f"ring-{seeded['tag']}", channel="web", status="waiting", region="anyang",
                      summary="客户问：安阳居民新装要多久", created_at=utc_now())
        session.add(row)
        session.commit()
        handoff_id = row.id
    try:
        expect(admin.locator("body")).to_have_attribute("data-alerted", "1", timeout=25_000)
        notes = admin.evaluate("window.__notes")
        assert notes and notes[-1]["title"] == "新的转人工请求"
        expect(admin.locator("#waiting-badge")).to_be_visible()
    finally:
        with services.session() as session:
            found = session.get(Handoff, handoff_id)
            if found is not None:
                found.status, found.closed_at = "closed", utc_now()
                session.commit()
