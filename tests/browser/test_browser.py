"""In a real browser: a customer asks, clicks a quick reply, rates, books and checks status; an agent
logs in to the console, looks up a citation, handles the order and takes over a handed-off chat."""

from __future__ import annotations

import random
import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import WEB_URL, screenshot
from tests.browser.pages import ORDER_NUMBER, Chat, Console


def test_a_customer_question_gets_a_sourced_answer_and_can_be_rated(customer: Page):
    chat = Chat(customer).open()
    answer = chat.ask("枣庄10千伏双电源用户办电要多久")
    assert "18个工作日" in answer.replace(" ", "") and "枣能源字〔2021〕33号" in answer
    customer.locator(".rate-down").last.click()
    expect(customer.locator(".rate-note").last).to_contain_text("感谢反馈")
    screenshot(customer, "web-chat")


def test_a_quick_reply_answers_the_clarifying_question(customer: Page):
    chat = Chat(customer).open()
    question = chat.ask("10千伏双电源办电多久")
    assert "哪个城市" in question
    answer = chat.click_quick_reply("枣庄")
    assert "18个工作日" in answer.replace(" ", "")
    expect(customer.locator(".msg.user .bubble").last).to_have_text("枣庄")
    expect(customer.locator(".msg.user").last).not_to_have_class(re.compile("failed|pending"))


def test_enter_while_composing_chinese_does_not_send(customer: Page):
    Chat(customer).open()
    sent = customer.locator(".msg.user").count()
    customer.fill("#input", "zaozhuang")
    customer.dispatch_event("#input", "compositionstart")
    customer.locator("#input").evaluate(
        "el => el.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', keyCode: 229, isComposing: true, "
        "bubbles: true, cancelable: true}))")
    customer.wait_for_timeout(300)
    expect(customer.locator(".msg.user")).to_have_count(sent)
    expect(customer.locator("#input")).to_have_value("zaozhuang")


def test_the_conversation_survives_a_reload(customer: Page):
    chat = Chat(customer).open()
    chat.ask("连云港居民办电要多久")
    customer.reload()
    chat.open()
    expect(customer.locator(".msg.user", has_text="连云港居民办电要多久")).to_have_count(1)
    assert "连云港" in chat.ask("那要带什么资料")  # the region carried over in the same session


def test_booking_status_and_the_agent_console(customer: Page, agent: Page):
    phone = f"139{random.randrange(10**8):08d}"  # a new booking each run (the same one is deduplicated)
    masked = f"{phone[:3]}****{phone[-4:]}"
    chat = Chat(customer).open()
    chat.ask("我要预约办电")
    for answer in ("张三", phone, "安阳市文峰区中华路1号", "居民新装", "明天上午"):
        chat.ask(answer)
    confirmation = chat.ask("确认")
    match = ORDER_NUMBER.search(confirmation)
    assert match, confirmation
    number = match.group(1)
    assert "当前阶段" in chat.ask(f"查询工单{number} 手机尾号{phone[-4:]}")
    screenshot(customer, "web-chat-booking")

    console = Console(agent).login()
    lookup = console.lookup("枣庄10千伏双电源用户办电要多久")
    assert "枣能源字〔2021〕33号" in lookup and "18个工作日" in lookup.replace(" ", "")
    expect(agent.locator(".citation").first).to_be_visible()
    screenshot(agent, "console-lookup")

    agent.goto(WEB_URL + "/agent/orders")
    agent.fill("#order-search", number)
    agent.press("#order-search", "Enter")
    agent.locator("table.orders a.order-link", has_text=number).first.click()
    page_text = agent.locator("body").inner_text()
    assert phone not in page_text and masked in page_text
    agent.click("#reveal")
    expect(agent.locator("body")).to_contain_text(phone)
    agent.select_option("#advance-select", index=0)
    agent.click("#advance-submit")
    expect(agent.locator(".flash").first).to_be_visible()
    screenshot(agent, "console-order")
    # the customer's open conversation is told about the new stage
    expect(customer.locator(".msg.notice").last).to_contain_text(number, timeout=20_000)


def test_a_handed_off_conversation_is_taken_over_and_handed_back(customer: Page, agent: Page):
    Console(agent).login()
    agent.goto(WEB_URL + "/agent/handoffs")  # an agent online: the customer is queued
    chat = Chat(customer).open()
    chat.ask("安阳居民新装要多久")
    queued = chat.ask("转人工")
    assert "人工客服" in queued and "95598" not in queued

    agent.reload()
    row = agent.locator(".handoff-row", has_text="安阳").last
    expect(row).to_contain_text("安阳居民新装要多久")
    row.locator("a.take").click()
    agent.fill("#reply-input", "您好，我是客服小李，请问还有什么问题？")
    agent.click("#reply-send")
    expect(customer.locator(".msg.agent").last).to_contain_text("客服小李", timeout=20_000)

    customer.fill("#input", "我想问一下表计的问题")
    customer.press("#input", "Enter")
    expect(agent.locator("body")).to_contain_text("我想问一下表计的问题", timeout=20_000)
    screenshot(agent, "console-handoff")
    screenshot(customer, "web-chat-handoff")

    agent.click("#hand-back")
    expect(customer.locator("body")).to_contain_text("转回智能助手", timeout=20_000)
    assert re.search(r"\d+个工作日", Chat(customer).ask("枣庄居民新装要多久"))
