"""Before bidding closes nobody but the bidder learns that its bid exists: not the count, not from the audit log."""

from __future__ import annotations

from datetime import datetime, timedelta

from procurement.identity.models import Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from tests.bidding.bid_testlib import bidder, open_tender, sealed, submit
from tests.conftest import bearer


async def test_bid_entries_are_embargoed_in_the_audit_log_until_bidding_closes(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock)
    alice, bob = await bidder(client, users, tender.id), await bidder(client, users, tender.id)
    receipts = []
    for who in (alice, bob):
        completed = await submit(client, who, tender.id, 1, *sealed(who, tender.id, 1, 1))
        assert completed.status_code == 201
        receipts.append(completed.json()["receipt"])
    supervisor = await bearer(client, await users.make(Role.supervisor))
    found = (await client.get("/api/audit/entries", headers=supervisor, params={"action": "bid."})).json()
    assert found["total"] == 0 and found["entries"] == []
    for receipt in receipts:
        assert (await client.get(f"/api/audit/entries/{receipt['audit']['entry']['seq']}", headers=supervisor)).status_code == 404
    page = await client.get("/audit", headers=supervisor, params={"action": "bid.submitted"})
    assert page.status_code == 200 and "<code>bid.submitted</code>" not in page.text

    # Each bidder sees its own bid, and nobody else's.
    for who in (alice, bob):
        mine = (await client.get(f"/api/tenders/{tender.id}/bids/mine", headers=who.headers)).json()["bids"]
        assert len(mine) == 1 and mine[0]["receipt"]["bid"]["organisation_id"] == who.user.organisation_id
    for role in (Role.purchaser, Role.operator, Role.supervisor, Role.agency):
        headers = await bearer(client, await users.make(role))
        assert (await client.get(f"/api/tenders/{tender.id}/bids/mine", headers=headers)).status_code == 403
    seen_by_owner = (await client.get(f"/api/tenders/{tender.id}", headers=tender.owner)).json()
    assert not {key for key in seen_by_owner if key.startswith("bids") or "bid_count" in key}

    deadline = datetime.fromisoformat((await client.get(f"/api/tenders/{tender.id}")).json()["bid_deadline"])
    clock.set(deadline + timedelta(seconds=1))
    for _ in range(2):
        await sweep(platform, build_registry())
    supervisor = await bearer(client, await users.make(Role.supervisor))
    after = (await client.get("/api/audit/entries", headers=supervisor, params={"action": "bid.submitted"})).json()
    assert after["total"] == 2
