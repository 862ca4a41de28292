"""Sanctions on mall suppliers (freeze 冻结, delist 清退, suspend 暂停) and who may not sell now.

Whether a supplier is barred is decided when a query runs (``barred_suppliers``): a sanction
in effect at that moment, or a blacklist entry in force today. No product row is rewritten
when a sanction starts or ends, so a sanctioned supplier's products leave the catalogue the
moment the sanction is written, and come back the moment it is lifted or its end passes,
even if the scheduler was down then. The scheduler's recheck (``jobs``) only moves the
sanction's own status to ``expired`` for the record.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, and_, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.clock import to_display
from procurement.credit import service as credit
from procurement.credit.models import BlacklistEntry
from procurement.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from procurement.identity.models import Organisation, OrganisationKind, Role
from procurement.mall.models import Sanction, SanctionKind, SanctionStatus
from procurement.platform import Platform

KIND_LABELS = {SanctionKind.freeze: N_("Freeze"), SanctionKind.delist: N_("Delist"), SanctionKind.suspend: N_("Suspend")}


def in_effect(now: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
    """A sanction binds at ``now``: not lifted, started, and not yet ended (tested on the time itself)."""
    return and_(
        Sanction.status == SanctionStatus.active, Sanction.starts_at <= now, or_(Sanction.ends_at.is_(None), Sanction.ends_at > now),
    )


def barred_suppliers(now: datetime | ColumnElement[datetime], today: date | ColumnElement[date]) -> Select[tuple[int]]:
    """Ids of the organisations that may not list or sell: a sanction in effect or a blacklist entry in force.

    The blacklist test is the credit check's own predicate, so one statement filters a whole
    page of products.
    """
    sanctioned = select(Sanction.organisation_id).where(in_effect(now))
    blacklisted = select(Organisation.id).join(BlacklistEntry, BlacklistEntry.uscc == Organisation.uscc).where(credit.in_force(today))
    return select(union(sanctioned, blacklisted).subquery().c[0])


def beijing_today(platform: Platform) -> date:
    return to_display(platform.clock.now()).date()


async def sanction_in_effect(session: AsyncSession, platform: Platform, organisation_id: int) -> Sanction | None:
    query = select(Sanction).where(Sanction.organisation_id == organisation_id, in_effect(platform.clock.now())).order_by(Sanction.id)
    return (await session.execute(query.limit(1))).scalars().first()


async def require_not_sanctioned(session: AsyncSession, platform: Platform, organisation_id: int) -> None:
    sanction = await sanction_in_effect(session, platform, organisation_id)
    if sanction is not None:
        raise Forbidden(
            "this supplier is under a sanction (%(kind)s) until %(until)s and may not list or sell: %(reason)s",
            kind=sanction.kind, until=to_display(sanction.ends_at).strftime("%Y-%m-%d %H:%M") if sanction.ends_at else "—",
            reason=sanction.reason,
        )


def _operator(actor: Actor) -> None:
    if not actor.has(Role.operator):
        raise Forbidden(N_("sanctions on mall suppliers are decided by the trading centre's operators"))


async def impose(
    session: AsyncSession, platform: Platform, actor: Actor, *, organisation_id: int, kind: SanctionKind, reason: str,
    starts_at: datetime | None, ends_at: datetime | None,
) -> Sanction:
    """Freeze, delist or suspend a supplier from ``starts_at`` (default now) until ``ends_at`` (None: permanent)."""
    _operator(actor)
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None or organisation.kind != OrganisationKind.supplier:
        raise InvalidInput.for_field("body.organisation_id", N_("is not a supplier organisation"))
    now = platform.clock.now()
    start = starts_at or now
    if ends_at is not None and ends_at <= max(start, now):
        raise InvalidInput.for_field("body.ends_at", N_("must be after the start and in the future"))
    sanction = Sanction(
        organisation_id=organisation_id, kind=kind, reason=reason, starts_at=start, ends_at=ends_at, status=SanctionStatus.active,
        imposed_by=actor.user_id, created_at=now, next_check=ends_at,
    )
    session.add(sanction)
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "mall.sanction_imposed", subject_type="mall_sanction", subject_id=sanction.id,
        organisation_id=organisation_id,
        details={"organisation_id": organisation_id, "kind": kind, "reason": reason, "starts_at": start.isoformat(),
                 "ends_at": ends_at.isoformat() if ends_at else None},
    )
    return sanction


async def _sanction(session: AsyncSession, sanction_id: int) -> Sanction:
    sanction = await session.get(Sanction, sanction_id, with_for_update=True)
    if sanction is None:
        raise NotFound("there is no sanction %(id)s", id=sanction_id)
    return sanction


async def lift(session: AsyncSession, platform: Platform, actor: Actor, sanction_id: int, reason: str) -> Sanction:
    """Lift a sanction before its end, with the reason; the supplier's products are back at once."""
    _operator(actor)
    sanction = await _sanction(session, sanction_id)
    if sanction.status != SanctionStatus.active:
        raise Conflict("this sanction is %(status)s; only an active one can be lifted", status=sanction.status)
    now = platform.clock.now()
    sanction.status, sanction.lifted_by, sanction.lifted_at, sanction.lift_reason, sanction.next_check = (
        SanctionStatus.lifted, actor.user_id, now, reason, None,
    )
    await audit.record(
        session, platform.clock, actor, "mall.sanction_lifted", subject_type="mall_sanction", subject_id=sanction_id,
        organisation_id=sanction.organisation_id, details={"reason": reason},
    )
    return sanction


async def expire(session: AsyncSession, platform: Platform, sanction_id: int) -> bool:
    """Mark a sanction whose end has passed as expired; idempotent (the scheduler's recheck)."""
    sanction = await session.get(Sanction, sanction_id, with_for_update=True)
    now = platform.clock.now()
    if sanction is None or sanction.status != SanctionStatus.active or sanction.ends_at is None or sanction.ends_at > now:
        return False
    sanction.status, sanction.next_check = SanctionStatus.expired, None
    await audit.record(
        session, platform.clock, None, "mall.sanction_expired", subject_type="mall_sanction", subject_id=sanction_id,
        organisation_id=sanction.organisation_id, details={"ends_at": sanction.ends_at.isoformat()},
    )
    return True


async def listing(session: AsyncSession, *, current_only: bool = False) -> list[tuple[Sanction, str]]:
    """Sanctions with the supplier's name, newest first; ``current_only``: the active ones."""
    query = select(Sanction, Organisation.name).join(Organisation, Organisation.id == Sanction.organisation_id)
    if current_only:
        query = query.where(Sanction.status == SanctionStatus.active)
    return [(s, name) for s, name in (await session.execute(query.order_by(Sanction.id.desc()).limit(500))).all()]
