"""Time-driven tender transitions: scheduled publication, bidding closed at the deadline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.clock import as_utc
from procurement.platform import Platform
from procurement.scheduler.framework import Recheck
from procurement.tenders import service
from procurement.tenders.models import Tender


async def _due(session: AsyncSession, moment: datetime) -> list[tuple[str, datetime]]:
    rows = await session.execute(select(Tender.id, Tender.next_check).where(Tender.next_check.is_not(None), Tender.next_check <= moment))
    return [(str(tender_id), as_utc(at)) for tender_id, at in rows]


async def _recheck(session: AsyncSession, platform: Platform, subject_id: str) -> bool:
    return await service.recheck(session, platform, int(subject_id))


TENDER_RECHECK = Recheck(kind="tender", due=_due, run=_recheck)
