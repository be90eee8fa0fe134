"""The chat page in a real browser (system Chromium) against a real ``run_bot.py serve``.

Every wait is on a condition (Playwright's auto-wait and ``expect``), never a fixed sleep.
Set BOT_WEB_SCREENSHOT=docs/web-chat.png to refresh the committed screenshot.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot import wording
from tests.channels.web.conftest import ROOT, Server

if TYPE_CHECKING:  # playwright is optional at run time: importorskip below
    from playwright.sync_api import Browser, Locator, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TAB_LIMIT = 30  # more Tabs than the page has controls: reaching the target must not depend on luck

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no system Chromium at /usr/bin/chromium"),
]

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install .[test])"
)
expect = sync_api.expect


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    """A fresh browser profile (no localStorage, no cookie) on the chat page."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 820, "height": 1000})
    tab = context.new_page()
    tab.goto(server.url + "/")
    yield tab
    context.close()


def ask(page: Page, question: str) -> Locator:
    """Type a question into the labelled box, send it with Enter, and return the new answer."""
    answers = page.locator("article.msg.bot")
    before = answers.count()
    box = page.get_by_label(wording.WEB_INPUT_LABEL)
    box.fill(question)
    box.press("Enter")
    expect(answers).to_have_count(before + 1)
    return answers.last


def press(page: Page, name: str) -> Locator:
    """Press the latest button called ``name`` and return the answer it brought."""
    answers = page.locator("article.msg.bot")
    before = answers.count()
    page.get_by_role("button", name=name, exact=True).last.click()
    expect(answers).to_have_count(before + 1)
    return answers.last


def test_a_conversation(page: Page) -> None:
    answer = ask(page, "哪里可以猜灯谜?")
    expect(answer).to_contain_text("灯谜")
    expect(answer).to_contain_text("已举办")
    expect(answer.locator(".source")).to_contain_text("来源:《上街区 2020 年春节期间传统文化活动安排》")
    expect(answer).to_contain_text("第1/3页")

    second = press(page, wording.NEXT)
    expect(second).to_contain_text("第2/3页")
    expect(second.get_by_role("button", name=wording.PREVIOUS)).to_be_visible()

    follow_up = ask(page, "那2月5日呢?")
    expect(follow_up).to_contain_text("2020年2月5日")
    expect(follow_up.locator(".source")).to_be_visible()

    service = ask(page, "怎么在手机上信访?")
    expect(service.locator(".source")).to_contain_text("来源:")
    original = press(page, wording.ORIGINAL)
    expect(original).to_contain_text("手机信访")

    fallback = ask(page, "火星上有什么好吃的?")
    expect(fallback).to_contain_text("抱歉")
    expect(fallback.locator("button")).to_have_count(0)

    target = os.environ.get("BOT_WEB_SCREENSHOT")
    if target:
        page.evaluate("window.scrollTo(0, 0)")  # the header, the examples and the first answer
        page.screenshot(path=str(ROOT / target))


def test_an_example_chip_asks_in_one_tap(page: Page) -> None:
    answers = page.locator("article.msg.bot")
    page.get_by_role("button", name=wording.EXAMPLE_QUESTIONS[0]).click()
    expect(answers).to_have_count(2)
    expect(answers.last.locator(".source")).to_contain_text("来源:")


def test_a_reload_keeps_the_conversation(page: Page) -> None:
    ask(page, "哪里可以猜灯谜?")
    page.reload()
    answers = page.locator("article.msg.bot")
    expect(answers).to_have_count(2)  # the greeting and the re-shown answer
    expect(answers.last).to_contain_text("第1/3页")
    expect(press(page, wording.NEXT)).to_contain_text("第2/3页")
    page.reload()
    expect(ask(page, wording.NEXT)).to_contain_text("第3/3页")  # typed: the server kept the resident


def test_keyboard_only(page: Page) -> None:
    box = page.get_by_label(wording.WEB_INPUT_LABEL)
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        if box.evaluate("el => el === document.activeElement"):
            break
    expect(box).to_be_focused()
    page.keyboard.type("哪里可以猜灯谜?")
    page.keyboard.press("Enter")
    answers = page.locator("article.msg.bot")
    expect(answers).to_have_count(2)
    expect(box).to_be_focused()  # ready for the next question
    next_button = answers.last.get_by_role("button", name=wording.NEXT)
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Shift+Tab")  # the newest answer's buttons are just above the box
        if next_button.evaluate("el => el === document.activeElement"):
            break
    expect(next_button).to_be_focused()
    page.keyboard.press("Space")
    expect(answers).to_have_count(3)
    expect(answers.last).to_contain_text("第2/3页")


def test_font_size_control_is_kept(page: Page) -> None:
    size = "() => getComputedStyle(document.documentElement).fontSize"
    assert page.evaluate(size) == "20px"
    page.get_by_role("button", name=wording.WEB_BIGGER).click()
    assert page.evaluate(size) == "24px"
    page.reload()
    assert page.evaluate(size) == "24px"
    page.get_by_role("button", name=wording.WEB_SMALLER).click()
    page.get_by_role("button", name=wording.WEB_SMALLER).click()
    assert page.evaluate(size) == "20px"  # never below the minimum


def test_targets_are_large_enough(page: Page) -> None:
    ask(page, "哪里可以猜灯谜?")
    for button in page.get_by_role("button").all():
        box = button.bounding_box()
        assert box is not None and box["height"] >= 48 and box["width"] >= 48, button.inner_text()


def test_no_serious_accessibility_violation(page: Page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    ask(page, "哪里可以猜灯谜?")
    press(page, wording.NEXT)
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in serious]
