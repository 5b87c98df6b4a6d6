"""Pages and sorting of the orders, handoffs and feedback lists: 25 rows a page, a stable order (ties broken
by id), sort links that flip the direction, page links that keep the filters, odd page numbers tolerated."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from bot.feedback.store import rate, record_exchange
from bot.livechat.models import Handoff
from bot.livechat.store import take_handoff
from bot.orders.managers import add_manager
from bot.orders.store import advance_order, create_booking
from bot.web.console.paging import Pager, Sorting, page_number
from tests.unit.orders_fixtures import draft
from tests.unit.test_console_support import NOW, Harness, run_console

ORDER_LINK = re.compile(r'class="order-link mono" href="/agent/orders/(\d{10})"')


def book_many(h: Harness, count: int, region: str = "anyang", start: int = 0) -> list[str]:
    """`count` orders, one a minute apart (the last is the newest); 安阳 in 文峰区, 烟台 in 芝罘区."""
    numbers = []
    with h.session() as session:
        if start == 0:
            add_manager(session, "客户经理A-文峰", "anyang", "文峰区")
            add_manager(session, "客户经理-烟台中心", "yantai", None)
        for index in range(start, start + count):
            where = (dict(region="yantai", district="芝罘区", address=f"烟台市芝罘区南大街{index + 1}号")
                     if region == "yantai" else dict(address=f"安阳市文峰区中华路{index + 1}号"))
            order = create_booking(session, draft(phone=f"139{index:08d}", **where), actor="staff", channel="staff",
                                   now=NOW - timedelta(hours=2) + timedelta(minutes=index)).order
            numbers.append(order.number)
    return numbers


def links(page: str) -> list[str]:
    return ORDER_LINK.findall(page)


def hrefs(page: str, cls: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(rf'class="{cls}"[^>]*href="([^"]+)"', page)
            + re.findall(rf'href="([^"]+)"[^>]*class="{cls}"', page)]


def test_pager_arithmetic_and_links():
    sorting = Sorting("created", True)
    pager = Pager.make("/agent/orders", {"q": "张", "region": "anyang", "stage": ""}, 3, 60, sorting)
    assert (pager.number, pager.pages, pager.offset, pager.first_row, pager.last_row) == (3, 3, 50, 51, 60)
    assert parse_qs(urlsplit(pager.page_url(2)).query) == {"q": ["张"], "region": ["anyang"], "sort": ["created"],
                                                          "dir": ["desc"], "page": ["2"]}
    assert "page=" not in pager.page_url(1)
    assert "dir=asc" in pager.sort_url("created") and "sort=number&dir=asc" in pager.sort_url("number")
    assert Pager.make("/x", {}, 99, 10, sorting).number == 1  # past the end: the last page
    assert Pager.make("/x", {}, 1, 0, sorting).pages == 1
    big = Pager.make("/x", {}, 10, 1000, sorting)
    assert big.nearby() == [1, None, 8, 9, 10, 11, 12, None, 40]
    for odd in ("0", "-1", "abc", "²", "9" * 20, ""):
        assert page_number({"page": odd}) == 1
    assert Sorting.read({"sort": "drop table", "dir": "up"}, {"created": 1}, "created") == sorting
    assert Sorting.read({"sort": "created", "dir": "asc"}, {"created": 1}, "created") == Sorting("created", False)


def test_orders_are_paged_25_at_a_time_newest_first_and_links_keep_the_filters(tmp_path):
    async def body(h: Harness) -> None:
        numbers = book_many(h, 30)
        yantai = book_many(h, 3, region="yantai", start=30)
        await h.logged_in()
        first = await h.text("/agent/orders")
        assert links(first) == list(reversed(numbers + yantai))[:25]
        assert "第 1–25 张，共 33 张" in first
        second = await h.text("/agent/orders", params={"page": "2"})
        assert links(second) == list(reversed(numbers + yantai))[25:]
        assert set(links(first)).isdisjoint(links(second))

        filtered = await h.text("/agent/orders", params={"region": "anyang"})
        assert "共 30 张" in filtered and set(links(filtered)) <= set(numbers)
        next_link = hrefs(filtered, "page-next")[0]
        assert parse_qs(urlsplit(next_link).query) == {"region": ["anyang"], "sort": ["created"], "dir": ["desc"],
                                                       "page": ["2"]}
        page_two = await h.text(next_link)
        assert links(page_two) == list(reversed(numbers))[25:]
        assert not set(links(page_two)) & set(yantai)
        # a page past the end shows the last page; a nonsense page the first
        assert links(await h.text("/agent/orders", params={"page": "99"})) == links(second)
        assert links(await h.text("/agent/orders", params={"page": "abc"})) == links(first)

    run_console(tmp_path, body)


def test_orders_sort_by_number_stage_and_manager_stably(tmp_path):
    async def body(h: Harness) -> None:
        numbers = book_many(h, 28)
        with h.session() as session:
            for number in numbers[:3]:
                advance_order(session, number, actor="t", now=NOW, to_stage="accepted")
        await h.logged_in()
        by_number = await h.text("/agent/orders", params={"sort": "number", "dir": "asc"})
        assert links(by_number) == sorted(numbers)[:25]
        assert 'aria-sort="ascending"' in by_number
        flipped = hrefs(by_number, "sort")
        assert any("sort=number&dir=desc" in link for link in flipped)
        down = await h.text("/agent/orders", params={"sort": "number", "dir": "desc", "page": "2"})
        assert links(down) == sorted(numbers, reverse=True)[25:]
        staged = await h.text("/agent/orders", params={"sort": "stage", "dir": "desc"})
        assert set(links(staged)[:3]) == set(numbers[:3])  # 已受理 comes after 已预约 in the flow
        # ties (every order has the same manager and stage) are broken by id: the pages never overlap or skip
        pages = [links(await h.text("/agent/orders", params={"sort": "manager", "dir": "asc", "page": str(n)}))
                 for n in (1, 2)]
        assert sorted(pages[0] + pages[1]) == sorted(numbers) and len(pages[0]) == 25

    run_console(tmp_path, body)


def test_the_overdue_filter_pages_and_sorts_too(tmp_path):
    async def body(h: Harness) -> None:
        numbers = book_many(h, 27)
        h.clock.advance(hours=1)  # every booking is past 安阳's 20-minute dispatch limit
        await h.logged_in()
        page = await h.text("/agent/orders", params={"overdue": "1", "sort": "number", "dir": "asc"})
        assert "共 27 张" in page and links(page) == sorted(numbers)[:25]
        following = hrefs(page, "page-next")[0]
        assert "overdue=1" in following and "sort=number" in following
        assert links(await h.text(following)) == sorted(numbers)[25:]

    run_console(tmp_path, body)


def test_handoffs_page_filters_by_status_and_sorts(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        with h.session() as session:
            rows = [Handoff(conversation=f"conv{index:02d}", channel="web", status="waiting", summary=f"问题{index}",
                            region="anyang" if index % 2 else "zaozhuang", created_at=NOW + timedelta(minutes=index))
                    for index in range(30)]
            session.add_all(rows)
            session.commit()
            ids = [row.id for row in rows]
            take_handoff(session, ids[0], "admin", NOW + timedelta(minutes=40))
        queue = await h.text("/agent/handoffs")
        rows = [int(x) for x in re.findall(r'class="handoff-row handoff-\w+" data-id="(\d+)"', queue)]
        assert rows == ids[:25]  # the oldest first: who waited longest
        assert "共 30 个" in queue and 'data-signature="' in queue
        active = await h.text("/agent/handoffs", params={"status": "active"})
        assert re.findall(r'data-id="(\d+)"', active) == [str(ids[0])]
        assert "继续接待" in active and "40分钟" in active  # waited 40 minutes until taken
        newest = await h.text("/agent/handoffs", params={"sort": "created", "dir": "desc", "region": "anyang"})
        shown = [int(x) for x in re.findall(r'class="handoff-row handoff-\w+" data-id="(\d+)"', newest)]
        assert shown == [i for n, i in enumerate(ids) if n % 2][::-1]
        api = await (await h.client.get("/agent/api/handoffs")).json()
        assert api["newest"] == ids[-1] and api["waiting"] == 29

    run_console(tmp_path, body)


def test_feedback_rows_are_paged_and_sorted(tmp_path):
    async def body(h: Harness) -> None:
        with h.session() as session:
            made = []
            for index in range(39):
                exchange = record_exchange(session, conversation=f"c{index}", channel="web", question=f"问题{index}",
                                           answer=f"答复{index}", now=NOW - timedelta(minutes=40 - index))
                rate(session, exchange_id=exchange, conversation=f"c{index}", rating=-1 if index % 3 else 1, now=NOW)
                made.append(exchange)
        await h.logged_in()
        page = await h.text("/agent/feedback")
        shown = [int(x) for x in re.findall(r'class="feedback-row[^"]*" data-id="(\d+)"', page)]
        assert shown == made[::-1][:25] and "共 39 条" in page
        oldest = await h.text("/agent/feedback", params={"sort": "created", "dir": "asc", "rating": "down",
                                                         "page": "2"})
        down = [e for n, e in enumerate(made) if n % 3]
        assert len(down) == 26
        assert [int(x) for x in re.findall(r'class="feedback-row[^"]*" data-id="(\d+)"', oldest)] == down[25:]
        assert "page-prev" in oldest and "rating=down" in html.unescape(hrefs(oldest, "page-prev")[0])

    run_console(tmp_path, body)
