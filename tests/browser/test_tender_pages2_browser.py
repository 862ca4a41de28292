"""The tender pages' second part in Chromium: every search filter, obtaining the documents,
terminating, the progress and notices, and a notice's page, used by keyboard and measured.

Screenshots go to test-output/browser/pages2-*.png for people to look at. Texts are looked
up through the catalogue (``zh``), so the test reads the page as it is shown in Chinese,
whether or not a message has its translation yet.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from procurement.clock import to_display
from procurement.identity.models import Role
from procurement.tenders.service import CHECKLISTS
from tests.browser.conftest import LiveServer, screenshot
from tests.browser.pages import CONTRAST_JS, expect_html, sign_in
from tests.browser.test_accessibility import (
    FOCUSED_JS,
    UNLABELLED_JS,
    _focus_is_visible,
)
from tests.browser.test_tender_walk_browser import zh
from tests.conftest import (
    TestUser as UserUnderTest,  # not "Test...": pytest would try to collect it
)
from tests.tenders.tender_testlib import draft_body

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

MakeUser = Callable[..., Awaitable[UserUnderTest]]
SEARCHED = "龙华区妇幼保健院门诊楼改造工程"
# No page may scroll sideways, and no cell may spill out of its table.
OVERFLOW_JS = """() => ({
  page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  cells: Array.from(document.querySelectorAll('main td, main th')).filter(c => c.scrollWidth > c.clientWidth + 1)
    .map(c => c.innerText.slice(0, 40)),
  // What sticks out on the right, to say why when the page scrolls sideways.
  wide: Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + (e.innerText || '').slice(0, 30)),
})"""


async def _token(page: Any, user: UserUnderTest) -> dict[str, str]:
    login = await page.context.request.post("/api/auth/login", data={"username": user.username, "password": user.password})
    assert login.ok, await login.text()
    return {"Authorization": f"Bearer {(await login.json())['token']}"}


async def _call(page: Any, method: str, path: str, headers: dict[str, str], **options: Any) -> Any:
    response = await page.context.request.fetch(path, method=method, headers=headers, **options)
    assert response.ok, await response.text()
    return await response.json()


async def _tender(page: Any, live_server: LiveServer, make_user: MakeUser, *, amend: bool = True, **draft: Any) -> tuple[int, UserUnderTest]:
    """A published tender with its documents (and, with ``amend``, an amendment and the documents' second version)."""
    purchaser, operator = await make_user(Role.purchaser), await make_user(Role.operator)
    owner, centre = await _token(page, purchaser), await _token(page, operator)
    now = live_server.app.state.platform.clock.now()
    tender = await _call(page, "POST", "/api/tenders", owner, data=draft_body(now, **draft))
    tender_id = tender["id"]
    pdf = {**owner, "Content-Type": "application/pdf"}
    document = await _call(page, "POST", f"/api/tenders/{tender_id}/documents?name=招标文件.pdf&kind=tender_documents", pdf,
                           data=b"%PDF-1.7 tender documents, first version")
    await _call(page, "POST", f"/api/tenders/{tender_id}/documents?name=工程量清单.xlsx&kind=attachment",
                {**owner, "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}, data=b"PK bill of quantities")
    await _call(page, "POST", f"/api/tenders/{tender_id}/submit", owner, data={})
    await _call(page, "POST", f"/api/tenders/{tender_id}/review", centre,
                data={"decision": "accepted", "checklist": {item: True for item in CHECKLISTS[tender["method"]]}})
    await _call(page, "POST", f"/api/tenders/{tender_id}/publish", owner, data={})
    if amend:
        await _call(page, "POST", f"/api/tenders/{tender_id}/amendments", owner, data={"summary": "更正工程量清单第 3 项：数量由 100 立方米改为 120 立方米"})
        await _call(page, "POST", f"/api/tenders/{tender_id}/documents/{document['id']}/versions?amendment=1", pdf,
                    data=b"%PDF-1.7 tender documents, second version")
    await page.context.clear_cookies()
    return tender_id, purchaser


async def _tab_to(page: Any, wanted: Callable[[dict[str, Any]], bool], limit: int = 250) -> list[dict[str, Any]]:
    """Press Tab until the focus is on what ``wanted`` picks; every stop on the way must show the focus."""
    stops = []
    for _ in range(limit):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(FOCUSED_JS)
        assert _focus_is_visible(focused), focused
        stops.append(focused)
        if wanted(focused):
            return stops
    raise AssertionError(f"Tab never reached it; stops: {[s['id'] or s['text'][:20] for s in stops]}")


async def _contrast(page: Any, selectors: list[str]) -> list[str]:
    results = await page.evaluate(CONTRAST_JS, [selectors, 4.5])
    for result in results:
        assert result["measured"], f"nothing visible matches {result['selector']!r} on {page.url}"
    return [f"{page.url} {r['selector']}: {low}" for r in results for low in r["low"]]


async def test_a_supplier_obtains_the_documents_by_keyboard_on_a_tender_page_with_its_progress(
    page: Any, live_server: LiveServer, make_user: MakeUser
) -> None:
    tender_id, _ = await _tender(page, live_server, make_user)
    live_server.app.state.platform.clock.advance(timedelta(days=1, hours=1))  # the documents are on offer now
    await sign_in(page, await make_user(Role.supplier))
    await page.goto(f"/tenders/{tender_id}")
    assert await page.locator("ol.progress li").count() == 6
    assert await page.locator('ol.progress li[aria-current="step"]').count() == 1
    assert await page.locator("ol.progress li.stage-current").count() == 1
    assert await page.locator("ol.notices li").count() == 2  # the tender notice and the amendment notice
    assert await page.locator("table.documents tbody tr").count() == 3  # two versions and an attachment
    button = page.locator("main").get_by_role("button", name=zh("Obtain the tender documents"), exact=True)
    assert await button.count() == 1
    failures = await _contrast(page, ["ol.progress .stage-label", "ol.progress .meta", "ol.notices a", "ol.notices .meta", "ol.notices .kind",
                                      ".obtain p", ".obtain button", "table.documents td"])
    assert not failures, "\n".join(failures)
    assert (await page.evaluate(OVERFLOW_JS))["page"] <= 0
    await screenshot(page, "pages2-tender-supplier-offered")

    # Tab reaches the button with the focus visible all the way; Enter obtains.
    await page.goto(f"/tenders/{tender_id}")
    await _tab_to(page, lambda f: f["tag"] == "button" and f["text"] == zh("Obtain the tender documents"))
    async with page.expect_navigation() as navigation:
        await page.keyboard.press("Enter")
    expect_html(await navigation.value)
    assert "done=obtained" in page.url
    obtained = await page.locator(".obtain .obtained").inner_text()
    assert to_display(live_server.app.state.platform.clock.now()).strftime("%Y-%m-%d %H:%M:%S") in obtained
    assert await button.count() == 0
    assert await page.locator('[role="status"]').count() == 1
    failures = await _contrast(page, [".obtain .obtained", ".notice p"])
    assert not failures, "\n".join(failures)
    await screenshot(page, "pages2-tender-supplier-obtained")


async def test_an_amendment_notice_page_wraps_its_hashes_and_meets_the_contrast_minimum(
    page: Any, live_server: LiveServer, make_user: MakeUser
) -> None:
    tender_id, _ = await _tender(page, live_server, make_user)
    notices = (await (await page.context.request.get(f"/api/tenders/{tender_id}/notices")).json())
    [amendment] = [n for n in notices if n["kind"] == "amendment"]
    await page.goto(f"/notices/{amendment['id']}")
    assert await page.locator(".notice-kind").count() == 1 and await page.locator(".proof td.mono").count() >= 2
    failures = await _contrast(page, [".notice-kind", "main h1", "table.fields th.label", "table.fields td", "table.rows th", "table.rows td",
                                      ".proof td", ".notice-corrects"])
    assert not failures, "\n".join(failures)
    overflow = await page.evaluate(OVERFLOW_JS)
    assert overflow["page"] <= 0 and overflow["cells"] == [], overflow
    await screenshot(page, "pages2-notice-amendment")
    # On a phone's width the long hashes wrap inside their cells; nothing scrolls sideways.
    await page.set_viewport_size({"width": 390, "height": 800})
    try:
        await page.goto(f"/notices/{amendment['id']}")
        overflow = await page.evaluate(OVERFLOW_JS)
        assert overflow["page"] <= 0 and overflow["cells"] == [], overflow
        await screenshot(page, "pages2-notice-amendment-narrow")
        await page.goto(f"/tenders/{tender_id}")
        overflow = await page.evaluate(OVERFLOW_JS)
        assert overflow["page"] <= 0, overflow  # the documents' table scrolls within itself
        await screenshot(page, "pages2-tender-narrow")
    finally:
        await page.set_viewport_size({"width": 1280, "height": 800})


async def test_the_list_is_searched_with_every_filter_by_keyboard(page: Any, live_server: LiveServer, make_user: MakeUser) -> None:
    tender_id, _ = await _tender(page, live_server, make_user, amend=False, title=SEARCHED)
    await _tender(page, live_server, make_user, amend=False, title="龙华区妇幼保健院门诊楼改造工程（二期）", budget="2500000.00")
    await _tender(page, live_server, make_user, amend=False, track="government", title="龙华区妇幼保健院医疗设备采购")
    today = to_display(live_server.app.state.platform.clock.now()).date().isoformat()
    await page.goto("/tenders")
    assert await page.evaluate(UNLABELLED_JS) == []
    assert await page.locator("main select").count() == 4
    # Chromium's date control takes its parts one by one (Tab moves between them): set the dates whole.
    await page.locator("#published_from").fill(today)
    await page.locator("#published_to").fill(today)
    typed = {"q": "妇幼保健院", "region": "460100", "budget_min": "1,000,000", "budget_max": "2000000"}
    chosen = {"track": "works", "category": "works", "method": "open", "status": "published"}
    for name, value in chosen.items():
        await page.locator(f"#{name}").select_option(value)
    await page.locator("#q").focus()
    order = ["q"]
    await page.keyboard.type(typed["q"])
    for _ in range(40):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(FOCUSED_JS)
        assert _focus_is_visible(focused), focused
        if focused["tag"] == "button":
            break
        if order[-1] != focused["id"]:  # not the next part of a date control
            order.append(focused["id"])
            if focused["id"] in typed:
                await page.keyboard.type(typed[focused["id"]])
    assert order == ["q", "track", "category", "method", "status", "region", "published_from", "published_to", "budget_min", "budget_max"]
    async with page.expect_navigation() as navigation:
        await page.keyboard.press("Enter")
    expect_html(await navigation.value)
    for name, value in {**typed, "published_from": today, "published_to": today, **chosen}.items():
        assert f"{name}=" in page.url, name
        assert await page.locator(f"#{name}").input_value() == value, name
    rows = page.locator("table.tenders tbody tr")
    assert await rows.count() == 1 and await rows.first.get_by_role("link", name=SEARCHED).count() == 1
    assert await page.get_by_role("link", name=zh("Clear all filters")).count() == 1
    failures = await _contrast(page, ["label", ".hint", "main button", "td", "th", ".filter-actions a"])
    assert not failures, "\n".join(failures)
    await screenshot(page, "pages2-list-all-filters")
    assert tender_id

    # A wrong amount: the form again, the error at its field and in a summary that links to it.
    await page.locator("#budget_max").fill("两百万")
    await page.locator("#q").fill("")
    async with page.expect_navigation():
        await page.locator("main").get_by_role("button", name=zh("Search"), exact=True).click()
    assert await page.locator("#budget_max-error").count() == 1
    assert await page.locator("#budget_max").get_attribute("aria-invalid") == "true"
    assert await page.locator('.error-summary a[href="#budget_max"]').count() == 1
    failures = await _contrast(page, [".field-error", ".error-summary h2", ".error-summary a"])
    assert not failures, "\n".join(failures)
    await screenshot(page, "pages2-list-filter-error")


async def test_the_owner_terminates_a_tender_by_keyboard(page: Any, live_server: LiveServer, make_user: MakeUser) -> None:
    tender_id, purchaser = await _tender(page, live_server, make_user, amend=False, title="琼山区体育馆照明改造工程")
    await sign_in(page, purchaser)
    await page.goto(f"/manage/tenders/{tender_id}")
    textarea = page.locator("#reason")
    assert not await textarea.is_visible()  # behind the disclosure: a second step
    await _tab_to(page, lambda f: f["tag"] == "summary")
    await page.keyboard.press("Enter")
    assert await textarea.is_visible()
    await page.keyboard.press("Tab")
    assert (await page.evaluate(FOCUSED_JS))["id"] == "reason"
    await page.keyboard.type("采购需求发生重大变化，本项目终止")
    await page.keyboard.press("Tab")
    focused = await page.evaluate(FOCUSED_JS)
    assert _focus_is_visible(focused) and focused["text"] == zh("Terminate the tender permanently"), focused
    failures = await _contrast(page, [".danger-zone h2", ".consequence", "details.terminate summary", "button.danger", ".hint"])
    assert not failures, "\n".join(failures)
    await screenshot(page, "pages2-manage-terminate-open")
    async with page.expect_navigation() as navigation:
        await page.keyboard.press("Enter")
    expect_html(await navigation.value)
    assert page.url.endswith("done=terminated")
    assert await page.locator("#reason").count() == 0
    await screenshot(page, "pages2-manage-terminated")

    await page.context.clear_cookies()
    await page.goto(f"/tenders/{tender_id}")
    assert await page.locator("ol.progress li.stage-ended").count() == 1
    assert await page.locator("ol.notices li").count() == 2  # the tender notice and the termination notice
    failures = await _contrast(page, ["ol.progress .stage-label", "ol.progress .meta", "ol.progress .prewrap"])
    assert not failures, "\n".join(failures)
    await screenshot(page, "pages2-tender-terminated")
