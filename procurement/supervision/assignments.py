"""Supervisors assigned to tenders (项目监督): who oversees which project.

A supervisor assigns themselves or a colleague of the same supervising body to a tender; the
assignment is audited and can be withdrawn. What it changes: the expert draw keeps the
project's supervisors off its committee (they may sit in the pool as experts too), and the
supervisors of a project are on record for anyone auditing it.
"""

from __future__ import annotations

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from procurement.identity.models import Role, User, UserRole
from procurement.platform import Platform
from procurement.supervision.models import ProjectSupervisor
from procurement.tenders import service as tenders


async def supervisors_of(session: AsyncSession, actor: Actor, tender_id: int) -> list[tuple[ProjectSupervisor, User]]:
    await tenders.get_tender(session, actor, tender_id)
    query = (select(ProjectSupervisor, User).join(User, User.id == ProjectSupervisor.user_id)  # type: ignore[arg-type]
             .where(ProjectSupervisor.tender_id == tender_id).order_by(ProjectSupervisor.assigned_at, User.id))
    return [(assigned, user) for assigned, user in (await session.execute(query)).all()]


async def assign(session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, user_id: int) -> ProjectSupervisor:
    await tenders.get_tender(session, actor, tender_id)
    user = await session.get(User, user_id)
    is_supervisor = exists().where(UserRole.user_id == user_id, UserRole.role == Role.supervisor)
    if user is None or user.organisation_id != actor.organisation_id or not user.active or not await session.scalar(select(is_supervisor)):
        raise InvalidInput.for_field("body.user_id", N_("must be an active supervisor of your own supervising body"))
    if await session.get(ProjectSupervisor, (tender_id, user_id)) is not None:
        raise Conflict(N_("%(name)s already supervises this tender"), name=user.display_name)
    assigned = ProjectSupervisor(tender_id=tender_id, user_id=user_id, assigned_by=actor.user_id, assigned_at=platform.clock.now())
    session.add(assigned)
    await session.flush()
    await audit.record(session, platform.clock, actor, "supervision.supervisor_assigned", subject_type="tender", subject_id=tender_id,
                       details={"user_id": user_id, "username": user.username})
    return assigned


async def withdraw(session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, user_id: int) -> None:
    await tenders.get_tender(session, actor, tender_id)
    assigned = await session.get(ProjectSupervisor, (tender_id, user_id), with_for_update=True)
    user = await session.get(User, user_id)
    if assigned is None or user is None:
        raise NotFound(N_("user %(id)s does not supervise this tender"), id=user_id)
    if user.organisation_id != actor.organisation_id:
        raise Forbidden(N_("only the supervising body of %(name)s may withdraw them"), name=user.display_name)
    await session.execute(delete(ProjectSupervisor).where(ProjectSupervisor.tender_id == tender_id, ProjectSupervisor.user_id == user_id))
    await audit.record(session, platform.clock, actor, "supervision.supervisor_withdrawn", subject_type="tender", subject_id=tender_id,
                       details={"user_id": user_id, "username": user.username})
