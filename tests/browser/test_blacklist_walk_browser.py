"""The blacklist walk end to end in Chromium: a supplier sells in the mall and has obtained a tender's
documents; an operator proposes a blacklist entry in the page and a supervisor approves it in the
review page; then the supplier's next bid (through the live server's API, as the bid page and the
CLI send it) is refused, and so is a purchaser's checkout of the supplier's product in the cart page,
each naming the entry. Then a supervisor reads a mall alert (late acceptance) with its link to the
order. Screenshots of each page are in test-output/browser/.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from bidding import envelope
from procurement.identity.models import Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from tests.bidding.bid_testlib import Bidder, open_tender, sealed, submit
from tests.browser.conftest import LiveServer, screenshot
from tests.browser.pages import CONTRAST_JS, sign_in
from tests.conftest import bearer
from tests.credit.credit_testlib import today_iso, uscc_of
from tests.mall.mall_testlib import build_mall
from tests.mall.order_testlib import Shop
from tests.supervision.supervision_testlib import alerts_of

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

MakeUser = Callable[..., Awaitable[Any]]
AUTHORITY = "海口市财政局"
NAME = "海南轮流测试电脑有限公司"
DECISION = {"name": "处罚决定书.pdf", "mimeType": "application/pdf", "buffer": "%PDF-1.7 海财采〔2026〕9号 处罚决定书".encode()}
TEXT = ["main h1", "main h2", "main p", "label", ".hint", "main button", "main a", "th", "td", "dt", "dd"]


class _Users:
    def __init__(self, make_user: MakeUser) -> None:
        self.make = make_user


async def _checked(page: Any, name: str) -> list[str]:
    results = await page.evaluate(CONTRAST_JS, [TEXT, 4.5])
    await screenshot(page, name)
    return [f"{page.url} {r['selector']}: {low}" for r in results for low in r["low"]]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def mall(live_server: LiveServer, make_user: MakeUser) -> Any:
    """One mall (categories, agreement) for the module's server."""
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30) as client:
        return await build_mall(client, _Users(make_user))


async def _shop(mall: Any, client: httpx.AsyncClient, make_user: MakeUser, name: str) -> Shop:
    """A supplier with one product and a purchaser with a budget, in the module's mall, for this test's client."""
    mall.client, mall.operator = client, await bearer(client, await make_user(Role.operator))
    supplier, seller = await mall.supplier()
    product = await mall.product(seller, name=name, stock=10)
    purchaser = await make_user(Role.purchaser)
    shop = Shop(mall, purchaser, await bearer(client, purchaser), supplier, seller, product)
    assert (await shop.budget("100000.00")).status_code == 200
    return shop


async def _with_keys(client: httpx.AsyncClient, user: Any, headers: dict[str, str]) -> Bidder:
    """The mall supplier as a bidder too: its bid keys registered."""
    keys = envelope.BidderKeys.generate("walk")
    for algorithm, raw in (("x25519", keys.x25519_public), ("ed25519", keys.ed25519_public)):
        registered = await client.post("/api/me/keys", headers=headers, json={"algorithm": algorithm, "public_key": base64.b64encode(raw).decode()})
        assert registered.status_code == 201, registered.text
    return Bidder(user, headers, keys)


