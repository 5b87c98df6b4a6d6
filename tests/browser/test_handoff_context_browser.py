"""In a real browser: an agent handles a handoff with the whole context (the conversation with the assistant is on
the handoff page before taking over; the queue's summary lists the customer's questions, not the booking's
answers), a waiting customer sees their place in the queue and its update; with nobody online a customer leaves a
call-back request, which the agent finds in the console with the service hours and marks done."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DESKTOP, MOBILE, WEB_URL, new_page, screenshot
from tests.browser.pages import Chat, Console

PLACE = re.compile(r"您前面还有(\d+)位|您是下一位")


def log_out(agent: Page) -> None:
    """Leave the console: the agent's presence ends at once (nobody online for the call-back test)."""
    agent.goto(WEB_URL + "/agent/handoffs")
    agent.click("#logout")
    expect(agent.locator("#username")).to_be_visible()


def ahead_in(text: str) -> int:
    found = PLACE.search(text)
    assert found, text
    return int(found.group(1) or 0)


def test_an_agent_takes_over_with_the_whole_context_and_the_waiting_customer_sees_the_queue(
        browser: Browser, agent: Page, customer: Page):
    Console(agent).login()
    agent.goto(WEB_URL + "/agent/handoffs")  # an agent online: customers are queued
    first = Chat(customer).open()
    first.ask("安阳居民新装要多久")
    assert "已为您转接人工客服" in first.ask("转人工")

    context, page = new_page(browser, MOBILE)
    try:
        second = Chat(page).open()
        assert "18个工作日" in second.ask("枣庄10千伏双电源用户办电要多久").replace(" ", "")
        second.ask("我要预约办电")
        second.ask("张三")
        second.ask("13912345678")
        second.ask("取消")
        angry = second.ask("太慢了😡")
        assert "95598" in angry and "再见" not in angry
        queued = second.click_quick_reply("转人工")
        ahead = ahead_in(queued)
        assert ahead >= 1  # the first customer waits ahead
        expect(page.locator("#status")).to_contain_text(f"前面还有{ahead}位")

        # the agent opens the second customer's handoff: the conversation with the assistant, before taking over
        agent.reload()
        row = agent.locator(".handoff-row", has_text="枣庄10千伏双电源用户办电要多久").last
        expect(row).to_contain_text("太慢了")
        summary = row.locator("td.summary").inner_text()
        assert "张三" not in summary and "张*" not in summary and "139****5678" not in summary
        agent.goto(f"{WEB_URL}/agent/handoffs/{row.get_attribute('data-id')}")  # open it (接入 would take it)
        transcript = agent.locator("#bot-transcript")
        expect(transcript).to_contain_text("枣庄10千伏双电源用户办电要多久")
        expect(transcript).to_contain_text("18个工作日")
        expect(transcript).to_contain_text("139****5678")
        expect(transcript).not_to_contain_text("13912345678")
        expect(agent.locator("#take")).to_be_visible()  # not taken yet
        screenshot(agent, "console-handoff-context", full_page=True)
        second_url = agent.url

        # the agent takes the first customer: the second moves up and is told so
        agent.goto(WEB_URL + "/agent/handoffs")
        agent.locator(".handoff-row", has_text="安阳居民新装要多久").last.locator("a.take").click()
        expect(agent.locator("#reply-input")).to_be_visible()
        moved = page.locator(".system", has_text="排队进度")
        expect(moved.last).to_be_visible(timeout=20_000)
        assert ahead_in(moved.last.inner_text()) == ahead - 1
        expect(page.locator("#status")).to_contain_text("您是下一位" if ahead == 1 else f"前面还有{ahead - 1}位")
        screenshot(page, "web-chat-queue")
        agent.click("#hand-back")

        # and then takes the second one
        agent.goto(second_url)
        agent.click("#take")
        agent.fill("#reply-input", "您好，我看到您问了枣庄10千伏双电源的时限，让您久等了。")
        agent.click("#reply-send")
        expect(page.locator(".msg.agent").last).to_contain_text("让您久等了", timeout=20_000)
        expect(page.locator("#status")).to_have_text("人工客服服务中")
        agent.click("#hand-back")
        expect(page.locator("body")).to_contain_text("转回智能助手", timeout=20_000)
    finally:
        context.close()
        log_out(agent)


def test_with_nobody_online_a_customer_leaves_a_call_back_the_agent_sees_and_marks_done(
        browser: Browser, customer: Page):
    context, agent = new_page(browser, DESKTOP)
    try:
        Console(agent).login()
        log_out(agent)  # no agent online (earlier tests may have left one)
        chat = Chat(customer).open()
        chat.ask("安阳居民新装要带什么资料")
        offer = chat.ask("转人工")
        assert "没有人工客服在线" in offer and "工作日 9:00–12:00、13:30–17:30" in offer
        assert "手机号" in chat.click_quick_reply("留电话等回电")
        landline = chat.ask("0372-1234567")
        assert "固定电话" in landline
        assert "希望什么时候" in chat.ask("139 1234 5678")
        done = chat.ask("尽快")
        number = re.search(r"编号(\d+)", done)
        assert number and "139****5678" in done and "13912345678" not in done
        customer.set_viewport_size({"width": MOBILE["width"], "height": 1500})  # the offer and the whole form
        screenshot(customer, "web-chat-callback")

        Console(agent).login()
        agent.goto(WEB_URL + "/agent/callbacks")
        expect(agent.locator("#service-hours")).to_contain_text("工作日 9:00–12:00、13:30–17:30")
        row = agent.locator(f'.callback-row[data-id="{number.group(1)}"]')
        expect(row).to_contain_text("139****5678")
        expect(row).to_contain_text("安阳居民新装要带什么资料")
        expect(row).not_to_contain_text("13912345678")
        screenshot(agent, "console-callbacks")
        row.locator(".reveal-phone").click()
        expect(agent.locator(f'.callback-row[data-id="{number.group(1)}"] .revealed')).to_have_text("13912345678")
        agent.locator(f'.callback-row[data-id="{number.group(1)}"] .mark-done').click()
        expect(agent.locator(".flash-ok")).to_contain_text("已标记为已回电")
        expect(agent.locator(f'.callback-row[data-id="{number.group(1)}"]')).to_have_count(0)
        log_out(agent)
    finally:
        context.close()
