"""The delivery job: each pending message is tried when its ``next_attempt_at`` comes.

Keyed by (message, attempt time) through the scheduler framework, so each attempt runs once,
also late after downtime (the sweep finds every message whose time passed).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from procurement.outbox import service
from procurement.platform import Platform
from procurement.scheduler.framework import Recheck


async def _run(session: AsyncSession, platform: Platform, subject_id: str) -> bool:
    return await service.attempt(session, platform.clock, int(subject_id), service.adapters_for(platform.settings))


OUTBOX_DELIVERY = Recheck(kind="outbox-delivery", due=service.due, run=_run)
