"""A new tender's whole way, walked in Chromium as its users would.

A purchaser creates a draft through the form (one mistake, caught by the server and shown at
its field, corrected), submits it; an operator accepts it from the entry review queue; the
purchaser publishes it; an anonymous reader finds it by keyword, opens it and downloads its
notice PDF. Screenshots of every step go to test-output/browser/walk-*.png.

Texts are looked up through the catalogue (``zh``), so the test reads the page the way it is
shown in Chinese, whether or not a message has its translation yet.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from procurement import i18n
from procurement.clock import to_display
from procurement.identity.models import Role
from tests.browser.conftest import LiveServer, screenshot
from tests.browser.pages import (
    CONTRAST_JS,
    expect_html,
    log_in,
    log_out,
    sign_in,
    submit,
)
from tests.browser.test_accessibility import (
    FOCUSED_JS,
    UNLABELLED_JS,
    _focus_is_visible,
)
from tests.conftest import (
    TestUser as UserUnderTest,  # not "Test...": pytest would try to collect it
)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

MakeUser = Callable[..., Awaitable[UserUnderTest]]
TITLE = "美兰区第三小学教学楼改造工程"
LOCAL = "%Y-%m-%dT%H:%M"


def zh(message: str, **params: object) -> str:
    token = i18n.language_var.set("zh")
    try:
        return i18n.gettext(message, **params)
    finally:
        i18n.language_var.reset(token)


def times(live_server: LiveServer) -> dict[str, str]:
    start = to_display(live_server.app.state.platform.clock.now() + timedelta(days=1)).replace(hour=9, minute=0)
    return {
        "documents_from": start.strftime(LOCAL),
        "documents_until": (start + timedelta(days=7)).strftime(LOCAL),
        "bid_deadline": (start + timedelta(days=25)).strftime(LOCAL),
    }


async def go(page: Any, name: str, *, role: str = "link") -> None:
    """Follow a link (or press a button) in the main content and wait for the page it leads to."""
    async with page.expect_navigation() as navigation:
        await page.locator("main").get_by_role(role, name=name, exact=True).first.click()
    expect_html(await navigation.value)


async def nav(page: Any, name: str) -> None:
    async with page.expect_navigation() as navigation:
        await page.locator(".main-nav").get_by_role("link", name=name, exact=True).click()
    expect_html(await navigation.value)


async def test_a_tender_from_draft_to_its_public_notice_pdf(page: Any, live_server: LiveServer, make_user: MakeUser) -> None:
    purchaser, operator = await make_user(Role.purchaser), await make_user(Role.operator)

    # --- The purchaser creates a draft through the form --------------------------------------
    await log_in(page, purchaser)
    await nav(page, zh("My tenders"))
    assert await page.locator(".empty").count() == 1
    await screenshot(page, "walk-01-my-tenders-empty")
    await go(page, zh("New tender"))
    assert await page.locator("html").get_attribute("lang") == "zh-CN"
    assert await page.evaluate(UNLABELLED_JS) == []
    await screenshot(page, "walk-02-new-tender-form")

    await page.get_by_label(zh("Project title"), exact=True).fill(TITLE)
    await page.get_by_label(zh("Region code"), exact=True).fill("460108")
    await page.get_by_label(zh("Budget (yuan)"), exact=True).fill("2,000,000.00")
    await page.get_by_label(zh("Green channel (key project)")).check()
    await page.get_by_label(zh("Lot %(n)s: title", n=1)).fill("第一标段：主体改造")
    await page.get_by_label(zh("Lot %(n)s: budget (yuan)", n=1)).fill("1500000")
    await page.get_by_label(zh("Lot %(n)s: bid security (yuan)", n=1)).fill("40000")  # over 2% of 1,500,000: the server says so
    rows = page.locator("table.lot-rows tbody tr")
    shown_rows = await rows.count()
    await page.get_by_role("button", name=zh("Add lot rows")).click()  # the script adds a row here, no round trip
    assert await rows.count() == shown_rows + 1
    assert (await page.evaluate(FOCUSED_JS))["id"] == f"lots-{shown_rows}-title"
    await page.get_by_label(zh("Lot %(n)s: title", n=shown_rows + 1)).fill("第二标段：室外工程")
    await page.get_by_label(zh("Lot %(n)s: budget (yuan)", n=shown_rows + 1)).fill("500000")
    await page.get_by_label(zh("Lot %(n)s: evaluation method", n=shown_rows + 1)).select_option("lowest_price")
    for name, value in times(live_server).items():
        await page.locator(f"#{name}").fill(value)
    await page.get_by_label(zh("Contact person"), exact=False).fill("李工")
    await page.get_by_label(zh("Contact telephone"), exact=False).fill("0898-66668888")
    await page.get_by_label(zh("Qualifications of bidders"), exact=False).fill("具有建筑工程施工总承包三级及以上资质")
    await screenshot(page, "walk-03-form-filled")
    await submit(page, zh("Create draft"))

    # The mistake comes back at its field, with a summary that has the focus and links to it.
    summary = page.locator(".error-summary")
    assert await summary.count() == 1
    assert "error-summary" in (await page.evaluate(FOCUSED_JS))["cls"]
    assert await page.locator("#lots-0-bid_security-error").count() == 1
    assert await page.locator("#lots-0-bid_security").get_attribute("aria-invalid") == "true"
    assert await page.get_by_label(zh("Project title"), exact=True).input_value() == TITLE  # what was typed is kept
    assert await page.locator(f"#lots-{shown_rows}-title").input_value() == "第二标段：室外工程"
    await screenshot(page, "walk-04-form-inline-error")
    await summary.get_by_role("link").first.click()
    assert page.url.endswith("#lots-0-bid_security")
    await page.locator("#lots-0-bid_security").fill("30000")
    await submit(page, zh("Create draft"))
    assert "/manage/tenders/" in page.url and "done=created" in page.url
    assert await page.locator("h1").inner_text() == TITLE
    assert await page.locator("table.lots tbody tr").count() == 2  # the blank row between was ignored
    await screenshot(page, "walk-05-draft-created")
    tender_url = page.url.split("?")[0]

    await go(page, zh("Submit for entry review"), role="button")
    assert "done=submitted" in page.url
    assert await page.locator(".status-submitted").count() == 1
    await screenshot(page, "walk-06-submitted")
    await log_out(page)

    # --- The operator accepts it from the queue ---------------------------------------------
    await log_in(page, operator)
    await nav(page, zh("Entry review"))
    queue_row = page.locator("table.queue tbody tr", has_text=TITLE)
    assert await queue_row.count() == 1
    assert await queue_row.locator(".tag.green").count() == 1
    await screenshot(page, "walk-07-review-queue")
    async with page.expect_navigation():
        await queue_row.get_by_role("link", name=TITLE).click()
    assert await page.evaluate(UNLABELLED_JS) == []
    checkboxes = page.locator("#checklist input[type=checkbox]")
    assert await checkboxes.count() >= 3
    for index in range(await checkboxes.count()):
        await checkboxes.nth(index).check()
    await screenshot(page, "walk-08-review-checklist")
    await submit(page, zh("Accept entry"))
    assert "decision=accepted" in page.url
    assert await page.locator("table.queue tbody tr", has_text=TITLE).count() == 0
    await screenshot(page, "walk-09-accepted")
    await log_out(page)

    # --- The purchaser sees the result and publishes ---------------------------------------------
    await log_in(page, purchaser)
    await nav(page, zh("My tenders"))
    async with page.expect_navigation():
        await page.locator("table.manage").get_by_role("link", name=TITLE).click()
    assert page.url == tender_url
    assert await page.locator(".review.accepted").count() == 1
    assert await page.locator(".review .tag.ok").count() == 1  # decided within 24 hours
    await screenshot(page, "walk-10-review-result")
    await submit(page, zh("Publish now"))
    assert "done=published" in page.url and await page.locator(".status-published").count() == 1
    await screenshot(page, "walk-11-published")
    await log_out(page)

    # --- An anonymous reader finds it, opens it and downloads the notice PDF -----------------
    await page.context.clear_cookies()
    await page.goto("/tenders")
    await page.get_by_label(zh("Keyword")).fill("第三小学")
    await submit(page, zh("Search"))
    found = page.locator("table.tenders tbody tr")
    assert await found.count() == 1
    await screenshot(page, "walk-12-public-search")
    async with page.expect_navigation():
        await found.first.get_by_role("link", name=TITLE).click()
    assert page.url.split("?")[0].endswith(tender_url.rsplit("/", 1)[1])
    await screenshot(page, "walk-13-public-tender")
    pdf_link = page.locator("a[href^='/notices/']", has_text="PDF").first
    assert await pdf_link.count() == 1, "the public tender page links its notice's PDF"
    href = await pdf_link.get_attribute("href")
    pdf = await page.context.request.get(href)
    assert pdf.ok and pdf.headers["content-type"].startswith("application/pdf"), pdf.headers
    assert (await pdf.body()).startswith(b"%PDF-")
    async with page.expect_navigation():
        await page.locator("a[href^='/notices/']").first.click()  # the notice's own page
    await screenshot(page, "walk-14-notice-page")


async def test_the_draft_form_is_completed_and_sent_by_keyboard(page: Any, live_server: LiveServer, make_user: MakeUser) -> None:
    purchaser = await make_user(Role.purchaser)
    await sign_in(page, purchaser)
    await page.goto("/manage/tenders/new")
    typed = {
        "title": "琼山区图书馆空调设备采购", "region": "460107", "budget": "300000", "lots-0-title": "空调设备",
        "lots-0-budget": "300000", "lots-0-bid_security": "6000", "contact_name": "陈工",
    }
    for name, value in times(live_server).items():
        # Chromium's date control takes its parts one by one (Tab moves between them): set it whole.
        await page.locator(f"#{name}").fill(value)
    await page.locator("#title").focus()
    order: list[str] = []
    for _ in range(100):
        focused = await page.evaluate(FOCUSED_JS)
        assert _focus_is_visible(focused), focused
        if order and order[-1] == focused["id"]:  # the next part of a date control
            await page.keyboard.press("Tab")
            continue
        order.append(focused["id"])
        if focused["id"] in typed:
            await page.keyboard.type(typed[focused["id"]])
        if focused["id"] == "save-draft":
            break
        await page.keyboard.press("Tab")
    assert order[-1] == "save-draft", order
    expected = ["title", "track", "category", "method", "region", "budget", "green_channel", "lots-0-title", "lots-0-budget",
                "lots-0-bid_security", "lots-0-evaluation_method", "add-lot", "documents_from", "documents_until",
                "questions_until", "bid_deadline", "opening_place", "contact_name", "contact_phone", "qualifications", "save-draft"]
    assert [name for name in order if name in expected and not name.startswith("lots-") or name.startswith("lots-0-")] == expected
    async with page.expect_navigation() as navigation:
        await page.keyboard.press("Enter")
    expect_html(await navigation.value)
    assert "done=created" in page.url, await page.locator("main").inner_text()
    assert await page.locator("h1").inner_text() == typed["title"]


async def test_the_manage_and_review_pages_meet_the_contrast_minimum(page: Any, live_server: LiveServer, make_user: MakeUser) -> None:
    purchaser, operator = await make_user(Role.purchaser), await make_user(Role.operator)
    await sign_in(page, purchaser)
    await page.goto("/manage/tenders/new")
    await page.locator("#lots-0-bid_security").fill("21")
    for name, value in times(live_server).items():
        await page.locator(f"#{name}").fill(value)
    await page.locator("#title").fill("对比度测试项目")
    await page.locator("#region").fill("460100")
    await page.locator("#budget").fill("1000")
    await page.locator("#lots-0-title").fill("唯一标段")
    await page.locator("#lots-0-budget").fill("1000")
    await page.locator("#green_channel").check()
    await submit(page, zh("Create draft"))  # 21 yuan of security on 1,000 is over 2%: an error shows
    results = await page.evaluate(CONTRAST_JS, [["label", ".hint", ".field-error", ".error-summary a", "legend", "th", "main button"], 4.5])
    await page.locator("#lots-0-bid_security").fill("20")
    await submit(page, zh("Create draft"))
    await go(page, zh("Submit for entry review"), role="button")
    results += await page.evaluate(CONTRAST_JS, [[".notice p", "dt", "dd", ".status", ".tag"], 4.5])
    await page.context.clear_cookies()
    await sign_in(page, operator)
    await page.goto("/review-queue")
    results += await page.evaluate(CONTRAST_JS, [["th", "td", "td a", ".tag"], 4.5])
    # A day later the tender is overdue: highlighted, and said in words, not by colour alone.
    live_server.app.state.platform.clock.advance(timedelta(hours=25))
    await page.context.clear_cookies()
    await sign_in(page, operator)
    await page.goto("/review-queue")
    assert await page.locator("tr.overdue .tag.late").count() >= 1
    results += await page.evaluate(CONTRAST_JS, [["tr.overdue td", "tr.overdue td a", ".tag.late"], 4.5])
    await screenshot(page, "walk-15-review-queue-overdue")
    for result in results:
        assert result["measured"], result["selector"]
    low = [f"{r['selector']}: {item}" for r in results for item in r["low"]]
    assert not low, "\n".join(low)
