"""The contract (合同): recorded by the purchaser with its document, published, flagged when overdue.

Within 30 days of the award notice (招标投标法 第四十六条; 政府采购法 第四十六条). The document
streams into the object store while its SHA-256 and size are computed, as tender documents
do (``procurement.tenders.documents``): a short read checks who may record it, the object is
written, then a short write records it under the tender's lock and publishes the contract
notice (government: to be published within 2 working days, 政府采购法实施条例 第五十条; the
platform publishes at once). A contract recorded after its due date is recorded as late. The
scheduler flags a lot whose contract is not recorded by then (``recheck``), once, audited; the
same recheck marks the publicity's end and flags a government purchaser that has not decided
within 5 working days of the report (政府采购法实施条例 第四十三条). Supervisors and the trading
centre list both kinds of overdue lot.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, time

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import security
from bidding.award import service
from bidding.award.models import AwardCandidate, AwardLot, LotState
from bidding.award.rules import award_rules, ends
from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.clock import as_utc
from procurement.errors import Conflict, InvalidInput, NotFound
from procurement.platform import Platform
from procurement.scheduler.framework import Recheck
from procurement.tenders import documents, notices
from procurement.tenders import service as tenders
from procurement.tenders.calendar import BEIJING, beijing_date
from procurement.tenders.holidays import load_calendar
from procurement.tenders.models import NoticeKind, Tender
from procurement.tenders.money import to_yuan
from storage import ObjectReader, StorageError


@dataclass(frozen=True)
class ContractIn:
    tender_id: int
    lot_number: int
    signed_on: date  # the Beijing date both parties signed
    name: str  # the document's file name
    content_type: str
    content_length: int | None = None


async def _target(session: AsyncSession, actor: Actor, data: ContractIn, *, for_update: bool = False) -> tuple[Tender, AwardLot]:
    tender = await tenders.get_tender(session, actor, data.tender_id, for_update=for_update)
    service._require_runner(actor, tender)
    row = await service.award_lot(session, data.tender_id, data.lot_number, for_update=for_update)
    if row.state != LotState.awarded:
        raise Conflict("a contract is recorded for an awarded lot without one; lot %(lot)s is %(state)s", lot=data.lot_number, state=row.state)
    return tender, row


def _check_signed_on(signed_on: date, row: AwardLot, now: datetime) -> None:
    if signed_on > beijing_date(now):
        raise InvalidInput.for_field("query.signed_on", "a contract is recorded once signed: %(day)s is in the future", day=signed_on.isoformat())
    awarded_on = beijing_date(as_utc(row.awarded_at))  # type: ignore[arg-type]
    if signed_on < awarded_on:
        raise InvalidInput.for_field("query.signed_on", "the contract follows the award notice of %(day)s", day=awarded_on.isoformat())


async def record_contract(platform: Platform, actor: Actor, data: ContractIn, chunks: AsyncIterable[bytes]) -> AwardLot:
    """Stream the signed contract into the store, then record and publish it; returns the lot."""
    name = documents.check_name(data.name)
    content_type = documents.check_content_type(data.content_type)
    async with platform.db.transaction(write=False) as session:
        _, row = await _target(session, actor, data)
        _check_signed_on(data.signed_on, row, platform.clock.now())
    limit = platform.settings.max_document_bytes
    if data.content_length is not None and data.content_length > limit:
        raise documents.TooLarge("a document may be at most %(limit)s bytes; this one is %(size)s", limit=limit, size=data.content_length)
    key = f"tenders/{data.tender_id}/contracts/{uuid.uuid4().hex}"
    info = await platform.store.put(key, documents._at_most(chunks, limit), content_type=content_type)
    try:
        if info.size == 0:
            raise InvalidInput.for_field("body", "the file is empty")
        async with platform.db.transaction() as session:
            return await _record(session, platform, actor, data, name, content_type, key, info.sha256, info.size)
    except BaseException:
        with anyio.CancelScope(shield=True):  # no row, so no object either
            await platform.store.delete(key)
        raise


async def _record(session: AsyncSession, platform: Platform, actor: Actor, data: ContractIn, name: str, content_type: str,
                  key: str, sha256: str, size: int) -> AwardLot:
    tender, row = await _target(session, actor, data, for_update=True)  # again, under the lock: the state may have moved
    now = platform.clock.now()
    late = signed_at(data.signed_on) >= as_utc(row.contract_due_at)  # type: ignore[arg-type]  # signed after its last day
    row.state, row.contract_signed_on, row.contract_recorded_at, row.contract_recorded_by = LotState.contract_signed, data.signed_on, now, actor.user_id
    row.contract_name, row.contract_content_type, row.contract_object_key, row.contract_sha256, row.contract_size = name, content_type, key, sha256, size
    row.next_check = None
    winner = await session.get(AwardCandidate, row.winner_candidate_id)
    assert winner is not None
    winner_name = (await tenders.organisation_names(session, {winner.organisation_id}))[winner.organisation_id]
    limits = award_rules(tender.track)
    publish_within = limits.contract_published_within
    lots = await tenders.lots_of(session, tender.id)  # type: ignore[arg-type]
    lot = next(x for x in lots if x.number == row.lot_number)
    notice = await notices.publish(session, platform, actor, tender, NoticeKind.contract, lots=lots, details={"award": {
        "stage": "contract", "lot": lot.number, "lot_title": lot.title, "winner": winner_name,
        "award_amount": str(to_yuan(row.award_amount_fen or 0)), "signed_on": data.signed_on.isoformat(), "late": late,
        "contract_article": limits.contract_within.article,
        "publish_by": ends(publish_within, signed_at(data.signed_on), await load_calendar(session)).isoformat() if publish_within else None,
        "document": {"name": name, "sha256": sha256, "size": size, "content_type": content_type},
    }})
    row.contract_notice_id = notice.id
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "award.contract_recorded", subject_type="tender", subject_id=tender.id,
        details={"lot": row.lot_number, "signed_on": data.signed_on.isoformat(), "sha256": sha256, "size": size, "name": name,
                 "late": late, "notice_number": notice.number},
    )
    # The lot's securities fall due from the signing (the winner's; for works, everyone's).
    await security.refunds_due_after_contract(session, platform, tender.id, row.lot_number, signed_at(data.signed_on))  # type: ignore[arg-type]
    await service.advance(session, platform, tender)
    return row


def signed_at(signed_on: date) -> datetime:
    """The start of the signing's Beijing date: periods counted from the signing start the day after."""
    return datetime.combine(signed_on, time(0), BEIJING)


