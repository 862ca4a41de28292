"""The mall demo: a few hundred products with references, some held for their price, one supplier blacklisted; idempotent."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from procurement.credit.demo import load_credit_demo
from procurement.demo import _load_demo_accounts
from procurement.mall.demo import load_mall_demo
from procurement.mall.models import Product, ReferencePrice


@pytest.mark.demo
async def test_the_mall_demo_lists_products_and_hides_the_blacklisted_supplier(platform, client) -> None:
    await _load_demo_accounts(platform)
    await load_mall_demo(platform)
    await load_credit_demo(platform)
    async with platform.db.transaction(write=False) as session:
        statuses = dict((await session.execute(select(Product.status, func.count()).group_by(Product.status))).all())
        references = (await session.execute(select(func.count()).select_from(ReferencePrice))).scalar_one()
    assert sum(statuses.values()) >= 300
    assert statuses["pending_review"] > 0 and statuses["blocked_price"] > 0
    assert references == 2 * sum(statuses.values())
    names = set()
    cursor = None
    while True:
        page = (await client.get("/api/mall/products", params={"limit": 100, **({"cursor": cursor} if cursor else {})})).json()
        names |= {p["supplier_name"] for p in page["items"]}
        if not (cursor := page["next_cursor"]):
            break
    assert "海南示例失信建设工程有限公司" not in names
    assert len(names) == 3
    await load_mall_demo(platform)
    async with platform.db.transaction(write=False) as session:
        assert (await session.execute(select(func.count()).select_from(Product))).scalar_one() == sum(statuses.values())
