"""The public finds a published tender from the home page, reads it, and reads it in English."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from procurement.identity.models import Role
from procurement.tenders.service import CHECKLISTS
from tests.browser.conftest import LiveServer, screenshot
from tests.browser.pages import expect_html, submit
from tests.browser.test_accessibility import UNLABELLED_JS
from tests.conftest import (
    TestUser as UserUnderTest,  # not "Test...": pytest would try to collect it
)
from tests.tenders.tender_testlib import draft_body

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

TITLE = "海口市人民医院门诊楼改造工程"


async def _api(page: Any, method: str, path: str, user: UserUnderTest, body: dict[str, Any]) -> dict[str, Any]:
    login = await page.context.request.post("/api/auth/login", data={"username": user.username, "password": user.password})
    assert login.ok, await login.text()
    token = (await login.json())["token"]
    response = await page.context.request.fetch(path, method=method, data=body, headers={"Authorization": f"Bearer {token}"})
    assert response.ok, await response.text()
    return await response.json()


async def _publish(page: Any, live_server: LiveServer, make_user: Callable[..., Awaitable[UserUnderTest]], **draft: Any) -> int:
    purchaser, operator = await make_user(Role.purchaser), await make_user(Role.operator)
    now = live_server.app.state.platform.clock.now()
    tender = await _api(page, "POST", "/api/tenders", purchaser, draft_body(now, **draft))
    tender_id = tender["id"]
    await _api(page, "POST", f"/api/tenders/{tender_id}/submit", purchaser, {})
    await _api(page, "POST", f"/api/tenders/{tender_id}/review", operator,
               {"decision": "accepted", "checklist": {item: True for item in CHECKLISTS[tender["method"]]}})
    await _api(page, "POST", f"/api/tenders/{tender_id}/publish", purchaser, {})
    await _api(page, "POST", f"/api/tenders/{tender_id}/amendments", purchaser, {"summary": "更正工程量清单第 3 项"})
    return tender_id


async def test_the_public_finds_a_tender_from_the_home_page_and_reads_it_in_english(
    page: Any, live_server: LiveServer, make_user: Callable[..., Awaitable[UserUnderTest]]
) -> None:
    tender_id = await _publish(page, live_server, make_user)
    await _publish(page, live_server, make_user, track="government", title="海口市第一中学食堂设备采购")
    await page.context.clear_cookies()

    await page.goto("/")
    assert await page.locator(".main-nav a", has_text="招标项目").count() == 1
    assert await page.locator(".notices a", has_text=TITLE).count() == 1
    await screenshot(page, "home-with-tenders-zh")

    async with page.expect_navigation() as navigation:
        await page.locator("main").get_by_role("link", name="全部招标项目").click()
    expect_html(await navigation.value)
    assert await page.evaluate(UNLABELLED_JS) == []
    assert await page.locator("main select").count() == 4  # track, category, method, status
    await page.get_by_label("关键词").fill("门诊楼")
    await page.get_by_label("交易类别").select_option("works")
    await submit(page, "查询")
    rows = page.locator("table.tenders tbody tr")
    assert await rows.count() == 1
    assert "1,250,000.00" in await rows.first.inner_text()
    await screenshot(page, "tenders-list-zh")

    async with page.expect_navigation() as navigation:
        await rows.first.get_by_role("link", name=TITLE).click()
    expect_html(await navigation.value)
    assert page.url.endswith(f"/tenders/{tender_id}")
    assert await page.locator("h1").inner_text() == TITLE
    assert await page.locator("table.lots tbody tr").count() == 2
    assert "更正工程量清单第 3 项" in await page.locator("table.amendments").inner_text()
    await screenshot(page, "tender-page-zh")

    async with page.expect_navigation():
        await page.get_by_role("link", name="English").click()
    assert page.url.endswith(f"/tenders/{tender_id}")
    assert await page.locator("html").get_attribute("lang") == "en"
    text = await page.locator("main").inner_text()
    for expected in ("Open tender", "Construction works", "Comprehensive scoring", "Clarifications and amendments", "Lots"):
        assert expected in text, expected
    await screenshot(page, "tender-page-en")
