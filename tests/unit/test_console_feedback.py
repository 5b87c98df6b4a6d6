"""The feedback view: rating counts, disliked answers grouped by question, unanswered questions."""

from __future__ import annotations

import html
import re

from bot.feedback.store import rate, record_exchange, record_unanswered
from tests.unit.test_console_support import NOW, Harness, run_console


def test_feedback_page_counts(tmp_path):
    async def body(h: Harness) -> None:
        with h.session() as session:
            for index, (question, rating) in enumerate([("枣庄办电要多久", -1), ("枣庄办电要多久", -1),
                                                        ("安阳居民要带什么", 1), ("烟台收费吗<b>", -1)]):
                exchange = record_exchange(session, conversation=f"c{index}", channel="web", question=question,
                                           answer=f"答复{index}", now=NOW)
                rate(session, exchange_id=exchange, conversation=f"c{index}", rating=rating, now=NOW)
            for _ in range(3):
                record_unanswered(session, conversation="c9", question="能不能帮我交电费", reason="out_of_scope",
                                  now=NOW)
            record_unanswered(session, conversation="c9", question="黔东南光伏并网", reason="no_answer", now=NOW)
        await h.logged_in()
        page = await h.text("/agent/feedback")
        assert re.search(r'id="count-up">1<', page) and re.search(r'id="count-down">3<', page)
        disliked = page.split('class="grid disliked"', 1)[1].split("</table>", 1)[0]
        assert re.search(r"枣庄办电要多久</td><td class=\"num\">2<", disliked)
        assert "&lt;b&gt;" in disliked and "<b>" not in disliked
        unanswered = html.unescape(page.split('class="grid unanswered"', 1)[1].split("</table>", 1)[0])
        assert re.search(r"能不能帮我交电费</td><td class=\"num\">3<", unanswered)
        assert "超出服务范围" in unanswered and "知识库无答案" in unanswered

    run_console(tmp_path, body)


def test_empty_feedback_page(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        page = await h.text("/agent/feedback")
        assert "暂无" in page and re.search(r'id="count-up">0<', page)

    run_console(tmp_path, body)
