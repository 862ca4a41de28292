"""Risk checks at each stage of a tender, the alerts they raise, and the supervisors' work on them.

When the data arrives: each tender is checked once at each stage, a few minutes after it
(``CHECK_DELAY``), by the scheduler (``jobs.RISK_RECHECK``), also after downtime:

- ``published``: the purchaser's purchases of the year (split purchases);
- ``closed`` (bids counted at the deadline, and with it the bids' secrecy lifted): where the
  bids came from and when they were completed, and the purchaser's short deadlines;
- ``opened`` (the opening closed): the files and prices the bids revealed;
- ``awarded`` (every lot handed to the award is awarded): who won among whom, across the region.

Supervision reads the other domains' tables and changes none of them. Every alert raised,
taken under review or closed is audited in the same transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, and_, cast, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.award.models import AwardLot
from bidding.models import Bid, LotTally, Opening
from bidding.security_models import BidSecurity
from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.audit.models import AuditEmbargo, AuditEntry
from procurement.clock import as_utc
from procurement.errors import Conflict, Forbidden, InvalidInput, NotFound
from procurement.identity.models import Role
from procurement.platform import Platform
from procurement.supervision import rules
from procurement.supervision.models import AlertState, RiskAlert, RiskCheck
from procurement.tenders.models import Tender

STAGES = ("published", "closed", "opened", "awarded")
# The stage's own transitions (the count, the failure notice, the opening record) have
# committed by then, also when a sweep catches up after downtime and runs everything at once.
CHECK_DELAY = timedelta(minutes=5)
MAX_REASON = 2000


def _supervisor(actor: Actor) -> None:
    if not actor.has(Role.supervisor):
        raise Forbidden("risk alerts are for supervisors")


# --- Raising ------------------------------------------------------------------------------------------


async def raise_findings(session: AsyncSession, platform: Platform, findings: list[rules.Finding]) -> list[RiskAlert]:
    """Store what is new among ``findings`` as alerts, each with its audit entry; a known key is skipped."""
    raised: list[RiskAlert] = []
    for finding in findings:
        known = (await session.execute(select(RiskAlert.id).where(RiskAlert.dedupe_key == finding.key[:300]))).first()
        if known is not None:
            continue
        alert = RiskAlert(
            rule=finding.rule, dedupe_key=finding.key[:300], tender_id=finding.tender_id, lot_number=finding.lot_number,
            purchaser_organisation_id=finding.purchaser_organisation_id, organisation_ids=json.dumps(sorted(set(finding.organisation_ids))),
            evidence=json.dumps(finding.evidence, ensure_ascii=False, sort_keys=True), state=AlertState.new, raised_at=platform.clock.now(),
        )
        session.add(alert)
        await session.flush()
        entry = await audit.record(
            session, platform.clock, None, "supervision.alert_raised", subject_type="risk_alert", subject_id=alert.id,
            details={"rule": alert.rule, "tender_id": alert.tender_id, "lot": alert.lot_number, "key": alert.dedupe_key,
                     "organisation_ids": json.loads(alert.organisation_ids)},
        )
        alert.audit_seq = entry.seq
        raised.append(alert)
    await session.flush()
    return raised


async def check_stage(session: AsyncSession, platform: Platform, tender_id: int, stage: str) -> bool:
    """Run the stage's rules on one tender, once; returns whether it ran now."""
    if stage not in STAGES:
        raise ValueError(f"no risk check stage {stage!r}")
    tender = await session.get(Tender, tender_id)
    if tender is None or await session.get(RiskCheck, (tender_id, stage)) is not None:
        return False
    thresholds = await rules.load_thresholds(session)
    findings: list[rules.Finding] = []
    for rule in rules.TENDER_RULES.get(stage, ()):
        findings += await rule(session, tender, thresholds)
    for purchaser_rule in rules.PURCHASER_RULES.get(stage, ()):
        findings += await purchaser_rule(session, tender.purchaser_organisation_id, platform.clock.now(), thresholds)
    raised = await raise_findings(session, platform, findings)
    session.add(RiskCheck(tender_id=tender_id, stage=stage, checked_at=platform.clock.now(), alerts=len(raised)))
    await session.flush()
    return True


