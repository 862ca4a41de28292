"""A small mall through the API: a category tree, an agreement, approved suppliers, products."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from procurement.identity.models import Role
from tests.conftest import TestUser, bearer

LICENCE = "营业执照（测试）".encode()


@dataclass
class Mall:
    client: Any
    users: Any
    operator: dict[str, str]
    supervisor: dict[str, str]
    categories: dict[str, int]
    agreement_id: int
    suppliers: list[tuple[TestUser, dict[str, str]]] = field(default_factory=list)

    async def supplier(self, *codes: str) -> tuple[TestUser, dict[str, str]]:
        """A supplier approved under the agreement for these categories (default: the computers)."""
        user = await self.users.make(Role.supplier)
        headers = await bearer(self.client, user)
        ids = [self.categories[c] for c in (codes or ("computers",))]
        applied = await self.client.post("/api/mall/applications", headers=headers, json={"agreement_id": self.agreement_id, "category_ids": ids})
        assert applied.status_code == 201, applied.text
        application_id = applied.json()["id"]
        attached = await self.client.post(
            f"/api/mall/applications/{application_id}/documents", params={"name": "营业执照.pdf"},
            headers={**headers, "Content-Type": "application/pdf"}, content=LICENCE,
        )
        assert attached.status_code == 201, attached.text
        decided = await self.client.post(
            f"/api/mall/applications/{application_id}/decision", headers=self.operator, json={"approve": True, "reason": "材料齐全"}
        )
        assert decided.status_code == 200, decided.text
        self.suppliers.append((user, headers))
        return user, headers

    async def product(self, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
        response = await self.client.post("/api/mall/products", headers=headers, json=product_body(self, **overrides))
        assert response.status_code == 201, response.text
        return response.json()

    async def reference(self, product_id: int, price: str, source: str = "jd", observed_on: str = "2026-01-04") -> None:
        response = await self.client.post(
            f"/api/mall/products/{product_id}/references", headers=self.operator,
            json={"source": source, "url": f"https://example.com/{source}/{product_id}", "price": price, "observed_on": observed_on},
        )
        assert response.status_code == 201, response.text


def product_body(mall: Mall, **overrides: Any) -> dict[str, Any]:
    return {
        "agreement_id": mall.agreement_id, "category_id": mall.categories["desktops"], "name": "联想 启天M430 台式计算机",
        "brand": "联想", "model": "启天M430", "specifications": {"CPU": "Intel i5-12500", "内存": "16GB"}, "stock": 10,
        "delivery_regions": ["海口市", "三亚市"], "lead_time_days": 3, "price": "4299.00", "ceiling": "4500.00", **overrides,
    }


async def build_mall(client: Any, users: Any) -> Mall:
    operator = await bearer(client, await users.make(Role.operator))
    supervisor = await bearer(client, await users.make(Role.supervisor))
    categories: dict[str, int] = {}
    for code, name, parent in (("office", "办公设备", None), ("computers", "计算机", "office"), ("desktops", "台式计算机", "computers"),
                               ("laptops", "便携式计算机", "computers"), ("furniture", "办公家具", "office")):
        response = await client.post(
            "/api/mall/categories", headers=operator, json={"code": code, "name": name, "parent_id": categories.get(parent) if parent else None}
        )
        assert response.status_code == 201, response.text
        categories[code] = response.json()["id"]
    agreement = await client.post("/api/mall/agreements", headers=operator, json={
        "number": "HK-KJ-2026-001", "title": "2026年度计算机设备框架协议", "region": "海口市", "valid_from": "2026-01-01",
        "valid_until": "2026-12-31", "category_ids": [categories["office"]],
    })
    assert agreement.status_code == 201, agreement.text
    return Mall(client, users, operator, supervisor, categories, agreement.json()["id"])
