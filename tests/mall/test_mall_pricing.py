"""Price control: the agreed ceiling, the e-commerce reference ratio with the operator's review, price history."""

from __future__ import annotations

from procurement.identity.models import Role
from tests.conftest import bearer
from tests.mall.mall_testlib import build_mall


async def test_a_price_above_the_ceiling_is_refused_naming_the_field_and_rule(client, users) -> None:
    mall = await build_mall(client, users)
    _, supplier = await mall.supplier()
    listing = await client.post("/api/mall/products", headers=supplier, json={**_body(mall), "price": "4600.00"})
    assert listing.status_code == 422
    error = listing.json()["errors"][0]
    assert error["field"] == "body.price" and "ceiling" in error["message"]
    product = await mall.product(supplier)
    raised = await client.put(f"/api/mall/products/{product['id']}/price", headers=supplier, json={"price": "4500.01", "reason": "涨价"})
    assert raised.status_code == 422
    assert raised.json()["errors"][0]["field"] == "body.price"
    # Nothing changed: the price and its history are the listing's.
    history = (await client.get(f"/api/mall/products/{product['id']}/prices")).json()
    assert [h["new_price"] for h in history] == ["4299.00"]


async def test_a_price_far_above_the_e_commerce_average_waits_for_an_operator(client, users) -> None:
    mall = await build_mall(client, users)
    _, supplier = await mall.supplier()
    product = await mall.product(supplier, price="4000.00")
    # JD 3600, Tmall 3700 (latest), an older Tmall 5000 does not count: average 3650; ×1.10 = 4015.
    await mall.reference(product["id"], "5000.00", "tmall", "2025-12-01")
    await mall.reference(product["id"], "3600.00", "jd")
    await mall.reference(product["id"], "3700.00", "tmall")
    seen = (await client.get(f"/api/mall/products/{product['id']}", headers=supplier)).json()
    assert seen["reference_average"] == "3650.00" and seen["status"] == "on_sale"

    held = await client.put(f"/api/mall/products/{product['id']}/price", headers=supplier, json={"price": "4100.00", "reason": "成本上涨"})
    assert held.status_code == 200, held.text
    assert held.json()["status"] == "pending_review"
    assert (await client.get(f"/api/mall/products/{product['id']}")).status_code == 409, "held products are off sale for the public"
    assert product["id"] not in [p["id"] for p in (await client.get("/api/mall/products")).json()["items"]]

    queue = (await client.get("/api/mall/monitoring", headers=mall.supervisor)).json()["reviews"]
    assert [(r["product_id"], r["price"], r["reference_average"]) for r in queue] == [(product["id"], "4100.00", "3650.00")]
    # Only an operator decides; neither the supplier, a supervisor nor a purchaser.
    purchaser = await bearer(client, await users.make(Role.purchaser))
    for who in (supplier, mall.supervisor, purchaser):
        refused = await client.post(f"/api/mall/reviews/{queue[0]['id']}/decision", headers=who, json={"approve": True, "reason": "自己批准"})
        assert refused.status_code == 403
    approved = await client.post(f"/api/mall/reviews/{queue[0]['id']}/decision", headers=mall.operator, json={"approve": True, "reason": "新款配置更高"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "on_sale"
    assert (await client.get(f"/api/mall/products/{product['id']}")).status_code == 200


async def test_a_rejected_price_blocks_the_product_until_the_supplier_lowers_it(client, users) -> None:
    mall = await build_mall(client, users)
    _, supplier = await mall.supplier()
    product = await mall.product(supplier, price="4000.00")
    await mall.reference(product["id"], "3000.00")
    # The new reference makes the current price too high: held at once.
    assert (await client.get(f"/api/mall/products/{product['id']}", headers=supplier)).json()["status"] == "pending_review"
    review = (await client.get("/api/mall/monitoring", headers=mall.operator)).json()["reviews"][0]
    rejected = await client.post(f"/api/mall/reviews/{review['id']}/decision", headers=mall.operator, json={"approve": False, "reason": "明显高于电商价"})
    assert rejected.json()["status"] == "blocked_price"
    again = await client.post(f"/api/mall/reviews/{review['id']}/decision", headers=mall.operator, json={"approve": True, "reason": "改主意"})
    assert again.status_code == 409
    lowered = await client.put(f"/api/mall/products/{product['id']}/price", headers=supplier, json={"price": "3299.00", "reason": "调价"})
    assert lowered.json()["status"] == "on_sale"
    history = (await client.get(f"/api/mall/products/{product['id']}/prices")).json()
    assert [(h["old_price"], h["new_price"], h["outcome"]) for h in history] == [
        (None, "4000.00", "on_sale"), ("4000.00", "4000.00", "pending_review"), ("4000.00", "3299.00", "on_sale"),
    ]


async def test_every_price_change_is_kept_and_audited(client, users) -> None:
    mall = await build_mall(client, users)
    _, supplier = await mall.supplier()
    product = await mall.product(supplier)
    for price in ("4199.00", "4399.00"):
        response = await client.put(f"/api/mall/products/{product['id']}/price", headers=supplier, json={"price": price, "reason": "促销"})
        assert response.status_code == 200
    history = (await client.get(f"/api/mall/products/{product['id']}/prices")).json()
    assert [(h["old_price"], h["new_price"]) for h in history] == [(None, "4299.00"), ("4299.00", "4199.00"), ("4199.00", "4399.00")]
    params = {"subject_type": "mall_product", "subject_id": str(product["id"]), "action": "mall.price_changed"}
    entries = (await client.get("/api/audit/entries", headers=mall.supervisor, params=params)).json()
    assert entries["total"] == 2
    assert {e["details"]["new_fen"] for e in entries["entries"]} == {419900, 439900}


async def test_an_operator_lowering_the_ceiling_blocks_a_product_priced_above_it(client, users) -> None:
    mall = await build_mall(client, users)
    _, supplier = await mall.supplier()
    product = await mall.product(supplier)
    assert (await client.put(f"/api/mall/products/{product['id']}/ceiling", headers=supplier, json={"ceiling": "9999.00", "reason": "自定"})).status_code == 403
    lowered = await client.put(f"/api/mall/products/{product['id']}/ceiling", headers=mall.operator, json={"ceiling": "4000.00", "reason": "协议价格调整"})
    assert lowered.json()["status"] == "blocked_price"
    assert (await client.get(f"/api/mall/products/{product['id']}")).status_code == 409
    fixed = await client.put(f"/api/mall/products/{product['id']}/price", headers=supplier, json={"price": "3999.00", "reason": "按新限价"})
    assert fixed.json()["status"] == "on_sale"


async def test_monitoring_flags_a_price_jump_and_a_price_far_above_its_category(client, users) -> None:
    mall = await build_mall(client, users)
    _, supplier = await mall.supplier()
    cheap = [await mall.product(supplier, name=f"台式机{i}", price="1000.00", ceiling="9000.00") for i in range(3)]
    dear = await mall.product(supplier, name="高价台式机", price="8000.00", ceiling="9000.00")
    await client.put(f"/api/mall/products/{cheap[0]['id']}/price", headers=supplier, json={"price": "1600.00", "reason": "涨价"})
    anomalies = (await client.get("/api/mall/monitoring", headers=mall.supervisor)).json()["anomalies"]
    found = {(a["product_id"], a["rule"]) for a in anomalies}
    assert (cheap[0]["id"], "price_jump") in found
    assert (dear["id"], "category_median") in found
    assert (cheap[1]["id"], "category_median") not in found


def _body(mall):
    from tests.mall.mall_testlib import product_body

    return product_body(mall)