# --- The published document -----------------------------------------------------------------------------


@dataclass
class ContractDownload:
    row: AwardLot
    reader: ObjectReader

    async def chunks(self) -> AsyncIterator[bytes]:
        """The content; a stream that differs from its recorded SHA-256 is cut off, not completed."""
        hasher = hashlib.sha256()
        async with self.reader:
            async for chunk in self.reader:
                hasher.update(chunk)
                yield chunk
        if hasher.hexdigest() != self.row.contract_sha256:
            raise StorageError(f"object {self.row.contract_object_key!r} no longer matches its recorded SHA-256")


async def open_contract(platform: Platform, actor: Actor | None, tender_id: int, lot_number: int) -> ContractDownload:
    """The published contract's document: public, like its notice."""
    async with platform.db.transaction(write=False) as session:
        await tenders.get_tender(session, actor, tender_id)
        row = await service.award_lot(session, tender_id, lot_number)
    if row.contract_object_key is None:
        raise NotFound("lot %(lot)s of tender %(tender)s has no contract recorded", lot=lot_number, tender=tender_id)
    reader = await platform.store.open(row.contract_object_key)
    if reader.info.sha256 != row.contract_sha256 or reader.info.size != row.contract_size:
        await reader.aclose()
        raise StorageError(f"object {row.contract_object_key!r} does not match its recorded size and SHA-256")
    return ContractDownload(row, reader)