async def test_after_the_two_person_blacklisting_the_suppliers_next_bid_and_mall_order_are_refused(
    page: Any, live_server: LiveServer, make_user: MakeUser, mall: Any
) -> None:
    platform = live_server.app.state.platform
    problems: list[str] = []
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30) as client:
        shop = await _shop(mall, client, make_user, "联想 启天M450 台式计算机")
        seller_user, product, purchaser = shop.supplier, shop.product, shop.purchaser
        tender = await open_tender(client, _Users(make_user), platform.clock)
        seller = await bearer(client, seller_user)  # a fresh session: the documents came on offer a day later
        supplier = await _with_keys(client, seller_user, seller)
        assert (await client.post(f"/api/tenders/{tender.id}/obtained", headers=seller)).status_code == 201
        uscc = await live_server.run(uscc_of(platform, seller_user.organisation_id))
        today = today_iso(platform.clock)
        last_day = (date.fromisoformat(today) + timedelta(days=2 * 365)).isoformat()

        # --- While the supplier is clear, the purchaser puts its product in the cart.
        await sign_in(page, purchaser)
        await page.goto(f"/mall/products/{product['id']}")
        await page.locator("#cart-quantity").fill("1")
        async with page.expect_navigation():
            await page.locator("form[action='/mall/cart'] button[type=submit]").click()
        assert page.url.endswith("/mall/cart")

        # --- An operator proposes the entry with its decision document.
        await page.context.clear_cookies()
        await sign_in(page, await make_user(Role.operator))
        await page.goto("/credit/proposals")
        form = page.locator("form[action='/credit/proposals']")
        for field, value in (("uscc", uscc), ("organisation_name", NAME), ("address", "海口市龙华区测试路 9 号"),
                             ("conduct", "与其他供应商串通轮流中标"), ("penalty", "两年内禁止参加政府采购活动"),
                             ("legal_basis", "政府采购法 第七十七条"), ("authority", AUTHORITY), ("starts_on", today), ("ends_on", last_day)):
            await form.locator(f"#{field}").fill(value)
        await form.locator("#decision").set_input_files(DECISION)
        problems += await _checked(page, "blacklist-walk-1-proposal")
        async with page.expect_navigation():
            await form.locator("button[type=submit]").click()
        assert "done=proposed" in page.url
        entry_id = int((await page.locator("section[id^=entry-]", has_text=NAME).get_attribute("id")).removeprefix("entry-"))

        # --- A supervisor, another person, approves it.
        await page.context.clear_cookies()
        await sign_in(page, await make_user(Role.supervisor))
        await page.goto("/credit/review")
        problems += await _checked(page, "blacklist-walk-2-review")
        async with page.expect_navigation():
            await page.locator(f"#entry-{entry_id} form[action$='/approve'] button").click()
        assert "done=approved" in page.url
        problems += await _checked(page, "blacklist-walk-3-approved")

        # --- The supplier's next bid is refused, naming the entry.
        refused = await submit(client, supplier, tender.id, 1, *sealed(supplier, tender.id, 1, 1))
        assert refused.status_code == 403, refused.text
        detail = refused.json()["detail"]
        assert AUTHORITY in detail and NAME in detail and last_day in detail, detail

    # --- The purchaser's checkout of the product in the cart is refused in the page, naming the entry.
    await page.context.clear_cookies()
    await sign_in(page, purchaser)
    await page.goto("/mall/cart")
    await page.locator("#delivery_address").fill("海口市美兰区海府路1号 行政楼201")
    await page.locator("#contact").fill("王老师 0898-65000000")
    async with page.expect_navigation():
        await page.locator("form[action='/mall/cart/checkout'] button[type=submit]").click()
    assert "done=placed" not in page.url
    message = await page.locator("main").inner_text()
    assert AUTHORITY in message and NAME in message, message
    problems += await _checked(page, "blacklist-walk-4-order-refused")
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30) as client:
        orders = await client.get("/api/mall/orders", headers={"Cookie": "; ".join(
            f"{c['name']}={c['value']}" for c in await page.context.cookies())})
        assert orders.status_code == 200 and orders.json() == [], orders.text  # nothing was placed
    assert problems == []


async def test_a_supervisor_reads_a_late_acceptance_alert_with_its_order(page: Any, live_server: LiveServer, make_user: MakeUser,
                                                                         mall: Any) -> None:
    platform = live_server.app.state.platform
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30) as client:
        shop = await _shop(mall, client, make_user, "戴尔 OptiPlex 7010 台式计算机")
        order = await shop.placed()
        assert (await shop.step(order["id"], "confirm", shop.seller)).status_code == 200
        assert (await shop.step(order["id"], "ship", shop.seller, {"delivery_note": "顺丰 SF1234567890"})).status_code == 200
    platform.clock.advance(timedelta(days=8))
    await live_server.run(sweep(platform, build_registry()))
    [alert] = await live_server.run(alerts_of(platform, "mall_late_acceptance"))
    await sign_in(page, await make_user(Role.supervisor))
    await page.goto(f"/supervision/alerts/{alert.id}")
    facts = await page.locator("dl.facts").inner_text()
    assert "7" in facts and await page.locator(f"a[href='/mall/orders/{order['id']}']").count() == 1
    problems = await _checked(page, "blacklist-walk-5-late-acceptance-alert")
    async with page.expect_navigation():
        await page.locator(f"a[href='/mall/orders/{order['id']}']").click()
    assert await page.locator("h1").count() == 1
    assert problems == []
