"""Supervisors assigned to a tender: by their own supervising body, audited, and kept off the tender's committee."""

from __future__ import annotations

from sqlalchemy import select

from procurement.audit.models import AuditEntry
from procurement.identity.models import OrganisationKind, Role
from tests.conftest import bearer
from tests.experts.pool_testlib import csv_of, row
from tests.experts.test_draws_service import _body, _closed_tender_with_pool, _uscc


async def _actions(platform) -> list[str]:
    async with platform.db.transaction(write=False) as session:
        return list((await session.execute(select(AuditEntry.action).where(AuditEntry.action.startswith("supervision.supervisor_")))).scalars())


async def test_a_supervisor_assigned_to_a_tender_is_kept_off_its_committee(client, users, platform, clock) -> None:
    tender, _, operator = await _closed_tender_with_pool(client, users, platform, clock)
    body = await users.organisation(OrganisationKind.supervisor_body, "海口市公共资源交易监督管理局")
    watcher = await users.make(Role.supervisor, organisation_id=body)
    colleague = await bearer(client, await users.make(Role.supervisor, organisation_id=body))
    elsewhere = await bearer(client, await users.make(Role.supervisor, kind=OrganisationKind.supervisor_body))
    # 专家10 is on the body's staff (and in the pool); 专家11 worked there years ago.
    staff, former = row(10, employer_uscc=await _uscc(platform, body)), row(11, relationships=f"employer|{await _uscc(platform, body)}|2010-01-01|2015-06-30")
    imported = await client.post("/api/experts/imports", headers=operator, content=csv_of(staff, former))
    assert imported.status_code == 200, imported.text
    url = f"/api/tenders/{tender.id}/supervisors"

    # Only supervisors, and only their own body's active supervisors.
    assert (await client.post(url, headers=tender.owner, json={"user_id": watcher.user_id})).status_code == 403
    foreign = await client.post(url, headers=elsewhere, json={"user_id": watcher.user_id})
    assert foreign.status_code == 422 and foreign.json()["errors"][0]["field"] == "body.user_id", foreign.text
    not_a_supervisor = await client.post(url, headers=colleague, json={"user_id": tender.purchaser.user_id})
    assert not_a_supervisor.status_code == 422, not_a_supervisor.text
    assigned = await client.post(url, headers=colleague, json={"user_id": watcher.user_id})
    assert assigned.status_code == 201, assigned.text
    assert [s["username"] for s in assigned.json()] == [watcher.username]
    assert (await client.post(url, headers=colleague, json={"user_id": watcher.user_id})).status_code == 409
    assert (await client.get(url, headers=tender.owner)).status_code == 403

    # The draw keeps the supervising body's staff off the committee, naming why [实施条例 第四十六条].
    made = await client.post(f"/api/tenders/{tender.id}/draws", headers=tender.owner, json=_body(clock))
    assert made.status_code == 201, made.text
    full = (await client.get(f"/api/draws/{made.json()['id']}", headers=colleague)).json()
    excluded = {x["name"]: [r["code"] for r in x["reasons"]] for x in full["excluded"]}
    assert excluded["专家10"] == ["project_supervisor"] and "专家11" not in excluded
    assert "专家10" not in {d["name"] for d in full["committee"] + full["reserve_list"]}

    # Withdrawn only by the same body; both changes audited.
    assert (await client.delete(f"{url}/{watcher.user_id}", headers=elsewhere)).status_code == 403
    assert (await client.delete(f"{url}/{watcher.user_id}", headers=colleague)).status_code == 204
    assert (await client.get(url, headers=colleague)).json() == []
    assert (await client.delete(f"{url}/{watcher.user_id}", headers=colleague)).status_code == 404
    assert await _actions(platform) == ["supervision.supervisor_assigned", "supervision.supervisor_withdrawn"]
