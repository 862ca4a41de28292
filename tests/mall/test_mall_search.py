"""The public catalogue: Chinese keywords, filters, sorting, stable keyset pages, compare."""

from __future__ import annotations

from tests.mall.mall_testlib import build_mall


async def _ids(client, **params) -> list[int]:
    response = await client.get("/api/mall/products", params=params)
    assert response.status_code == 200, response.text
    return [p["id"] for p in response.json()["items"]]


async def test_search_by_chinese_keyword_filters_and_sorts(client, users) -> None:
    mall = await build_mall(client, users)
    _, first = await mall.supplier("computers")
    second_user, second = await mall.supplier("office")
    desktop = await mall.product(first, name="联想 启天M430 台式计算机", price="4299.00", delivery_regions=["海口市"])
    laptop = await mall.product(first, name="华为 MateBook 14 笔记本电脑", brand="华为", model="MateBook 14", category_id=mall.categories["laptops"],
                                price="5999.00", ceiling="6500.00", specifications={"屏幕": "14英寸", "内存": "16GB"}, delivery_regions=["三亚市"])
    chair = await mall.product(second, name="人体工学办公椅", brand="西昊", model="M57", category_id=mall.categories["furniture"],
                               price="899.00", ceiling="1000.00", specifications={"材质": "网布"}, delivery_regions=["海口市"])
    assert await _ids(client, keyword="台式") == [desktop["id"]]
    assert await _ids(client, keyword="matebook") == [laptop["id"]], "Latin letters match in any case"
    assert await _ids(client, keyword="14英寸") == [laptop["id"]], "attributes are searched"
    assert set(await _ids(client, keyword="16gb")) == {desktop["id"], laptop["id"]}
    assert await _ids(client, keyword="16GB 华为") == [laptop["id"]], "every word must match"
    assert await _ids(client, keyword="100%") == []
    assert set(await _ids(client, category_id=mall.categories["computers"])) == {desktop["id"], laptop["id"]}, "sub-categories included"
    assert await _ids(client, brand="西昊") == [chair["id"]]
    assert await _ids(client, region="三亚市") == [laptop["id"]]
    assert await _ids(client, supplier_id=second_user.organisation_id) == [chair["id"]]
    assert await _ids(client, price_min="900", price_max="5000") == [desktop["id"]]
    assert await _ids(client, sort="price_asc") == [chair["id"], desktop["id"], laptop["id"]]
    assert await _ids(client, sort="price_desc") == [laptop["id"], desktop["id"], chair["id"]]
    assert await _ids(client, sort="newest") == [chair["id"], laptop["id"], desktop["id"]]
    bad = await client.get("/api/mall/products", params={"sort": "random"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.sort"


async def test_pages_are_stable_while_products_are_added(client, users) -> None:
    mall = await build_mall(client, users)
    _, supplier = await mall.supplier()
    made = [await mall.product(supplier, name=f"台式机{i}", price=f"{1000 + (i % 3) * 100}.00") for i in range(7)]
    seen: list[int] = []
    cursor = None
    while True:
        params = {"sort": "price_asc", "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/mall/products", params=params)).json()
        seen += [p["id"] for p in page["items"]]
        if len(seen) == 3:  # a cheaper product listed between pages does not shift the next ones
            await mall.product(supplier, name="新上架", price="500.00")
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(p["id"] for p in made)
    assert len(seen) == len(set(seen))
    forged = await client.get("/api/mall/products", params={"sort": "sales", "cursor": page_cursor_for_other_sort()})
    assert forged.status_code == 422


def page_cursor_for_other_sort() -> str:
    import base64

    return base64.urlsafe_b64encode(b"price_asc:1000:1").decode()


async def test_compare_up_to_four_and_refuse_a_fifth(client, users) -> None:
    mall = await build_mall(client, users)
    _, supplier = await mall.supplier()
    ids = [(await mall.product(supplier, name=f"台式机{i}", specifications={"内存": f"{8 * (i + 1)}GB"}))["id"] for i in range(5)]
    four = await client.get("/api/mall/compare", params={"ids": ",".join(map(str, ids[:4]))})
    assert four.status_code == 200
    assert [p["specifications"]["内存"] for p in four.json()] == ["8GB", "16GB", "24GB", "32GB"]
    five = await client.get("/api/mall/compare", params={"ids": ",".join(map(str, ids))})
    assert five.status_code == 422
    assert five.json()["errors"][0]["field"] == "query.ids" and "4" in five.json()["errors"][0]["message"]
    page = await client.get("/mall/compare", params=[("ids", str(i)) for i in ids[:2]])
    assert page.status_code == 200 and "16GB" in page.text
    refused_page = await client.get("/mall/compare", params=[("ids", str(i)) for i in ids])
    assert refused_page.status_code == 422


async def test_the_catalogue_and_product_pages_render(client, users) -> None:
    mall = await build_mall(client, users)
    _, supplier = await mall.supplier()
    product = await mall.product(supplier)
    await client.put(f"/api/mall/products/{product['id']}/price", headers=supplier, json={"price": "4199.00", "reason": "促销"})
    listing = await client.get("/mall", params={"keyword": "启天"})
    assert listing.status_code == 200 and "联想 启天M430" in listing.text
    page = await client.get(f"/mall/products/{product['id']}")
    assert page.status_code == 200
    assert "<svg" in page.text and "4,199.00" in page.text
