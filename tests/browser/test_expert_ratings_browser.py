"""The purchaser rates the experts of its tender's committee the day after the evaluation, in Chromium."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from tests.browser.conftest import LiveServer, screenshot
from tests.browser.pages import sign_in
from tests.experts.rating_testlib import beijing_noon, drawn_committee

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


class _Users:
    def __init__(self, make_user: Callable[..., Awaitable[Any]]) -> None:
        self.make = make_user


async def test_the_purchaser_rates_an_expert_from_the_tenders_rating_page(page: Any, live_server: LiveServer, make_user) -> None:
    platform = live_server.app.state.platform
    clock = platform.clock
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=60) as client:
        committee = await drawn_committee(client, _Users(make_user), clock, lambda: live_server.run(sweep(platform, build_registry())))
    first = committee.seated[0]
    suffix = f"{committee.draw_id}-{first}"

    clock.set(beijing_noon(committee.evaluation_date))  # during the evaluation: no names for the purchaser yet
    await sign_in(page, committee.purchaser)
    await page.goto(f"/tenders/{committee.tender_id}/expert-ratings")
    assert committee.names[first] not in await page.locator("main").inner_text()

    clock.set(beijing_noon(committee.evaluation_date + timedelta(days=1)))
    await sign_in(page, committee.purchaser)
    await page.goto(f"/tenders/{committee.tender_id}/expert-ratings")
    assert await page.locator(f"#expert-{suffix} h3").inner_text() == f"{committee.names[first]} · A01.02"
    await screenshot(page, "expert-ratings-open")

    await page.fill(f"#score-{suffix}", "86")
    await page.fill(f"#comment-{suffix}", "熟悉技术规范，评审意见具体。")
    async with page.expect_navigation():
        await page.locator(f"#expert-{suffix} button[type=submit]").click()
    assert page.url.endswith(f"?done=rated#expert-{suffix}")
    assert "86" in await page.locator(f"#expert-{suffix}").inner_text()
    assert await page.locator(f"#score-{suffix}").count() == 0
    await screenshot(page, "expert-ratings-rated")
