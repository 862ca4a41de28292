"""The risk rules: each a small function over the records, returning what it found with its evidence.

A rule only reads (bids, uploads, tallies, tenders); it never decides anything. What counts
as "unusual" is a threshold (``DEFAULTS``, overridden per region and category in the
``risk_threshold`` table). Rules about bids run only after bidding closed: before that, even
that a bid exists is secret (docs/bids.md), so no alert may speak of one.

The mall rules look at one order each and are run by the scheduler outside the tenders'
stages (``procurement.supervision.mall_checks``). Still to come (docs/supervision.md, "Rule
slots"): document metadata (author, creation software: needs the opened files read, not only
their digests).
"""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.award.models import AwardCandidate, AwardLot
from bidding.models import Bid, BidStatus, BidUpload, LotTally
from expert_pool.draw_models import ExpertDraw
from expert_pool.models import Expert
from procurement.clock import as_utc
from procurement.errors import N_
from procurement.identity.models import Organisation
from procurement.mall.models import ReferencePrice
from procurement.mall.order_models import Order, OrderItem, OrderStatus
from procurement.supervision.models import RiskThreshold
from procurement.tenders import rules as tender_rules
from procurement.tenders.calendar import BEIJING, beijing_date, beijing_end_date
from procurement.tenders.holidays import load_calendar
from procurement.tenders.models import Tender
from procurement.tenders.money import to_yuan

# Message ids: each rule's name as supervisors read it.
RULE_LABELS = {
    "same_address": N_("Bids of different bidders sent from one address or one client"),
    "signed_together": N_("Bids of different bidders completed within seconds of each other"),
    "identical_documents": N_("Identical files in the bids of different bidders"),
    "price_pattern": N_("Bid prices in a pattern (fixed gaps or a tiny spread)"),
    "minimum_deadline_single_bidder": N_("Repeated minimum bidding periods with a single bidder"),
    "split_purchases": N_("Purchases of one kind split below the threshold (化整为零)"),
    "expert_frequency": N_("An expert seated unusually often for one purchaser"),
    "rotating_winners": N_("The same bidders meeting repeatedly and taking turns to win"),
    "mall_price_above_reference": N_("A mall order priced above the e-commerce reference"),
    "mall_late_acceptance": N_("A mall order delivered but not accepted in time"),
    "mall_late_settlement": N_("A mall order accepted but not settled in time"),
}

# (name, region, category) -> value; "" matches any. The most specific match wins.
DEFAULTS: dict[tuple[str, str, str], Decimal] = {
    ("signed_together_seconds", "", ""): Decimal(2),
    ("price_min_bids", "", ""): Decimal(3),
    ("price_gap_tolerance_yuan", "", ""): Decimal("0.01"),
    ("price_spread_ratio", "", ""): Decimal("0.002"),
    ("minimum_deadline_count", "", ""): Decimal(2),
    ("minimum_deadline_months", "", ""): Decimal(12),
    ("minimum_deadline_slack_days", "", ""): Decimal(0),
    # Open tendering thresholds (公开招标数额标准) as local practice sets them: configuration.
    ("split_threshold_yuan", "", ""): Decimal(2_000_000),
    ("split_threshold_yuan", "", "works"): Decimal(4_000_000),
    ("split_min_tenders", "", ""): Decimal(2),
    ("expert_frequency_max_seats", "", ""): Decimal(3),
    ("expert_frequency_window_days", "", ""): Decimal(180),
    ("rotating_winners_window_days", "", ""): Decimal(365),
    ("rotating_winners_min_bidders", "", ""): Decimal(3),
    ("rotating_winners_min_tenders", "", ""): Decimal(3),
    ("rotating_winners_max_share", "", ""): Decimal("0.5"),  # of the group's wins, by its most frequent winner
    ("mall_price_above_reference_ratio", "", ""): Decimal("1.10"),
    ("mall_acceptance_days", "", ""): Decimal(7),
    # 保障中小企业款项支付条例 第八条: pay within 30 days of delivery (acceptance here).
    ("mall_settlement_days", "", ""): Decimal(30),
}


