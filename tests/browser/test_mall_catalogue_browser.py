"""The mall in Chromium: a supplier raises a price far above the e-commerce average on its page,
the product leaves the public catalogue, an operator approves the price in the review queue and
it is back; the public searches, opens the product (price history chart) and compares two
products. Labels, page width and contrast are checked on the way; screenshots in Chinese and
one in English."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from procurement.identity.models import Role
from tests.browser.conftest import LiveServer, screenshot
from tests.browser.pages import CONTRAST_JS, sign_in
from tests.conftest import bearer
from tests.mall.mall_testlib import build_mall

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

MakeUser = Callable[..., Awaitable[Any]]
UNLABELLED_JS = """() => Array.from(document.querySelectorAll('main input:not([type=hidden]), main select, main textarea'))
  .filter(i => !i.labels || i.labels.length === 0 || !Array.from(i.labels).some(l => l.textContent.trim()))
  .map(i => i.name || i.id || i.outerHTML)"""
TEXT = ["main h1", "main h2", "main h3", "main p", "label", ".hint", "main button", "main a", "th", "td", "dt", "dd"]


class _Users:
    def __init__(self, make_user: MakeUser) -> None:
        self.make = make_user


async def _checked(page: Any, name: str) -> list[str]:
    problems = [f"{page.url} unlabelled: {n}" for n in await page.evaluate(UNLABELLED_JS)]
    results = await page.evaluate(CONTRAST_JS, [TEXT, 4.5])
    problems += [f"{page.url} {r['selector']}: {low}" for r in results for low in r["low"]]
    await screenshot(page, name)
    return problems


async def _public_ids(page: Any, keyword: str) -> list[str]:
    await page.goto(f"/mall?keyword={keyword}")
    return await page.locator(".product-card input[name=ids]").evaluate_all("(boxes) => boxes.map(b => b.value)")


async def test_a_price_held_for_review_then_approved_and_the_public_search_and_compare(
    page: Any, live_server: LiveServer, make_user: MakeUser
) -> None:
    problems: list[str] = []
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30) as client:
        mall = await build_mall(client, _Users(make_user))
        supplier_user, supplier = await mall.supplier()
        product = await mall.product(supplier, price="4000.00")
        other = await mall.product(supplier, name="联想 启天M530 台式计算机", model="启天M530", price="4399.00",
                                   specifications={"CPU": "Intel i7-12700", "内存": "32GB"})
        await mall.reference(product["id"], "3700.00")
        operator_user = await make_user(Role.operator)
        await bearer(client, operator_user)

    # --- The supplier raises the price on its page: far above the average (3700 × 1.10 = 4070).
    await sign_in(page, supplier_user)
    await page.goto("/mall/my")
    form = page.locator(f"form[action='/mall/my/products/{product['id']}/price']")
    await form.locator("input[name=price]").fill("4300.00")
    await form.locator("input[name=reason]").fill("内存升级")
    async with page.expect_navigation():
        await form.locator("button[type=submit]").click()
    assert "done=pending_review" in page.url
    assert await page.locator(f"#product-{product['id']} .mall-status.status-pending_review").count() == 1
    problems += await _checked(page, "mall-supplier-pending-review")
    await page.context.clear_cookies()
    assert str(product["id"]) not in await _public_ids(page, "启天"), "a held product is off sale"

    # --- The operator approves it in the review queue.
    await sign_in(page, operator_user)
    await page.goto("/mall/monitoring")
    review = page.locator("section.review-item").filter(has=page.locator(f"a[href='/mall/products/{product['id']}']"))
    await review.locator("input[name=reason]").fill("配置升级，价格合理")
    problems += await _checked(page, "mall-monitoring")
    async with page.expect_navigation():
        await review.locator("button[value=approve]").click()
    assert "done=reviewed" in page.url
    assert await page.locator("section.review-item").count() == 0
    await page.context.clear_cookies()

    # --- The public finds it again, opens it, compares it with another.
    ids = await _public_ids(page, "启天")
    assert set(ids) == {str(product["id"]), str(other["id"])}
    problems += await _checked(page, "mall-catalogue")
    for box in ids:
        await page.locator(f".product-card input[value='{box}']").check()
    async with page.expect_navigation():
        await page.locator(".compare-bar button").click()
    assert await page.locator(".compare-table thead th").count() == 2
    assert await page.locator(".compare-table", has_text="32GB").count() == 1
    problems += await _checked(page, "mall-compare")
    await page.goto(f"/mall/products/{product['id']}")
    assert await page.locator("svg.price-chart circle").count() == 2  # listed at 4000, raised to 4300
    problems += await _checked(page, "mall-product")
    await page.goto(f"/lang/en?next=/mall/products/{product['id']}")
    assert await page.locator("html").get_attribute("lang") == "en"
    problems += await _checked(page, "mall-product-en")
    assert not problems, "\n".join(problems)