async def pending(session: AsyncSession, moment: datetime) -> list[tuple[str, datetime]]:
    """("tender_id:stage", due) of every stage check not yet run whose data arrived by ``moment`` - CHECK_DELAY."""
    def not_checked(stage: str):
        return ~exists().where(RiskCheck.tender_id == Tender.id, RiskCheck.stage == stage)

    arrived = moment - CHECK_DELAY
    found: list[tuple[str, datetime]] = []
    published = select(Tender.id, Tender.published_at).where(Tender.published_at.is_not(None), Tender.published_at <= arrived,
                                                             not_checked("published"))
    counted = (select(LotTally.tender_id, func.max(LotTally.counted_at).label("at")).group_by(LotTally.tender_id).subquery())
    closed = select(Tender.id, counted.c.at).join(counted, counted.c.tender_id == Tender.id).where(counted.c.at <= arrived, not_checked("closed"))
    opened = select(Tender.id, Opening.closed_at).join(Opening, Opening.tender_id == Tender.id).where(
        Opening.closed_at.is_not(None), Opening.closed_at <= arrived, not_checked("opened"))
    decided = (select(AwardLot.tender_id, func.max(AwardLot.awarded_at).label("at")).group_by(AwardLot.tender_id)
               .having(func.count(AwardLot.awarded_at) == func.count()).subquery())
    awarded = select(Tender.id, decided.c.at).join(decided, decided.c.tender_id == Tender.id).where(decided.c.at <= arrived,
                                                                                                 not_checked("awarded"))
    for stage, query in (("published", published), ("closed", closed), ("opened", opened), ("awarded", awarded)):
        for tender_id, at in await session.execute(query):
            found.append((f"{tender_id}:{stage}", as_utc(at) + CHECK_DELAY))
    return found


async def run_subject(session: AsyncSession, platform: Platform, subject_id: str) -> bool:
    tender_id, _, stage = subject_id.partition(":")
    return await check_stage(session, platform, int(tender_id), stage)


async def check_now(platform: Platform) -> int:
    """Run every stage check whose data has arrived, without waiting for the delay (the demo, the CLI)."""
    async with platform.db.transaction(write=False) as session:
        due = await pending(session, platform.clock.now() + CHECK_DELAY)
    ran = 0
    for subject_id, _ in due:
        async with platform.db.transaction() as session:
            ran += await run_subject(session, platform, subject_id)
    return ran


# --- Reading and working on alerts ---------------------------------------------------------------------


@dataclass(frozen=True)
class AlertFilter:
    state: str | None = None
    rule: str | None = None
    tender_id: int | None = None
    organisation_id: int | None = None
    limit: int = 50
    offset: int = 0


async def alerts(session: AsyncSession, actor: Actor, flt: AlertFilter) -> tuple[list[RiskAlert], int]:
    _supervisor(actor)
    conditions = []
    if flt.state:
        conditions.append(RiskAlert.state == flt.state)
    if flt.rule:
        conditions.append(RiskAlert.rule == flt.rule)
    if flt.tender_id is not None:
        conditions.append(RiskAlert.tender_id == flt.tender_id)
    if flt.organisation_id is not None:
        # The organisations are a JSON list of numbers: match the number with its delimiters.
        number = str(flt.organisation_id)
        conditions.append(or_(RiskAlert.purchaser_organisation_id == flt.organisation_id,
                              *(RiskAlert.organisation_ids.like(pattern) for pattern in
                                (f"[{number}]", f"[{number}, %", f"%, {number}, %", f"%, {number}]"))))
    total = (await session.execute(select(func.count()).select_from(RiskAlert).where(*conditions))).scalar_one()
    rows = (await session.execute(
        select(RiskAlert).where(*conditions).order_by(RiskAlert.raised_at.desc(), RiskAlert.id.desc()).limit(flt.limit).offset(flt.offset)
    )).scalars()
    return list(rows), int(total)