@dataclass
class Thresholds:
    values: dict[tuple[str, str, str], Decimal]

    def get(self, name: str, region: str = "", category: str = "") -> Decimal:
        for key in ((name, region, category), (name, region, ""), (name, "", category), (name, "", "")):
            if key in self.values:
                return self.values[key]
        raise KeyError(name)


async def load_thresholds(session: AsyncSession) -> Thresholds:
    values = dict(DEFAULTS)
    for row in (await session.execute(select(RiskThreshold))).scalars():
        try:
            values[(row.name, row.region, row.category)] = Decimal(row.value)
        except InvalidOperation:
            continue  # a malformed row is ignored, the default stands
    return Thresholds(values)


@dataclass
class Finding:
    rule: str
    key: str  # what makes two findings the same alert
    evidence: dict[str, Any]
    organisation_ids: list[int] = field(default_factory=list)
    tender_id: int | None = None
    lot_number: int | None = None
    purchaser_organisation_id: int | None = None


def _at(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment else None


async def _names(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids) or {0}
    return dict((await session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted)))).all())  # type: ignore[arg-type]


def _ids(key: Iterable[int]) -> str:
    return ",".join(str(i) for i in sorted(set(key)))


# --- Bids of one tender, after bidding closed -------------------------------------------------------


@dataclass(frozen=True)
class _BidSeen:
    bid_id: int
    organisation_id: int
    lot: int
    version: int
    status: str
    submitted_at: datetime
    started_at: datetime
    client_ip: str
    fingerprint: str  # the client's own fingerprint header ("" when it sent none)
    user_agent: str


def split_fingerprint(stored: str) -> tuple[str, str]:
    """(the client's own fingerprint, its User-Agent) from ``"<fingerprint> | <User-Agent>"``."""
    offered, _, agent = stored.partition(" | ")
    return offered.strip(), agent.strip()


async def _bids(session: AsyncSession, tender_id: int) -> list[_BidSeen]:
    """Every version of every bid (superseded and withdrawn too: where it came from is evidence still)."""
    rows = await session.execute(
        select(Bid.id, Bid.organisation_id, Bid.lot_number, Bid.version, Bid.status, Bid.submitted_at, BidUpload.created_at,
               BidUpload.client_ip, BidUpload.client_fingerprint)
        .join(BidUpload, BidUpload.id == Bid.upload_id).where(Bid.tender_id == tender_id).order_by(Bid.lot_number, Bid.submitted_at, Bid.id)
    )
    return [_BidSeen(b, o, lot, v, s, as_utc(sub), as_utc(start), ip or "", *split_fingerprint(fp or "")) for b, o, lot, v, s, sub, start, ip, fp in rows]


def _bid_evidence(bid: _BidSeen, names: dict[int, str]) -> dict[str, Any]:
    return {
        "bid_id": bid.bid_id, "organisation_id": bid.organisation_id, "organisation": names.get(bid.organisation_id, ""), "lot": bid.lot,
        "version": bid.version, "status": bid.status, "upload_started_at": _at(bid.started_at), "submitted_at": _at(bid.submitted_at),
        "client_ip": bid.client_ip, "client_fingerprint": bid.fingerprint, "user_agent": bid.user_agent,
    }


async def same_address(session: AsyncSession, tender: Tender, thresholds: Thresholds) -> list[Finding]:
    """Bids of one lot by different organisations uploaded from one address, or one client fingerprint.

    The User-Agent alone is not a fingerprint (thousands of browsers share one): only the
    ``X-Client-Fingerprint`` the bid page or CLI sends counts. One alert per tender, address
    and group of organisations, naming every lot where they met.
    """
    bids = await _bids(session, tender.id)  # type: ignore[arg-type]
    names = await _names(session, (b.organisation_id for b in bids))
    findings: list[Finding] = []
    for kind, value_of in (("address", lambda b: b.client_ip), ("fingerprint", lambda b: b.fingerprint)):
        groups: dict[tuple[str, int], list[_BidSeen]] = defaultdict(list)
        for bid in bids:
            if value_of(bid):
                groups[(value_of(bid), bid.lot)].append(bid)
        shared: dict[str, list[_BidSeen]] = defaultdict(list)
        for (value, _lot), group in groups.items():
            if len({b.organisation_id for b in group}) >= 2:
                shared[value].extend(group)
        for value, group in sorted(shared.items()):
            organisations = sorted({b.organisation_id for b in group})
            findings.append(Finding(
                "same_address", f"same_address:{tender.id}:{kind}:{value}:{_ids(organisations)}",
                {"kind": kind, "value": value, "lots": sorted({b.lot for b in group}), "bids": [_bid_evidence(b, names) for b in group]},
                organisations, tender.id, group[0].lot if len({b.lot for b in group}) == 1 else None, tender.purchaser_organisation_id,
            ))
    return findings


