"""What a customer and an agent do on the pages, in the pages' own terms."""

from __future__ import annotations

import os
import re

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import WEB_URL

ORDER_NUMBER = re.compile(r"工单号：(\d{5}-\d{5})")


class Chat:
    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> Chat:
        self.page.goto(WEB_URL + "/")
        expect(self.page.locator("body")).to_have_attribute("data-ready", "1")
        expect(self.bot_messages().first).to_be_visible()  # the greeting
        return self

    def bot_messages(self) -> Locator:
        return self.page.locator(".msg.bot:not(.typing)")

    def ask(self, text: str) -> str:
        """Type a question, press Enter, return the text of the bot messages that answered it."""
        before = self.bot_messages().count()
        self.page.fill("#input", text)
        self.page.press("#input", "Enter")
        return self._answer_after(before)

    def click_quick_reply(self, title: str) -> str:
        before = self.bot_messages().count()
        self.page.locator(".quick-replies button", has_text=title).last.click()
        return self._answer_after(before)

    def _answer_after(self, before: int) -> str:
        expect(self.bot_messages()).not_to_have_count(before)
        expect(self.page.locator("body")).not_to_have_attribute("data-busy", "1")
        return "\n".join(self.bot_messages().all_inner_texts()[before:])


class Console:
    def __init__(self, page: Page) -> None:
        self.page = page

    def login(self) -> Console:
        self.page.goto(WEB_URL + "/agent")
        self.page.fill("#username", os.environ.get("BANDIAN_CONSOLE_USER", "admin"))
        self.page.fill("#password", os.environ["BANDIAN_CONSOLE_PASSWORD"])
        self.page.click("#login")
        expect(self.page.locator("#lookup-input")).to_be_visible()
        return self

    def lookup(self, question: str) -> str:
        self.page.goto(WEB_URL + "/agent")
        self.page.fill("#lookup-input", question)
        self.page.click("#lookup-submit")
        answer = self.page.locator("#lookup-answer")
        expect(answer).to_contain_text("号")
        return answer.inner_text()
