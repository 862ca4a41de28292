"""The mall demo's orders: a budget, an order in every state, an open competition; idempotent."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from procurement.demo import _load_demo_accounts
from procurement.mall.demo import load_mall_demo
from procurement.mall.order_models import Budget, Competition, Order, OrderStatus, Quote


@pytest.mark.demo
async def test_the_demo_has_orders_in_every_state(platform) -> None:
    await _load_demo_accounts(platform)
    await load_mall_demo(platform)
    async with platform.db.transaction(write=False) as session:
        states = set((await session.execute(select(Order.status))).scalars())
        budget = (await session.execute(select(Budget))).scalar_one()
        quotes = (await session.execute(select(func.count()).select_from(Quote))).scalar_one()
        competitions = (await session.execute(select(Competition.status))).scalars().all()
    assert states == set(OrderStatus)
    assert 0 < budget.paid_fen < budget.committed_fen < budget.amount_fen
    assert competitions == ["open"] and quotes == 2
    await load_mall_demo(platform)
    async with platform.db.transaction(write=False) as session:
        assert (await session.execute(select(func.count()).select_from(Order))).scalar_one() == len(OrderStatus)
