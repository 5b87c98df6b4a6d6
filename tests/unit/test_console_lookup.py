"""The lookup box: agent-mode answer with document number, section and excerpt; customer wording to copy."""

from __future__ import annotations

import html

from tests.unit.test_console_support import Harness, run_console


def test_lookup_shows_document_number_section_excerpt_and_customer_wording(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        page = html.unescape(await h.text("/agent", params={"q": "枣庄10千伏双电源用户办电要多久"}))
        assert 'id="lookup-answer"' in page
        answer = page.split('id="lookup-answer"', 1)[1]
        assert "枣能源字〔2021〕33号" in answer
        assert 'class="citation"' in answer
        assert "附件1" in answer  # the section
        assert "10 千伏双电源用户 1 7 3 2 3 2 18" in answer  # verbatim excerpt
        assert 'id="copy-customer"' in page
        customer = page.split('id="customer-text"', 1)[1].split("</textarea>", 1)[0]
        assert "18个工作日" in customer and "（依据：枣能源字〔2021〕33号）" in customer
        assert "附件1" not in customer  # the customer wording names the document only

    run_console(tmp_path, body)


def test_lookup_is_stateless_and_the_region_selector_fills_in(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        await h.text("/agent", params={"q": "枣庄10千伏双电源用户办电要多久"})
        page = html.unescape(await h.text("/agent", params={"q": "办电要多久"}))
        assert "哪个城市" in page  # nothing carried over from the previous lookup
        assert "枣能源字" not in page.split('id="lookup-answer"', 1)[1]
        params = {"q": "10千伏双电源用户办电要多久", "region": "zaozhuang"}
        chosen = html.unescape(await h.text("/agent", params=params))
        assert "枣能源字〔2021〕33号" in chosen

    run_console(tmp_path, body)


def test_lookup_escapes_the_question(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        page = await h.text("/agent", params={"q": "<script>alert(1)</script>枣庄办电要多久"})
        assert "<script>alert(1)" not in page
        assert "&lt;script&gt;" in page

    run_console(tmp_path, body)


def test_lookup_api_returns_structured_citations(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        response = await h.client.get("/agent/api/lookup", params={"q": "枣庄10千伏双电源用户办电要多久"})
        assert response.status == 200
        data = await response.json()
        assert data["answered"] is True and data["region"] == "枣庄"
        assert {c["doc"] for c in data["citations"]} == {"枣能源字〔2021〕33号"}
        assert all(c["section"] and c["excerpt"] for c in data["citations"])
        assert "18个工作日" in data["customer"]

    run_console(tmp_path, body)
