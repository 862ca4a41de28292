"""Past trades written straight into the tables: the demo's year, the known-totals tests, the benchmark.

A ``Trade`` is one published project with one lot, its accepted entry review, and either an
award (with the candidates publicity notice an award row refers to) or a failure (with its
failed-tender notice). An award may name its ranked candidates, the first the winner: then
each candidate's opened bid is written too (the row a candidate refers to), without an
envelope or a signed receipt, which only a real submission has. The rows are what the tender
and award services would have left behind, written in bulk: it seeds data for the
statistics and the award pages, it does not replace the services. Notices and bids carry the
audit position the caller gives (the demo records one audit entry for its whole batch).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.award.models import AwardCandidate, AwardLot, LotState
from bidding.award.rules import award_rules
from bidding.models import Bid, BidStatus, BidUpload, UploadState
from procurement.audit.chain import canonical_json
from procurement.tenders.models import (
    EntryReview,
    Lot,
    Notice,
    NoticeKind,
    Tender,
    TenderStatus,
)
from procurement.tenders.money import to_yuan
from procurement.tenders.notices import TITLE_SUFFIX, tender_facts

RATE_PLACES = Decimal("0.000001")
# What a bulk-written bid says in place of the receipt only a real submission gets.
NO_RECEIPT = canonical_json({"kind": "bulk-written", "note": "past bid loaded in bulk: no envelope, no signed receipt"})


@dataclass(frozen=True)
class Bidder:
    """A supplier that bid in the past: its organisation, the user who sent its bids, the key they were signed with."""

    organisation_id: int
    user_id: int
    key_id: int
    name: str
    uscc: str


@dataclass(frozen=True)
class Candidate:
    bidder: Bidder
    price_fen: int
    total: str  # the comprehensive score, as an evaluation states it


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
    candidates: tuple[Candidate, ...] = ()  # an award's, ranked: the first won (its price is award_fen)


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


def _publicised(trade: Trade) -> datetime:
    assert trade.awarded_at is not None
    return trade.awarded_at - timedelta(days=5)


def _publicity_ends(trade: Trade) -> datetime | None:
    """Works: three days of publicity; government procurement has none (bidding.award.rules)."""
    return _publicised(trade) + timedelta(days=3) if award_rules(trade.track).publicity_at_least else None


def _candidates_facts(trade: Trade, lot: Lot) -> dict[str, object]:
    """What the candidates publicity states, as bidding.award.service publishes it."""
    rules, ends = award_rules(trade.track), _publicity_ends(trade)
    return {"award": {
        "stage": "candidates", "lot": lot.number, "lot_title": lot.title, "report_digest": "0" * 64,
        "candidates": [{"rank": rank, "bidder": c.bidder.name, "uscc": c.bidder.uscc, "price": str(to_yuan(c.price_fen)), "total": c.total}
                       for rank, c in enumerate(trade.candidates, start=1)],
        "reported_at": _publicised(trade).isoformat(), "publicity_ends_at": ends.isoformat() if ends else None,
        "publicity_article": rules.publicity_at_least.article if rules.publicity_at_least else None,
        "objection_answer_within": rules.objection_answer_within.text(), "objection_article": rules.objection_answer_within.article,
    }}


def _notice(tender: Tender, lots: list[Lot], kind: NoticeKind, at: datetime, names: dict[int, str], audit: tuple[int, str],
            details: dict[str, object]) -> dict[str, object]:
    content = canonical_json({"kind": kind.value, "number": 1, "published_at": at.isoformat(), "corrects": None,
                              "tender": tender_facts(tender, lots, names), "details": details})
    return {"tender_id": tender.id, "number": 1, "kind": kind.value, "title": f"{tender.title}{TITLE_SUFFIX[kind]}", "content": content,
            "content_sha256": hashlib.sha256(content.encode()).hexdigest(), "published_at": at, "audit_seq": audit[0],
            "audit_entry_hash": audit[1], "corrects_notice_id": None}


def _ending_notice(trade: Trade, tender: Tender, lot: Lot, names: dict[int, str], audit: tuple[int, str]) -> dict[str, object]:
    """The candidates publicity of an award (naming the candidates when the trade has them), or the failed-tender notice."""
    if trade.award_fen is None:
        return _notice(tender, [lot], NoticeKind.failed, trade.failed_at, names, audit, {})  # type: ignore[arg-type]
    return _notice(tender, [lot], NoticeKind.candidates, _publicised(trade), names, audit, _candidates_facts(trade, lot) if trade.candidates else {})


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
    notice_rows = [_ending_notice(trade, tender, lot, names, audit) for trade, tender, lot in ended]
    notice_ids = list((await session.execute(
        insert(Notice).returning(Notice.id, sort_by_parameter_order=True), notice_rows
    )).scalars()) if notice_rows else []
    awarded = [(trade, tender) for trade, tender, _ in ended if trade.award_fen is not None]
    award_notices = [notice_id for (trade, _, _), notice_id in zip(ended, notice_ids, strict=True) if trade.award_fen is not None]
    if awarded:
        award_ids = list((await session.execute(
            insert(AwardLot).returning(AwardLot.id, sort_by_parameter_order=True),
            [_award(trade, tender.id, notice_id) for (trade, tender), notice_id in zip(awarded, award_notices, strict=True)],  # type: ignore[arg-type]
        )).scalars())
        await _insert_candidates(session, [(trade, tender, award_id) for (trade, tender), award_id in zip(awarded, award_ids, strict=True)
                                           if trade.candidates], audit_seq=audit[0])
    return ids


def _award(trade: Trade, tender_id: int, notice_id: int) -> dict[str, object]:
    assert trade.award_fen is not None and trade.awarded_at is not None
    savings = trade.budget_fen - trade.award_fen
    publicised, ends = _publicised(trade), _publicity_ends(trade)
    return _dump(AwardLot(
        tender_id=tender_id, lot_number=1, state=LotState.awarded, evaluation_id=0, report_digest="0" * 64, reported_at=publicised,
        committee_names="[]", received_at=publicised, publicity_notice_id=notice_id, publish_by=publicised,
        publicity_ends_at=ends, publicity_ended_at=ends, awarded_at=trade.awarded_at,
        budget_fen=trade.budget_fen, award_amount_fen=trade.award_fen, savings_fen=savings,
        discount_rate=(Decimal(savings) / Decimal(trade.budget_fen)).quantize(RATE_PLACES, ROUND_HALF_EVEN),
    ))


async def _insert_candidates(session: AsyncSession, awarded: list[tuple[Trade, Tender, int]], *, audit_seq: int) -> None:
    """Each candidate's opened bid, the candidates in rank order, and the first as the lot's winner."""
    if not awarded:
        return
    uploads: list[dict[str, object]] = []
    bids: list[dict[str, object]] = []
    for trade, tender, _ in awarded:
        assert tender.bid_deadline is not None
        for rank, c in enumerate(trade.candidates, start=1):
            submitted = tender.bid_deadline - timedelta(hours=2 * rank)
            upload_id = hashlib.sha256(f"{tender.code}:{c.bidder.organisation_id}".encode()).hexdigest()[:32]
            uploads.append(_dump(BidUpload(
                id=upload_id, tender_id=tender.id, lot_number=1, organisation_id=c.bidder.organisation_id, user_id=c.bidder.user_id,
                bid_version=1, declared_size=0, state=UploadState.completed, created_at=submitted, updated_at=submitted,
            )) | {"id": upload_id})  # _dump leaves ids to the database; this one is ours
            bids.append(_dump(Bid(
                tender_id=tender.id, lot_number=1, organisation_id=c.bidder.organisation_id, version=1, status=BidStatus.opened,
                upload_id=upload_id, size=0, sha256="", envelope_digest="", signature="", signing_key_id=c.bidder.key_id,
                recipient_key_ids="[]", submitted_by=c.bidder.user_id, submitted_at=submitted, audit_seq=audit_seq,
                receipt=NO_RECEIPT, receipt_signature="", opened_at=tender.bid_deadline,
                opening_fields=json.dumps({"price": str(to_yuan(c.price_fen))}),
            )))
    await session.execute(insert(BidUpload), uploads)
    bid_ids = iter((await session.execute(insert(Bid).returning(Bid.id, sort_by_parameter_order=True), bids)).scalars().all())
    candidates = [
        _dump(AwardCandidate(award_lot_id=award_id, rank=rank, bid_id=next(bid_ids), organisation_id=c.bidder.organisation_id,
                             price_fen=c.price_fen, total=c.total))
        for trade, _, award_id in awarded for rank, c in enumerate(trade.candidates, start=1)
    ]
    candidate_ids = iter((await session.execute(
        insert(AwardCandidate).returning(AwardCandidate.id, sort_by_parameter_order=True), candidates)).scalars().all())
    winners = []
    for trade, _, award_id in awarded:
        ranked = [next(candidate_ids) for _ in trade.candidates]
        winners.append({"id": award_id, "winner_candidate_id": ranked[0]})
    await session.execute(update(AwardLot), winners)  # by primary key, in one statement per batch

