"""Rules over the bids of one tender: where and when they were sent (at ``closed``), and what the
opening revealed, files and prices (at ``opened``).

They run only after bidding closed: before that, even that a bid exists is secret
(docs/bids.md), so no alert may speak of one.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.models import Bid, BidStatus, BidUpload
from procurement.clock import as_utc
from procurement.supervision.rules.findings import Finding, id_list, iso_utc, organisation_names
from procurement.supervision.rules.thresholds import Thresholds
from procurement.tenders.models import Tender

# --- Where and when the bids were sent ------------------------------------------------------------


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
        "version": bid.version, "status": bid.status, "upload_started_at": iso_utc(bid.started_at), "submitted_at": iso_utc(bid.submitted_at),
        "client_ip": bid.client_ip, "client_fingerprint": bid.fingerprint, "user_agent": bid.user_agent,
    }


async def same_address(session: AsyncSession, tender: Tender, thresholds: Thresholds) -> list[Finding]:
    """Bids of one lot by different organisations uploaded from one address, or one client fingerprint.

    The User-Agent alone is not a fingerprint (thousands of browsers share one): only the
    ``X-Client-Fingerprint`` the bid page or CLI sends counts. One alert per tender, address
    and group of organisations, naming every lot where they met.
    """
    bids = await _bids(session, tender.id)  # type: ignore[arg-type]
    names = await organisation_names(session, (b.organisation_id for b in bids))
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
                "same_address", f"same_address:{tender.id}:{kind}:{value}:{id_list(organisations)}",
                {"kind": kind, "value": value, "lots": sorted({b.lot for b in group}), "bids": [_bid_evidence(b, names) for b in group]},
                organisations, tender.id, group[0].lot if len({b.lot for b in group}) == 1 else None, tender.purchaser_organisation_id,
            ))
    return findings


async def signed_together(session: AsyncSession, tender: Tender, thresholds: Thresholds) -> list[Finding]:
    """Bids of different organisations in one lot completed within N seconds of each other."""
    window = timedelta(seconds=float(thresholds.get("signed_together_seconds", tender.region, tender.category)))
    bids = await _bids(session, tender.id)  # type: ignore[arg-type]
    names = await organisation_names(session, (b.organisation_id for b in bids))
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
                "signed_together", f"signed_together:{tender.id}:{lot}:{id_list(b.bid_id for b in run)}",
                {"seconds": str(window.total_seconds()), "lot": lot, "bids": [_bid_evidence(b, names) for b in run],
                 "span_seconds": (run[-1].submitted_at - run[0].submitted_at).total_seconds()},
                organisations, tender.id, lot, tender.purchaser_organisation_id,
            ))
    return findings




# --- What the opening revealed -----------------------------------------------------------------------


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
    names = await organisation_names(session, (b.organisation_id for b, _ in opened))
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
    names = await organisation_names(session, (b.organisation_id for b, _ in opened))
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
