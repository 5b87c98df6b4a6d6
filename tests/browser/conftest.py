"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against running servers.

scripts/test.sh starts the servers (web app on BANDIAN_WEB_URL) with a known console password.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

WEB_URL = os.environ.get("BANDIAN_WEB_URL", "http://localhost:8080").rstrip("/")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
MOBILE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
TIMEOUT_MS = 30_000
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


def new_page(browser: Browser, viewport: dict[str, int]) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport=viewport, locale="zh-CN", device_scale_factor=2)
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


@pytest.fixture
def customer(browser: Browser) -> Iterator[Page]:
    context, page = new_page(browser, MOBILE)
    yield page
    context.close()


@pytest.fixture
def agent(browser: Browser) -> Iterator[Page]:
    context, page = new_page(browser, DESKTOP)
    yield page
    context.close()


def screenshot(page: Page, name: str, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
