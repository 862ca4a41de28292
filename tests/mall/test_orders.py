"""Direct purchase: the order's whole life, idempotent checkout, the limits, the credit check,
the scheduler's cancellation of unconfirmed orders, and savings."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from procurement.credit.models import CreditCheck
from procurement.identity.models import Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from tests.conftest import bearer
from tests.credit.credit_testlib import in_force, uscc_of
from tests.mall.order_testlib import build_shop


@pytest.fixture
def settings(settings):
    # A small direct-purchase limit, so that a few units reach it.
    return settings.with_overrides(mall_direct_threshold=10000)


async def _product(shop) -> dict:
    return (await shop.client.get(f"/api/mall/products/{shop.product['id']}", headers=shop.seller)).json()


async def _budget(shop) -> dict:
    return (await shop.client.get("/api/mall/budgets", headers=shop.buyer)).json()[0]


async def _actions(shop, order_id: int) -> list[str]:
    entries = (await shop.client.get("/api/audit/entries", headers=shop.mall.supervisor, params={"subject_type": "mall_order", "subject_id": str(order_id)})).json()
    return [e["action"] for e in entries["entries"]]


async def test_an_order_goes_from_placed_to_settled_with_partial_acceptance(client, users) -> None:
    shop = await build_shop(client, users)
    order = await shop.placed((shop.product["id"], 2))
    assert order["status"] == "placed" and order["total"] == "8598.00" and order["supplier_name"]
    assert (await _product(shop))["stock"] == 8
    assert Decimal((await _budget(shop))["committed"]) == Decimal("8598.00")
    oid = order["id"]

    # Who may not: the purchaser cannot confirm, another supplier does not see the order, the supplier cannot accept.
    assert (await shop.step(oid, "confirm", shop.buyer)).status_code == 403
    _, other = await shop.mall.supplier()
    assert (await shop.step(oid, "confirm", other)).status_code == 404
    assert (await client.get(f"/api/mall/orders/{oid}", headers=await bearer(client, await users.make(Role.purchaser)))).status_code == 404
    assert (await shop.step(oid, "ship", shop.seller, {"delivery_note": "顺丰 SF1"})).status_code == 409  # not confirmed yet

    assert (await shop.step(oid, "confirm", shop.seller)).json()["status"] == "confirmed"
    shipped = await shop.step(oid, "ship", shop.seller, {"delivery_note": "顺丰 SF1234567890"})
    assert shipped.json()["status"] == "shipped"
    assert (await shop.step(oid, "cancel", shop.buyer, {"reason": "不要了"})).status_code == 409  # shipped: too late to cancel
    item = shipped.json()["items"][0]["id"]
    assert (await shop.step(oid, "acceptance", shop.seller, {"items": [{"item_id": item, "accepted_quantity": 2}]})).status_code == 403
    no_reason = await shop.step(oid, "acceptance", shop.buyer, {"items": [{"item_id": item, "accepted_quantity": 1}]})
    assert no_reason.status_code == 422 and "items[0].reason" in no_reason.text
    accepted = await shop.step(oid, "acceptance", shop.buyer, {
        "items": [{"item_id": item, "accepted_quantity": 1, "reason": "一台屏幕有划痕，退回"}], "note": "逐项核对技术、服务、安全标准"})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted" and accepted.json()["accepted"] == "4299.00"
    assert (await _product(shop))["stock"] == 9  # the rejected unit went back
    assert (await _product(shop))["sales_count"] == 1
    assert Decimal((await _budget(shop))["committed"]) == Decimal("4299.00")

    wrong = await shop.step(oid, "invoice", shop.seller, {"number": "46002600001234", "amount": "8598.00"})
    assert wrong.status_code == 422 and "body.amount" in wrong.text
    assert (await shop.step(oid, "invoice", shop.seller, {"number": "46002600001234", "amount": "4299.00"})).json()["status"] == "invoiced"
    assert (await shop.step(oid, "payment", shop.seller, {"reference": "ZF-1"})).status_code == 403
    settled = await shop.step(oid, "payment", shop.buyer, {"reference": "国库集中支付 ZF2026-000123"})
    assert settled.json()["status"] == "settled"
    assert settled.json()["savings"] == "201.00"  # (ceiling 4500 − 4299) × the one unit accepted
    budget = await _budget(shop)
    assert (budget["committed"], budget["paid"], budget["left"]) == ("4299.00", "4299.00", "95701.00")
    assert await _actions(shop, oid) == [
        "mall.order_settled", "mall.order_invoiced", "mall.order_accepted", "mall.order_shipped", "mall.order_confirmed", "mall.order_placed",
    ]


async def test_a_repeated_checkout_with_the_same_key_places_one_order_per_supplier(client, users) -> None:
    shop = await build_shop(client, users)
    _, second_seller = await shop.mall.supplier()
    other = await shop.mall.product(second_seller, name="惠普 台式计算机", price="3999.00")
    first = await shop.order((shop.product["id"], 1), (other["id"], 1), key="checkout-0001")
    assert first.status_code == 201, first.text
    assert len(first.json()) == 2  # one order per supplier
    again = await shop.order((shop.product["id"], 1), (other["id"], 1), key="checkout-0001")
    assert again.status_code == 200
    assert [o["id"] for o in again.json()] == [o["id"] for o in first.json()]
    assert (await _product(shop))["stock"] == 9
    assert (await client.get("/api/mall/orders", headers=shop.buyer)).json().__len__() == 2


async def test_the_budget_the_direct_limit_stock_region_and_date_are_enforced(client, users) -> None:
    shop = await build_shop(client, users, budget="5000.00")
    over_budget = await shop.order((shop.product["id"], 2))
    assert over_budget.status_code == 409 and "budget" in over_budget.text
    assert (await _product(shop))["stock"] == 10  # nothing was taken
    assert (await shop.budget("50000.00")).status_code == 200
    at_limit = await shop.order((shop.product["id"], 3))  # 12,897 yuan ≥ the 10,000 limit of this test
    assert at_limit.status_code == 409 and "mini-competition" in at_limit.text
    last_one = await shop.mall.product(shop.seller, name="联想 启天M430 样机", stock=1)
    too_many = await shop.order((last_one["id"], 2))
    assert too_many.status_code == 409 and "stock" in too_many.text
    region = await shop.order(delivery_region="儋州市")
    assert region.status_code == 422 and "body.delivery_region" in region.text
    early = await shop.order(requested_date="2026-01-06")  # lead time 3 days from 2026-01-05
    assert early.status_code == 422 and "body.requested_date" in early.text
    assert (await shop.order(headers=shop.seller)).status_code == 403
    rules = await client.get("/api/mall/purchase-rules", params={"region": "460100"})
    assert rules.json()["direct_threshold"] == "10000.00"


async def test_a_sanctioned_or_blacklisted_suppliers_product_is_refused_naming_why(client, users, platform) -> None:
    shop = await build_shop(client, users)
    imposed = await client.post("/api/mall/sanctions", headers=shop.mall.operator, json={
        "organisation_id": shop.supplier.organisation_id, "kind": "freeze", "reason": "巡检发现虚假宣传"})
    assert imposed.status_code == 201
    refused = await shop.order()
    assert refused.status_code == 403 and "巡检发现虚假宣传" in refused.json()["detail"]
    lifted = await client.post(f"/api/mall/sanctions/{imposed.json()['id']}/lift", headers=shop.mall.operator, json={"reason": "复核撤销"})
    assert lifted.status_code == 200
    assert (await shop.order()).status_code == 201
    uscc = await uscc_of(platform, shop.supplier.organisation_id)
    await in_force(client, shop.mall.operator, shop.mall.supervisor, uscc, starts_on="2026-01-01", ends_on="2026-12-31")
    blacklisted = await shop.order()
    assert blacklisted.status_code == 403 and "blacklist" in blacklisted.json()["detail"]
    # The checks kept: the placed order's (committed with it) and the refusal's (committed on its
    # own after the rollback); the first attempt's passed check went with the frozen order.
    async with platform.db.transaction(write=False) as session:
        checks = (await session.execute(select(CreditCheck).where(CreditCheck.purpose == "mall_order").order_by(CreditCheck.id))).scalars().all()
    assert [(c.passed, c.organisation_id) for c in checks] == [(True, shop.supplier.organisation_id), (False, shop.supplier.organisation_id)]
    assert json.loads(checks[1].seen)[0]["uscc"] == uscc


async def test_an_unconfirmed_order_is_cancelled_by_the_scheduler_and_gives_everything_back(client, users, platform, clock) -> None:
    shop = await build_shop(client, users)
    waiting = await shop.placed((shop.product["id"], 2))
    confirmed = await shop.placed((shop.product["id"], 1))
    assert (await shop.step(confirmed["id"], "confirm", shop.seller)).status_code == 200
    clock.advance(timedelta(days=2) - timedelta(minutes=1))
    await sweep(platform, build_registry())
    buyer = await bearer(client, shop.purchaser)  # the first login has expired
    assert (await client.get(f"/api/mall/orders/{waiting['id']}", headers=buyer)).json()["status"] == "placed"
    clock.advance(timedelta(minutes=2))  # the platform was down at the limit: the next sweep catches up, once
    assert (await sweep(platform, build_registry())).ran >= 1
    await sweep(platform, build_registry())
    cancelled = (await client.get(f"/api/mall/orders/{waiting['id']}", headers=buyer)).json()
    assert cancelled["status"] == "cancelled" and cancelled["closed_reason"] == "not confirmed by the supplier in time"
    assert (await client.get(f"/api/mall/orders/{confirmed['id']}", headers=buyer)).json()["status"] == "confirmed"
    seller = await bearer(client, shop.supplier)
    assert (await client.get(f"/api/mall/products/{shop.product['id']}", headers=seller)).json()["stock"] == 9
    assert (await client.get("/api/mall/budgets", headers=buyer)).json()[0]["committed"] == "4299.00"
    watcher = await bearer(client, await users.make(Role.supervisor))
    entries = (await client.get("/api/audit/entries", headers=watcher, params={"action": "mall.order_cancelled"})).json()
    assert entries["total"] == 1
    late = (await client.get("/api/mall/late-orders", headers=watcher)).json()
    assert {(row["id"], row["kind"]) for row in late} >= {(waiting["id"], "confirmation")}


async def test_refusal_and_cancellation_release_stock_and_budget(client, users) -> None:
    shop = await build_shop(client, users)
    refused = await shop.placed((shop.product["id"], 2))
    assert (await shop.step(refused["id"], "refuse", shop.seller, {"reason": ""})).status_code == 422
    result = await shop.step(refused["id"], "refuse", shop.seller, {"reason": "该型号已停产"})
    assert result.json()["status"] == "refused" and result.json()["closed_reason"] == "该型号已停产"
    cancelled = await shop.placed((shop.product["id"], 2))
    assert (await shop.step(cancelled["id"], "confirm", shop.seller)).status_code == 200
    assert (await shop.step(cancelled["id"], "cancel", shop.seller, {"reason": "不要了"})).status_code == 403
    assert (await shop.step(cancelled["id"], "cancel", shop.buyer, {"reason": "需求取消"})).json()["status"] == "cancelled"
    assert (await _product(shop))["stock"] == 10
    assert (await _budget(shop))["committed"] == "0.00"


async def test_rejecting_every_item_ends_the_order_and_savings_are_summed(client, users) -> None:
    shop = await build_shop(client, users)
    kept = await shop.placed((shop.product["id"], 2))
    returned = await shop.placed((shop.product["id"], 1))
    for order in (kept, returned):
        await shop.step(order["id"], "confirm", shop.seller)
        await shop.step(order["id"], "ship", shop.seller, {"delivery_note": "自送"})
    item = returned["items"][0]["id"]
    rejected = await shop.step(returned["id"], "acceptance", shop.buyer, {"items": [{"item_id": item, "accepted_quantity": 0, "reason": "型号不符"}]})
    assert rejected.json()["status"] == "rejected" and rejected.json()["savings"] == "0.00"
    assert (await _budget(shop))["committed"] == "8598.00"
    params = {"from": "2026-01-01", "to": "2026-01-31", "group_by": "unit"}
    assert (await client.get("/api/mall/savings", headers=shop.buyer, params=params)).status_code == 403
    rows = (await client.get("/api/mall/savings", headers=shop.mall.supervisor, params=params)).json()
    assert [(r["orders"], r["reference"], r["paid"], r["savings"]) for r in rows] == [(1, "9000.00", "8598.00", "402.00")]
    by_category = (await client.get("/api/mall/savings", headers=shop.mall.supervisor, params={**params, "group_by": "category"})).json()
    assert [r["label"] for r in by_category] == ["台式计算机"]
    by_month = (await client.get("/api/mall/savings", headers=shop.mall.supervisor, params={**params, "group_by": "month"})).json()
    assert [r["key"] for r in by_month] == ["2026-01"]
    for bad, field in (({"from": "0001-01-01", "to": "0001-01-01"}, "query.from"), ({"from": "2026-02-01", "to": "2026-01-01"}, "query.to")):
        refused = await client.get("/api/mall/savings", headers=shop.mall.supervisor, params={**params, **bad})
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == field
    # The statistics report counts the same spend and reference (both orders placed in January).
    report = (await client.get("/api/statistics", params={"from": "2026-01-01", "to": "2026-01-31"})).json()
    assert report["mall"] == {"spend": "8598.00", "reference": "9000.00", "savings": "402.00"}