async def alert(session: AsyncSession, actor: Actor, alert_id: int, *, lock: bool = False) -> RiskAlert:
    _supervisor(actor)
    found = await session.get(RiskAlert, alert_id, with_for_update=lock)
    if found is None:
        raise NotFound("no risk alert %(id)s", id=alert_id)
    return found


async def review(session: AsyncSession, platform: Platform, actor: Actor, alert_id: int) -> RiskAlert:
    """A supervisor takes a new alert under review."""
    found = await alert(session, actor, alert_id, lock=True)
    if found.state != AlertState.new:
        raise Conflict("only a new alert can be taken under review; this one is %(state)s", state=found.state)
    found.state, found.reviewer_id, found.reviewed_at = AlertState.under_review, actor.user_id, platform.clock.now()
    await session.flush()
    await audit.record(session, platform.clock, actor, "supervision.alert_under_review", subject_type="risk_alert", subject_id=found.id,
                       details={"rule": found.rule, "tender_id": found.tender_id})
    return found


async def close(session: AsyncSession, platform: Platform, actor: Actor, alert_id: int, reason: str) -> RiskAlert:
    """A supervisor closes an alert, saying why (a finding passed on, or no cause found)."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput.for_field("body.reason", "say why the alert is closed")
    if len(reason) > MAX_REASON:
        raise InvalidInput.for_field("body.reason", "at most %(max)s characters", max=MAX_REASON)
    found = await alert(session, actor, alert_id, lock=True)
    if found.state == AlertState.closed:
        raise Conflict("this alert is already closed")
    found.state, found.closed_by, found.closed_at, found.close_reason = AlertState.closed, actor.user_id, platform.clock.now(), reason
    await session.flush()
    await audit.record(session, platform.clock, actor, "supervision.alert_closed", subject_type="risk_alert", subject_id=found.id,
                       details={"rule": found.rule, "tender_id": found.tender_id, "reason": reason})
    return found


# --- A tender's history, for the console and the report --------------------------------------------------


async def tender_history(session: AsyncSession, actor: Actor, tender_id: int) -> tuple[Tender, list[AuditEntry]]:
    """The tender and every readable audit entry about it, its bids, securities and alerts, in log order."""
    _supervisor(actor)
    tender = await session.get(Tender, tender_id)
    if tender is None:
        raise NotFound("no tender %(id)s", id=tender_id)
    subject = str(tender_id)
    bids = select(cast(Bid.id, String)).where(Bid.tender_id == tender_id)
    securities = select(cast(BidSecurity.id, String)).where(BidSecurity.tender_id == tender_id)
    alerts_of = select(cast(RiskAlert.id, String)).where(RiskAlert.tender_id == tender_id)
    held = select(AuditEmbargo.seq).where(AuditEmbargo.released_at.is_(None))
    entries = (await session.execute(
        select(AuditEntry).where(
            or_(and_(AuditEntry.subject_type == "tender", AuditEntry.subject_id == subject),
                and_(AuditEntry.subject_type == "bid", AuditEntry.subject_id.in_(bids)),
                and_(AuditEntry.subject_type == "bid_security", AuditEntry.subject_id.in_(securities)),
                and_(AuditEntry.subject_type == "risk_alert", AuditEntry.subject_id.in_(alerts_of))),
            AuditEntry.seq.not_in(held),
        ).order_by(AuditEntry.seq)
    )).scalars()
    return tender, list(entries)


async def tenders_overview(session: AsyncSession, actor: Actor, limit: int = 50) -> list[tuple[Tender, int]]:
    """Tenders past the draft, newest first, with how many alerts are still open on each."""
    _supervisor(actor)
    open_alerts = (select(func.count()).select_from(RiskAlert)
                   .where(RiskAlert.tender_id == Tender.id, RiskAlert.state != AlertState.closed).scalar_subquery())
    rows = await session.execute(
        select(Tender, open_alerts).where(Tender.status != "draft").order_by(Tender.updated_at.desc(), Tender.id.desc()).limit(limit)
    )
    return [(tender, int(count)) for tender, count in rows]
