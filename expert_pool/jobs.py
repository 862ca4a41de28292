"""The answer deadline of invitations: no answer by ``answer_by`` gives the seat up (a supplementary draw).

Keyed by (invitation, deadline) through the scheduler framework, so it runs once, also late
after the platform was down (the sweep finds every invitation whose deadline passed).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from expert_pool import invitations
from expert_pool.invitation_models import ExpertInvitation, InvitationStatus
from procurement.clock import as_utc
from procurement.platform import Platform
from procurement.scheduler.framework import Recheck


async def _due(session: AsyncSession, moment: datetime) -> list[tuple[str, datetime]]:
    rows = await session.execute(
        select(ExpertInvitation.id, ExpertInvitation.answer_by).where(
            ExpertInvitation.status == InvitationStatus.invited, ExpertInvitation.answer_by <= moment  # type: ignore[operator]
        )
    )
    return [(str(invitation_id), as_utc(at)) for invitation_id, at in rows]


async def _run(session: AsyncSession, platform: Platform, subject_id: str) -> bool:
    return await invitations.expire(session, platform, int(subject_id))


INVITATION_ANSWER = Recheck(kind="invitation-answer", due=_due, run=_run)
