"""Budgets: set by operators or the unit's own admin, never below what is committed; read by the unit and the centre."""

from __future__ import annotations

from procurement.identity.models import Role
from tests.conftest import bearer
from tests.mall.order_testlib import build_shop


async def test_who_sets_and_reads_a_budget(client, users) -> None:
    shop = await build_shop(client, users, budget="10000.00")
    unit = shop.purchaser.organisation_id
    own_admin = await bearer(client, await users.make(Role.admin, organisation_id=unit))
    other_admin = await bearer(client, await users.make(Role.admin, kind=None))
    body = {"organisation_id": unit, "year": 2026, "amount": "20000.00"}
    assert (await client.put("/api/mall/budgets", headers=shop.buyer, json=body)).status_code == 403  # a buyer is not finance
    assert (await client.put("/api/mall/budgets", headers=other_admin, json=body)).status_code == 403  # another unit's admin
    assert (await client.put("/api/mall/budgets", headers=shop.mall.supervisor, json=body)).status_code == 403
    changed = await client.put("/api/mall/budgets", headers=own_admin, json=body)
    assert changed.status_code == 200 and changed.json()["amount"] == "20000.00"
    supplier_org = {"organisation_id": shop.supplier.organisation_id, "year": 2026, "amount": "1.00"}
    assert (await client.put("/api/mall/budgets", headers=shop.mall.operator, json=supplier_org)).status_code == 422

    await shop.placed((shop.product["id"], 2))
    below = await client.put("/api/mall/budgets", headers=own_admin, json={**body, "amount": "8000.00"})
    assert below.status_code == 422 and "body.amount" in below.text
    mine = (await client.get("/api/mall/budgets", headers=shop.buyer)).json()
    assert [(b["year"], b["amount"], b["committed"], b["left"]) for b in mine] == [(2026, "20000.00", "8598.00", "11402.00")]
    stranger = await bearer(client, await users.make(Role.purchaser))
    assert (await client.get("/api/mall/budgets", headers=stranger)).json() == []
    assert len((await client.get("/api/mall/budgets", headers=shop.mall.supervisor)).json()) == 1
    assert (await client.get("/api/mall/budgets", headers=shop.seller)).status_code == 403
    entries = (await client.get("/api/audit/entries", headers=shop.mall.supervisor, params={"action": "mall.budget_set"})).json()
    assert entries["total"] == 2


async def test_an_order_without_a_budget_for_the_year_is_refused(client, users) -> None:
    shop = await build_shop(client, users)
    stranger = await users.make(Role.purchaser)
    refused = await shop.order(headers=await bearer(client, stranger))
    assert refused.status_code == 409 and "no mall budget for 2026" in refused.text