async def signed_together(session: AsyncSession, tender: Tender, thresholds: Thresholds) -> list[Finding]:
    """Bids of different organisations in one lot completed within N seconds of each other."""
    window = timedelta(seconds=float(thresholds.get("signed_together_seconds", tender.region, tender.category)))
    bids = await _bids(session, tender.id)  # type: ignore[arg-type]
    names = await _names(session, (b.organisation_id for b in bids))
    findings: list[Finding] = []
    by_lot: dict[int, list[_BidSeen]] = defaultdict(list)
    for bid in bids:
        by_lot[bid.lot].append(bid)
    for lot, lot_bids in sorted(by_lot.items()):
        lot_bids.sort(key=lambda b: b.submitted_at)
        # Runs of bids each within the window of the one before: a chain of near-simultaneous completions.
        runs: list[list[_BidSeen]] = []
        for bid in lot_bids:
            if runs and bid.submitted_at - runs[-1][-1].submitted_at <= window:
                runs[-1].append(bid)
            else:
                runs.append([bid])
        for run in runs:
            organisations = sorted({b.organisation_id for b in run})
            if len(organisations) < 2:
                continue
            findings.append(Finding(
                "signed_together", f"signed_together:{tender.id}:{lot}:{_ids(b.bid_id for b in run)}",
                {"seconds": str(window.total_seconds()), "lot": lot, "bids": [_bid_evidence(b, names) for b in run],
                 "span_seconds": (run[-1].submitted_at - run[0].submitted_at).total_seconds()},
                organisations, tender.id, lot, tender.purchaser_organisation_id,
            ))
    return findings


# --- Opened bids -------------------------------------------------------------------------------------


async def _opened(session: AsyncSession, tender_id: int) -> list[tuple[Bid, dict[str, Any]]]:
    rows = (await session.execute(
        select(Bid).where(Bid.tender_id == tender_id, Bid.status == BidStatus.opened).order_by(Bid.lot_number, Bid.id)
    )).scalars()
    return [(bid, json.loads(bid.opening_fields or "{}")) for bid in rows]


async def identical_documents(session: AsyncSession, tender: Tender, thresholds: Thresholds) -> list[Finding]:
    """The same file (by the digest in the signed manifest) in the opened bids of different organisations of one lot.

    Empty files are left out: every empty file has the same digest.
    """
    opened = await _opened(session, tender.id)  # type: ignore[arg-type]
    names = await _names(session, (b.organisation_id for b, _ in opened))
    seen: dict[tuple[int, str], list[tuple[Bid, dict[str, Any]]]] = defaultdict(list)
    for bid, fields in opened:
        for entry in fields.get("files", []):
            # Bids opened before digests were kept list only names: nothing to compare.
            if isinstance(entry, dict) and entry.get("digest") and entry.get("size"):
                seen[(bid.lot_number, entry["digest"])].append((bid, entry))
    findings: list[Finding] = []
    for (lot, digest), found in sorted(seen.items()):
        organisations = sorted({bid.organisation_id for bid, _ in found})
        if len(organisations) < 2:
            continue
        findings.append(Finding(
            "identical_documents", f"identical_documents:{tender.id}:{lot}:{digest}",
            {"lot": lot, "digest": digest, "size": found[0][1]["size"],
             "files": [{"bid_id": bid.id, "organisation_id": bid.organisation_id, "organisation": names.get(bid.organisation_id, ""),
                        "name": entry.get("name", ""), "envelope_sha256": bid.sha256} for bid, entry in found]},
            organisations, tender.id, lot, tender.purchaser_organisation_id,
        ))
    return findings


