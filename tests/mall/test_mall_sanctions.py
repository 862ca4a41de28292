"""Barred suppliers: a sanction or a blacklist entry takes their products off sale at once, and
lifting (early, or by its end passing, also while the scheduler was down) brings them back."""

from __future__ import annotations

from datetime import timedelta

from procurement.identity.models import Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from tests.conftest import bearer
from tests.credit.credit_testlib import in_force, uscc_of
from tests.mall.mall_testlib import build_mall


async def _listed(client, product_id: int) -> bool:
    return product_id in [p["id"] for p in (await client.get("/api/mall/products")).json()["items"]]


async def test_a_sanction_hides_the_products_at_once_and_the_scheduler_lifts_it_at_its_end(client, users, platform, clock) -> None:
    mall = await build_mall(client, users)
    user, supplier = await mall.supplier()
    product = await mall.product(supplier)
    assert await _listed(client, product["id"])
    ends = (clock.now() + timedelta(days=7)).isoformat()
    refused = await client.post("/api/mall/sanctions", headers=supplier, json={"organisation_id": user.organisation_id, "kind": "freeze", "reason": "自罚"})
    assert refused.status_code == 403
    imposed = await client.post("/api/mall/sanctions", headers=mall.operator, json={
        "organisation_id": user.organisation_id, "kind": "suspend", "reason": "巡检发现虚假宣传", "ends_at": ends,
    })
    assert imposed.status_code == 201, imposed.text
    assert not await _listed(client, product["id"])
    assert (await client.get(f"/api/mall/products/{product['id']}")).status_code == 409
    own = (await client.get(f"/api/mall/products/{product['id']}", headers=supplier)).json()
    assert own["status"] == "supplier_suspended"
    # A barred supplier neither lists nor changes prices.
    assert (await client.post("/api/mall/products", headers=supplier, json=_body(mall))).status_code == 403
    assert (await client.put(f"/api/mall/products/{product['id']}/price", headers=supplier, json={"price": "4000.00"})).status_code == 403

    # The platform is down over the end: the products come back at the end by the query itself...
    clock.advance(timedelta(days=7, seconds=1))
    assert await _listed(client, product["id"])
    # ...and the first sweep afterwards marks the sanction expired, once.
    report = await sweep(platform, build_registry())
    assert report is not None
    watcher = await bearer(client, await users.make(Role.supervisor))  # the earlier logins have expired
    sanctions = (await client.get("/api/mall/sanctions", headers=watcher)).json()
    assert [s["status"] for s in sanctions] == ["expired"]
    await sweep(platform, build_registry())
    entries = (await client.get("/api/audit/entries", headers=watcher, params={"action": "mall.sanction_expired"})).json()
    assert entries["total"] == 1


async def test_lifting_a_permanent_sanction_restores_the_products_at_once(client, users) -> None:
    mall = await build_mall(client, users)
    user, supplier = await mall.supplier()
    product = await mall.product(supplier)
    imposed = (await client.post("/api/mall/sanctions", headers=mall.operator, json={
        "organisation_id": user.organisation_id, "kind": "delist", "reason": "严重违约，清退",
    })).json()
    assert imposed["ends_at"] is None
    assert not await _listed(client, product["id"])
    assert (await client.post(f"/api/mall/sanctions/{imposed['id']}/lift", headers=mall.supervisor, json={"reason": "复核撤销"})).status_code == 403
    lifted = await client.post(f"/api/mall/sanctions/{imposed['id']}/lift", headers=mall.operator, json={"reason": "行政复议撤销"})
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["status"] == "lifted"
    assert await _listed(client, product["id"])
    again = await client.post(f"/api/mall/sanctions/{imposed['id']}/lift", headers=mall.operator, json={"reason": "再次撤销"})
    assert again.status_code == 409


async def test_a_blacklisted_supplier_disappears_from_sale_and_comes_back_when_the_entry_ends(client, users, platform, clock) -> None:
    mall = await build_mall(client, users)
    user, supplier = await mall.supplier()
    product = await mall.product(supplier)
    uscc = await uscc_of(platform, user.organisation_id)
    await in_force(client, mall.operator, mall.supervisor, uscc, starts_on="2026-01-01", ends_on="2026-01-10")
    assert not await _listed(client, product["id"])
    listing = await client.post("/api/mall/products", headers=supplier, json=_body(mall))
    assert listing.status_code == 403
    assert "blacklist" in listing.json()["detail"]
    clock.advance(timedelta(days=6))  # 2026-01-11 in Beijing: the entry's last day has passed
    assert await _listed(client, product["id"])
    supplier = await bearer(client, user)  # the earlier login has expired
    assert (await client.post("/api/mall/products", headers=supplier, json=_body(mall))).status_code == 201


def _body(mall):
    from tests.mall.mall_testlib import product_body

    return product_body(mall)
