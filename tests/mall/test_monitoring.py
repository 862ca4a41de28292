"""The category median behind the "far above its category" anomaly, computed in SQL.

``monitoring.category_medians`` must agree with ``pricing.median`` (whole fen, the floor of the
two middle prices' mean for an even count) on both databases, over the products not delisted,
for categories of at least three such products.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

from sqlalchemy import delete, select

from procurement.mall import pricing
from procurement.mall.models import STORED_STATUSES, Product, ProductStatus
from procurement.mall.monitoring import MEDIAN_MIN_PRODUCTS, category_medians
from tests.mall.mall_testlib import build_mall

ROUNDS = 15
SEED = 20260601


def _product(category_id: int, price_fen: int, status: str, *, supplier_id: int, agreement_id: int, user_id: int) -> Product:
    moment = datetime(2026, 3, 1, tzinfo=UTC)
    return Product(
        supplier_organisation_id=supplier_id, agreement_id=agreement_id, category_id=category_id, name="样品", brand="品牌",
        model="M1", specifications=json.dumps({}), search_text="样品", price_fen=price_fen, ceiling_fen=price_fen,
        status=status, created_by=user_id, created_at=moment, updated_at=moment,
    )


async def test_sql_category_median_equals_pricing_median_on_random_catalogues(client, users, platform) -> None:
    mall = await build_mall(client, users)
    supplier, _ = await mall.supplier()
    rng = random.Random(SEED)
    sizes_judged: set[int] = set()
    for _ in range(ROUNDS):
        listed: dict[int, list[int]] = {}
        async with platform.db.transaction() as session:
            await session.execute(delete(Product))
            for category_id in mall.categories.values():
                # Small price sets make ties; large ones reach prices far beyond int32.
                prices = [rng.choice((100, 101, 5_000)) for _ in range(rng.randint(0, 4))]
                prices += [rng.randint(1, 10**13) for _ in range(rng.randint(0, 6))]
                for price in prices:
                    status = rng.choice(STORED_STATUSES)
                    session.add(_product(category_id, price, status, supplier_id=supplier.organisation_id,
                                         agreement_id=mall.agreement_id, user_id=supplier.user_id))
                    if status != ProductStatus.delisted:
                        listed.setdefault(category_id, []).append(price)
        expected = {c: pricing.median(p) for c, p in listed.items() if len(p) >= MEDIAN_MIN_PRODUCTS}
        sizes_judged |= {len(listed[c]) for c in expected}
        async with platform.db.transaction(write=False) as session:
            medians = category_medians()
            found = dict((await session.execute(select(medians.c.category_id, medians.c.median_fen))).all())
        assert found == expected, (listed, found)
    # The seed must have exercised both branches of the median.
    assert any(n % 2 for n in sizes_judged) and any(n % 2 == 0 for n in sizes_judged), sizes_judged


async def test_an_even_category_is_judged_against_the_floor_of_its_middle_prices(client, users) -> None:
    """Six desktops: the median is (1250.00 + 1250.01) // 2 = 1250.00, so at the 2x ratio 2500.00 is
    not "far above" and 2500.01 is. A delisted 8999.00 desktop would move the median if it counted,
    and is not listed itself; two laptops are too few for a median."""
    mall = await build_mall(client, users)
    _, supplier = await mall.supplier()
    desktop = {}
    for price in ("1000.00", "1000.01", "1250.00", "1250.01", "2500.00", "2500.01", "8999.00"):
        desktop[price] = await mall.product(supplier, name=f"台式机{price}", price=price, ceiling="9000.00")
    delisted = await client.post(f"/api/mall/products/{desktop['8999.00']['id']}/listing", headers=supplier,
                                 json={"on_sale": False, "reason": "停产"})
    assert delisted.status_code == 200, delisted.text
    for price in ("100.00", "5000.00"):
        await mall.product(supplier, name=f"笔记本{price}", category_id=mall.categories["laptops"], price=price, ceiling="9000.00")

    response = await client.get("/api/mall/monitoring", headers=mall.supervisor)
    assert response.status_code == 200, response.text
    far_above = [(a["product_id"], a["compared_with"]) for a in response.json()["anomalies"] if a["rule"] == "category_median"]
    assert far_above == [(desktop["2500.01"]["id"], "1250.00")]