async def price_pattern(session: AsyncSession, tender: Tender, thresholds: Thresholds) -> list[Finding]:
    """A lot's opened prices with fixed gaps, or all within a tiny spread."""
    minimum = int(thresholds.get("price_min_bids", tender.region, tender.category))
    tolerance = thresholds.get("price_gap_tolerance_yuan", tender.region, tender.category)
    ratio = thresholds.get("price_spread_ratio", tender.region, tender.category)
    opened = await _opened(session, tender.id)  # type: ignore[arg-type]
    names = await _names(session, (b.organisation_id for b, _ in opened))
    by_lot: dict[int, list[tuple[Bid, Decimal]]] = defaultdict(list)
    for bid, fields in opened:
        try:
            by_lot[bid.lot_number].append((bid, Decimal(str(fields["price"]))))
        except (KeyError, InvalidOperation):
            continue
    findings: list[Finding] = []
    for lot, priced in sorted(by_lot.items()):
        if len({bid.organisation_id for bid, _ in priced}) < max(minimum, 2):
            continue
        priced.sort(key=lambda item: item[1])
        prices = [price for _, price in priced]
        gaps = [b - a for a, b in itertools.pairwise(prices)]
        patterns = []
        if min(gaps) > 0 and max(gaps) - min(gaps) <= tolerance:
            patterns.append("fixed_gap")
        if prices[0] > 0 and (prices[-1] - prices[0]) / prices[0] <= ratio:
            patterns.append("tiny_spread")
        for pattern in patterns:
            organisations = sorted({bid.organisation_id for bid, _ in priced})
            findings.append(Finding(
                "price_pattern", f"price_pattern:{tender.id}:{lot}:{pattern}",
                {"lot": lot, "pattern": pattern, "gaps": [str(g) for g in gaps], "tolerance_yuan": str(tolerance), "spread_ratio": str(ratio),
                 "spread": str(((prices[-1] - prices[0]) / prices[0]).quantize(Decimal("0.000001"))) if prices[0] > 0 else None,
                 "prices": [{"bid_id": bid.id, "organisation_id": bid.organisation_id, "organisation": names.get(bid.organisation_id, ""),
                             "price": str(price)} for bid, price in priced]},
                organisations, tender.id, lot, tender.purchaser_organisation_id,
            ))
    return findings


# --- A purchaser's tenders over time -----------------------------------------------------------------


async def minimum_deadline_single_bidder(session: AsyncSession, purchaser_id: int, now: datetime, thresholds: Thresholds) -> list[Finding]:
    """At least N tenders of one purchaser within M months whose bidding period was the legal minimum and
    which had a single bidder in a lot at the count. One alert per newest such tender."""
    purchaser = await session.get(Organisation, purchaser_id)
    region = (purchaser.region if purchaser else "")[:6]
    months = int(thresholds.get("minimum_deadline_months", region))
    since = now - timedelta(days=round(months * 365 / 12))
    single = select(LotTally.tender_id).where(LotTally.bids == 1)
    tenders = list((await session.execute(
        select(Tender).where(Tender.purchaser_organisation_id == purchaser_id, Tender.bid_deadline >= since, Tender.bid_deadline <= now,
                             Tender.id.in_(single)).order_by(Tender.bid_deadline, Tender.id)
    )).scalars())
    calendar = await load_calendar(session)
    hits: list[dict[str, Any]] = []
    for tender in tenders:
        try:
            limit = tender_rules.rules_for(tender.track, tender.method).documents_to_deadline
        except tender_rules.NoProcedure:
            continue
        if limit is None or not isinstance(limit.value, tender_rules.Period):
            continue
        slack = int(thresholds.get("minimum_deadline_slack_days", region, tender.category))
        earliest = limit.value.after(beijing_date(as_utc(tender.documents_from)), calendar)
        last_day = beijing_end_date(as_utc(tender.bid_deadline))
        if last_day <= earliest + timedelta(days=slack):
            hits.append({"tender_id": tender.id, "code": tender.code, "title": tender.title, "documents_from": _at(tender.documents_from),
                         "bid_deadline": _at(tender.bid_deadline), "earliest_lawful_day": earliest.isoformat(),
                         "limit": limit.text(), "article": limit.article})
    needed = int(thresholds.get("minimum_deadline_count", region))
    if len(hits) < needed:
        return []
    newest = hits[-1]["tender_id"]
    return [Finding(
        "minimum_deadline_single_bidder", f"minimum_deadline_single_bidder:{purchaser_id}:{newest}",
        {"purchaser": purchaser.name if purchaser else "", "months": months, "needed": needed, "tenders": hits},
        [purchaser_id], newest, None, purchaser_id,
    )]


