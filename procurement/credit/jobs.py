"""The expiry recheck: an entry in force expires at the end of its end date (Beijing day).

Keyed by (entry, end moment) through the scheduler framework, so it runs once, also late
after the platform was down (the sweep finds every entry whose ``next_check`` passed).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.clock import as_utc
from procurement.credit import workflow
from procurement.credit.models import BlacklistEntry, EntryStatus
from procurement.platform import Platform
from procurement.scheduler.framework import Recheck


async def _due(session: AsyncSession, moment: datetime) -> list[tuple[str, datetime]]:
    rows = await session.execute(
        select(BlacklistEntry.id, BlacklistEntry.next_check).where(
            BlacklistEntry.status == EntryStatus.in_force, BlacklistEntry.next_check.is_not(None), BlacklistEntry.next_check <= moment
        )
    )
    return [(str(entry_id), as_utc(at)) for entry_id, at in rows]


async def _run(session: AsyncSession, platform: Platform, subject_id: str) -> bool:
    return await workflow.expire(session, platform, int(subject_id))


CREDIT_EXPIRY = Recheck(kind="credit_expiry", due=_due, run=_run)
