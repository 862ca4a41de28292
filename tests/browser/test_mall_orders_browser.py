"""Mall orders in Chromium: a purchaser finds a product, puts it in the cart and orders it; the
supplier confirms and ships; the purchaser accepts and settles after the supplier's invoice.
Then a mini-competition posted on its page, three suppliers quoting on theirs, the close at the
deadline and the result. Labels and contrast are checked on the way; screenshots of each page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from procurement.identity.models import Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from tests.browser.conftest import LiveServer, screenshot
from tests.browser.pages import CONTRAST_JS, sign_in
from tests.conftest import bearer
from tests.mall.mall_testlib import build_mall

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

MakeUser = Callable[..., Awaitable[Any]]
UNLABELLED_JS = """() => Array.from(document.querySelectorAll('main input:not([type=hidden]), main select, main textarea'))
  .filter(i => !i.labels || i.labels.length === 0 || !Array.from(i.labels).some(l => l.textContent.trim()))
  .map(i => i.name || i.id || i.outerHTML)"""
TEXT = ["main h1", "main h2", "main p", "label", ".hint", "main button", "main a", "th", "td"]


class _Users:
    def __init__(self, make_user: MakeUser) -> None:
        self.make = make_user


async def _checked(page: Any, name: str) -> list[str]:
    problems = [f"{page.url} unlabelled: {n}" for n in await page.evaluate(UNLABELLED_JS)]
    results = await page.evaluate(CONTRAST_JS, [TEXT, 4.5])
    problems += [f"{page.url} {r['selector']}: {low}" for r in results for low in r["low"]]
    await screenshot(page, name)
    return problems


async def _press(page: Any, form: Any, button: str | None = None) -> None:
    async with page.expect_navigation():
        await (form.get_by_role("button", name=button) if button else form.locator("button[type=submit]")).click()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def shop(live_server: LiveServer, make_user: MakeUser) -> tuple[Any, Any, Any, dict[str, Any]]:
    """One mall for the module's server: a supplier with a product, a purchaser with a budget."""
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30) as client:
        mall = await build_mall(client, _Users(make_user))
        supplier_user, supplier = await mall.supplier()
        product = await mall.product(supplier, name="联想 启天M430 台式计算机", stock=10)
        purchaser = await make_user(Role.purchaser)
        answer = await client.put("/api/mall/budgets", headers=mall.operator, json={
            "organisation_id": purchaser.organisation_id, "year": 2026, "amount": "200000.00"})
        assert answer.status_code == 200, answer.text
    return mall, supplier_user, purchaser, product


async def test_a_purchaser_orders_the_supplier_ships_and_the_purchaser_accepts_and_settles(
    page: Any, shop: tuple[Any, Any, Any, dict[str, Any]]
) -> None:
    problems: list[str] = []
    _, supplier, purchaser, product = shop

    await sign_in(page, purchaser)
    await page.goto("/mall?keyword=启天")
    async with page.expect_navigation():
        await page.locator(f"a[href='/mall/products/{product['id']}']").first.click()
    await page.locator("#cart-quantity").fill("2")
    await _press(page, page.locator("form[action='/mall/cart']"))
    assert page.url.endswith("/mall/cart")
    await page.locator("#delivery_address").fill("海口市美兰区海府路1号 行政楼201")
    await page.locator("#contact").fill("王老师 0898-65000000")
    problems += await _checked(page, "mall-orders-cart")
    await _press(page, page.locator("form[action='/mall/cart/checkout']"))
    assert "done=placed" in page.url
    problems += await _checked(page, "mall-orders-list")
    order_link = page.locator("main table a").first
    order_id = (await order_link.text_content()).strip()

    await page.context.clear_cookies()
    await sign_in(page, supplier)
    await page.goto(f"/mall/orders/{order_id}")
    problems += await _checked(page, "mall-orders-supplier-confirm")
    await _press(page, page.locator("main form").filter(has=page.locator("input[value=confirm]")))
    ship = page.locator("main form").filter(has=page.locator("input[value=ship]"))
    await ship.locator("input[name=delivery_note]").fill("顺丰 SF1234567890，共2箱")
    await _press(page, ship)
    assert await page.locator(".mall-status.status-shipped").count() == 1

    await page.context.clear_cookies()
    await sign_in(page, purchaser)
    await page.goto(f"/mall/orders/{order_id}")
    accept = page.locator("main form").filter(has=page.locator("input[value=accept]"))
    item_input = accept.locator("input[type=number]").first
    await item_input.fill("1")
    await accept.locator("input[name^=reason_]").first.fill("一台屏幕有划痕，退回")
    await accept.locator("#note").fill("逐项核对技术、服务、安全标准")
    problems += await _checked(page, "mall-orders-acceptance")
    await _press(page, accept)
    assert await page.locator(".mall-status.status-accepted").count() == 1

    await page.context.clear_cookies()
    await sign_in(page, supplier)
    await page.goto(f"/mall/orders/{order_id}")
    invoice = page.locator("main form").filter(has=page.locator("input[value=invoice]"))
    await invoice.locator("input[name=number]").fill("46002600001234")
    await _press(page, invoice)

    await page.context.clear_cookies()
    await sign_in(page, purchaser)
    await page.goto(f"/mall/orders/{order_id}")
    pay = page.locator("main form").filter(has=page.locator("input[value=pay]"))
    await pay.locator("input[name=reference]").fill("国库集中支付 ZF2026-000123")
    await _press(page, pay)
    assert await page.locator(".mall-status.status-settled").count() == 1
    problems += await _checked(page, "mall-orders-settled")
    statement = await page.context.request.get(f"/mall/orders/{order_id}/statement.pdf")
    assert statement.status == 200 and (await statement.body()).startswith(b"%PDF")
    await page.goto("/mall/budgets")
    problems += await _checked(page, "mall-orders-budget")
    await page.goto("/lang/en?next=/mall/orders/" + order_id)
    await screenshot(page, "mall-orders-settled-en")
    await page.goto("/lang/zh?next=/")
    assert not problems, "\n".join(problems)


