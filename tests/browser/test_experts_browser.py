"""The expert draw walk in Chromium: an operator adds the specialty codes and imports a pool
through the pool page (a bad file first: nothing changes); the tender's owner, once bidding
closed, requests the draw through the form (a committee the law refuses first) and sees
counts only; a supervisor opens the draw monitor from the console, sees the committee and the
exclusions with their reasons, reveals the seed and sees every verification check pass; the
expert keeps the profile current. Labels, page width and contrast are checked on the way,
and the monitor once in English.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from procurement.identity.models import Organisation, Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from tests.bidding.bid_testlib import bidder, open_tender, sealed, submit
from tests.browser.conftest import LiveServer, screenshot
from tests.browser.pages import sign_in
from tests.browser.test_credit_browser import _checked, _reaches_by_tab
from tests.experts.pool_testlib import OTHER_ORG, csv_of, row

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

MakeUser = Callable[..., Awaitable[Any]]
NAMES = re.compile(r"专家\d+")


class _Users:
    def __init__(self, make_user: MakeUser) -> None:
        self.make = make_user


async def _uscc(platform: Any, organisation_id: int) -> str:
    async with platform.db.transaction(write=False) as session:
        return (await session.execute(select(Organisation.uscc).where(Organisation.id == organisation_id))).scalar_one()


async def _closed_tender(client: httpx.AsyncClient, live_server: LiveServer, make_user: MakeUser) -> tuple[Any, list[Any]]:
    platform = live_server.app.state.platform
    tender = await open_tender(client, _Users(make_user), platform.clock)
    bidders = [await bidder(client, _Users(make_user), tender.id) for _ in range(3)]
    for who in bidders:
        assert (await submit(client, who, tender.id, 1, *sealed(who, tender.id, 1, 1))).status_code == 201
    deadline = datetime.fromisoformat((await client.get(f"/api/tenders/{tender.id}")).json()["bid_deadline"])
    platform.clock.set(deadline + timedelta(seconds=1))
    for _ in range(2):
        await live_server.run(sweep(platform, build_registry()))
    assert (await client.get(f"/api/tenders/{tender.id}")).json()["status"] == "bidding_closed"
    return tender, bidders


async def _post(page: Any, selector: str) -> None:
    async with page.expect_navigation():
        await page.locator(selector).click()


async def test_an_operator_imports_the_owner_draws_and_a_supervisor_verifies(page: Any, live_server: LiveServer, make_user: MakeUser) -> None:
    platform = live_server.app.state.platform
    problems: list[str] = []
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30) as client:
        tender, bidders = await _closed_tender(client, live_server, make_user)
        employed = await live_server.run(_uscc(platform, bidders[0].user.organisation_id))
        expert_account = await make_user(Role.expert)

        # --- The operator: specialty codes, then the pool from CSV, through the pool page.
        await sign_in(page, await make_user(Role.operator))
        await page.goto("/")
        await _post(page, ".main-nav a[href='/experts']")
        assert await page.locator("h1").count() == 1
        for code, name in (("A01", "建筑工程"), ("A01.02", "房屋建筑工程施工")):
            await page.locator("#specialty-code").fill(code)
            await page.locator("#specialty-name").fill(name)
            await _post(page, "form[action='/experts/specialties'] button[type=submit]")
            assert "done=specialty" in page.url
        assert await _reaches_by_tab(page, "form[action='/experts/imports'] button[type=submit]")

        rows = [row(n, username=expert_account.username if n == 1 else "") for n in range(1, 8)]
        rows += [row(8, employer_uscc=employed), row(9, relationships=f"relative|{employed}||")]
        await page.locator("#file").set_input_files({"name": "专家.csv", "mimeType": "text/csv", "buffer": csv_of(*rows[:8], row(9, specialties="Z99"))})
        await _post(page, "form[action='/experts/imports'] button[type=submit]")
        assert await page.locator("#import-report tr.has-error").count() == 1
        assert await page.locator("#expert-list").count() == 0  # nothing was imported
        problems += await _checked(page, "experts-1-pool-import-refused")
        await page.locator("#file").set_input_files({"name": "专家.csv", "mimeType": "text/csv", "buffer": csv_of(*rows)})
        await _post(page, "form[action='/experts/imports'] button[type=submit]")
        assert await page.locator("#import-report a[href^='/experts/']").count() == 9
        assert await page.locator("#expert-list tbody tr").count() == 9
        problems += await _checked(page, "experts-2-pool-imported")
        await _post(page, "#expert-list a >> nth=0")
        problems += await _checked(page, "experts-3-expert")

        # --- The tender's owner requests the draw.
        await page.context.clear_cookies()
        await sign_in(page, tender.purchaser)
        await page.goto(f"/tenders/{tender.id}/draws/new")
        form = page.locator(f"form[action='/tenders/{tender.id}/draws/new']")
        await form.locator("#lot").select_option("1")
        await form.locator("#spec-0-code").select_option("A01.02")
        await form.locator("#spec-0-seats").fill("4")
        await form.locator("#evaluation_date").fill((platform.clock.now() + timedelta(days=3)).date().isoformat())
        problems += await _checked(page, "experts-4-draw-request")
        await _post(page, f"form[action='/tenders/{tender.id}/draws/new'] button[type=submit]")
        assert "招标投标法 第三十七条" in await page.locator("#seats-error").inner_text()
        assert await page.locator("#spec-0-seats").input_value() == "4"
        problems += await _checked(page, "experts-5-draw-refused")
        await page.locator("#spec-0-seats").fill("5")
        await page.locator("#spec-0-reserves").fill("1")
        await _post(page, f"form[action='/tenders/{tender.id}/draws/new'] button[type=submit]")
        assert "done=drawn" in page.url
        assert await page.locator("section[id^=draw-] code.digest").count() == 3
        assert not NAMES.findall(await page.content())
        problems += await _checked(page, "experts-6-drawn-owner")

        # --- A supervisor opens the monitor from the console, reveals and verifies.
        await page.context.clear_cookies()
        await sign_in(page, await make_user(Role.supervisor))
        await page.goto("/supervision")
        await _post(page, "main a[href='/supervision/draws']")
        assert await page.locator("#draw-list tbody tr").count() == 1
        problems += await _checked(page, "experts-7-monitor")
        await _post(page, "#draw-list a[href^='/supervision/draws/']")
        assert await page.locator("#committee tbody tr").count() == 5
        assert await page.locator("#exclusions [data-reason=employer_bidder]").count() == 1
        assert await page.locator("#exclusions [data-reason=relative_bidder]").count() == 1
        problems += await _checked(page, "experts-8-draw-before-reveal")
        await _post(page, "form[action$='/reveal'] button[type=submit]")
        assert "done=revealed" in page.url and await page.locator("#seed").count() == 1
        assert await page.locator("#verification tr[data-ok=true]").count() == await page.locator("#verification tbody tr").count() >= 10
        problems += await _checked(page, "experts-9-draw-verified")
        await page.goto(f"/lang/en?next={page.url.split(live_server.base_url)[1]}")
        assert await page.locator("html").get_attribute("lang") == "en"
        problems += await _checked(page, "experts-10-draw-verified-en")

        # --- The expert keeps the profile current.
        await page.context.clear_cookies()
        await sign_in(page, expert_account)
        await page.goto("/experts/me")
        await page.locator("#phone").fill("13912345678")
        await page.locator("#rel-1-kind").select_option("shareholding")
        await page.locator("#rel-1-organisation_uscc").fill(OTHER_ORG)
        await page.locator("#away-0-from_date").fill("2030-05-01")
        await page.locator("#away-0-to_date").fill("2030-05-03")
        await _post(page, "form[action='/experts/me'] button[type=submit]")
        assert "done=saved" in page.url
        assert await page.locator("#rel-1-organisation_uscc").input_value() == OTHER_ORG
        problems += await _checked(page, "experts-11-profile")
    assert not problems, "\n".join(problems)
    assert (await screenshot(page, "experts-11-profile")).exists()
