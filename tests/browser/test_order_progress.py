"""In a real browser: a customer books, sees the progress timeline without typing the order number (the
conversation remembers it; the phone suffix is still asked), corrects a wrong suffix, moves the visit; an agent
leaves an internal note and a message in the console and moves the visit again: the customer gets the message
and the visit notice pushed into the open chat, and never sees the internal note.

Screenshots: docs/screenshots/web-chat-timeline.png, docs/screenshots/console-order-notes.png.
"""

from __future__ import annotations

import random
import re
from datetime import date

from playwright.sync_api import Page, expect

from bot.calendar import add_working_days
from bot.orders.times import beijing_now
from tests.browser.conftest import WEB_URL, screenshot
from tests.browser.pages import ORDER_NUMBER, Chat, Console

INTERNAL = "内部：客户称房产证在办理中，上门时先核对产权证明"
MESSAGE = "客户经理会提前半小时电话联系您，请保持电话畅通"


def visit_day(working_days: int) -> date:
    """A working day ahead (official calendar, Beijing days), within the 30-day booking horizon."""
    return add_working_days(beijing_now().date(), working_days).day


def said(day: date, period: str) -> str:
    return f"{day.month}月{day.day}日{period}"


def test_a_customer_sees_the_timeline_reschedules_and_never_sees_an_internal_note(customer: Page, agent: Page):
    phone = f"139{random.randrange(10**8):08d}"  # a new booking each run (the same one is deduplicated)
    suffix = phone[-4:]
    wrong = f"{(int(suffix) + 1) % 10000:04d}"
    chat = Chat(customer).open()
    chat.ask("我要预约办电")
    for answer in ("张三", phone, "安阳市文峰区中华路1号", "居民新装", said(visit_day(1), "上午")):
        chat.ask(answer)
    confirmation = chat.ask("确认")
    match = ORDER_NUMBER.search(confirmation)
    assert match, confirmation
    number = match.group(1)

    # 查进度: no order number needed; the phone suffix is; a wrong one is corrected without starting over
    asked = chat.click_quick_reply("查进度")
    assert "手机号后四位" in asked and number not in asked
    missed = chat.ask(wrong)
    assert "没有找到" in missed and "请重新告诉我" in missed
    progress = chat.ask(f"不好意思，尾号是{suffix}")
    assert "办理进度" in progress and "● 已预约" in progress and "○ 已派单" in progress
    assert "预约上门时间" in progress and "客户经理" in progress and "预警等级" in progress

    # the customer moves the visit from the status reply's button
    first_move = visit_day(3)
    assert "手机号后四位" in chat.click_quick_reply("改约上门时间")
    assert "改到什么时候" in chat.ask(suffix)
    moved = chat.ask(said(first_move, "下午"))
    assert f"上门时间改为{first_move.month}月{first_move.day}日" in moved and "下午" in moved

    # the agent: an internal note, a message to the customer, and the visit moved once more
    Console(agent).login()
    agent.goto(f"{WEB_URL}/agent/orders/{number.replace('-', '')}")
    expect(agent.locator("label[for=note-input]")).to_have_text("内部备注（客户不可见）")
    expect(agent.locator("label[for=message-input]")).to_have_text("给客户的消息（客户可见，会推送）")
    agent.fill("#note-input", INTERNAL)
    agent.click("#note-submit")
    expect(agent.locator(".flash").first).to_contain_text("客户看不到")
    agent.fill("#message-input", MESSAGE)
    agent.click("#message-submit")
    expect(agent.locator(".flash").first).to_contain_text("已推送到客户的对话")
    second_move = visit_day(4)
    agent.fill("#visit-input", said(second_move, "上午"))
    agent.fill("#visit-note", "客户来电：周中不在家")
    agent.click("#visit-submit")
    expect(agent.locator(".flash").first).to_contain_text("已通知客户")
    history = agent.locator("table.history")
    expect(history).to_contain_text(INTERNAL)
    expect(history.locator("tr.history-note").first).to_contain_text("仅内部")
    expect(history.locator("tr.history-message")).to_contain_text("客户可见")
    expect(agent.locator("#order-timeline")).to_contain_text("已预约")
    screenshot(agent, "console-order-notes", full_page=True)

    # the customer's open chat gets the message and the visit notice, never the internal note
    notices = customer.locator(".msg.notice")
    expect(notices.filter(has_text=MESSAGE)).to_have_count(1, timeout=20_000)
    expect(notices.filter(has_text=f"{second_move.month}月{second_move.day}日")).to_have_count(1, timeout=20_000)
    assert "手机号后四位" in chat.ask("查一下我的工单")
    final = chat.ask(suffix)
    assert MESSAGE in final and f"预约上门时间：{second_move.month}月{second_move.day}日" in final
    assert "原为" in final  # the visit changes, as written for the customer
    page_text = customer.locator("body").inner_text()
    assert INTERNAL not in page_text and "房产证" not in page_text and "周中不在家" not in page_text
    assert re.search(r"\d{1,2}月\d{1,2}日 \d{2}:\d{2}", final)  # dates and times of the timeline
    # the progress view from its first line: the order, the stage and the timeline
    customer.locator(".msg.bot", has_text="办理进度").last.evaluate("el => el.scrollIntoView({block: 'start'})")
    screenshot(customer, "web-chat-timeline")
