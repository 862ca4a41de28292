"""Mini-competitions (竞价): sealed quotes, the close at the deadline by the scheduler (also
after downtime), the lowest compliant quote wins, too few compliant quotes fail it."""

from __future__ import annotations

from datetime import timedelta

from procurement.identity.models import Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from tests.conftest import bearer
from tests.mall.order_testlib import DELIVERY, build_shop

SPECS = {"CPU": "Intel i5 或以上", "内存": "16GB"}


def _need(shop, clock, **overrides) -> dict:
    return {"title": "台式计算机 20台", "category_id": shop.mall.categories["desktops"], "specifications": SPECS, "quantity": 20,
            "ceiling": "4500.00", "deadline": (clock.now() + timedelta(days=3)).isoformat(), **DELIVERY, "requested_date": "2026-01-30", **overrides}


def _quote(price: str, **overrides) -> dict:
    return {"unit_price": price, "brand": "联想", "model": "启天M430", "specifications": {"CPU": "Intel i5-12500", "内存": "16GB"}, **overrides}


async def test_the_lowest_compliant_quote_wins_at_the_deadline_and_becomes_an_order(client, users, platform, clock) -> None:
    shop = await build_shop(client, users, budget="200000.00")
    posted = await client.post("/api/mall/competitions", headers=shop.buyer, json=_need(shop, clock))
    assert posted.status_code == 201, posted.text
    cid = posted.json()["id"]
    assert (await client.get("/api/mall/budgets", headers=shop.buyer)).json()[0]["committed"] == "90000.00"  # ceiling × quantity
    assert (await client.post("/api/mall/competitions", headers=shop.seller, json=_need(shop, clock))).status_code == 403

    sellers = [shop.seller] + [(await shop.mall.supplier())[1] for _ in range(3)]
    furniture_only = (await shop.mall.supplier("furniture"))[1]
    assert (await client.put(f"/api/mall/competitions/{cid}/quote", headers=furniture_only, json=_quote("4000.00"))).status_code == 403
    above = await client.put(f"/api/mall/competitions/{cid}/quote", headers=sellers[0], json=_quote("4600.00"))
    assert above.status_code == 422 and "body.unit_price" in above.text
    missing = await client.put(f"/api/mall/competitions/{cid}/quote", headers=sellers[0], json=_quote("4400.00", specifications={"CPU": "i5"}))
    assert missing.status_code == 422 and "内存" in missing.text
    for headers, price in zip(sellers, ("4400.00", "4100.00", "4250.00", "4050.00"), strict=True):
        answer = await client.put(f"/api/mall/competitions/{cid}/quote", headers=headers, json=_quote(price))
        assert answer.status_code == 200, answer.text
    # The cheapest supplier revises upwards: one quote per supplier, the latest counts.
    assert (await client.put(f"/api/mall/competitions/{cid}/quote", headers=sellers[3], json=_quote("4300.00"))).status_code == 200

    # Sealed: each supplier sees its own quote; the purchaser none before the close; the audit entries are embargoed.
    seen = (await client.get(f"/api/mall/competitions/{cid}", headers=sellers[1])).json()["quotes"]
    assert [q["unit_price"] for q in seen] == ["4100.00"]
    assert (await client.get(f"/api/mall/competitions/{cid}", headers=shop.buyer)).json()["quotes"] == []
    hidden = (await client.get("/api/audit/entries", headers=shop.mall.supervisor, params={"action": "mall.quote_submitted"})).json()
    assert hidden["total"] == 0

    # The platform is down at the deadline; the first sweep afterwards closes it, once.
    clock.advance(timedelta(days=3, hours=2))
    assert (await sweep(platform, build_registry())).ran >= 1
    await sweep(platform, build_registry())
    buyer = await bearer(client, shop.purchaser)
    closed = (await client.get(f"/api/mall/competitions/{cid}", headers=buyer)).json()
    assert closed["status"] == "awarded"
    assert [(q["unit_price"], q["status"]) for q in closed["quotes"]] == [("4100.00", "won"), ("4250.00", "lost"), ("4300.00", "lost"), ("4400.00", "lost")]
    order = (await client.get(f"/api/mall/orders/{closed['order_id']}", headers=buyer)).json()
    assert (order["kind"], order["status"], order["total"], order["savings"]) == ("competition", "placed", "82000.00", "8000.00")
    assert (await client.get("/api/mall/budgets", headers=buyer)).json()[0]["committed"] == "82000.00"
    watcher = await bearer(client, await users.make(Role.supervisor))
    assert (await client.get("/api/audit/entries", headers=watcher, params={"action": "mall.quote_submitted"})).json()["total"] == 5
    assert (await client.get("/api/audit/entries", headers=watcher, params={"action": "mall.competition_awarded"})).json()["total"] == 1


