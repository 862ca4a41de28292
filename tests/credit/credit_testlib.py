"""Blacklist entries through the API: proposed by an operator, approved by a supervisor."""

from __future__ import annotations

from typing import Any

from procurement.identity.models import Role
from tests.conftest import bearer

DECISION = "处罚决定书（测试）".encode()


def entry_body(uscc: str, **overrides: Any) -> dict[str, Any]:
    return {
        "uscc": uscc, "organisation_name": "海南测试失信有限公司", "address": "海口市测试路 1 号", "conduct": "提供虚假材料谋取中标",
        "penalty": "三年内禁止参加政府采购活动", "legal_basis": "政府采购法 第七十七条", "authority": "海口市财政局",
        "starts_on": "2026-01-01", "ends_on": "2028-12-31", **overrides,
    }


async def staff(client, users) -> tuple[dict[str, str], dict[str, str]]:
    """Bearer headers of an operator and of a supervisor (two people)."""
    return await bearer(client, await users.make(Role.operator)), await bearer(client, await users.make(Role.supervisor))


async def proposed(client, operator: dict[str, str], uscc: str, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/api/credit/entries", headers=operator, json=entry_body(uscc, **overrides))
    assert response.status_code == 201, response.text
    attached = await client.post(
        f"/api/credit/entries/{response.json()['id']}/decision-document", headers={**operator, "Content-Type": "application/pdf"}, content=DECISION
    )
    assert attached.status_code == 200, attached.text
    return attached.json()


async def in_force(client, operator: dict[str, str], supervisor: dict[str, str], uscc: str, **overrides: Any) -> dict[str, Any]:
    entry = await proposed(client, operator, uscc, **overrides)
    approved = await client.post(f"/api/credit/entries/{entry['id']}/approve", headers=supervisor)
    assert approved.status_code == 200, approved.text
    return approved.json()


async def uscc_of(platform, organisation_id: int) -> str:
    from procurement.identity.models import Organisation

    async with platform.db.transaction(write=False) as session:
        return (await session.get(Organisation, organisation_id)).uscc  # type: ignore[union-attr]


def today_iso(clock) -> str:
    from procurement.clock import to_display

    return to_display(clock.now()).date().isoformat()


