"""The dashboard: the page (nav link, canvases, vendored Chart.js under the CSP) and the numbers of its JSON
endpoint on a seeded database: orders by day, stage and region; warning levels (蓝/橙/黄/红) by manager;
handoff waits; fallback and 👎 rates; the top unanswered questions."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from bot.feedback.store import rate, record_exchange, record_unanswered
from bot.livechat.models import Handoff
from bot.orders.managers import add_manager
from bot.orders.store import advance_order, create_booking
from bot.web.console.accounts import add_user
from tests.unit.orders_fixtures import draft
from tests.unit.test_console_support import NOW, ROOT, Harness, run_console

VENDOR = ROOT / "bot" / "web" / "static" / "console" / "vendor" / "chart.umd.min.js"


def seed(h: Harness) -> dict[str, str]:
    with h.session() as session:
        add_manager(session, "客户经理A-文峰", "anyang", "文峰区")
        add_manager(session, "客户经理B-林州", "anyang", "林州市")
        made = {}

        def book(key: str, minutes_ago: float, **changes: str) -> None:
            index = len(made)
            values = dict(phone=f"1390000{index:04d}", address=f"安阳市文峰区中华路{index + 1}号") | changes
            made[key] = create_booking(session, draft(**values), actor="staff", channel="staff",
                                       now=NOW - timedelta(minutes=minutes_ago)).order.number

        # 安阳: dispatched within 20 minutes (its document); levels 蓝 ≥50 %, 橙 ≥80 % used, 黄 late, 红 late by half
        book("blue", 12)  # 60 % used
        book("orange", 17)  # 85 % used
        book("yellow", 25, district="林州市", address="安阳市林州市红旗渠大道5号")  # 5 minutes late
        book("red", 60, district="林州市", address="安阳市林州市红旗渠大道6号")  # 40 minutes late
        book("fresh", 2)  # 10 %: no level yet
        book("done", 3)
        advance_order(session, made["done"], actor="t", now=NOW, to_stage="dispatched")
        book("yantai", 2 * 24 * 60, region="yantai", district="芝罘区", address="烟台市芝罘区南大街1号")
        book("old", 40 * 24 * 60)  # before the 30-day period: in the stages, not in the new-order counts
        advance_order(session, made["old"], actor="t", now=NOW, to_stage="completed")

        # handoffs: taken after 3 and after 20 minutes, one never taken
        session.add_all([
            Handoff(conversation="h1", channel="web", status="closed", region="anyang", summary="",
                    created_at=NOW - timedelta(hours=2), taken_at=NOW - timedelta(hours=2) + timedelta(minutes=3),
                    closed_at=NOW - timedelta(hours=1), agent="admin"),
            Handoff(conversation="h2", channel="web", status="closed", region="zaozhuang", summary="",
                    created_at=NOW - timedelta(days=1), taken_at=NOW - timedelta(days=1) + timedelta(minutes=20),
                    closed_at=NOW - timedelta(hours=20), agent="admin"),
            Handoff(conversation="h3", channel="web", status="closed", region="anyang", summary="",
                    created_at=NOW - timedelta(minutes=30), closed_at=NOW - timedelta(minutes=10),
                    close_reason="customer_left"),
        ])
        session.commit()

        # answers: today 4 (2 rated, 1 👎) and 1 unanswered; yesterday 2 (1 rated 👎) and 2 unanswered
        for day, count, ratings in ((0, 4, (1, -1)), (1, 2, (-1,))):
            for index in range(count):
                when = NOW - timedelta(days=day, minutes=index)
                exchange = record_exchange(session, conversation=f"d{day}-{index}", channel="web",
                                           question=f"问题{index}", answer="答复", now=when)
                if index < len(ratings):
                    rate(session, exchange_id=exchange, conversation=f"d{day}-{index}", rating=ratings[index],
                         now=when)
        record_unanswered(session, conversation="u1", question="光伏并网怎么办", reason="no_answer", now=NOW)
        for _ in range(2):
            record_unanswered(session, conversation="u2", question="充电桩报装", reason="no_answer",
                              now=NOW - timedelta(days=1))
        record_unanswered(session, conversation="u3", question="很久以前的问题", reason="no_answer",
                          now=NOW - timedelta(days=45))
    return made


def test_the_dashboard_numbers_on_a_seeded_database(tmp_path):
    async def body(h: Harness) -> None:
        seed(h)
        await h.logged_in()
        response = await h.client.get("/agent/api/dashboard", params={"days": "30"})
        assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
        data = await response.json()
        assert data["period"] == {"days": 30, "from": "2025-10-28", "to": "2025-11-26",
                                  "generated_at": "2025-11-26 18:00"}  # Beijing time

        orders = data["orders"]
        assert len(orders["days"]) == 30 and orders["days"][-1] == "2025-11-26"
        created = {series["region"]: series["counts"] for series in orders["created"]}
        assert created["anyang"][-1] == 6 and sum(created["anyang"]) == 6  # the 40-day-old one is outside
        assert created["yantai"][-3] == 1 and sum(created["yantai"]) == 1
        assert sum(created["zaozhuang"]) == 0 and orders["created_total"] == 7
        stages = [stage["id"] for stage in orders["stages"]]
        by_stage = {series["region"]: dict(zip(stages, series["counts"], strict=True))
                    for series in orders["by_stage"]}
        assert by_stage["anyang"]["submitted"] == 5 and by_stage["anyang"]["dispatched"] == 1
        assert by_stage["anyang"]["completed"] == 1 and by_stage["yantai"]["submitted"] == 1

        warnings = data["warnings"]
        levels = [level["name"] for level in warnings["levels"]]
        assert levels == ["蓝色预警", "橙色预警", "黄色告警", "红色告警"]
        assert [level["colour"] for level in warnings["levels"]] == ["#2e90fa", "#f79009", "#eaaa08", "#d92d20"]
        managers = {m["name"]: dict(zip(levels, m["counts"], strict=True)) for m in warnings["managers"]}
        assert managers == {"客户经理A-文峰": {"蓝色预警": 1, "橙色预警": 1, "黄色告警": 0, "红色告警": 0},
                            "客户经理B-林州": {"蓝色预警": 0, "橙色预警": 0, "黄色告警": 1, "红色告警": 1}}
        assert warnings["overdue"] == 2 and warnings["warned"] == 4

        handoffs = data["handoffs"]
        assert handoffs["total"] == 3 and handoffs["total_taken"] == 2 and handoffs["untaken"] == 1
        assert handoffs["asked"][-1] == 2 and handoffs["asked"][-2] == 1 and handoffs["taken"][-1] == 1
        assert handoffs["mean_minutes"][-1] == 3.0 and handoffs["mean_minutes"][-2] == 20.0
        assert handoffs["max_minutes"][-2] == 20.0 and handoffs["mean_minutes"][0] is None
        assert handoffs["mean_minutes_all"] == 11.5
        assert {b["label"]: b["count"] for b in handoffs["buckets"]} == {
            "1分钟内": 0, "1–5分钟": 1, "5–15分钟": 0, "15–60分钟": 1, "1小时以上": 0}

        quality = data["quality"]
        assert quality["exchanges"][-2:] == [2, 4] and quality["rated"][-2:] == [1, 2]
        assert quality["down"][-2:] == [1, 1] and quality["unanswered"][-2:] == [2, 1]
        assert quality["fallback_rate"][-2:] == [100.0, 25.0] and quality["down_rate"][-2:] == [100.0, 50.0]
        assert quality["fallback_rate"][0] is None  # no exchanges that day
        assert quality["totals"] == {"exchanges": 6, "rated": 3, "down": 2, "unanswered": 3,
                                     "fallback_rate": 50.0, "down_rate": 66.7}

        assert data["unanswered_top"] == [{"question": "充电桩报装", "count": 2, "reason": "no_answer"},
                                          {"question": "光伏并网怎么办", "count": 1, "reason": "no_answer"}]
        week = await (await h.client.get("/agent/api/dashboard", params={"days": "7"})).json()
        assert week["period"]["from"] == "2025-11-20" and len(week["orders"]["days"]) == 7
        odd = await (await h.client.get("/agent/api/dashboard", params={"days": "100000"})).json()
        assert odd["period"]["days"] == 30  # only 7, 30 or 90

    run_console(tmp_path, body)


def test_the_dashboard_page_has_its_charts_and_is_linked_from_the_nav(tmp_path):
    async def body(h: Harness) -> None:
        seed(h)
        with h.session() as session:
            add_user(session, "agent1", "agent-pass-1234", NOW)
        await h.logged_in("agent1", "agent-pass-1234")  # both roles see the dashboard
        lookup = await h.text("/agent")
        assert 'href="/agent/dashboard"' in lookup
        page = await h.text("/agent/dashboard")
        for chart in ("chart-orders-created", "chart-orders-stage", "chart-warnings", "chart-handoff-wait",
                      "chart-handoff-buckets", "chart-quality", "chart-unanswered"):
            assert f'<canvas id="{chart}"' in page
        scripts = re.findall(r'<script src="([^"]+)"', page)
        assert [s.split("?")[0] for s in scripts] == ["/static/console/console.js",
                                                      "/static/console/vendor/chart.umd.min.js",
                                                      "/static/console/dashboard.js"]
        assert 'data-api="/agent/api/dashboard?days=30"' in page
        assert 'id="tile-overdue">2<' in page and "充电桩报装" in page and "客户经理B-林州" in page
        assert "<script>" not in page and "style=" not in page  # the CSP allows neither
        vendored = await h.client.get("/static/console/vendor/chart.umd.min.js")
        assert vendored.status == 200
        head = (await vendored.text())[:200]
        assert "Chart.js v4" in head and "Released under the MIT License" in head
        assert (await h.client.get("/agent/api/dashboard")).status == 200

    run_console(tmp_path, body)


def test_the_vendored_chart_js_keeps_its_license_and_needs_no_network():
    text = VENDOR.read_text(encoding="utf-8")
    assert text.startswith("/*!\n * Chart.js v4.") and "Released under the MIT License" in text[:300]
    assert "sourceMappingURL" not in text[-200:]
    assert (VENDOR.parent / "chart.js-LICENSE.md").read_text(encoding="utf-8").startswith("The MIT License")
    assert Path(ROOT / "scripts" / "vendor-chartjs.sh").stat().st_mode & 0o111


def test_the_dashboard_needs_a_session(tmp_path):
    async def body(h: Harness) -> None:
        assert (await h.client.get("/agent/api/dashboard")).status == 401
        page = await h.client.get("/agent/dashboard", allow_redirects=False)
        assert page.status == 302 and page.headers["Location"].startswith("/agent/login")

    run_console(tmp_path, body)


def test_days_are_beijing_days(session):
    """A booking at 17:00 UTC is 01:00 the next morning in Beijing: it counts on the next day."""
    from datetime import datetime

    from bot.web.console.stats import Period, orders_over_time
    from tests.unit.orders_fixtures import synthetic_kb

    for index, at in enumerate((datetime(2025, 11, 25, 15, 59), datetime(2025, 11, 25, 17, 0))):
        create_booking(session, draft(phone=f"1390000000{index}"), actor="staff", channel="staff", now=at)
    period = Period.ending(datetime(2025, 11, 26).date(), 2)
    assert period.since == datetime(2025, 11, 24, 16, 0) and period.until == datetime(2025, 11, 26, 16, 0)
    found = orders_over_time(session, synthetic_kb(), period)
    assert found["days"] == ["2025-11-25", "2025-11-26"]
    assert next(s for s in found["created"] if s["region"] == "anyang")["counts"] == [1, 1]
