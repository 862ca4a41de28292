"""The award through the real evaluation: a fully signed report publishes the candidates."""

from __future__ import annotations

from datetime import datetime

from tests.bidding.evaluation_testlib import signed_evaluation
from tests.conftest import bearer


async def test_a_signed_evaluation_publishes_the_candidates_and_the_purchaser_awards(client, users, platform, clock) -> None:
    day, _ = await signed_evaluation(client, users, platform, clock)
    tender_id = day.tender.id
    assert (await client.get(f"/api/tenders/{tender_id}")).json()["status"] == "candidates_publicised"
    notice = (await client.get(f"/api/tenders/{tender_id}/notices")).json()[-1]
    facts = notice["content"]["details"]["award"]
    assert notice["kind"] == "candidates" and [c["rank"] for c in facts["candidates"]] == [1, 2, 3]
    assert all(c["total"] is not None for c in facts["candidates"])  # comprehensive scoring: the totals are stated

    purchaser = day.tender.purchaser
    lot = (await client.get(f"/api/tenders/{tender_id}/award")).json()["lots"][0]
    clock.set(datetime.fromisoformat(lot["publicity_ends_at"]))
    done = await client.post(f"/api/tenders/{tender_id}/lots/1/award", headers=await bearer(client, purchaser), json={"rank": 1})
    assert done.status_code == 200, done.text
    result = (await client.get(f"/api/tenders/{tender_id}/notices")).json()[-1]
    assert result["kind"] == "result" and result["content"]["details"]["award"]["winner_rank"] == 1
