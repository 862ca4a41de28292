"""A supervisor reviews an alert raised by two bids from one address, in Chromium.

Two bidders submit through the real HTTP API of a live server, so both uploads come from the
same address (127.0.0.1) as the server records it; the clock passes the deadline, the bids are
counted and the risk check runs; the supervisor finds the alert in the console, opens it, takes
it under review and closes it with a reason.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from procurement.identity.models import Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from procurement.supervision.service import CHECK_DELAY
from tests.bidding.bid_testlib import bidder, open_tender, sealed, submit
from tests.browser.conftest import LiveServer, screenshot
from tests.browser.pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


class _Users:
    def __init__(self, make_user: Callable[..., Awaitable[Any]]) -> None:
        self.make = make_user


async def test_a_supervisor_reviews_and_closes_an_alert_from_two_bids_from_one_address(page: Any, live_server: LiveServer, make_user) -> None:
    platform = live_server.app.state.platform
    clock = platform.clock
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30) as client:
        tender = await open_tender(client, _Users(make_user), clock)
        for _ in range(2):
            who = await bidder(client, _Users(make_user), tender.id)
            completed = await submit(client, who, tender.id, 1, *sealed(who, tender.id, 1, 1))
            assert completed.status_code == 201, completed.text
            clock.advance(timedelta(minutes=7))
        deadline = datetime.fromisoformat((await client.get(f"/api/tenders/{tender.id}")).json()["bid_deadline"])
    clock.set(deadline + timedelta(seconds=1))
    for _ in range(2):
        await live_server.run(sweep(platform, build_registry()))
    clock.advance(CHECK_DELAY + timedelta(seconds=1))
    await live_server.run(sweep(platform, build_registry()))

    await sign_in(page, await make_user(Role.supervisor))
    await page.goto("/supervision")
    rows = page.locator("#alert-list tbody tr")
    assert await rows.count() == 1
    await screenshot(page, "supervision-console")
    await rows.first.locator("a").first.click()
    await page.wait_for_url("**/supervision/alerts/*")
    assert "127.0.0.1" in await page.locator("#evidence").inner_text()
    assert await page.locator("#alert-state.status-new").count() == 1
    await screenshot(page, "supervision-alert-new")

    await page.locator("#review-button").click()
    await page.wait_for_url("**?done=review")
    assert await page.locator("#alert-state.status-under_review").count() == 1

    # An empty reason is refused by the browser (required); a blank one by the server, with the field named.
    await page.fill("#reason", "   ")
    await page.locator("#close-form button[type=submit]").click()
    await page.wait_for_load_state()
    assert await page.locator(".error-summary").count() == 1
    assert await page.locator("#alert-state.status-under_review").count() == 1
    await screenshot(page, "supervision-alert-close-refused")

    await page.fill("#reason", "两家投标人由同一代理人在同一办公地点上传，已移交行政监督部门调查。")
    await page.locator("#close-form button[type=submit]").click()
    await page.wait_for_url("**?done=close")
    assert await page.locator("#alert-state.status-closed").count() == 1
    assert "已移交" in await page.locator("#close-reason").inner_text()
    assert await page.locator("#close-form").count() == 0
    await screenshot(page, "supervision-alert-closed")
