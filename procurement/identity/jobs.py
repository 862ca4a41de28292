"""Time-driven identity transitions: an account lock ends by itself, and is audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.clock import as_utc
from procurement.identity import sessions
from procurement.identity.models import User
from procurement.platform import Platform
from procurement.scheduler.framework import Recheck


async def _locks_due(session: AsyncSession, moment: datetime) -> list[tuple[str, datetime]]:
    rows = await session.execute(select(User.id, User.locked_until).where(User.locked_until.is_not(None), User.locked_until <= moment))
    return [(str(user_id), as_utc(until)) for user_id, until in rows]


async def _unlock(session: AsyncSession, platform: Platform, subject_id: str) -> bool:
    return await sessions.unlock_expired_account(session, platform, int(subject_id))


ACCOUNT_UNLOCK = Recheck(kind="account-unlock", due=_locks_due, run=_unlock)
