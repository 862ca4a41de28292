"""Concurrent orders on PostgreSQL, each in its own transaction on its own connection: the last
units are never oversold, and one unit's orders never overspend its budget.

SQLite runs one writer at a time, so nothing there can race: those runs are skipped.
"""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlalchemy import select

from procurement.errors import Conflict
from procurement.identity.models import Role
from procurement.mall import orders
from procurement.mall.models import Product
from procurement.mall.order_models import Budget, Order
from procurement.mall.order_schemas import OrderIn
from tests.mall.order_testlib import DELIVERY, actor_of, build_shop

BUYERS = 12


# SQLite serialises writers: concurrent transactions cannot race there.
pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


def _order(product_id: int, quantity: int) -> OrderIn:
    return OrderIn(items=[{"product_id": product_id, "quantity": quantity}], **{**DELIVERY, "requested_date": date(2026, 1, 20)})


async def _race(platform, actors, body: OrderIn) -> list[object]:
    async def one(actor):
        async with platform.db.transaction() as session:
            placed, _ = await orders.place(session, platform, actor, body, None)
            await asyncio.sleep(0)  # hold the transaction open a moment, so they overlap
            return placed[0].id

    return await asyncio.gather(*(one(a) for a in actors), return_exceptions=True)


async def test_many_purchasers_ordering_the_last_units_never_oversell(client, users, platform) -> None:
    shop = await build_shop(client, users)
    last = await shop.mall.product(shop.seller, name="联想 启天M430 库存尾货", stock=5)
    buyers = []
    for _ in range(BUYERS):
        user = await users.make(Role.purchaser)
        assert (await shop.budget("100000.00", organisation_id=user.organisation_id)).status_code == 200
        buyers.append(await actor_of(platform, user.user_id))
    results = await _race(platform, buyers, _order(last["id"], 1))
    placed = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(placed) == 5, results
    assert all(isinstance(r, Conflict) and "stock" in str(r) for r in refused), refused
    async with platform.db.transaction(write=False) as session:
        assert (await session.get(Product, last["id"])).stock == 0
        assert len((await session.execute(select(Order.id).where(Order.id.in_(placed)))).all()) == 5


async def test_many_orders_of_one_unit_never_overspend_its_budget(client, users, platform) -> None:
    shop = await build_shop(client, users, budget="12897.00")  # exactly three units at 4,299.00
    buyers = [await actor_of(platform, shop.purchaser.user_id)]
    for _ in range(BUYERS - 1):  # colleagues of the same unit, all at once
        buyers.append(await actor_of(platform, (await users.make(Role.purchaser, organisation_id=shop.purchaser.organisation_id)).user_id))
    # Stock enough for everyone: only the budget can stop them.
    await shop.mall.client.patch(f"/api/mall/products/{shop.product['id']}", headers=shop.seller, json={"stock": 100})
    results = await _race(platform, buyers, _order(shop.product["id"], 1))
    placed = [r for r in results if isinstance(r, int)]
    assert len(placed) == 3, results
    assert all(isinstance(r, Conflict) and "budget" in str(r) for r in results if not isinstance(r, int))
    async with platform.db.transaction(write=False) as session:
        budget = (await session.execute(select(Budget).where(Budget.organisation_id == shop.purchaser.organisation_id))).scalar_one()
        assert budget.committed_fen == budget.amount_fen == 1289700
        assert (await session.get(Product, shop.product["id"])).stock == 97
