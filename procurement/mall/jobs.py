"""The sanction expiry recheck: a sanction with an end is marked expired once its end has passed.

Keyed by (sanction, end moment) through the scheduler framework, so it runs once, also late
after downtime (the sweep finds every sanction whose ``next_check`` passed). The catalogue
does not wait for it: the on-sale test compares the end with the current time itself.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.clock import as_utc
from procurement.mall import sanctions
from procurement.mall.models import Sanction, SanctionStatus
from procurement.platform import Platform
from procurement.scheduler.framework import Recheck


async def _due(session: AsyncSession, moment: datetime) -> list[tuple[str, datetime]]:
    rows = await session.execute(
        select(Sanction.id, Sanction.next_check).where(
            Sanction.status == SanctionStatus.active, Sanction.next_check.is_not(None), Sanction.next_check <= moment
        )
    )
    return [(str(sanction_id), as_utc(at)) for sanction_id, at in rows]


async def _run(session: AsyncSession, platform: Platform, subject_id: str) -> bool:
    return await sanctions.expire(session, platform, int(subject_id))


MALL_SANCTION_EXPIRY = Recheck(kind="mall_sanction_expiry", due=_due, run=_run)
