"""At the deadline: count each lot's bids; a lot with fewer than the law's minimum fails.

招标投标法实施条例 第四十四条: with fewer than three bidders the bids are not opened and the
tender is held again; 政府采购法 第三十六条 likewise for government procurement. The count
is of current bids (withdrawn and superseded ones do not count), made once per tender by
the scheduler after bidding closed, also after downtime; its result is kept per lot.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.models import Bid, BidStatus, LotTally
from bidding.service import embargo_key
from procurement.audit import service as audit
from procurement.clock import as_utc
from procurement.platform import Platform
from procurement.scheduler.framework import Recheck
from procurement.tenders import rules
from procurement.tenders import service as tenders
from procurement.tenders.models import Tender, TenderStatus

TO_OPENING = "to_opening"
FAILED = "failed"


async def tally(session: AsyncSession, platform: Platform, tender_id: int) -> bool:
    """Count the bids of every lot of a tender whose bidding closed; idempotent."""
    tender = await session.get(Tender, tender_id, with_for_update=True)
    if tender is None or tender.status != TenderStatus.bidding_closed:
        return False
    if (await session.execute(select(LotTally.id).where(LotTally.tender_id == tender_id).limit(1))).first():
        return False
    minimum = rules.rules_for(tender.track, tender.method).minimum_bids
    needed = int(minimum.value)  # type: ignore[call-overload]
    counts = dict(
        (await session.execute(
            select(Bid.lot_number, func.count()).where(Bid.tender_id == tender_id, Bid.status == BidStatus.submitted).group_by(Bid.lot_number)
        )).all()
    )
    now = platform.clock.now()
    outcome: dict[str, dict[str, object]] = {}
    failed: list[int] = []
    for lot in await tenders.lots_of(session, tender_id):
        bids = int(counts.get(lot.number, 0))
        result = TO_OPENING if bids >= needed else FAILED
        session.add(LotTally(tender_id=tender_id, lot_number=lot.number, bids=bids, needed=needed, outcome=result, counted_at=now))
        outcome[str(lot.number)] = {"bids": bids, "needed": needed, "outcome": result}
        if result == FAILED:
            failed.append(lot.number)
    await session.flush()
    # Bidding is closed: the bids' audit entries may now be read (the count is public anyway).
    await audit.release_embargo(session, platform.clock, embargo_key(tender_id))
    await audit.record(
        session, platform.clock, None, "bid.lots_tallied", subject_type="tender", subject_id=tender_id,
        organisation_id=tender.owner_organisation_id, details={"lots": outcome},
    )
    if failed:
        await tenders.fail_lots(
            session, platform, tender, failed,
            f"投标截止时递交投标文件的投标人少于{needed}个，不予开标，依法重新组织采购（{minimum.article}）",
            facts={"bids_received": {n: outcome[str(n)]["bids"] for n in failed}},
        )
    return True


async def _due(session: AsyncSession, moment: datetime) -> list[tuple[str, datetime]]:
    """Tenders whose bidding closed and whose lots are not counted yet; due at their deadline."""
    counted = exists().where(LotTally.tender_id == Tender.id)
    rows = await session.execute(
        select(Tender.id, Tender.bid_deadline).where(Tender.status == TenderStatus.bidding_closed, Tender.bid_deadline <= moment, ~counted)
    )
    return [(str(tender_id), as_utc(deadline)) for tender_id, deadline in rows]


async def _run(session: AsyncSession, platform: Platform, subject_id: str) -> bool:
    return await tally(session, platform, int(subject_id))


BID_TALLY = Recheck(kind="bid_tally", due=_due, run=_run)
