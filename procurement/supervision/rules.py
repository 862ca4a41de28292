"""The risk rules: each a small function over the records, returning what it found with its evidence.

A rule only reads (bids, uploads, tallies, tenders); it never decides anything. What counts
as "unusual" is a threshold (``DEFAULTS``, overridden per region and category in the
``risk_threshold`` table). Rules about bids run only after bidding closed: before that, even
that a bid exists is secret (docs/bids.md), so no alert may speak of one.

Rules still to come, once their data exists (docs/supervision.md, "Rule slots"): rotating
winners (needs awards), expert frequency per purchaser (needs draws), mall prices above the
e-commerce reference and late acceptance or settlement (need the mall), document metadata
(author, creation software: needs the opened files read, not only their digests).
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.models import Bid, BidStatus, BidUpload, LotTally
from procurement.clock import as_utc
from procurement.errors import N_
from procurement.identity.models import Organisation
from procurement.supervision.models import RiskThreshold
from procurement.tenders import rules as tender_rules
from procurement.tenders.calendar import BEIJING, beijing_date, beijing_end_date
from procurement.tenders.holidays import load_calendar
from procurement.tenders.models import Tender

# Message ids: each rule's name as supervisors read it.
RULE_LABELS = {
    "same_address": N_("Bids of different bidders sent from one address or one client"),
    "signed_together": N_("Bids of different bidders completed within seconds of each other"),
    "identical_documents": N_("Identical files in the bids of different bidders"),
    "price_pattern": N_("Bid prices in a pattern (fixed gaps or a tiny spread)"),
    "minimum_deadline_single_bidder": N_("Repeated minimum bidding periods with a single bidder"),
    "split_purchases": N_("Purchases of one kind split below the threshold (化整为零)"),
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


# Which rules run at which stage of a tender (service.check_stage).
TENDER_RULES = {
    "closed": (same_address, signed_together),
    "opened": (identical_documents, price_pattern),
}
PURCHASER_RULES = {
    "published": (split_purchases,),
    "closed": (minimum_deadline_single_bidder,),
}