async def split_purchases(session: AsyncSession, purchaser_id: int, now: datetime, thresholds: Thresholds) -> list[Finding]:
    """化整为零: a purchaser's published tenders of one category in a calendar year, each below the open
    tendering threshold, whose total reaches it. One alert per purchaser, category and year."""
    purchaser = await session.get(Organisation, purchaser_id)
    region = (purchaser.region if purchaser else "")[:6]
    tenders = list((await session.execute(
        select(Tender).where(Tender.purchaser_organisation_id == purchaser_id, Tender.published_at.is_not(None)).order_by(Tender.published_at)
    )).scalars())
    groups: dict[tuple[str, int], list[Tender]] = defaultdict(list)
    for tender in tenders:
        groups[(tender.category, as_utc(tender.published_at).astimezone(BEIJING).year)].append(tender)  # type: ignore[arg-type]
    findings: list[Finding] = []
    for (category, year), group in sorted(groups.items()):
        threshold_fen = int(thresholds.get("split_threshold_yuan", region, category) * 100)
        below = [t for t in group if t.budget_fen < threshold_fen]
        total = sum(t.budget_fen for t in below)
        if len(below) < int(thresholds.get("split_min_tenders", region, category)) or total < threshold_fen:
            continue
        findings.append(Finding(
            "split_purchases", f"split_purchases:{purchaser_id}:{category}:{year}",
            {"purchaser": purchaser.name if purchaser else "", "category": category, "year": year,
             "threshold_yuan": str(Decimal(threshold_fen) / 100), "total_yuan": str(Decimal(total) / 100),
             "tenders": [{"tender_id": t.id, "code": t.code, "title": t.title, "method": t.method, "budget_yuan": str(Decimal(t.budget_fen) / 100),
                          "published_at": _at(t.published_at)} for t in below]},
            [purchaser_id], below[-1].id, None, purchaser_id,
        ))
    return findings


async def expert_frequency(session: AsyncSession, purchaser_id: int, now: datetime, thresholds: Thresholds) -> list[Finding]:
    """An expert seated on the committees of one purchaser's tenders more than N times in the last D days
    (by when each draw was made; the current seats, so a decline does not count). One alert per expert
    and newest such draw. Names are in the evidence: alerts are for supervisors, who see the committees."""
    purchaser = await session.get(Organisation, purchaser_id)
    region = (purchaser.region if purchaser else "")[:6]
    most = int(thresholds.get("expert_frequency_max_seats", region))
    days = int(thresholds.get("expert_frequency_window_days", region))
    rows = (await session.execute(
        select(ExpertDraw.id, ExpertDraw.outcome, ExpertDraw.lot_number, ExpertDraw.evaluation_date, ExpertDraw.created_at,
               Tender.id, Tender.code, Tender.title)
        .join(Tender, Tender.id == ExpertDraw.tender_id)
        .where(Tender.purchaser_organisation_id == purchaser_id, ExpertDraw.created_at >= now - timedelta(days=days),
               ExpertDraw.created_at <= now, ExpertDraw.outcome != "")
        .order_by(ExpertDraw.created_at, ExpertDraw.id)
    )).all()
    seated: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for draw_id, outcome, lot, evaluation_date, drawn_at, tender_id, code, title in rows:
        for seat in json.loads(outcome)["seats"]:
            seated[int(seat[0])].append({"draw_id": draw_id, "tender_id": tender_id, "code": code, "title": title, "lot": lot,
                                         "specialty": seat[1], "evaluation_date": evaluation_date.isoformat(), "drawn_at": _at(drawn_at)})
    often = {expert_id: draws for expert_id, draws in seated.items() if len(draws) > most}
    names = dict((await session.execute(select(Expert.id, Expert.name).where(Expert.id.in_(often or {0})))).all())  # type: ignore[union-attr,arg-type]
    return [Finding(
        "expert_frequency", f"expert_frequency:{purchaser_id}:{expert_id}:{draws[-1]['draw_id']}",
        {"purchaser": purchaser.name if purchaser else "", "expert_id": expert_id, "expert": names.get(expert_id, ""), "seats": len(draws),
         "max_seats": most, "window_days": days, "draws": draws},
        [purchaser_id], draws[-1]["tender_id"], draws[-1]["lot"], purchaser_id,
    ) for expert_id, draws in sorted(often.items())]


