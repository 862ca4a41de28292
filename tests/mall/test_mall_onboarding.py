"""Onboarding and who may do what with products: approved suppliers only, their own products only."""

from __future__ import annotations

from procurement.identity.models import Role
from tests.conftest import bearer
from tests.mall.mall_testlib import LICENCE, build_mall, product_body


async def test_only_an_approved_supplier_lists_and_only_in_its_categories(client, users) -> None:
    mall = await build_mall(client, users)
    user = await users.make(Role.supplier)
    supplier = await bearer(client, user)
    body = product_body(mall)
    assert (await client.post("/api/mall/products", headers=supplier, json=body)).status_code == 403, "not onboarded"
    applied = await client.post("/api/mall/applications", headers=supplier, json={
        "agreement_id": mall.agreement_id, "category_ids": [mall.categories["computers"]], "statement": "联想授权经销商"})
    assert applied.status_code == 201, applied.text
    application = applied.json()
    assert (await client.post("/api/mall/applications", headers=supplier, json={
        "agreement_id": mall.agreement_id, "category_ids": [mall.categories["computers"]]})).status_code == 409
    # No documents yet: cannot be approved.
    early = await client.post(f"/api/mall/applications/{application['id']}/decision", headers=mall.operator, json={"approve": True, "reason": "同意"})
    assert early.status_code == 409
    other = await bearer(client, await users.make(Role.supplier))
    stolen = await client.post(f"/api/mall/applications/{application['id']}/documents", params={"name": "x.pdf"},
                               headers={**other, "Content-Type": "application/pdf"}, content=LICENCE)
    assert stolen.status_code == 404
    attached = await client.post(f"/api/mall/applications/{application['id']}/documents", params={"name": "营业执照.pdf"},
                                 headers={**supplier, "Content-Type": "application/pdf"}, content=LICENCE)
    assert attached.status_code == 201
    assert (await client.post(f"/api/mall/applications/{application['id']}/decision", headers=supplier, json={"approve": True, "reason": "自批"})).status_code == 403
    assert (await client.post("/api/mall/products", headers=supplier, json=body)).status_code == 403, "still waiting"
    rejected = await client.post(f"/api/mall/applications/{application['id']}/decision", headers=mall.operator, json={"approve": False, "reason": "资质不全"})
    assert rejected.json()["status"] == "rejected"
    again = await client.post("/api/mall/applications", headers=supplier, json={"agreement_id": mall.agreement_id, "category_ids": [mall.categories["computers"]]})
    assert again.status_code == 201 and again.json()["status"] == "applied"
    approved = await client.post(f"/api/mall/applications/{application['id']}/decision", headers=mall.operator, json={"approve": True, "reason": "补齐材料"})
    assert approved.status_code == 200
    assert (await client.post("/api/mall/products", headers=supplier, json=body)).status_code == 201, "a sub-category of an approved one"
    furniture = await client.post("/api/mall/products", headers=supplier, json={**body, "category_id": mall.categories["furniture"]})
    assert furniture.status_code == 403, "a category it was not approved for"
    mine = (await client.get("/api/mall/applications", headers=supplier)).json()
    assert [a["id"] for a in mine] == [application["id"]]
    entries = (await client.get("/api/audit/entries", headers=mall.supervisor, params={"subject_type": "mall_application"})).json()
    assert {e["action"] for e in entries["entries"]} >= {"mall.onboarding_applied", "mall.onboarding_rejected", "mall.onboarding_approved"}


