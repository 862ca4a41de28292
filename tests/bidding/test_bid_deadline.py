"""At the deadline the scheduler counts each lot's current bids; fewer than three fail the lot, and all failing fails the tender."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bidding.models import LotTally
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from tests.bidding.bid_testlib import bidder, open_tender, sealed, submit


async def _bid(client, tender_id: int, lot: int, who) -> dict:
    completed = await submit(client, who, tender_id, lot, *sealed(who, tender_id, lot, 1))
    assert completed.status_code == 201, completed.text
    return completed.json()


async def _past_deadline(client, platform, clock, tender_id: int, *, late: timedelta = timedelta(seconds=1)) -> None:
    deadline = datetime.fromisoformat((await client.get(f"/api/tenders/{tender_id}")).json()["bid_deadline"])
    clock.set(deadline + late)
    registry = build_registry()
    # Bidding closes first; the count follows in the same sweep or the next.
    for _ in range(2):
        await sweep(platform, registry)


async def _tallies(platform, tender_id: int) -> dict[int, tuple[int, str]]:
    async with platform.db.transaction(write=False) as session:
        rows = (await session.execute(select(LotTally).where(LotTally.tender_id == tender_id))).scalars()
        return {t.lot_number: (t.bids, t.outcome) for t in rows}


async def test_a_lot_with_fewer_than_three_bids_fails_and_the_others_go_on(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock)
    bidders = [await bidder(client, users, tender.id) for _ in range(3)]
    for who in bidders:
        await _bid(client, tender.id, 1, who)
    await _bid(client, tender.id, 2, bidders[0])
    # A withdrawn bid does not count: lot 2 ends with one current bid.
    withdrawn = await _bid(client, tender.id, 2, bidders[1])
    assert (await client.post(f"/api/bids/{withdrawn['id']}/withdraw", headers=bidders[1].headers)).status_code == 200

    await _past_deadline(client, platform, clock, tender.id)
    assert await _tallies(platform, tender.id) == {1: (3, "to_opening"), 2: (1, "failed")}
    assert (await client.get(f"/api/tenders/{tender.id}")).json()["status"] == "bidding_closed"
    failed = (await client.get(f"/api/tenders/{tender.id}/notices")).json()[-1]
    assert failed["kind"] == "failed"
    assert failed["content"]["details"]["failed_lots"] == [2]
    assert "少于3个" in failed["content"]["details"]["reason"] and "第四十四条" in failed["content"]["details"]["reason"]


async def test_with_too_few_bids_everywhere_the_tender_fails_even_after_downtime(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock)
    alice = await bidder(client, users, tender.id)
    await _bid(client, tender.id, 1, alice)
    # The platform was down for two days over the deadline: the sweep catches up, once.
    await _past_deadline(client, platform, clock, tender.id, late=timedelta(days=2))
    assert await _tallies(platform, tender.id) == {1: (1, "failed"), 2: (0, "failed")}
    assert (await client.get(f"/api/tenders/{tender.id}")).json()["status"] == "failed"
    kinds = [n["kind"] for n in (await client.get(f"/api/tenders/{tender.id}/notices")).json()]
    assert kinds == ["tender", "failed"]
    releases = (await client.get(f"/api/ocds/tenders/{tender.id}/releases")).json()["releases"]
    assert releases[-1]["tender"]["status"] in ("unsuccessful", "cancelled")
    assert (await sweep(platform, build_registry())).ran == 0  # nothing left to do