# --- Awards across a region's tenders ------------------------------------------------------------------

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
    names = await _names(session, {o for group, lots in found for o in group} | {m.purchaser_id for _, lots in found for m in lots})
    findings = []
    for group, lots in found:
        wins = Counter(m.winner for m in lots)
        purchasers = sorted({m.purchaser_id for m in lots})
        newest = lots[-1]
        findings.append(Finding(
            "rotating_winners", f"rotating_winners:{tender.region}:{_ids(group)}:{newest.award_lot_id}",
            {"region": tender.region, "window_days": days, "max_share": str(max_share),
             "group": [{"organisation_id": o, "organisation": names.get(o, ""), "wins": wins.get(o, 0)} for o in sorted(group)],
             "purchasers": [names.get(p, "") for p in purchasers],
             "lots": [{"tender_id": m.tender_id, "code": m.code, "title": m.title, "lot": m.lot, "purchaser": names.get(m.purchaser_id, ""),
                       "winner": names.get(m.winner, ""), "winner_id": m.winner, "bidders": len(m.bidders), "awarded_at": _at(m.awarded_at)}
                      for m in lots]},
            sorted(group), newest.tender_id, newest.lot, purchasers[0] if len(purchasers) == 1 else None,
        ))
    return findings


# Which rules run at which stage of a tender (service.check_stage).
TENDER_RULES = {
    "closed": (same_address, signed_together),
    "opened": (identical_documents, price_pattern),
    "awarded": (rotating_winners,),
}
PURCHASER_RULES = {
    "published": (split_purchases,),
    "closed": (minimum_deadline_single_bidder,),
    # The committee is drawn after bidding closed, normally before the opening ends; a draw made
    # later is counted at the purchaser's next tender's check.
    "opened": (expert_frequency,),
}


# --- Mall orders, one at a time (run by the scheduler: mall_checks) --------------------------------------

ENDED_ORDER = (OrderStatus.refused, OrderStatus.cancelled, OrderStatus.rejected)


async def _order_context(session: AsyncSession, order_id: int) -> tuple[Order | None, str, dict[str, Any]]:
    """The order, its purchaser's region (for the thresholds) and the facts every mall alert shows."""
    order = await session.get(Order, order_id)
    if order is None:
        return None, "", {}
    purchaser = await session.get(Organisation, order.purchaser_organisation_id)
    names = await _names(session, (order.purchaser_organisation_id, order.supplier_organisation_id))
    return order, (purchaser.region if purchaser else "")[:6], {
        "order_id": order.id, "purchaser": names.get(order.purchaser_organisation_id, ""), "supplier": names.get(order.supplier_organisation_id, ""),
        "status": order.status, "total_yuan": str(to_yuan(order.total_fen)), "placed_at": _at(order.placed_at),
    }


def _order_finding(rule: str, order: Order, evidence: dict[str, Any]) -> Finding:
    return Finding(rule, f"{rule}:{order.id}", evidence, [order.purchaser_organisation_id, order.supplier_organisation_id],
                   purchaser_organisation_id=order.purchaser_organisation_id)


async def _references_seen(session: AsyncSession, product_id: int, moment: datetime) -> list[dict[str, Any]]:
    """The latest e-commerce observation per source entered by ``moment``: what the order's reference averaged."""
    rows = (await session.execute(
        select(ReferencePrice).where(ReferencePrice.product_id == product_id, ReferencePrice.entered_at <= moment)
        .order_by(ReferencePrice.source, ReferencePrice.observed_on.desc(), ReferencePrice.id.desc())
    )).scalars()
    latest: dict[str, ReferencePrice] = {}
    for row in rows:
        latest.setdefault(row.source, row)
    return [{"source": r.source, "url": r.url, "price_yuan": str(to_yuan(r.price_fen)), "observed_on": r.observed_on.isoformat()}
            for r in latest.values()]


