"""The pool over the API: masking per role, filters, the expert's own profile, roles refused."""

from __future__ import annotations

from sqlalchemy import select

from expert_pool.models import Expert
from procurement.audit.models import AuditEntry
from procurement.identity.models import Role
from procurement.identity.uscc import make_uscc
from tests.conftest import bearer
from tests.experts.pool_testlib import add_specialties, csv_of, person, row

MASKED_1 = person(1)[:6] + "********" + person(1)[14:]


async def _pool(client, users):
    """Two experts linked to expert accounts, one unlinked; the operator's headers and the two experts."""
    operator = await bearer(client, await users.make(Role.operator))
    await add_specialties(client, operator)
    first, second = await users.make(Role.expert), await users.make(Role.expert)
    raw = csv_of(
        row(1, username=first.username),
        row(2, username=second.username, specialties="B03", region="460200"),
        row(3, status="retired"),
    )
    response = await client.post("/api/experts/imports", headers=operator, content=raw)
    assert response.status_code == 200, response.text
    return operator, first, second


async def test_ids_are_masked_except_for_supervisors(client, users) -> None:
    operator, _, _ = await _pool(client, users)
    supervisor = await bearer(client, await users.make(Role.supervisor))
    listed = await client.get("/api/experts", headers=operator)
    assert listed.status_code == 200
    assert listed.json()[0]["national_id"] == MASKED_1
    assert all("********" in e["national_id"] for e in listed.json())
    one = await client.get(f"/api/experts/{listed.json()[0]['id']}", headers=operator)
    assert one.json()["national_id"] == MASKED_1
    assert person(1) not in (await client.get("/api/experts.csv", headers=operator)).text
    whole = await client.get("/api/experts", headers=supervisor)
    assert whole.json()[0]["national_id"] == person(1)
    assert person(1) in (await client.get("/api/experts.csv", headers=supervisor)).text
    assert (await client.get("/api/experts/999999", headers=supervisor)).status_code == 404


async def test_filters(client, users) -> None:
    operator, _, _ = await _pool(client, users)

    async def names(**params: str) -> list[str]:
        response = await client.get("/api/experts", headers=operator, params=params)
        assert response.status_code == 200, response.text
        return [e["name"] for e in response.json()]

    assert await names(specialty="A01") == ["专家1", "专家3"]  # the parent code finds its children
    assert await names(specialty="B03") == ["专家2"]
    assert await names(region="460200") == ["专家2"]
    assert await names(status="retired") == ["专家3"]
    assert (await client.get("/api/experts", headers=operator, params={"status": "asleep"})).status_code == 422


async def test_specialty_codes_need_their_parent(client, users) -> None:
    operator = await bearer(client, await users.make(Role.operator))
    orphan = await client.post("/api/experts/specialties", headers=operator, json={"code": "C01.01", "name": "孤儿"})
    assert orphan.status_code == 422 and orphan.json()["errors"][0]["field"] == "body.code"
    await add_specialties(client, operator)
    again = await client.post("/api/experts/specialties", headers=operator, json={"code": "A01", "name": "重复"})
    assert again.status_code == 409
    listed = await client.get("/api/experts/specialties", headers=await bearer(client, await users.make(Role.supplier)))
    assert [(s["code"], s["parent_code"]) for s in listed.json()] == [("A01", None), ("A01.02", "A01"), ("B03", None)]
    purchaser = await bearer(client, await users.make(Role.purchaser))
    refused = await client.post("/api/experts/specialties", headers=purchaser, json={"code": "D01", "name": "不许"})
    assert refused.status_code == 403


async def test_an_expert_keeps_their_own_profile_current_and_it_is_audited(client, users, platform) -> None:
    _, first, second = await _pool(client, users)
    me = await bearer(client, first)
    mine = await client.get("/api/experts/me", headers=me)
    assert mine.status_code == 200 and mine.json()["national_id"] == person(1)  # the expert sees their own ID whole
    body = {
        "phone": "13900001111",
        "relationships": [{"kind": "shareholding", "organisation_uscc": make_uscc("91460100MA5T00009"), "from_date": "2024-01-01"}],
        "unavailable": [{"from_date": "2027-01-10", "to_date": "2027-01-20", "reason": "手术"}],
    }
    updated = await client.put("/api/experts/me", headers=me, json=body)
    assert updated.status_code == 200, updated.text
    assert updated.json()["phone"] == "13900001111"
    assert [r["kind"] for r in updated.json()["relationships"]] == ["shareholding"]
    assert updated.json()["unavailable"][0]["reason"] == "手术"
    async with platform.db.transaction() as session:
        entry = (await session.execute(select(AuditEntry).where(AuditEntry.action == "expert.profile_updated"))).scalar_one()
        expert = (await session.execute(select(Expert).where(Expert.user_id == first.user_id))).scalar_one()
        other = (await session.execute(select(Expert).where(Expert.user_id == second.user_id))).scalar_one()
        assert entry.subject_id == str(expert.id)
        assert other.phone == "13800000002"  # the other expert's profile is untouched

    # A bad organisation code is refused by field, and nothing changes.
    bad = {**body, "phone": "13700000000", "relationships": [{"kind": "employer", "organisation_uscc": "91460100MA5T00009X"}]}
    refused = await client.put("/api/experts/me", headers=me, json=bad)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.relationships[0].organisation_uscc"
    assert (await client.get("/api/experts/me", headers=me)).json()["phone"] == "13900001111"

    # The other expert sees and edits only their own profile; an expert has no way to name another.
    theirs = await client.get("/api/experts/me", headers=await bearer(client, second))
    assert theirs.json()["national_id"] == person(2) and theirs.json()["phone"] == "13800000002"
    assert (await client.get(f"/api/experts/{expert.id}", headers=me)).status_code == 403
    unlinked = await bearer(client, await users.make(Role.expert))
    assert (await client.put("/api/experts/me", headers=unlinked, json=body)).status_code == 404


async def test_roles_without_access_are_refused(client, users) -> None:
    await _pool(client, users)
    for role in (Role.supplier, Role.purchaser, Role.agency, Role.expert):
        headers = await bearer(client, await users.make(role))
        assert (await client.get("/api/experts", headers=headers)).status_code == 403, role
        assert (await client.get("/api/experts.csv", headers=headers)).status_code == 403, role
    for role in (Role.operator, Role.supervisor, Role.supplier):
        headers = await bearer(client, await users.make(role))
        assert (await client.put("/api/experts/me", headers=headers, json={"phone": "13800000000"})).status_code == 403, role
    assert (await client.get("/api/experts")).status_code == 401