async def test_a_supplier_changes_only_its_own_products_and_other_roles_none(client, users) -> None:
    mall = await build_mall(client, users)
    _, owner = await mall.supplier()
    _, rival = await mall.supplier()
    product = await mall.product(owner)
    pid = product["id"]
    for attempt in (
        client.put(f"/api/mall/products/{pid}/price", headers=rival, json={"price": "1.00"}),
        client.patch(f"/api/mall/products/{pid}", headers=rival, json={"stock": 0}),
        client.post(f"/api/mall/products/{pid}/listing", headers=rival, json={"on_sale": False}),
        client.post(f"/api/mall/products/{pid}/files", params={"name": "x.png"}, headers={**rival, "Content-Type": "image/png"}, content=b"\x89PNG"),
    ):
        assert (await attempt).status_code == 404
    for role in (Role.purchaser, Role.expert, Role.agency, Role.supervisor):
        headers = await bearer(client, await users.make(role))
        assert (await client.put(f"/api/mall/products/{pid}/price", headers=headers, json={"price": "1.00"})).status_code == 403
        assert (await client.post("/api/mall/products", headers=headers, json=product_body(mall))).status_code == 403
        assert (await client.post(f"/api/mall/products/{pid}/references", headers=headers, json={
            "source": "jd", "url": "https://item.jd.com/1.html", "price": "1.00", "observed_on": "2026-01-04"})).status_code == 403
    unchanged = (await client.get(f"/api/mall/products/{pid}")).json()
    assert unchanged["price"] == "4299.00" and unchanged["stock"] == 10
    # The owner uploads an image; anyone sees it with the product.
    image = await client.post(f"/api/mall/products/{pid}/files", params={"name": "正面.png"}, headers={**owner, "Content-Type": "image/png"}, content=b"\x89PNG-test")
    assert image.status_code == 201, image.text
    downloaded = await client.get(f"/api/mall/files/{image.json()['id']}")
    assert downloaded.status_code == 200 and downloaded.content == b"\x89PNG-test"
    assert downloaded.headers["etag"] == f'"{image.json()["sha256"]}"'
    not_image = await client.post(f"/api/mall/products/{pid}/files", params={"name": "x.exe"}, headers={**owner, "Content-Type": "application/x-msdownload"}, content=b"MZ")
    assert not_image.status_code == 422
    # The operator delists; the owner offers it again.
    delisted = await client.post(f"/api/mall/products/{pid}/listing", headers=mall.operator, json={"on_sale": False, "reason": "巡检下架"})
    assert delisted.json()["status"] == "delisted"
    assert (await client.get(f"/api/mall/products/{pid}")).status_code == 409
    relisted = await client.post(f"/api/mall/products/{pid}/listing", headers=owner, json={"on_sale": True, "reason": "整改完成"})
    assert relisted.json()["status"] == "on_sale"


async def test_reference_prices_import_all_or_nothing(client, users) -> None:
    mall = await build_mall(client, users)
    _, supplier = await mall.supplier()
    product = await mall.product(supplier, price="4000.00")
    good = f"product_id,source,url,price,observed_on\r\n{product['id']},jd,https://item.jd.com/1.html,3900.00,2026-01-03\r\n"
    bad = good + "999999,taobao,ftp://x,abc,2026-13-01\r\n"
    refused = await client.post("/api/mall/reference-imports", headers=mall.operator, content=bad.encode())
    assert refused.status_code == 422
    fields = {e["field"] for e in refused.json()["errors"]}
    assert {"row[3].product_id", "row[3].source", "row[3].url", "row[3].price", "row[3].observed_on"} <= fields
    assert (await client.get(f"/api/mall/products/{product['id']}/references")).json() == []
    assert (await client.post("/api/mall/reference-imports", headers=supplier, content=good.encode())).status_code == 403
    imported = await client.post("/api/mall/reference-imports", headers=mall.operator, content=good.encode())
    assert imported.status_code == 201, imported.text
    assert imported.json()["created"] == 1
    assert (await client.get(f"/api/mall/products/{product['id']}")).json()["reference_average"] == "3900.00"


async def test_the_staff_and_supplier_pages_render(client, users) -> None:
    mall = await build_mall(client, users)
    _, supplier = await mall.supplier()
    product = await mall.product(supplier)
    onboarding_page = await client.get("/mall/onboarding", headers=mall.supervisor)
    assert onboarding_page.status_code == 200 and "营业执照.pdf" in onboarding_page.text
    assert "decision" not in onboarding_page.text, "supervisors read; they get no decision buttons"
    monitoring_page = await client.get("/mall/monitoring", headers=mall.operator)
    assert monitoring_page.status_code == 200 and 'action="/mall/sanctions"' in monitoring_page.text
    mine = await client.get("/mall/my", headers=supplier)
    assert mine.status_code == 200 and f'id="product-{product["id"]}"' in mine.text


async def test_an_operator_imposes_a_sanction_from_the_page_through_the_last_day(client, users) -> None:
    mall = await build_mall(client, users)
    user, _ = await mall.supplier()
    form = {"organisation_id": str(user.organisation_id), "kind": "freeze", "reason": "巡检冻结", "ends_on": "2026-01-31"}
    done = await client.post("/mall/sanctions", headers=mall.operator, data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    sanction = (await client.get("/api/mall/sanctions", headers=mall.operator)).json()[0]
    assert sanction["ends_at"].startswith("2026-01-31T16:00:00"), "midnight Beijing after the last day, in UTC"
    refused = await client.post("/mall/sanctions", headers=mall.operator, data={**form, "ends_on": "31/01/2026"})
    assert refused.status_code == 400 and 'href="#ends_on"' in refused.text
