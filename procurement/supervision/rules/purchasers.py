"""Rules over one purchaser's tenders over time: repeated minimum bidding periods that drew a
single bidder (at ``closed``), and purchases split below the open tendering threshold (at
``published``). The region in the thresholds is the purchaser organisation's."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.models import LotTally
from procurement.clock import as_utc
from procurement.identity.models import Organisation
from procurement.supervision.rules.findings import Finding, iso_utc
from procurement.supervision.rules.thresholds import Thresholds
from procurement.tenders import rules as tender_rules
from procurement.tenders.calendar import BEIJING, beijing_date, beijing_end_date
from procurement.tenders.holidays import load_calendar
from procurement.tenders.models import Tender


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
            hits.append({"tender_id": tender.id, "code": tender.code, "title": tender.title, "documents_from": iso_utc(tender.documents_from),
                         "bid_deadline": iso_utc(tender.bid_deadline), "earliest_lawful_day": earliest.isoformat(),
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
                          "published_at": iso_utc(t.published_at)} for t in below]},
            [purchaser_id], below[-1].id, None, purchaser_id,
        ))
    return findings
