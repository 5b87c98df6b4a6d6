"""Feedback rows: each rated answer links to its conversation (every exchange of it shown), can be marked
handled (audited, by either role) and is filtered by rating, handled, date and region."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import select

from bot.feedback.models import AuditEntry, Exchange
from bot.feedback.store import rate, record_exchange, record_unanswered
from bot.livechat.models import Handoff
from bot.orders.store import create_booking
from bot.web.console.accounts import add_user
from tests.unit.orders_fixtures import draft
from tests.unit.test_console_support import NOW, Harness, run_console

ROW = re.compile(r'class="feedback-row[^"]*" data-id="(\d+)"')


def seed(h: Harness) -> dict[str, int]:
    """Three conversations: 枣庄 (two exchanges, the second 👎), 安阳 a week ago (👍), 烟台 (👎 about 莱州市)."""
    with h.session() as session:
        made = {}
        made["zz_first"] = record_exchange(session, conversation="conv-zz", channel="web", question="10千伏双电源多久",
                                          answer="请问您在哪个城市办电？", now=NOW - timedelta(minutes=5))
        made["zz"] = record_exchange(session, conversation="conv-zz", channel="web", question="枣庄呢，电话13912345678",
                                    answer="枣庄（滕州市）10千伏双电源用户：18个工作日", now=NOW - timedelta(minutes=4))
        rate(session, exchange_id=made["zz"], conversation="conv-zz", rating=-1, now=NOW)
        made["ay"] = record_exchange(session, conversation="conv-ay", channel="web", question="居民新装要带什么",
                                    answer="安阳居民用户：身份证明和产权证明", now=NOW - timedelta(days=7))
        rate(session, exchange_id=made["ay"], conversation="conv-ay", rating=1, now=NOW - timedelta(days=7))
        made["yt"] = record_exchange(session, conversation="conv-yt", channel="web", question="莱州市农村作坊收费吗",
                                    answer="投资至电能表", now=NOW - timedelta(days=1))
        rate(session, exchange_id=made["yt"], conversation="conv-yt", rating=-1, now=NOW)
        record_unanswered(session, conversation="conv-zz", question="枣庄光伏并网", reason="no_answer", now=NOW,
                          region="zaozhuang")
        record_unanswered(session, conversation="conv-ay", question="安阳充电桩", reason="no_answer",
                          now=NOW - timedelta(days=7), region="anyang")
        create_booking(session, draft(), actor="customer", channel="customer", now=NOW, conversation="conv-zz")
        session.add(Handoff(conversation="conv-zz", channel="web", status="closed", summary="客户问：枣庄",
                            region="zaozhuang", created_at=NOW, closed_at=NOW))
        session.commit()
    return made


async def shown(h: Harness, **params: str) -> list[int]:
    return [int(x) for x in ROW.findall(await h.text("/agent/feedback", params=params))]


def test_rows_link_to_their_conversation_with_every_exchange(tmp_path):
    async def body(h: Harness) -> None:
        made = seed(h)
        await h.logged_in()
        page = await h.text("/agent/feedback")
        assert await shown(h) == [made["zz"], made["yt"], made["ay"]]  # newest question first
        link = f'href="/agent/conversations/conv-zz#exchange-{made["zz"]}"'
        assert link in page
        assert "13912345678" not in page  # masked when stored
        conversation = html.unescape(await h.text("/agent/conversations/conv-zz"))
        assert f'id="exchange-{made["zz_first"]}"' in conversation and f'id="exchange-{made["zz"]}"' in conversation
        assert conversation.index("10千伏双电源多久") < conversation.index("枣庄呢")
        assert "请问您在哪个城市办电？" in conversation and "👎" in conversation
        assert "139****5678" in conversation and "13912345678" not in conversation
        assert "/agent/orders/" in conversation and "/agent/handoffs/" in conversation  # its order and handoff
        assert (await h.client.get("/agent/conversations/nobody-here")).status == 404
        assert (await h.client.get("/agent/conversations/bad%20key")).status == 404

    run_console(tmp_path, body)


def test_marking_handled_is_audited_and_filterable(tmp_path):
    async def body(h: Harness) -> None:
        made = seed(h)
        with h.session() as session:
            add_user(session, "agent1", "agent-pass-1234", NOW)
        await h.logged_in("agent1", "agent-pass-1234")  # agents handle feedback too
        response = await h.post(f"/agent/feedback/{made['zz']}/handled",
                                {"handled": "1", "next": "/agent/feedback?rating=down"})
        assert response.status == 303 and response.headers["Location"] == "/agent/feedback?rating=down"
        with h.session() as session:
            row = session.get(Exchange, made["zz"])
            assert row is not None and row.handled_at == NOW and row.handled_by == "agent1"
            audits = session.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.target)
                                     .where(AuditEntry.action.like("feedback%"))).all()
            assert audits == [("agent1", "feedback_handled", f"exchange:{made['zz']}")]
        assert await shown(h, handled="done") == [made["zz"]]
        assert await shown(h, handled="open") == [made["yt"], made["ay"]]
        page = html.unescape(await h.text("/agent/feedback", params={"handled": "done"}))
        assert "已处理 · agent1" in page and "改回未处理" in page
        back = await h.post(f"/agent/feedback/{made['zz']}/handled", {"handled": "0", "next": "//evil.example/x"})
        assert back.headers["Location"] == "/agent/feedback"  # only a console page
        assert await shown(h, handled="done") == []
        # an exchange without a rating, an unknown id, no CSRF token: nothing changes
        missing = await h.post(f"/agent/feedback/{made['zz_first']}/handled", {"handled": "1"}, follow=True)
        assert "没有这条反馈" in await missing.text()
        assert (await h.post("/agent/feedback/999999/handled", {"handled": "1"})).status == 303
        assert (await h.post("/agent/feedback/²/handled", {"handled": "1"})).status == 404
        assert (await h.post(f"/agent/feedback/{made['yt']}/handled", {"handled": "1"}, token="")).status == 403
        with h.session() as session:
            assert session.execute(select(Exchange).where(Exchange.handled_at.is_not(None))).scalars().all() == []

    run_console(tmp_path, body)


def test_filters_by_rating_date_and_region(tmp_path):
    async def body(h: Harness) -> None:
        made = seed(h)
        await h.logged_in()
        assert await shown(h, rating="down") == [made["zz"], made["yt"]]
        assert await shown(h, rating="up") == [made["ay"]]
        today = NOW.strftime("%Y-%m-%d")
        week_ago = (NOW - timedelta(days=7)).strftime("%Y-%m-%d")
        assert await shown(h, **{"from": today}) == [made["zz"]]
        assert await shown(h, to=week_ago) == [made["ay"]]
        assert await shown(h, **{"from": today, "to": week_ago}) == [made["zz"], made["yt"], made["ay"]]  # swapped
        assert await shown(h, **{"from": "not-a-date"}) == [made["zz"], made["yt"], made["ay"]]
        assert await shown(h, region="zaozhuang") == [made["zz"]]
        assert await shown(h, region="yantai") == [made["yt"]]  # 莱州市 is a district of 烟台
        assert await shown(h, region="anyang") == [made["ay"]]
        assert await shown(h, region="atlantis") == [made["zz"], made["yt"], made["ay"]]  # unknown: ignored
        page = await h.text("/agent/feedback", params={"region": "zaozhuang", "from": today})
        assert re.search(r'id="count-down">1<', page) and re.search(r'id="count-up">0<', page)
        unanswered = page.split('class="grid unanswered"', 1)[1].split("</table>", 1)[0]
        assert "枣庄光伏并网" in unanswered and "安阳充电桩" not in unanswered
        assert 'name="from" value="2025-11-26"' in page and 'value="zaozhuang" selected' in page

    run_console(tmp_path, body)