async def mall_price_above_reference(session: AsyncSession, order_id: int, now: datetime, thresholds: Thresholds) -> list[Finding]:
    """An order (not refused, cancelled or rejected) with a catalogue item priced above N times the e-commerce
    average it was placed against. An item's stored reference is that average when the product had e-commerce
    prices at the time, else the ceiling: only items with observations entered before the order count."""
    order, region, evidence = await _order_context(session, order_id)
    if order is None or order.status in ENDED_ORDER:
        return []
    ratio = thresholds.get("mall_price_above_reference_ratio", region)
    items = (await session.execute(
        select(OrderItem).where(OrderItem.order_id == order_id, OrderItem.product_id.is_not(None)).order_by(OrderItem.id)
    )).scalars()
    above = []
    for item in items:
        if Decimal(item.unit_price_fen) <= Decimal(item.reference_unit_fen) * ratio:
            continue
        seen = await _references_seen(session, item.product_id, as_utc(order.placed_at))  # type: ignore[arg-type]
        if seen:
            above.append({"product_id": item.product_id, "name": item.name, "brand": item.brand, "model": item.model, "quantity": item.quantity,
                          "unit_price_yuan": str(to_yuan(item.unit_price_fen)), "reference_yuan": str(to_yuan(item.reference_unit_fen)),
                          "times_reference": str((Decimal(item.unit_price_fen) / item.reference_unit_fen).quantize(Decimal("0.01"))),
                          "references": seen})
    if not above:
        return []
    return [_order_finding("mall_price_above_reference", order, {**evidence, "ratio": str(ratio), "items": above})]


@dataclass(frozen=True)
class OrderDeadline:
    """A step of a mall order due within N calendar days of an earlier one."""

    rule: str
    waiting: tuple[str, ...]  # the statuses in which the order still waits for the step
    since: str  # the Order column the days count from
    days: str  # the threshold

    def due(self, since: datetime, thresholds: Thresholds, region: str) -> datetime:
        return as_utc(since) + timedelta(days=int(thresholds.get(self.days, region)))


LATE_ACCEPTANCE = OrderDeadline("mall_late_acceptance", (OrderStatus.shipped,), "shipped_at", "mall_acceptance_days")
LATE_SETTLEMENT = OrderDeadline("mall_late_settlement", (OrderStatus.accepted, OrderStatus.invoiced), "accepted_at", "mall_settlement_days")


async def _late(deadline: OrderDeadline, session: AsyncSession, order_id: int, now: datetime, thresholds: Thresholds) -> list[Finding]:
    order, region, evidence = await _order_context(session, order_id)
    if order is None or order.status not in deadline.waiting:
        return []
    since = as_utc(getattr(order, deadline.since))
    due = deadline.due(since, thresholds, region)
    if due > now:
        return []
    return [_order_finding(deadline.rule, order, {
        **evidence, "since": _at(since), "due": _at(due), "days": int(thresholds.get(deadline.days, region)), "checked_at": _at(now),
        "days_late": (now - due).days,
    })]


async def mall_late_acceptance(session: AsyncSession, order_id: int, now: datetime, thresholds: Thresholds) -> list[Finding]:
    """Shipped, and not accepted (验收) within N days of the shipping."""
    return await _late(LATE_ACCEPTANCE, session, order_id, now, thresholds)


async def mall_late_settlement(session: AsyncSession, order_id: int, now: datetime, thresholds: Thresholds) -> list[Finding]:
    """Accepted (and perhaps invoiced), and not settled (结算) within N days of the acceptance."""
    return await _late(LATE_SETTLEMENT, session, order_id, now, thresholds)


MALL_RULES = {
    "mall_price_above_reference": mall_price_above_reference,
    "mall_late_acceptance": mall_late_acceptance,
    "mall_late_settlement": mall_late_settlement,
}
