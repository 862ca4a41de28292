"""The rule over the awards across a region's tenders: the same bidders meeting and taking turns
to win (轮流中标, at ``awarded``). ``rotations`` is the pure search; ``rotating_winners`` feeds it."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.award.models import AwardCandidate, AwardLot
from bidding.models import Bid, BidStatus
from procurement.clock import as_utc
from procurement.supervision.rules.findings import Finding, id_list, iso_utc, organisation_names
from procurement.supervision.rules.thresholds import Thresholds
from procurement.tenders.models import Tender

# A lot with more bidders than this is an open market, not a ring: its groups are not enumerated
# (the number of groups grows with the cube of the bidders).
_MAX_MEETING_BIDDERS = 25


@dataclass(frozen=True)
class Meeting:
    """An awarded lot: who bid in it and who won."""

    award_lot_id: int
    tender_id: int
    lot: int
    winner: int
    bidders: frozenset[int]
    awarded_at: datetime
    purchaser_id: int = 0
    code: str = ""
    title: str = ""


def rotations(meetings: list[Meeting], *, min_bidders: int, min_tenders: int, max_share: Decimal) -> list[tuple[frozenset[int], list[Meeting]]]:
    """Groups of at least ``min_bidders`` organisations that all bid in lots of at least ``min_tenders`` tenders
    won by one of them, where no member took more than ``max_share`` of those wins: taking turns.

    Every group of ``min_bidders`` bidders holding a lot's winner is a seed; a seed that rotates grows
    to every organisation that bid wherever it met. A group inside a larger one is left out: the larger names the ring.
    """
    def met(group: frozenset[int]) -> list[Meeting]:
        return [m for m in meetings if group <= m.bidders and m.winner in group]

    def rotates(found: list[Meeting]) -> bool:
        if len({m.tender_id for m in found}) < min_tenders:
            return False
        return max(Counter(m.winner for m in found).values()) <= max_share * len(found)

    seeds: dict[frozenset[int], list[Meeting]] = defaultdict(list)
    for meeting in meetings:
        if len(meeting.bidders) > _MAX_MEETING_BIDDERS:
            continue
        for others in itertools.combinations(sorted(meeting.bidders - {meeting.winner}), min_bidders - 1):
            seeds[frozenset((meeting.winner, *others))].append(meeting)
    groups: dict[frozenset[int], list[Meeting]] = {}
    for found in seeds.values():
        if rotates(found):
            group = frozenset.intersection(*(m.bidders for m in found))
            groups[group] = met(group)
    groups = {group: found for group, found in groups.items() if rotates(found)}
    return sorted(((group, found) for group, found in groups.items() if not any(group < other for other in groups)), key=lambda g: sorted(g[0]))


async def _meetings(session: AsyncSession, region: str, since: datetime, until: datetime) -> list[Meeting]:
    lots = (await session.execute(
        select(AwardLot.id, AwardLot.tender_id, AwardLot.lot_number, AwardCandidate.organisation_id, AwardLot.awarded_at,
               Tender.purchaser_organisation_id, Tender.code, Tender.title)
        .join(AwardCandidate, AwardCandidate.id == AwardLot.winner_candidate_id).join(Tender, Tender.id == AwardLot.tender_id)
        .where(Tender.region == region, AwardLot.awarded_at >= since, AwardLot.awarded_at <= until).order_by(AwardLot.awarded_at, AwardLot.id)
    )).all()
    bidders: dict[tuple[int, int], set[int]] = defaultdict(set)
    # Who bid at the deadline: every organisation with a bid neither superseded nor withdrawn.
    for tender_id, lot, organisation_id in await session.execute(
        select(Bid.tender_id, Bid.lot_number, Bid.organisation_id)
        .where(Bid.tender_id.in_({row[1] for row in lots} or {0}), Bid.status.not_in((BidStatus.superseded, BidStatus.withdrawn)))
    ):
        bidders[(tender_id, lot)].add(organisation_id)
    return [Meeting(lot_id, tender_id, lot, winner, frozenset(bidders[(tender_id, lot)] | {winner}), as_utc(at), purchaser, code, title)
            for lot_id, tender_id, lot, winner, at, purchaser, code, title in lots]


async def rotating_winners(session: AsyncSession, tender: Tender, thresholds: Thresholds) -> list[Finding]:
    """轮流中标: the same group of bidders meeting in the region's awarded lots and taking turns to win,
    within the window ending at this tender's award. One alert per group and newest lot they met in."""
    awarded = (await session.execute(select(func.max(AwardLot.awarded_at)).where(AwardLot.tender_id == tender.id))).scalar_one()
    if awarded is None:
        return []
    days = int(thresholds.get("rotating_winners_window_days", tender.region, tender.category))
    meetings = await _meetings(session, tender.region, as_utc(awarded) - timedelta(days=days), as_utc(awarded))
    max_share = thresholds.get("rotating_winners_max_share", tender.region, tender.category)
    found = rotations(meetings, min_bidders=int(thresholds.get("rotating_winners_min_bidders", tender.region, tender.category)),
                      min_tenders=int(thresholds.get("rotating_winners_min_tenders", tender.region, tender.category)), max_share=max_share)
    names = await organisation_names(session, {o for group, lots in found for o in group} | {m.purchaser_id for _, lots in found for m in lots})
    findings = []
    for group, lots in found:
        wins = Counter(m.winner for m in lots)
        purchasers = sorted({m.purchaser_id for m in lots})
        newest = lots[-1]
        findings.append(Finding(
            "rotating_winners", f"rotating_winners:{tender.region}:{id_list(group)}:{newest.award_lot_id}",
            {"region": tender.region, "window_days": days, "max_share": str(max_share),
             "group": [{"organisation_id": o, "organisation": names.get(o, ""), "wins": wins.get(o, 0)} for o in sorted(group)],
             "purchasers": [names.get(p, "") for p in purchasers],
             "lots": [{"tender_id": m.tender_id, "code": m.code, "title": m.title, "lot": m.lot, "purchaser": names.get(m.purchaser_id, ""),
                       "winner": names.get(m.winner, ""), "winner_id": m.winner, "bidders": len(m.bidders), "awarded_at": iso_utc(m.awarded_at)}
                      for m in lots]},
            sorted(group), newest.tender_id, newest.lot, purchasers[0] if len(purchasers) == 1 else None,
        ))
    return findings
