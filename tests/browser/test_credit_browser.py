"""The blacklist walk in Chromium: an operator proposes an entry with its decision document in the
page; a supervisor, another person, approves it in the review page; the public list (signed out)
and the entry's page show it; the supplier's next bid, through the real API of the live server,
is refused naming the entry's authority. Labels, keyboard reach and contrast are checked on the
way, and the public list once in English.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from procurement.identity.models import Role
from tests.bidding.bid_testlib import bidder, open_tender, sealed, submit
from tests.browser.conftest import VIEWPORT, LiveServer, screenshot
from tests.browser.pages import CONTRAST_JS, sign_in
from tests.credit.credit_testlib import today_iso, uscc_of

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

MakeUser = Callable[..., Awaitable[Any]]
AUTHORITY = "海口市财政局"
NAME = "海南浏览器测试失信有限公司"
DECISION = {"name": "处罚决定书.pdf", "mimeType": "application/pdf", "buffer": "%PDF-1.7 海财采〔2026〕1号 处罚决定书".encode()}
UNLABELLED_JS = """() => Array.from(document.querySelectorAll('main input:not([type=hidden]), main select, main textarea'))
  .filter(i => !i.labels || i.labels.length === 0 || !Array.from(i.labels).some(l => l.textContent.trim()))
  .map(i => i.name || i.id || i.outerHTML)"""
# Anything wider than the page makes it scroll sideways: a long code or digest that does not wrap.
OVERFLOW_JS = """() => document.documentElement.scrollWidth <= document.documentElement.clientWidth ? [] :
  Array.from(document.querySelectorAll('main *'))
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .map(e => e.tagName + (e.id ? '#' + e.id : '') + ' ' + (e.textContent || '').trim().slice(0, 30))"""
TEXT = ["main h1", "main h2", "main h3", "main p", "label", ".hint", "main button", "main a", "th", "td", "dt", "dd", ".status"]


class _Users:
    def __init__(self, make_user: MakeUser) -> None:
        self.make = make_user


async def _contrast(page: Any) -> list[str]:
    results = await page.evaluate(CONTRAST_JS, [TEXT, 4.5])
    return [f"{page.url} {r['selector']}: {low}" for r in results for low in r["low"]]


async def _reaches_by_tab(page: Any, selector: str, presses: int = 80) -> bool:
    target = await page.locator(selector).element_handle()
    await page.locator("body").focus()
    for _ in range(presses):
        await page.keyboard.press("Tab")
        if await page.evaluate("(t) => document.activeElement === t", target):
            return True
    return False


async def _checked(page: Any, name: str) -> list[str]:
    """Labels, page width and contrast of the page as it is now, and its screenshot."""
    problems = [f"{page.url} unlabelled: {n}" for n in await page.evaluate(UNLABELLED_JS)]
    problems += [f"{page.url} wider than the window: {e}" for e in await page.evaluate(OVERFLOW_JS)]
    problems += await _contrast(page)
    await screenshot(page, name)
    return problems


async def test_an_operator_proposes_a_supervisor_approves_and_the_suppliers_next_bid_is_refused(
    page: Any, live_server: LiveServer, make_user: MakeUser
) -> None:
    platform = live_server.app.state.platform
    clock = platform.clock
    problems: list[str] = []
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30) as client:
        tender = await open_tender(client, _Users(make_user), clock)
        supplier = await bidder(client, _Users(make_user), tender.id)  # obtained the documents while clear
        uscc = await live_server.run(uscc_of(platform, supplier.user.organisation_id))
        today = today_iso(clock)
        last_day = (date.fromisoformat(today) + timedelta(days=3 * 365)).isoformat()

        # --- The operator proposes, with the decision document, in one form.
        operator = await make_user(Role.operator)
        await sign_in(page, operator)
        await page.goto("/credit")  # staff find their pages from the public list
        await page.locator(".staff-links").get_by_role("link", name="失信名单提议").click()
        await page.wait_for_url("**/credit/proposals")
        assert await page.locator("h1").inner_text() == "失信名单提议"
        assert await _reaches_by_tab(page, "form[action='/credit/proposals'] button[type=submit]"), "the propose button is not reachable by Tab"
        problems += await _checked(page, "credit-1-proposals-empty")

        # Without the document the page refuses, names the field, and keeps what was typed.
        form = page.locator("form[action='/credit/proposals']")
        for field, value in (("uscc", uscc), ("organisation_name", NAME), ("address", "海口市测试路 1 号"),
                             ("conduct", "提供虚假材料谋取中标"), ("penalty", "三年内禁止参加政府采购活动"),
                             ("legal_basis", "政府采购法 第七十七条"), ("authority", AUTHORITY),
                             ("starts_on", today), ("ends_on", last_day)):
            await form.locator(f"#{field}").fill(value)
        await form.locator("#decision").evaluate("e => e.removeAttribute('required')")  # past the browser's own check
        async with page.expect_navigation():
            await form.locator("button[type=submit]").click()
        assert await page.locator(".error-summary").count() == 1
        assert await page.locator("#decision-error").count() == 1
        assert await page.locator("#organisation_name").input_value() == NAME
        problems += await _checked(page, "credit-2-proposal-refused")

        await page.locator("#decision").set_input_files(DECISION)
        async with page.expect_navigation():
            await page.locator("form[action='/credit/proposals'] button[type=submit]").click()
        assert "done=proposed" in page.url
        waiting = page.locator("section[id^=entry-]", has_text=NAME)
        assert await waiting.count() == 1
        entry_id = int((await waiting.get_attribute("id")).removeprefix("entry-"))
        assert await waiting.locator("code.digest").count() == 1  # the document is stored, with its SHA-256
        problems += await _checked(page, "credit-3-proposed-waiting")

        # --- A supervisor approves it.
        await page.context.clear_cookies()
        await sign_in(page, await make_user(Role.supervisor))
        await page.goto("/credit/review")
        item = page.locator(f"#entry-{entry_id}")
        assert await item.count() == 1
        problems += await _checked(page, "credit-4-review")
        async with page.expect_navigation():
            await item.locator("form[action$='/approve'] button").click()
        assert "done=approved" in page.url
        assert await page.locator(f"#entry-{entry_id} form[action$='/lift']").count() == 1  # now among those in force
        problems += await _checked(page, "credit-5-approved")

        # --- The public, signed out, finds it in the list and opens it.
        await page.context.clear_cookies()
        await page.goto("/credit")
        row = page.locator("table tbody tr", has_text=NAME)
        assert await row.count() == 1
        row_text = await row.inner_text()
        assert uscc in row_text and AUTHORITY in row_text and "有效" in row_text
        problems += await _checked(page, "credit-6-public-list")
        await row.get_by_role("link", name=NAME).click()
        await page.wait_for_url(f"**/credit/{entry_id}")
        facts = await page.locator("dl.facts").inner_text()
        for shown in (uscc, "海口市测试路 1 号", "提供虚假材料谋取中标", "三年内禁止参加政府采购活动", "政府采购法 第七十七条", AUTHORITY, today, last_day):
            assert shown in facts, shown
        problems += await _checked(page, "credit-7-public-entry")

        # --- The supplier's next bid is refused, naming the entry's authority.
        refused = await submit(client, supplier, tender.id, 1, *sealed(supplier, tender.id, 1, 1))
        assert refused.status_code == 403, refused.text
        detail = refused.json()["detail"]
        assert "blacklist" in detail and AUTHORITY in detail and NAME in detail and last_day in detail, detail

    # --- The public list once in English: no Chinese words left but the data and the language link.
    await page.goto("/credit")
    await page.get_by_role("link", name="English").click()
    await page.wait_for_url("**/credit")
    assert await page.locator("html").get_attribute("lang") == "en"
    assert await page.locator("h1").inner_text() == "Credit blacklist"
    chrome = await page.locator("body").inner_text()
    for data in (NAME, AUTHORITY, "三年内禁止参加政府采购活动", "中文", "财办库〔2014〕526号"):
        chrome = chrome.replace(data, "")
    assert not re.search(r"[\u4e00-\u9fff]", chrome), "Chinese text left on the English page"
    problems += await _checked(page, "credit-8-public-list-en")

    # --- A phone's width, in Chinese: the list, the entry (its 64-digit digest) stay within the screen.
    await page.get_by_role("link", name="中文").click()
    await page.wait_for_url("**/credit")
    await page.set_viewport_size({"width": 375, "height": 800})
    try:
        await page.goto("/credit")
        problems += await _checked(page, "credit-9-list-phone")
        await page.goto(f"/credit/{entry_id}")
        problems += await _checked(page, "credit-10-entry-phone")
    finally:
        await page.set_viewport_size(VIEWPORT)
    assert problems == []