async def test_a_mini_competition_with_three_quoting_suppliers(page: Any, live_server: LiveServer, shop: tuple[Any, Any, Any, dict[str, Any]]) -> None:
    problems: list[str] = []
    platform = live_server.app.state.platform
    mall, first, purchaser, _ = shop
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30) as client:
        mall.client = client
        others = [(await mall.supplier())[0] for _ in range(2)]

    await page.context.clear_cookies()
    await sign_in(page, purchaser)
    await page.goto("/mall/competitions")
    need = page.locator("form[action='/mall/competitions']")
    await need.locator("#title").fill("台式计算机 20台")
    await need.locator("#category_id").select_option(label="— — 台式计算机")
    await need.locator("#quantity").fill("20")
    await need.locator("#ceiling").fill("4500.00")
    await need.locator("#specifications").fill("CPU: Intel i5 或以上\n内存: 16GB")
    await need.locator("#delivery_address").fill("海口市美兰区海府路1号 行政楼201")
    await need.locator("#contact").fill("王老师 0898-65000000")
    await need.locator("#requested_date").fill("2026-01-30")
    problems += await _checked(page, "mall-competition-post")
    await _press(page, need)
    assert "done=posted" in page.url, await page.content()
    competition_url = page.url.split("?")[0]

    for supplier, price in zip((first, *others), ("4400.00", "4100.00", "4250.00"), strict=True):
        await page.context.clear_cookies()
        await sign_in(page, supplier)
        await page.goto(competition_url)
        quote = page.locator("main form").filter(has=page.locator("input[value=quote]"))
        await quote.locator("#unit_price").fill(price)
        await quote.locator("#brand").fill("联想")
        await quote.locator("#model").fill("启天M430")
        await quote.locator("#specifications").fill("CPU: Intel i5-12500\n内存: 16GB")
        await _press(page, quote)
        assert "done=quoted" in page.url
        assert await page.locator("main table").nth(1).locator("tbody tr").count() == 1  # its own quote only
    problems += await _checked(page, "mall-competition-quote")

    platform.clock.advance(timedelta(days=3, hours=12))
    await live_server.run(sweep(platform, build_registry()))
    await page.context.clear_cookies()
    await sign_in(page, purchaser)
    await page.goto(competition_url)
    assert await page.locator(".mall-status.status-awarded").count() == 1
    assert await page.locator("main table").nth(1).locator("tbody tr").count() == 3
    problems += await _checked(page, "mall-competition-awarded")
    assert not problems, "\n".join(problems)


async def test_accepted_goods_go_back_the_supplier_agrees_and_confirms_their_receipt(
    page: Any, live_server: LiveServer, shop: tuple[Any, Any, Any, dict[str, Any]]
) -> None:
    """A return after acceptance (退货), each step on the order page by the side whose step it is."""
    problems: list[str] = []
    _, supplier, purchaser, product = shop
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30) as client:
        buyer, seller = await bearer(client, purchaser), await bearer(client, supplier)
        placed = await client.post("/api/mall/orders", headers=buyer, json={
            "items": [{"product_id": product["id"], "quantity": 1}], "delivery_region": "海口市",
            "delivery_address": "海口市美兰区海府路1号 行政楼201", "contact": "王老师 0898-65000000", "requested_date": "2026-01-20"})
        assert placed.status_code == 201, placed.text
        order = placed.json()[0]
        assert (await client.post(f"/api/mall/orders/{order['id']}/confirm", headers=seller)).status_code == 200
        assert (await client.post(f"/api/mall/orders/{order['id']}/ship", headers=seller, json={"delivery_note": "顺丰 SF0000000001"})).status_code == 200
        accepted = await client.post(f"/api/mall/orders/{order['id']}/acceptance", headers=buyer, json={
            "items": [{"item_id": order["items"][0]["id"], "accepted_quantity": 1}], "note": "逐项核对"})
        assert accepted.status_code == 200, accepted.text
    item_id = order["items"][0]["id"]

    async def step(user: Any, action: str, fills: dict[str, str] | None = None) -> None:
        await page.context.clear_cookies()
        await sign_in(page, user)
        await page.goto(f"/mall/orders/{order['id']}")
        form = page.locator("main form").filter(has=page.locator(f"input[name=action][value={action}]"))
        for name, value in (fills or {}).items():
            await form.locator(f"[name={name}]").fill(value)
        await _press(page, form)

    await step(purchaser, "return", {f"return_{item_id}": "1", "reason": "使用中发现电源故障，与技术参数不符"})
    assert await page.locator("#returns + table .mall-status.status-requested").count() == 1
    problems += await _checked(page, "mall-return-requested")
    await step(supplier, "return_agree")
    await step(purchaser, "return_send", {"shipping_note": "顺丰 SF0000000002 寄回"})
    await step(supplier, "return_receive")
    assert await page.locator(".mall-status.status-returned").count() >= 1
    problems += await _checked(page, "mall-return-received")
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30) as client:
        detail = (await client.get(f"/api/mall/orders/{order['id']}", headers=await bearer(client, purchaser))).json()
    assert detail["status"] == "returned" and detail["returns"][0]["status"] == "received"
    assert not problems, "\n".join(problems)
