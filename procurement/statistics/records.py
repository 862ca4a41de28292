"""What else happened in a period, for the supervisors' period report: alerts raised, blacklist
entries put in force, tenders failed. Read-only, supervisors only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.credit.models import BlacklistEntry
from procurement.errors import Forbidden
from procurement.identity.models import Role
from procurement.statistics.periods import Period
from procurement.supervision.models import RiskAlert
from procurement.tenders.models import Notice, NoticeKind, Tender, TenderStatus

# A report lists at most this many of each; the count says when there were more.
MAX_LISTED = 500


@dataclass(frozen=True)
class PeriodRecords:
    alerts: list[RiskAlert]
    alerts_total: int
    entries: list[BlacklistEntry]  # put in force in the period (whatever their status now)
    failed: list[tuple[Tender, datetime]]  # with the time of the failure notice


async def period_records(session: AsyncSession, actor: Actor, period: Period) -> PeriodRecords:
    if not actor.has(Role.supervisor):
        raise Forbidden("the period report is for supervisors")
    in_period = and_(RiskAlert.raised_at >= period.start, RiskAlert.raised_at < period.end)
    alerts = list((await session.execute(
        select(RiskAlert).where(in_period).order_by(RiskAlert.raised_at, RiskAlert.id).limit(MAX_LISTED))).scalars())
    alerts_total = (await session.execute(select(func.count()).select_from(RiskAlert).where(in_period))).scalar_one()
    entries = list((await session.execute(
        select(BlacklistEntry).where(BlacklistEntry.approved_by.isnot(None), BlacklistEntry.decided_at >= period.start,
                                     BlacklistEntry.decided_at < period.end)
        .order_by(BlacklistEntry.decided_at, BlacklistEntry.id).limit(MAX_LISTED))).scalars())
    failed_at = func.max(Notice.published_at)
    failures = (
        select(Tender, failed_at.label("failed_at")).join(Notice, and_(Notice.tender_id == Tender.id, Notice.kind == NoticeKind.failed))
        .where(Tender.status == TenderStatus.failed).group_by(Tender.id)
        .having(and_(failed_at >= period.start, failed_at < period.end)).order_by(failed_at, Tender.id).limit(MAX_LISTED)
    )
    failed = [(tender, at) for tender, at in (await session.execute(failures)).all()]
    return PeriodRecords(alerts=alerts, alerts_total=alerts_total, entries=entries, failed=failed)
