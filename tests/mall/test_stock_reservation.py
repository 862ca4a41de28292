"""``catalogue.reserve_stock`` takes stock only at the price the order read, and only while the product is on sale."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from procurement.errors import Conflict
from procurement.mall import catalogue
from procurement.mall.models import Product, ProductStatus
from tests.mall.order_testlib import build_shop


async def _read(platform, product_id: int) -> Product:  # type: ignore[no-untyped-def]
    async with platform.db.transaction(write=False) as session:
        return (await session.execute(select(Product).where(Product.id == product_id))).scalar_one()


async def _stock(platform, product_id: int) -> int:  # type: ignore[no-untyped-def]
    return (await _read(platform, product_id)).stock


async def test_stock_is_taken_at_the_price_read(client, users, platform) -> None:
    shop = await build_shop(client, users)
    seen = await _read(platform, shop.product["id"])
    async with platform.db.transaction() as session:
        assert await catalogue.reserve_stock(session, platform, seen, 2) == seen.stock - 2
    assert await _stock(platform, seen.id) == seen.stock - 2


async def test_a_price_changed_since_it_was_read_refuses_and_takes_nothing(client, users, platform) -> None:
    shop = await build_shop(client, users)
    seen = await _read(platform, shop.product["id"])
    async with platform.db.transaction() as session:  # the supplier lowers the price meanwhile
        await session.execute(update(Product).where(Product.id == seen.id).values(price_fen=seen.price_fen - 100))
    async with platform.db.transaction() as session:
        with pytest.raises(Conflict, match="price of .* changed from") as refused:
            await catalogue.reserve_stock(session, platform, seen, 1)
    assert f"from {seen.price_fen / 100:.2f} to {(seen.price_fen - 100) / 100:.2f} yuan" in str(refused.value)
    assert await _stock(platform, seen.id) == seen.stock


async def test_a_product_gone_from_sale_meanwhile_refuses(client, users, platform) -> None:
    shop = await build_shop(client, users)
    seen = await _read(platform, shop.product["id"])
    async with platform.db.transaction() as session:
        await session.execute(update(Product).where(Product.id == seen.id).values(status=ProductStatus.delisted))
    async with platform.db.transaction() as session:
        with pytest.raises(Conflict, match="not on sale"):
            await catalogue.reserve_stock(session, platform, seen, 1)
    assert await _stock(platform, seen.id) == seen.stock


async def test_too_little_stock_refuses(client, users, platform) -> None:
    shop = await build_shop(client, users)
    seen = await _read(platform, shop.product["id"])
    async with platform.db.transaction() as session:
        with pytest.raises(Conflict, match="not enough stock"):
            await catalogue.reserve_stock(session, platform, seen, seen.stock + 1)
    assert await _stock(platform, seen.id) == seen.stock
