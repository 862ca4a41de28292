"""A small shop for the order tests: the catalogue's test mall, a purchasing unit with a budget, products on sale."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from procurement.identity import sessions
from procurement.identity.models import Role, User
from tests.conftest import TestUser, bearer
from tests.mall.mall_testlib import Mall, build_mall

DELIVERY = {"delivery_region": "海口市", "delivery_address": "海口市美兰区海府路1号 行政楼201", "contact": "王老师 0898-65000000",
            "requested_date": "2026-01-20"}


@dataclass
class Shop:
    mall: Mall
    purchaser: TestUser
    buyer: dict[str, str]  # the purchaser's headers
    supplier: TestUser
    seller: dict[str, str]
    product: dict[str, Any]

    @property
    def client(self) -> Any:
        return self.mall.client

    async def budget(self, amount: str, *, organisation_id: int | None = None, year: int = 2026) -> Any:
        return await self.client.put("/api/mall/budgets", headers=self.mall.operator, json={
            "organisation_id": organisation_id or self.purchaser.organisation_id, "year": year, "amount": amount})

    async def order(self, *lines: tuple[int, int], headers: dict[str, str] | None = None, key: str | None = None, **overrides: Any) -> Any:
        body = {"items": [{"product_id": p, "quantity": q} for p, q in lines or ((self.product["id"], 1),)], **DELIVERY, **overrides}
        extra = {"Idempotency-Key": key} if key else {}
        return await self.client.post("/api/mall/orders", headers={**(headers or self.buyer), **extra}, json=body)

    async def placed(self, *lines: tuple[int, int]) -> dict[str, Any]:
        response = await self.order(*lines)
        assert response.status_code == 201, response.text
        return response.json()[0]

    async def step(self, order_id: int, step: str, headers: dict[str, str], body: dict[str, Any] | None = None) -> Any:
        return await self.client.post(f"/api/mall/orders/{order_id}/{step}", headers=headers, json=body)


async def build_shop(client: Any, users: Any, *, budget: str = "100000.00") -> Shop:
    mall = await build_mall(client, users)
    supplier, seller = await mall.supplier()
    product = await mall.product(seller)
    purchaser = await users.make(Role.purchaser)
    shop = Shop(mall, purchaser, await bearer(client, purchaser), supplier, seller, product)
    assert (await shop.budget(budget)).status_code == 200
    return shop


async def actor_of(platform: Any, user_id: int) -> Any:
    """The acting user as the services see it, for tests that call them directly."""
    async with platform.db.transaction(write=False) as session:
        user = await session.get(User, user_id)
        return await sessions.actor_for(session, user, via="bearer", session_id=None)
