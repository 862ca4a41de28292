"""Concurrent returns on PostgreSQL, each in its own transaction on its own connection: two
returns of the same units never both pass, and a receipt confirmed twice at once releases the
stock and the budget once.

SQLite runs one writer at a time, so nothing there can race: those runs are skipped.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from procurement.errors import DomainError, InvalidInput
from procurement.identity.models import Role
from procurement.mall import returns
from procurement.mall.models import Product
from procurement.mall.order_models import Budget, OrderReturn, ReturnStatus
from procurement.mall.order_schemas import ReturnIn
from tests.mall.order_testlib import actor_of, build_shop
from tests.mall.test_returns import accepted_order, agreed_and_sent, ask

# SQLite serialises writers: concurrent transactions cannot race there.
pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


async def _together(platform, calls) -> list[object]:
    """Run each call in its own transaction, all at once; results or the exceptions raised."""
    async def one(call):
        async with platform.db.transaction() as session:
            result = await call(session)
            await asyncio.sleep(0)  # hold the transaction open a moment, so they overlap
            return result

    return await asyncio.gather(*(one(c) for c in calls), return_exceptions=True)


async def test_two_returns_of_the_same_units_cannot_both_pass(client, users, platform) -> None:
    shop = await build_shop(client, users)
    order = await accepted_order(shop, units=2)
    colleague = await users.make(Role.purchaser, organisation_id=shop.purchaser.organisation_id)
    buyers = [await actor_of(platform, shop.purchaser.user_id), await actor_of(platform, colleague.user_id)] * 3
    body = ReturnIn(items=[{"item_id": order["items"][0]["id"], "quantity": 2}], reason="批量故障")  # type: ignore[list-item]

    def asking(actor):
        return lambda session: returns.request(session, platform, actor, order["id"], body, None)

    results = await _together(platform, [asking(a) for a in buyers])
    passed = [r for r in results if not isinstance(r, BaseException)]
    assert len(passed) == 1, results
    assert all(isinstance(r, InvalidInput) and r.errors[0].field == "body.items[0].quantity" for r in results if r not in passed), results
    async with platform.db.transaction(write=False) as session:
        assert (await session.execute(select(func.count()).select_from(OrderReturn))).scalar_one() == 1


async def test_a_receipt_confirmed_twice_at_once_releases_once(client, users, platform) -> None:
    shop = await build_shop(client, users)
    order = await accepted_order(shop, units=2)
    ret = (await ask(shop, order, 2)).json()
    await agreed_and_sent(shop, order["id"], ret["id"])
    seller = await actor_of(platform, shop.supplier.user_id)

    def receiving(session):
        return returns.receive(session, platform, seller, order["id"], ret["id"], "")

    results = await _together(platform, [receiving] * 4)
    assert not [r for r in results if isinstance(r, DomainError | BaseException)], results
    async with platform.db.transaction(write=False) as session:
        assert (await session.get(OrderReturn, ret["id"])).status == ReturnStatus.received
        assert (await session.get(Product, shop.product["id"])).stock == 10
        budget = (await session.execute(select(Budget).where(Budget.organisation_id == shop.purchaser.organisation_id))).scalar_one()
        assert budget.committed_fen == 0
