"""A tender from draft to bidding closed, with the clock under the test's control."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from procurement.audit.models import AuditEntry
from procurement.identity.models import Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import Registry, sweep
from procurement.tenders.jobs import TENDER_RECHECK
from procurement.tenders.models import Tender
from procurement.tenders.service import CHECKLISTS
from tests.conftest import bearer
from tests.tenders.tender_testlib import draft_body


async def _count(platform, model=Tender, **where) -> int:
    async with platform.db.transaction(write=False) as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return (await session.execute(query)).scalar_one()


def _all_checked(method: str = "open") -> dict[str, bool]:
    return {item: True for item in CHECKLISTS[method]}


async def _accepted(client, platform, users, clock, **draft):
    purchaser = await users.make(Role.purchaser)
    operator = await users.make(Role.operator)
    owner, centre = await bearer(client, purchaser), await bearer(client, operator)
    created = await client.post("/api/tenders", headers=owner, json=draft_body(clock.now(), **draft))
    assert created.status_code == 201, created.text
    tender_id = created.json()["id"]
    assert (await client.post(f"/api/tenders/{tender_id}/submit", headers=owner)).status_code == 200
    reviewed = await client.post(f"/api/tenders/{tender_id}/review", headers=centre, json={"decision": "accepted", "checklist": _all_checked()})
    assert reviewed.status_code == 200, reviewed.text
    return tender_id, owner, centre, purchaser


async def test_a_repeated_create_makes_no_second_tender_and_a_draft_is_private(client, users, platform, clock) -> None:
    purchaser = await users.make(Role.purchaser)
    owner = await bearer(client, purchaser)
    body = draft_body(clock.now())
    first = await client.post("/api/tenders", headers={**owner, "Idempotency-Key": "create-0001"}, json=body)
    again = await client.post("/api/tenders", headers={**owner, "Idempotency-Key": "create-0001"}, json=body)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["code"].startswith(f"460100-{clock.now().year}-GC-")
    assert await _count(platform) == 1
    tender_id = first.json()["id"]
    assert (await client.get(f"/api/tenders/{tender_id}", headers=owner)).status_code == 200
    for outsider in (None, Role.purchaser, Role.supervisor, Role.operator, Role.supplier):
        headers = {} if outsider is None else await bearer(client, await users.make(outsider))
        assert (await client.get(f"/api/tenders/{tender_id}", headers=headers)).status_code == 404, outsider
    other = await bearer(client, await users.make(Role.purchaser))
    assert (await client.put(f"/api/tenders/{tender_id}", headers=other, json=body)).status_code == 404
    assert (await client.post(f"/api/tenders/{tender_id}/submit", headers=other)).status_code == 404


async def test_a_bid_security_over_two_percent_is_refused_with_its_article(client, users, platform, clock) -> None:
    owner = await bearer(client, await users.make(Role.purchaser))
    body = draft_body(clock.now())
    body["lots"][0]["bid_security"] = "16000.01"  # 2% of 800,000.00 is 16,000.00
    refused = await client.post("/api/tenders", headers=owner, json=body)
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["field"] == "body.lots[0].bid_security"
    assert "条例" in error["message"]
    assert await _count(platform) == 0


async def test_a_deadline_under_twenty_days_cannot_be_submitted(client, users, platform, clock) -> None:
    owner = await bearer(client, await users.make(Role.purchaser))
    short = await client.post("/api/tenders", headers=owner, json=draft_body(clock.now(), deadline_days=19))
    assert short.status_code == 201  # a draft may be unfinished
    refused = await client.post(f"/api/tenders/{short.json()['id']}/submit", headers=owner)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.timeline.bid_deadline"
    assert "第二十四条" in refused.json()["errors"][0]["message"]
    assert (await client.get(f"/api/tenders/{short.json()['id']}", headers=owner)).json()["status"] == "draft"
    fixed = draft_body(clock.now(), deadline_days=20)
    assert (await client.put(f"/api/tenders/{short.json()['id']}", headers=owner, json=fixed)).status_code == 200
    assert (await client.post(f"/api/tenders/{short.json()['id']}/submit", headers=owner)).status_code == 200


async def test_entry_review_returns_with_a_reason_and_accepts_a_complete_checklist(client, users, platform, clock) -> None:
    purchaser, operator = await users.make(Role.purchaser), await users.make(Role.operator)
    owner, centre = await bearer(client, purchaser), await bearer(client, operator)
    tender_id = (await client.post("/api/tenders", headers=owner, json=draft_body(clock.now()))).json()["id"]
    # Before submission the trading centre does not even see the draft.
    early = await client.post(f"/api/tenders/{tender_id}/review", headers=centre, json={"decision": "accepted", "checklist": _all_checked()})
    assert early.status_code == 404
    await client.post(f"/api/tenders/{tender_id}/submit", headers=owner)
    no_reason = await client.post(f"/api/tenders/{tender_id}/review", headers=centre, json={"decision": "returned", "checklist": {}})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "body.reason"
    clock.advance(timedelta(hours=3))
    returned = await client.post(
        f"/api/tenders/{tender_id}/review", headers=centre, json={"decision": "returned", "checklist": {}, "reason": "缺少预算批复"}
    )
    assert returned.status_code == 200
    assert returned.json()["elapsed_seconds"] == 3 * 3600 and returned.json()["within_target"]
    assert (await client.get(f"/api/tenders/{tender_id}", headers=owner)).json()["status"] == "draft"
    await client.post(f"/api/tenders/{tender_id}/submit", headers=owner)
    missing = {**_all_checked(), CHECKLISTS["open"][0]: False}
    incomplete = await client.post(f"/api/tenders/{tender_id}/review", headers=centre, json={"decision": "accepted", "checklist": missing})
    assert incomplete.status_code == 422
    clock.advance(timedelta(hours=25))
    owner, centre = await bearer(client, purchaser), await bearer(client, operator)  # the logins of yesterday expired
    accepted = await client.post(f"/api/tenders/{tender_id}/review", headers=centre, json={"decision": "accepted", "checklist": _all_checked()})
    assert accepted.status_code == 200 and not accepted.json()["within_target"]
    reviews = (await client.get(f"/api/tenders/{tender_id}/reviews", headers=owner)).json()
    assert [r["decision"] for r in reviews] == ["returned", "accepted"]
    # Neither the owner nor a supervisor can review; a supplier cannot create.
    assert (await client.post(f"/api/tenders/{tender_id}/review", headers=owner, json={"decision": "accepted", "checklist": {}})).status_code == 403
    supplier = await bearer(client, await users.make(Role.supplier))
    assert (await client.post("/api/tenders", headers=supplier, json=draft_body(clock.now()))).status_code == 403


async def test_the_queue_puts_green_channel_projects_first(client, users, clock) -> None:
    owner = await bearer(client, await users.make(Role.purchaser))
    ordinary = (await client.post("/api/tenders", headers=owner, json=draft_body(clock.now()))).json()["id"]
    key = (await client.post("/api/tenders", headers=owner, json=draft_body(clock.now(), green_channel=True))).json()["id"]
    await client.post(f"/api/tenders/{ordinary}/submit", headers=owner)
    clock.advance(timedelta(minutes=5))
    await client.post(f"/api/tenders/{key}/submit", headers=owner)
    clock.advance(timedelta(hours=30))
    queue = (await client.get("/api/tenders/review-queue", headers=await bearer(client, await users.make(Role.supervisor)))).json()
    assert [item["tender"]["id"] for item in queue] == [key, ordinary]
    assert all(item["overdue"] for item in queue)
    assert queue[0]["checklist"] == list(CHECKLISTS["open"])


async def test_published_then_bidding_closes_at_the_deadline_once(client, users, platform, clock) -> None:
    tender_id, owner, *_ = await _accepted(client, platform, users, clock)
    published = await client.post(f"/api/tenders/{tender_id}/publish", headers=owner, json={})
    assert published.status_code == 200 and published.json()["status"] == "published"
    public = await client.get(f"/api/tenders/{tender_id}")
    assert public.status_code == 200 and public.json()["lots"][1]["evaluation_method"] == "lowest_price"
    deadline = public.json()["bid_deadline"]
    # Only the tender's own recheck: the count of bids that follows the close is tested in tests/bidding.
    registry = Registry()
    registry.register(TENDER_RECHECK)
    clock.advance(timedelta(days=25))
    assert (await sweep(platform, registry)).ran == 0  # not yet: the deadline is a day later
    clock.advance(timedelta(days=1, seconds=1))
    assert (await sweep(platform, registry)).ran == 1
    assert (await sweep(platform, registry)).ran == 0
    closed = (await client.get(f"/api/tenders/{tender_id}")).json()
    assert closed["status"] == "bidding_closed" and closed["bid_deadline"] == deadline
    assert await _count(platform, AuditEntry, action="tender.bidding_closed") == 1


async def test_a_scheduled_publication_happens_by_itself(client, users, platform, clock) -> None:
    tender_id, owner, *_ = await _accepted(client, platform, users, clock, documents_in=timedelta(days=2))
    at = clock.now() + timedelta(hours=6)
    scheduled = await client.post(f"/api/tenders/{tender_id}/publish", headers=owner, json={"publish_at": at.isoformat()})
    assert scheduled.status_code == 200 and scheduled.json()["status"] == "accepted"
    assert (await client.get(f"/api/tenders/{tender_id}")).status_code == 404  # not public yet
    clock.advance(timedelta(hours=6))
    assert (await sweep(platform, build_registry())).ran == 1
    assert (await client.get(f"/api/tenders/{tender_id}")).json()["status"] == "published"
    assert await _count(platform, AuditEntry, action="tender.published") == 1


async def test_an_agency_runs_a_tender_for_a_purchaser(client, users, platform, clock) -> None:
    agency = await bearer(client, await users.make(Role.agency))
    purchaser = await users.make(Role.purchaser)
    unnamed = await client.post("/api/tenders", headers=agency, json=draft_body(clock.now()))
    assert unnamed.status_code == 422 and unnamed.json()["errors"][0]["field"] == "body.purchaser_organisation_id"
    named = await client.post("/api/tenders", headers=agency, json=draft_body(clock.now(), purchaser_organisation_id=purchaser.organisation_id))
    assert named.status_code == 201
    # The purchaser sees the draft its agency prepares, but only the agency edits it.
    as_purchaser = await bearer(client, purchaser)
    assert (await client.get(f"/api/tenders/{named.json()['id']}", headers=as_purchaser)).status_code == 200
    edit = await client.put(f"/api/tenders/{named.json()['id']}", headers=as_purchaser, json=draft_body(clock.now()))
    assert edit.status_code == 403