async def test_fewer_compliant_quotes_than_the_minimum_fail_it_and_release_the_budget(client, users, platform, clock) -> None:
    shop = await build_shop(client, users, budget="200000.00")
    cid = (await client.post("/api/mall/competitions", headers=shop.buyer, json=_need(shop, clock))).json()["id"]
    sellers = [shop.seller] + [(await shop.mall.supplier())[1] for _ in range(2)]
    for headers, price in zip(sellers, ("4400.00", "4100.00", "4250.00"), strict=True):
        assert (await client.put(f"/api/mall/competitions/{cid}/quote", headers=headers, json=_quote(price))).status_code == 200
    # One of the three is suspended before the deadline: its quote no longer counts.
    suspended = await client.post("/api/mall/sanctions", headers=shop.mall.operator, json={
        "organisation_id": shop.supplier.organisation_id, "kind": "suspend", "reason": "延迟交货", "ends_at": (clock.now() + timedelta(days=30)).isoformat()})
    assert suspended.status_code == 201
    clock.advance(timedelta(days=3))
    late = await client.put(f"/api/mall/competitions/{cid}/quote", headers=sellers[1], json=_quote("4000.00"))
    assert late.status_code in (401, 409)  # the deadline has passed (or the login with it)
    await sweep(platform, build_registry())
    buyer = await bearer(client, shop.purchaser)
    failed = (await client.get(f"/api/mall/competitions/{cid}", headers=buyer)).json()
    assert failed["status"] == "failed" and failed["order_id"] is None
    assert {q["status"] for q in failed["quotes"]} == {"non_compliant", "lost"}
    assert (await client.get("/api/mall/budgets", headers=buyer)).json()[0]["committed"] == "0.00"


async def test_a_purchaser_cancels_an_open_competition_and_others_cannot(client, users, clock) -> None:
    shop = await build_shop(client, users, budget="200000.00")
    cid = (await client.post("/api/mall/competitions", headers=shop.buyer, json=_need(shop, clock))).json()["id"]
    stranger = await bearer(client, await users.make(Role.purchaser))
    assert (await client.post(f"/api/mall/competitions/{cid}/cancel", headers=stranger, json={"reason": "不需要"})).status_code == 404
    assert (await client.post(f"/api/mall/competitions/{cid}/cancel", headers=shop.seller, json={"reason": "不需要"})).status_code == 403
    cancelled = await client.post(f"/api/mall/competitions/{cid}/cancel", headers=shop.buyer, json={"reason": "需求变更"})
    assert cancelled.json()["status"] == "cancelled"
    assert (await client.get("/api/mall/budgets", headers=shop.buyer)).json()[0]["committed"] == "0.00"
    past = await client.post("/api/mall/competitions", headers=shop.buyer, json=_need(shop, clock, deadline=clock.now().isoformat()))
    assert past.status_code == 422 and "body.deadline" in past.text
    over = await client.post("/api/mall/competitions", headers=shop.buyer, json=_need(shop, clock, quantity=50))
    assert over.status_code == 409 and "budget" in over.text
