"""The blacklist's life: two people, every step audited, expiry by the scheduler, the public list."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from procurement.actor import Actor
from procurement.audit.models import AuditEntry
from procurement.credit import workflow
from procurement.credit.models import BlacklistEntry
from procurement.errors import Forbidden
from procurement.identity.models import OrganisationKind, Role
from procurement.identity.uscc import make_uscc
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from tests.conftest import bearer
from tests.credit.credit_testlib import entry_body, in_force, proposed, staff

USCC = make_uscc("91460100MA5TEXT01")


async def _actions(platform, entry_id: int) -> list[str]:
    async with platform.db.transaction(write=False) as session:
        query = select(AuditEntry.action).where(AuditEntry.subject_type == "credit_entry", AuditEntry.subject_id == str(entry_id))
        return list((await session.execute(query.order_by(AuditEntry.seq))).scalars())


async def _status(platform, entry_id: int) -> str:
    async with platform.db.transaction(write=False) as session:
        return (await session.get(BlacklistEntry, entry_id)).status  # type: ignore[union-attr]


async def test_two_people_propose_then_approve_and_every_step_is_audited(client, users, platform) -> None:
    operator, supervisor = await staff(client, users)
    entry = await proposed(client, operator, USCC)
    assert entry["status"] == "proposed" and len(entry["decision_sha256"]) == 64
    # Organisations keep the roles apart, so the service holds the rule on its own: the
    # proposer, even holding the supervisor role, cannot approve.
    proposer = Actor(user_id=entry["proposed_by"], username="x", organisation_id=1, organisation_kind="operator",
                     roles=frozenset({Role.operator, Role.supervisor}))
    async with platform.db.transaction() as session:
        with pytest.raises(Forbidden, match="two people"):
            await workflow.approve(session, platform, proposer, entry["id"])
        with pytest.raises(Forbidden, match="two people"):
            await workflow.reject(session, platform, proposer, entry["id"], "自己驳回自己的提议")
    assert await _status(platform, entry["id"]) == "proposed"
    approved = await client.post(f"/api/credit/entries/{entry['id']}/approve", headers=supervisor)
    assert approved.status_code == 200 and approved.json()["status"] == "in_force"
    assert approved.json()["approved_by"] != entry["proposed_by"]
    lifted = await client.post(f"/api/credit/entries/{entry['id']}/lift", headers=supervisor, json={"reason": "行政复议撤销原决定"})
    assert lifted.status_code == 200 and lifted.json()["status"] == "lifted"
    assert await _actions(platform, entry["id"]) == [
        "credit.entry_proposed", "credit.decision_attached", "credit.entry_approved", "credit.entry_lifted",
    ]


async def test_roles_that_must_not_decide(client, users, platform) -> None:
    operator, supervisor = await staff(client, users)
    entry = await proposed(client, operator, USCC)
    for role in (Role.operator, Role.supplier, Role.purchaser, Role.agency, Role.admin):
        headers = await bearer(client, await users.make(role))
        assert (await client.post(f"/api/credit/entries/{entry['id']}/approve", headers=headers)).status_code == 403, role
    assert (await client.post(f"/api/credit/entries/{entry['id']}/approve")).status_code == 401
    for role in (Role.supervisor, Role.supplier):  # only operators propose
        headers = await bearer(client, await users.make(role))
        assert (await client.post("/api/credit/entries", headers=headers, json=entry_body(USCC))).status_code == 403, role
    assert await _status(platform, entry["id"]) == "proposed"
    approved = await client.post(f"/api/credit/entries/{entry['id']}/approve", headers=supervisor)
    assert approved.status_code == 200
    # An operator cannot lift, and a supervisor only with a reason.
    assert (await client.post(f"/api/credit/entries/{entry['id']}/lift", headers=operator, json={"reason": "理由足够长的"})).status_code == 403
    no_reason = await client.post(f"/api/credit/entries/{entry['id']}/lift", headers=supervisor, json={"reason": "   "})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"].endswith("reason")
    assert await _status(platform, entry["id"]) == "in_force"


async def test_approval_needs_the_decision_document_and_rejection_a_reason(client, users, platform) -> None:
    operator, supervisor = await staff(client, users)
    bare = (await client.post("/api/credit/entries", headers=operator, json=entry_body(USCC))).json()
    refused = await client.post(f"/api/credit/entries/{bare['id']}/approve", headers=supervisor)
    assert refused.status_code == 409 and "decision document" in refused.json()["detail"]
    rejected = await client.post(f"/api/credit/entries/{bare['id']}/reject", headers=supervisor, json={"reason": "证据不足，退回补正"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert (await client.post(f"/api/credit/entries/{bare['id']}/approve", headers=supervisor)).status_code == 409
    assert await _actions(platform, bare["id"]) == ["credit.entry_proposed", "credit.entry_rejected"]


async def test_invalid_proposals_name_the_field_and_change_nothing(client, users, platform) -> None:
    operator, _ = await staff(client, users)
    cases = {
        "body.uscc": entry_body(USCC[:-1] + ("0" if USCC[-1] != "0" else "1")),
        "body.ends_on": entry_body(USCC, ends_on=None),
    }
    cases["body.ends_on "] = entry_body(USCC, starts_on="2027-01-01", ends_on="2026-01-01")
    for field, body in cases.items():
        response = await client.post("/api/credit/entries", headers=operator, json=body)
        assert response.status_code == 422, body
        assert field.strip() in [e["field"] for e in response.json()["errors"]]
    async with platform.db.transaction(write=False) as session:
        assert (await session.execute(select(BlacklistEntry))).first() is None
    permanent = await client.post("/api/credit/entries", headers=operator, json=entry_body(USCC, ends_on=None, permanent=True))
    assert permanent.status_code == 201 and permanent.json()["ends_on"] is None


async def test_an_entry_expires_by_itself_at_the_end_of_its_last_beijing_day(client, users, platform, clock) -> None:
    clock.set(datetime(2026, 3, 1, 2, 0, tzinfo=UTC))
    operator, supervisor = await staff(client, users)
    entry = await in_force(client, operator, supervisor, USCC, starts_on="2026-02-01", ends_on="2026-03-10")
    # 2026-03-10 ends at 2026-03-11 00:00 Beijing = 2026-03-10 16:00 UTC.
    clock.set(datetime(2026, 3, 10, 15, 59, tzinfo=UTC))
    await sweep(platform, build_registry())
    assert await _status(platform, entry["id"]) == "in_force"
    # Down over the end: the first sweep afterwards expires it, once.
    clock.set(datetime(2026, 4, 2, 8, 0, tzinfo=UTC))
    report = await sweep(platform, build_registry())
    assert report.ran >= 1 and await _status(platform, entry["id"]) == "expired"
    await sweep(platform, build_registry())
    assert (await _actions(platform, entry["id"])).count("credit.entry_expired") == 1


async def test_the_public_list_never_shows_proposals_and_marks_history(client, users, platform, clock) -> None:
    operator, supervisor = await staff(client, users)
    waiting = await proposed(client, operator, make_uscc("91460100MA5TEXT02"), organisation_name="待审单位有限公司")
    active = await in_force(client, operator, supervisor, make_uscc("91460100MA5TEXT03"), organisation_name="在册单位有限公司",
                            authority="三亚市财政局")
    lifted = await in_force(client, operator, supervisor, make_uscc("91460100MA5TEXT04"), organisation_name="已解除单位有限公司",
                            starts_on="2025-01-01", ends_on="2025-06-30")
    await client.post(f"/api/credit/entries/{lifted['id']}/lift", headers=supervisor, json={"reason": "复议撤销原处罚决定"})
    listed = (await client.get("/api/credit/entries")).json()["items"]
    assert {e["id"]: e["status"] for e in listed} == {active["id"]: "in_force", lifted["id"]: "lifted"}
    assert "proposed_by" not in listed[0]
    assert (await client.get(f"/api/credit/entries/{waiting['id']}")).status_code == 404
    assert waiting["id"] not in [e["id"] for e in (await client.get("/api/credit/entries", params={"status": "proposed"})).json()["items"]]
    assert "待审单位" not in (await client.get("/credit")).text
    assert "在册单位有限公司" in (await client.get("/credit")).text
    # Search: name, code, authority, date range, status.
    assert [e["id"] for e in (await client.get("/api/credit/entries", params={"name": "在册"})).json()["items"]] == [active["id"]]
    assert [e["id"] for e in (await client.get("/api/credit/entries", params={"uscc": active["uscc"]})).json()["items"]] == [active["id"]]
    assert [e["id"] for e in (await client.get("/api/credit/entries", params={"authority": "三亚"})).json()["items"]] == [active["id"]]
    in_2027 = (await client.get("/api/credit/entries", params={"date_from": "2027-01-01", "date_until": "2027-02-01"})).json()["items"]
    assert [e["id"] for e in in_2027] == [active["id"]]
    assert [e["id"] for e in (await client.get("/api/credit/entries", params={"status": "lifted"})).json()["items"]] == [lifted["id"]]
    bad = await client.get("/api/credit/entries", params={"date_from": "2027-02-01", "date_until": "2027-01-01"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.date_until"
    page = await client.get(f"/credit/{active['id']}")
    assert page.status_code == 200 and "政府采购法 第七十七条" in page.text and active["decision_sha256"] in page.text
    paged = (await client.get("/api/credit/entries", params={"limit": 1})).json()
    second = (await client.get("/api/credit/entries", params={"limit": 1, "cursor": paged["next_cursor"]})).json()
    assert [paged["items"][0]["id"], second["items"][0]["id"]] == [lifted["id"], active["id"]]


async def test_supervisors_see_the_stored_checks(client, users, platform) -> None:
    from procurement.credit import service as credit

    operator, supervisor = await staff(client, users)
    organisation_id = await users.organisation(OrganisationKind.supplier)
    async with platform.db.transaction() as session:
        await credit.check(session, platform, [organisation_id], "documents", subject_type="tender", subject_id=7)
    shown = await client.get("/api/credit/checks", params={"organisation_id": organisation_id}, headers=supervisor)
    assert shown.status_code == 200
    [check] = shown.json()
    assert check["passed"] and check["seen"] == [] and check["purpose"] == "documents"
    assert (await client.get("/api/credit/checks", headers=operator)).status_code == 403


async def test_the_review_pages_render(client, users, platform) -> None:
    operator, supervisor = await staff(client, users)
    await proposed(client, operator, USCC, organisation_name="页面待审有限公司")
    assert "页面待审有限公司" in (await client.get("/credit/review", headers=supervisor)).text
    assert "页面待审有限公司" in (await client.get("/credit/proposals", headers=operator)).text

