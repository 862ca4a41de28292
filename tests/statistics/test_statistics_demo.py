"""The demo's year of trades: figures to show, marked as demo data, loaded once; each award with its candidates and winner."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from bidding.award.models import AwardCandidate, AwardLot
from bidding.models import Bid
from procurement.demo import _load_demo_accounts, load_demo
from procurement.identity.models import Organisation
from procurement.statistics import service
from procurement.statistics.demo import (
    BIDDERS,
    CANDIDATES,
    MARK,
    PROJECTS,
    load_statistics_demo,
)
from procurement.statistics.periods import Period
from procurement.tenders.models import Tender


@pytest.mark.demo
async def test_the_demo_year_has_trades_across_tracks_and_regions_and_loads_once(platform) -> None:
    await load_demo(platform)
    await load_demo(platform)
    today = platform.clock.now().date()
    async with platform.db.transaction(write=False) as session:
        marked = (await session.execute(select(func.count()).select_from(Tender).where(Tender.title.startswith(MARK)))).scalar_one()
        report = await service.report(session, None, service.Query(Period(today.replace(year=today.year - 1), today), group_by="track"))
        regions = await service.report(session, None, service.Query(Period(today.replace(year=today.year - 1), today), group_by="region"))
    assert marked == PROJECTS
    assert {row.key for row in report.rows if row.traded_projects} == {"works", "government"}
    assert report.total.failed > 0 and report.total.green_projects > 0
    assert report.total.rate_weighted is not None and 0 < report.total.rate_weighted < 0.07
    assert len([row for row in regions.rows if row.projects]) >= 4


async def test_each_demo_award_names_its_candidates_and_the_page_shows_the_winner(platform, client) -> None:
    accounts = {name: password for name, password, _ in await _load_demo_accounts(platform)}
    await load_statistics_demo(platform)
    async with platform.db.transaction(write=False) as session:
        awarded = list((await session.execute(
            select(AwardLot).join(Tender, Tender.id == AwardLot.tender_id).where(Tender.code.like("DEMO-STATS-%")))).scalars())
        candidates = (await session.execute(select(AwardCandidate, Bid).join(Bid, Bid.id == AwardCandidate.bid_id))).all()
        bidders = {o.id: o.name for o in (await session.execute(select(Organisation).where(Organisation.name.in_(
            [name for _, name in BIDDERS])))).scalars()}
    assert awarded and len(candidates) == CANDIDATES * len(awarded) and len(bidders) == len(BIDDERS)
    by_lot = {row.id: sorted((c for c, _ in candidates if c.award_lot_id == row.id), key=lambda c: c.rank) for row in awarded}
    for row in awarded:
        ranked = by_lot[row.id]
        assert [c.rank for c in ranked] == [1, 2, 3] and len({c.organisation_id for c in ranked}) == 3
        assert row.winner_candidate_id == ranked[0].id and ranked[0].price_fen == row.award_amount_fen  # the first won, at the award amount
    for candidate, bid in candidates:  # each candidate names an opened bid of its own lot, made by its organisation
        assert (bid.organisation_id, bid.status, bid.lot_number) == (candidate.organisation_id, "opened", 1)
        assert candidate.organisation_id in bidders

    shown = awarded[0]
    winner = next(c for c in by_lot[shown.id] if c.id == shown.winner_candidate_id)
    [lot] = (await client.get(f"/api/tenders/{shown.tender_id}/award")).json()["lots"]
    assert (lot["winner_rank"], [c["bidder"] for c in lot["candidates"]]) == (1, [bidders[c.organisation_id] for c in by_lot[shown.id]])
    login = await client.post("/api/auth/login", json={"username": "supervisor", "password": accounts["supervisor"]})
    page = await client.get(f"/tenders/{shown.tender_id}/award", headers={"Authorization": f"Bearer {login.json()['token']}"})
    assert page.status_code == 200
    assert re.search(rf'<tr class="winner">.*?{re.escape(bidders[winner.organisation_id])}', page.text, re.DOTALL)
    notice = (await client.get(f"/api/notices/{shown.publicity_notice_id}")).json()
    assert [c["bidder"] for c in notice["content"]["details"]["award"]["candidates"]] == [bidders[c.organisation_id] for c in by_lot[shown.id]]
    async with platform.db.transaction(write=False) as session:
        tracks = dict((await session.execute(select(Tender.id, Tender.track))).all())
    for track in ("works", "government"):  # the publicity's page names them too (works with its publicity period, government without)
        row = next(r for r in awarded if tracks[r.tender_id] == track)
        assert (row.publicity_ends_at is None) == (track == "government")
        page = await client.get(f"/notices/{row.publicity_notice_id}")
        assert page.status_code == 200 and all(bidders[c.organisation_id] in page.text for c in by_lot[row.id])
