"""Past trades written straight into the tables: the demo's year, the known-totals tests, the benchmark.

A ``Trade`` is one published project with one lot, its accepted entry review, and either an
award (with the candidates publicity notice an award row refers to) or a failure (with its
failed-tender notice). The rows are what the tender and award services would have left
behind, written in bulk: it seeds data for the statistics, it does not replace the services.
Notices carry the audit position the caller gives (the demo records one audit entry for its
whole batch).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.award.models import AwardLot, LotState
from procurement.audit.chain import canonical_json
from procurement.tenders.models import (
    EntryReview,
    Lot,
    Notice,
    NoticeKind,
    Tender,
    TenderStatus,
)
from procurement.tenders.notices import TITLE_SUFFIX, tender_facts

RATE_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class Trade:
    code: str
    title: str
    track: str
    category: str
    method: str
    region: str
    purchaser_id: int
    budget_fen: int
    published_at: datetime
    award_fen: int | None = None  # awarded for this amount
    awarded_at: datetime | None = None
    failed_at: datetime | None = None
    green_channel: bool = False
    submitted_days: float = 2.0  # from submission for entry review to publication
    review_hours: float = 20.0  # the entry review's decision time


def _status(trade: Trade) -> str:
    if trade.award_fen is not None:
        return TenderStatus.awarded
    return TenderStatus.failed if trade.failed_at else TenderStatus.published


def _tender(trade: Trade) -> Tender:
    submitted = trade.published_at - timedelta(days=trade.submitted_days)
    return Tender(
        code=trade.code, title=trade.title, track=trade.track, category=trade.category, method=trade.method, region=trade.region,
        budget_fen=trade.budget_fen, purchaser_organisation_id=trade.purchaser_id, owner_organisation_id=trade.purchaser_id,
        status=_status(trade), green_channel=trade.green_channel, documents_from=trade.published_at,
        documents_until=trade.published_at + timedelta(days=7), bid_deadline=trade.published_at + timedelta(days=21),
        submitted_at=submitted, published_at=trade.published_at, created_at=submitted, updated_at=trade.awarded_at or trade.failed_at or trade.published_at,
        closed_reason="投标人不足三家" if trade.failed_at else "",
    )


def _notice(tender: Tender, lots: list[Lot], kind: NoticeKind, at: datetime, names: dict[int, str], audit: tuple[int, str]) -> dict[str, object]:
    content = canonical_json({"kind": kind.value, "number": 1, "published_at": at.isoformat(), "corrects": None,
                              "tender": tender_facts(tender, lots, names), "details": {}})
    return {"tender_id": tender.id, "number": 1, "kind": kind.value, "title": f"{tender.title}{TITLE_SUFFIX[kind]}", "content": content,
            "content_sha256": hashlib.sha256(content.encode()).hexdigest(), "published_at": at, "audit_seq": audit[0],
            "audit_entry_hash": audit[1], "corrects_notice_id": None}


def _dump(model: object) -> dict[str, object]:
    row = model.model_dump()  # type: ignore[attr-defined]
    row.pop("id", None)
    return row


async def insert_trades(session: AsyncSession, trades: Sequence[Trade], *, reviewer_id: int, names: dict[int, str],
                        audit: tuple[int, str] = (0, "0" * 64)) -> list[int]:
    """Write ``trades`` (in the caller's transaction); returns the new tenders' ids in order."""
    tenders = [_tender(t) for t in trades]
    ids = list((await session.execute(
        insert(Tender).returning(Tender.id, sort_by_parameter_order=True), [_dump(t) for t in tenders]
    )).scalars())
    lots: list[Lot] = []
    reviews: list[dict[str, object]] = []
    for trade, tender, tender_id in zip(trades, tenders, ids, strict=True):
        tender.id = tender_id
        lots.append(Lot(tender_id=tender_id, number=1, title="全部内容", budget_fen=trade.budget_fen, evaluation_method="comprehensive_scoring"))
        decided = trade.published_at - timedelta(days=trade.submitted_days) + timedelta(hours=trade.review_hours)
        reviews.append(_dump(EntryReview(
            tender_id=tender_id, decision="accepted", checklist=json.dumps({}), reviewer_id=reviewer_id,
            submitted_at=trade.published_at - timedelta(days=trade.submitted_days), decided_at=decided, elapsed_seconds=int(trade.review_hours * 3600),
        )))
    await session.execute(insert(Lot), [_dump(lot) for lot in lots])
    await session.execute(insert(EntryReview), reviews)
    ended = [(trade, tender, lot) for trade, tender, lot in zip(trades, tenders, lots, strict=True) if trade.award_fen is not None or trade.failed_at]
    notice_rows = [
        _notice(tender, [lot], NoticeKind.candidates if trade.award_fen is not None else NoticeKind.failed,
                (trade.awarded_at - timedelta(days=5)) if trade.awarded_at else trade.failed_at, names, audit)  # type: ignore[arg-type, operator]
        for trade, tender, lot in ended
    ]
    notice_ids = list((await session.execute(
        insert(Notice).returning(Notice.id, sort_by_parameter_order=True), notice_rows
    )).scalars()) if notice_rows else []
    awards = [_award(trade, tender.id, notice_id) for (trade, tender, _), notice_id in zip(ended, notice_ids, strict=True)  # type: ignore[arg-type]
              if trade.award_fen is not None]
    if awards:
        await session.execute(insert(AwardLot), awards)
    return ids


def _award(trade: Trade, tender_id: int, notice_id: int) -> dict[str, object]:
    assert trade.award_fen is not None and trade.awarded_at is not None
    savings = trade.budget_fen - trade.award_fen
    publicised = trade.awarded_at - timedelta(days=5)
    return _dump(AwardLot(
        tender_id=tender_id, lot_number=1, state=LotState.awarded, evaluation_id=0, report_digest="0" * 64, reported_at=publicised,
        committee_names="[]", received_at=publicised, publicity_notice_id=notice_id, publish_by=publicised,
        publicity_ends_at=publicised + timedelta(days=3), publicity_ended_at=publicised + timedelta(days=3), awarded_at=trade.awarded_at,
        budget_fen=trade.budget_fen, award_amount_fen=trade.award_fen, savings_fen=savings,
        discount_rate=(Decimal(savings) / Decimal(trade.budget_fen)).quantize(RATE_PLACES, ROUND_HALF_EVEN),
    ))
