"""The expert_frequency rule: an expert seated on one purchaser's committees more than N times within D days.

The draws are stored rows (what ``draws.make_draw`` keeps: the outcome's current seats); the rule
only reads them, so the tests write them directly rather than running dozens of bid rounds.
"""

from __future__ import annotations

import json
from datetime import timedelta

from expert_pool.draw_models import ExpertDraw
from procurement.identity.models import Role
from procurement.supervision import service
from procurement.supervision.models import RiskThreshold
from tests.conftest import bearer
from tests.experts.pool_testlib import add_specialties, csv_of, row
from tests.supervision.supervision_testlib import alerts_of
from tests.tenders.tender_testlib import draft_body


async def _tenders(client, purchaser, clock, n: int) -> list[int]:
    owner = await bearer(client, purchaser)
    made = [await client.post("/api/tenders", headers=owner, json=draft_body(clock.now())) for _ in range(n)]
    assert all(r.status_code == 201 for r in made), made[0].text
    return [r.json()["id"] for r in made]


async def _experts(client, users) -> list[int]:
    operator = await bearer(client, await users.make(Role.operator))
    await add_specialties(client, operator)
    assert (await client.post("/api/experts/imports", headers=operator, content=csv_of(*(row(n) for n in range(1, 7))))).status_code == 200
    found = await client.get("/api/experts", headers=operator)
    return [e["id"] for e in sorted(found.json(), key=lambda e: e["name"])]


async def _draw(platform, clock, tender_id: int, user, seats: list[int], reserves: list[int] = (), days_ago: int = 0) -> None:
    outcome = {"seats": [[str(e), "A01.02", 1, "00"] for e in seats], "reserves": [[str(e), "A01.02", 1, "ff"] for e in reserves]}
    async with platform.db.transaction() as session:
        session.add(ExpertDraw(
            tender_id=tender_id, lot_number=None, evaluation_date=(clock.now() - timedelta(days=days_ago)).date(), requested_by=user.user_id,
            organisation_id=user.organisation_id, created_at=clock.now() - timedelta(days=days_ago), request="{}", snapshot="", seed="00" * 32,
            outcome=json.dumps(outcome), seed_commitment="0" * 64, snapshot_digest="0" * 64, request_digest="0" * 64, committed_seq=0,
        ))


async def _check(platform, tender_id: int) -> None:
    async with platform.db.transaction() as session:
        assert await service.check_stage(session, platform, tender_id, "opened")


async def test_an_expert_seated_more_than_three_times_for_one_purchaser_within_180_days_raises_an_alert(client, users, platform, clock) -> None:
    purchaser, other = await users.make(Role.purchaser), await users.make(Role.purchaser)
    ours, theirs = await _tenders(client, purchaser, clock, 5), await _tenders(client, other, clock, 2)
    often, thrice, old, split, reserve, _ = await _experts(client, users)
    # `often` sits five times; `thrice` three; `old` four, but one of them long ago; `split` twice here and twice for
    # another purchaser; `reserve` is drawn four times but only in reserve.
    await _draw(platform, clock, ours[0], purchaser, [often, old], days_ago=200)
    for tender_id in ours[1:]:
        await _draw(platform, clock, tender_id, purchaser, [often] + ([thrice, old] if tender_id != ours[1] else []), reserves=[reserve], days_ago=10)
    await _draw(platform, clock, ours[1], purchaser, [split], days_ago=5)
    await _draw(platform, clock, ours[2], purchaser, [split], days_ago=5)
    for tender_id in theirs:
        await _draw(platform, clock, tender_id, other, [split], days_ago=5)
    await _draw(platform, clock, ours[0], purchaser, [often], days_ago=1)

    await _check(platform, ours[0])
    [alert] = await alerts_of(platform, "expert_frequency")
    evidence = json.loads(alert.evidence)
    assert (evidence["expert_id"], evidence["seats"], evidence["max_seats"], evidence["window_days"]) == (often, 5, 3, 180)
    assert evidence["expert"] == "专家1" and {d["tender_id"] for d in evidence["draws"]} == set(ours)
    assert alert.purchaser_organisation_id == purchaser.organisation_id and alert.tender_id == ours[0]

    # The other purchaser's check finds nothing; checking again raises nothing new.
    await _check(platform, theirs[0])
    await _check(platform, ours[1])
    assert len(await alerts_of(platform, "expert_frequency")) == 1


async def test_the_thresholds_come_from_configuration(client, users, platform, clock) -> None:
    purchaser = await users.make(Role.purchaser)
    ours = await _tenders(client, purchaser, clock, 2)
    expert = (await _experts(client, users))[0]
    for tender_id in ours:
        await _draw(platform, clock, tender_id, purchaser, [expert], days_ago=3)
    await _check(platform, ours[0])
    assert await alerts_of(platform, "expert_frequency") == []
    async with platform.db.transaction() as session:
        session.add(RiskThreshold(name="expert_frequency_max_seats", value="1"))
    await _check(platform, ours[1])
    [alert] = await alerts_of(platform, "expert_frequency")
    assert json.loads(alert.evidence)["max_seats"] == 1