# --- The scheduler: the publicity ends, the decision and the contract fall overdue ----------------------------------


async def recheck(session: AsyncSession, platform: Platform, award_lot_id: int) -> bool:
    """Mark what came due for the lot: its publicity's end, the decision overdue, its contract overdue. Idempotent."""
    row = await session.get(AwardLot, award_lot_id, with_for_update=True)
    if row is None:
        return False
    tender = await session.get(Tender, row.tender_id)
    assert tender is not None
    now = platform.clock.now()
    changed = False
    if row.state == LotState.publicised and row.publicity_ends_at and row.publicity_ended_at is None and now >= as_utc(row.publicity_ends_at):
        row.publicity_ended_at = as_utc(row.publicity_ends_at)
        await audit.record(session, platform.clock, None, "award.publicity_ended", subject_type="tender", subject_id=tender.id,
                           organisation_id=tender.owner_organisation_id,
                           details={"lot": row.lot_number, "publicity_ends_at": as_utc(row.publicity_ends_at).isoformat()})
        changed = True
    if row.state == LotState.publicised and row.decide_by and row.decision_overdue_at is None and now >= as_utc(row.decide_by):
        row.decision_overdue_at = now
        limit = award_rules(tender.track).decide_within
        await audit.record(session, platform.clock, None, "award.decision_overdue", subject_type="tender", subject_id=tender.id,
                           organisation_id=tender.owner_organisation_id,
                           details={"lot": row.lot_number, "reported_at": as_utc(row.reported_at).isoformat(),
                                    "decide_by": as_utc(row.decide_by).isoformat(), "article": limit.article if limit else ""})
        changed = True
    if row.state == LotState.awarded and row.contract_overdue_at is None and row.contract_due_at and now >= as_utc(row.contract_due_at):
        row.contract_overdue_at = now
        limit = award_rules(tender.track).contract_within
        await audit.record(session, platform.clock, None, "award.contract_overdue", subject_type="tender", subject_id=tender.id,
                           organisation_id=tender.owner_organisation_id,
                           details={"lot": row.lot_number, "contract_due_at": as_utc(row.contract_due_at).isoformat(),
                                    "article": limit.article})
        changed = True
    row.next_check = service.next_check(row)
    await session.flush()
    return changed


async def _due(session: AsyncSession, moment: datetime) -> list[tuple[str, datetime]]:
    rows = await session.execute(select(AwardLot.id, AwardLot.next_check).where(AwardLot.next_check.is_not(None), AwardLot.next_check <= moment))
    return [(str(row_id), as_utc(at)) for row_id, at in rows]


async def _run(session: AsyncSession, platform: Platform, subject_id: str) -> bool:
    return await recheck(session, platform, int(subject_id))


AWARD_RECHECK = Recheck(kind="award", due=_due, run=_run)


async def overdue_contracts(session: AsyncSession) -> list[AwardLot]:
    """Lots whose contract the scheduler flagged overdue and which still have none: the supervisors' list."""
    query = select(AwardLot).where(AwardLot.state == LotState.awarded, AwardLot.contract_overdue_at.is_not(None))
    return list((await session.execute(query.order_by(AwardLot.contract_due_at, AwardLot.id))).scalars())


async def overdue_decisions(session: AsyncSession) -> list[AwardLot]:
    """Government lots whose purchaser the scheduler flagged for not deciding in time, still undecided: the supervisors' list."""
    query = select(AwardLot).where(AwardLot.state == LotState.publicised, AwardLot.decision_overdue_at.is_not(None))
    return list((await session.execute(query.order_by(AwardLot.decide_by, AwardLot.id))).scalars())
