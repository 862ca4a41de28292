"""Bid securities (投标保证金): recorded by the supplier, confirmed by the tender's runner, refunds tracked.

The amount due per lot is ``Lot.bid_security_fen`` (capped by the rules table at publication).
A supplier records its payment or guarantee for a lot before the deadline; the organisation
running the tender confirms or rejects it; the refund falls due after the events the law
names (the periods are in ``procurement.tenders.rules``, with their articles).

The refund's due date is a function of facts, evaluated by ``refund_of`` wherever it is
needed (the API, the page, the scheduler): the bid's withdrawal (``Bid.withdrawn_at``), the
lot or tender failing and the tender's termination (their audit entries, which the tender
service writes in the same transaction as the change), and the award and contract facts the
evaluation hands in through ``refunds_due_after_award`` / ``refunds_due_after_contract``.
So no other module has to call this one when a bid is withdrawn or a tender fails; the
scheduler's recheck finds the refunds whose due time passed (also after downtime) and marks
them overdue, once. Where several events apply, the earliest due date counts.

A winner that refuses to sign without a due reason loses its security: ``award_refused``
marks it ``forfeited`` (不予退还) with the article, and it is never due (招标投标法实施条例
第七十四条; 政府采购法实施条例 第七十二条 with the procurement documents). A winner that cannot
sign for a due reason (force majeure) is owed its security from the refusal instead.

Where the law sets no period (a failed lot or tender, a payer who never bid, the non-tender
government methods), the platform applies 5 days (works) or 5 working days (government),
and says so: the refund's ``article`` is empty and its basis names the case.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.models import Bid, BidStatus
from bidding.security_models import BidSecurity, SecurityForm, SecurityStatus
from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.audit.models import AuditEntry
from procurement.clock import as_utc
from procurement.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from procurement.identity.models import OrganisationKind, Role
from procurement.platform import Platform
from procurement.scheduler.framework import Recheck
from procurement.tenders import rules
from procurement.tenders import service as tenders
from procurement.tenders.calendar import (
    HolidayCalendar,
    beijing_date,
    end_of_beijing_day,
)
from procurement.tenders.holidays import load_calendar
from procurement.tenders.models import Lot, Tender, TenderStatus
from procurement.tenders.money import to_fen, to_yuan

NO_CASH_ARTICLE = rules.ZC_RULES + " 第三十三条"
# The platform's own period where the law sets none (see the module's docstring).
PLATFORM_PERIOD = {rules.Track.works: rules.Period(5, "calendar"), rules.Track.government: rules.Period(5, "working")}
# States in which bidding has closed: a payer without a bid at the deadline never bid.
AFTER_DEADLINE = frozenset(TenderStatus) - {TenderStatus.draft, TenderStatus.submitted, TenderStatus.accepted, TenderStatus.published}
ENDING_ACTIONS = ("tender.failed", "tender.lots_failed", "tender.terminated")
REFUNDABLE = (SecurityStatus.confirmed, SecurityStatus.overdue)


# --- Who may see and do what -----------------------------------------------------------------------


def is_supplier(actor: Actor) -> bool:
    return actor.has(Role.supplier) and actor.organisation_kind == OrganisationKind.supplier


def sees_every_payer(actor: Actor, tender: Tender) -> bool:
    """Who sees every payer of a tender's securities.

    Before the deadline only the trading centre, which keeps the security accounts: who paid a
    security is who intends to bid, and that stays secret until bidding closes (the centres'
    virtual sub-accounts exist for this; see docs/bids.md). Afterwards also the runner, the
    purchaser it runs for, and supervisors.
    """
    if actor.has(Role.operator):
        return True
    if tender.status not in AFTER_DEADLINE:
        return False
    if actor.has(Role.supervisor) or tenders.can_change(actor, tender):
        return True
    return actor.organisation_id == tender.purchaser_organisation_id and actor.has(Role.purchaser)


def may_decide(actor: Actor, tender: Tender) -> bool:
    """The trading centre confirms, rejects and refunds at any time; the runner once bidding closed."""
    return actor.has(Role.operator) or (tenders.can_change(actor, tender) and tender.status in AFTER_DEADLINE)


def _runner(actor: Actor, tender: Tender) -> None:
    if not may_decide(actor, tender):
        raise Forbidden("bid securities are confirmed and refunded by the trading centre, and by the tender's runner once bidding has closed")


# --- Refund due dates from the facts ----------------------------------------------------------------


@dataclass(frozen=True)
class Refund:
    basis: str  # withdrawal | no_bid | lot_failed | tender_failed | terminated | award | contract | refusal
    event_at: datetime
    due_on: date  # the last Beijing date on which the refund is in time
    article: str  # empty where the law sets no period and the platform's applies
    period: rules.Period

    @property
    def due_at(self) -> datetime:
        """The moment the refund becomes late: 24:00 (Beijing) of the due date."""
        return end_of_beijing_day(self.due_on)


@dataclass
class TenderFacts:
    tender: Tender
    tender_rules: rules.TenderRules
    calendar: HolidayCalendar
    latest_bids: dict[tuple[int, int], Bid]  # (lot, organisation) -> its latest version
    endings: list[tuple[str, datetime, frozenset[int] | None]]  # (action, when, lots or None for all)


async def load_facts(session: AsyncSession, tender: Tender, calendar: HolidayCalendar | None = None) -> TenderFacts:
    bids: dict[tuple[int, int], Bid] = {}
    for bid in (await session.execute(select(Bid).where(Bid.tender_id == tender.id).order_by(Bid.version))).scalars():
        bids[(bid.lot_number, bid.organisation_id)] = bid
    endings: list[tuple[str, datetime, frozenset[int] | None]] = []
    entries = await session.execute(
        select(AuditEntry.action, AuditEntry.recorded_at, AuditEntry.details).where(
            AuditEntry.subject_type == "tender", AuditEntry.subject_id == str(tender.id), AuditEntry.action.in_(ENDING_ACTIONS)
        ).order_by(AuditEntry.seq)
    )
    for action, at, details in entries:
        lots = json.loads(details).get("failed_lots")
        endings.append((action, as_utc(at), frozenset(int(n) for n in lots) if lots else None))
    return TenderFacts(tender, rules.rules_for(tender.track, tender.method), calendar or await load_calendar(session), bids, endings)


def refund_of(security: BidSecurity, facts: TenderFacts) -> Refund | None:
    """When the security is due back, and why; None while no event makes it due, and for a forfeited one."""
    if security.status == SecurityStatus.forfeited:
        return None
    track = rules.Track(facts.tender.track)
    tr = facts.tender_rules
    candidates: list[Refund] = []

    def due(basis: str, at: datetime, limit: rules.Limit | None) -> None:
        period = limit.value if limit is not None else PLATFORM_PERIOD[track]
        assert isinstance(period, rules.Period)
        at = as_utc(at)
        candidates.append(Refund(basis, at, period.after(beijing_date(at), facts.calendar), limit.article if limit else "", period))

    bid = facts.latest_bids.get((security.lot_number, security.organisation_id))
    if bid is not None and bid.status == BidStatus.withdrawn and bid.withdrawn_at is not None:
        due("withdrawal", bid.withdrawn_at, tr.refund_after_withdrawal)
    elif bid is None and facts.tender.status in AFTER_DEADLINE:
        # A payer that never bid: the law is silent; the platform's period from the deadline.
        due("no_bid", facts.tender.bid_deadline, None)
    for action, at, lots in facts.endings:
        if lots is not None and security.lot_number not in lots:
            continue
        if action == "tender.terminated":
            due("terminated", at, tr.refund_after_termination)
        else:
            # 流标/废标: no statute we know of sets a refund period for it; the platform's applies.
            due("tender_failed" if action == "tender.failed" else "lot_failed", at, None)
    if security.award_notice_at is not None and security.winner is False and tr.refund_after_award is not None:
        # Works (条例 第五十七条) refunds the unsuccessful bidders after the contract only.
        due("award", security.award_notice_at, tr.refund_after_award)
    if security.contract_signed_at is not None:
        due("contract", security.contract_signed_at, tr.refund_after_contract)
    if security.award_refused_at is not None:
        # The winner could not sign for a due reason (force majeure): no statute sets the period; the platform's applies.
        due("refusal", security.award_refused_at, None)
    return min(candidates, key=lambda r: (r.due_on, r.event_at), default=None)


def refund_state(security: BidSecurity, refund: Refund | None, now: datetime) -> str:
    """not_due | due | overdue | refunded | forfeited; none for a security never confirmed."""
    if security.status in (SecurityStatus.refunded, SecurityStatus.forfeited):
        return security.status
    if security.status not in REFUNDABLE:
        return "none"
    if refund is None:
        return "not_due"
    return "overdue" if security.status == SecurityStatus.overdue or now >= refund.due_at else "due"


# --- Reading ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecurityView:
    security: BidSecurity
    organisation_name: str
    refund: Refund | None
    refund_state: str


@dataclass(frozen=True)
class TenderSecurities:
    tender: Tender
    lots: list[Lot]
    securities: list[SecurityView]
    sees_all: bool


async def overview(session: AsyncSession, platform: Platform, actor: Actor, tender_id: int) -> TenderSecurities:
    tender = await tenders.get_tender(session, actor, tender_id)
    if sees_every_payer(actor, tender):
        sees_all = True
    elif is_supplier(actor):
        sees_all = False
    else:
        raise Forbidden("bid securities are seen by the paying supplier and the trading centre; by the tender's runner and supervisors once bidding has closed")
    query = select(BidSecurity).where(BidSecurity.tender_id == tender_id)
    if not sees_all:
        query = query.where(BidSecurity.organisation_id == actor.organisation_id)
    rows = list((await session.execute(query.order_by(BidSecurity.lot_number, BidSecurity.id))).scalars())
    facts = await load_facts(session, tender)
    names = await tenders.organisation_names(session, {r.organisation_id for r in rows})
    now = platform.clock.now()
    views = []
    for row in rows:
        refund = refund_of(row, facts)
        views.append(SecurityView(row, names.get(row.organisation_id, ""), refund, refund_state(row, refund, now)))
    return TenderSecurities(tender, await tenders.lots_of(session, tender_id), views, sees_all)


# --- The supplier records a payment -------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentIn:
    form: str
    amount: Decimal
    payer_account_name: str
    bank_reference: str


async def record_payment(session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, lot_number: int,
                         data: PaymentIn) -> BidSecurity:
    if not is_supplier(actor):
        raise Forbidden("bid securities are recorded by supplier users, for their own organisation")
    tender = await tenders.get_tender(session, actor, tender_id, for_update=True)
    if tender.status != TenderStatus.published or platform.clock.now() > as_utc(tender.bid_deadline):
        raise Conflict("a bid security is paid while the tender is open for bids, before the deadline %(deadline)s",
                       deadline=as_utc(tender.bid_deadline).isoformat())
    lot = (await session.execute(select(Lot).where(Lot.tender_id == tender_id, Lot.number == lot_number))).scalar_one_or_none()
    if lot is None:
        raise NotFound("tender %(tender)s has no lot %(lot)s", tender=tender_id, lot=lot_number)
    if lot.bid_security_fen <= 0:
        raise Conflict("lot %(lot)s asks for no bid security", lot=lot_number)
    if data.form not in set(SecurityForm):
        raise InvalidInput.for_field("body.form", "must be one of: %(forms)s", forms=", ".join(SecurityForm))
    if data.form == SecurityForm.cash and tender.track == rules.Track.government:
        raise InvalidInput.for_errors([FieldError(
            "body.form", "government procurement takes bid security in a non-cash form only: a transfer or a guarantee", (), NO_CASH_ARTICLE,
        )])
    amount = to_fen(data.amount)
    if amount < lot.bid_security_fen:
        raise InvalidInput.for_field("body.amount", "the bid security due for lot %(lot)s is %(due)s yuan; %(amount)s is less",
                                     lot=lot_number, due=to_yuan(lot.bid_security_fen), amount=to_yuan(amount))
    if not data.payer_account_name.strip():
        raise InvalidInput.for_field("body.payer_account_name", "name the paying account (or the guarantee's applicant)")
    if not data.bank_reference.strip():
        raise InvalidInput.for_field("body.bank_reference", "give the transfer's reference or the guarantee's number")
    standing = (await session.execute(select(BidSecurity.id).where(
        BidSecurity.tender_id == tender_id, BidSecurity.lot_number == lot_number, BidSecurity.organisation_id == actor.organisation_id,
        BidSecurity.status != SecurityStatus.rejected,
    ))).first()
    if standing is not None:
        raise Conflict("this organisation's bid security for lot %(lot)s is already recorded (no. %(id)s); a new one only after a rejection",
                       lot=lot_number, id=standing[0])
    now = platform.clock.now()
    security = BidSecurity(
        tender_id=tender_id, lot_number=lot_number, organisation_id=actor.organisation_id,  # type: ignore[arg-type]
        form=data.form, amount_fen=amount, payer_account_name=data.payer_account_name.strip(), bank_reference=data.bank_reference.strip(),
        status=SecurityStatus.pending, recorded_by=actor.user_id, recorded_at=now,
    )
    session.add(security)
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "bid_security.recorded", subject_type="bid_security", subject_id=security.id,
        details={"tender_id": tender_id, "lot": lot_number, "form": data.form, "amount_fen": amount, "bank_reference": security.bank_reference},
    )
    return security


# --- The runner confirms, rejects, refunds ------------------------------------------------------------


async def _managed(session: AsyncSession, actor: Actor, security_id: int) -> tuple[BidSecurity, Tender]:
    security = await session.get(BidSecurity, security_id, with_for_update=True)
    tender = await session.get(Tender, security.tender_id) if security is not None else None
    if security is None or tender is None or not (sees_every_payer(actor, tender) or security.organisation_id == actor.organisation_id):
        raise NotFound("no bid security %(id)s", id=security_id)
    _runner(actor, tender)
    return security, tender


async def confirm(session: AsyncSession, platform: Platform, actor: Actor, security_id: int) -> BidSecurity:
    security, _ = await _managed(session, actor, security_id)
    if security.status != SecurityStatus.pending:
        raise Conflict("only a recorded, undecided bid security can be confirmed; this one is %(state)s", state=security.status)
    security.status, security.decided_by, security.decided_at = SecurityStatus.confirmed, actor.user_id, platform.clock.now()
    await session.flush()
    await audit.record(session, platform.clock, actor, "bid_security.confirmed", subject_type="bid_security", subject_id=security.id,
                       details={"tender_id": security.tender_id, "lot": security.lot_number, "organisation_id": security.organisation_id})
    return security


async def reject(session: AsyncSession, platform: Platform, actor: Actor, security_id: int, reason: str) -> BidSecurity:
    reason = reason.strip()
    if len(reason) < 2:
        raise InvalidInput.for_field("body.reason", "say why the bid security is rejected")
    security, _ = await _managed(session, actor, security_id)
    if security.status != SecurityStatus.pending:
        raise Conflict("only a recorded, undecided bid security can be rejected; this one is %(state)s", state=security.status)
    security.status, security.decided_by, security.decided_at = SecurityStatus.rejected, actor.user_id, platform.clock.now()
    security.reject_reason = reason
    await session.flush()
    await audit.record(session, platform.clock, actor, "bid_security.rejected", subject_type="bid_security", subject_id=security.id,
                       details={"tender_id": security.tender_id, "lot": security.lot_number, "reason": reason})
    return security


async def refund(session: AsyncSession, platform: Platform, actor: Actor, security_id: int, refunded_on: date,
                 reference: str) -> BidSecurity:
    security, tender = await _managed(session, actor, security_id)
    if security.status == SecurityStatus.forfeited:
        raise Conflict("this bid security is forfeited (不予退还): its winner refused to sign [%(article)s]", article=security.forfeit_article)
    if security.status not in REFUNDABLE:
        raise Conflict("only a confirmed bid security is refunded; this one is %(state)s", state=security.status)
    due = refund_of(security, await load_facts(session, tender))
    if due is None:
        raise Conflict("no refund of this bid security is due yet: the bid stands and the tender goes on")
    today = beijing_date(platform.clock.now())
    if refunded_on > today:
        raise InvalidInput.for_field("body.refunded_on", "a refund is recorded once made: %(day)s is in the future", day=refunded_on.isoformat())
    if refunded_on < beijing_date(as_utc(security.recorded_at)):
        raise InvalidInput.for_field("body.refunded_on", "cannot come before the security was paid (%(day)s)",
                                     day=beijing_date(as_utc(security.recorded_at)).isoformat())
    if not reference.strip():
        raise InvalidInput.for_field("body.bank_reference", "give the refund transfer's reference")
    security.status, security.refunded_on, security.refund_reference = SecurityStatus.refunded, refunded_on, reference.strip()
    security.refunded_by, security.refund_recorded_at = actor.user_id, platform.clock.now()
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "bid_security.refunded", subject_type="bid_security", subject_id=security.id,
        details={"tender_id": security.tender_id, "lot": security.lot_number, "refunded_on": refunded_on.isoformat(),
                 "bank_reference": security.refund_reference, "basis": due.basis, "due_on": due.due_on.isoformat(),
                 "late": refunded_on > due.due_on},
    )
    return security


# --- Award and contract: called by the evaluation -----------------------------------------------------


async def _confirmed_of(session: AsyncSession, tender_id: int, lot_number: int) -> list[BidSecurity]:
    query = select(BidSecurity).where(BidSecurity.tender_id == tender_id, BidSecurity.lot_number == lot_number,
                                      BidSecurity.status.in_(REFUNDABLE)).order_by(BidSecurity.id)
    return list((await session.execute(query.with_for_update())).scalars())


async def _refunds(session: AsyncSession, tender_id: int, rows: Iterable[BidSecurity]) -> list[tuple[BidSecurity, Refund | None]]:
    tender = await session.get(Tender, tender_id)
    assert tender is not None
    facts = await load_facts(session, tender)
    return [(row, refund_of(row, facts)) for row in rows]


async def refunds_due_after_award(session: AsyncSession, platform: Platform, tender_id: int, lot_number: int,
                                  winner_org_ids: Iterable[int], award_notice_at: datetime) -> list[tuple[BidSecurity, Refund | None]]:
    """The lot's award notice went out: record it on the lot's confirmed securities; (security, its refund now).

    Per lot, because lots are awarded on different days and a bidder that wins one lot and
    loses another is owed the losing lot's security from that lot's award notice.
    """
    winners = set(winner_org_ids)
    rows = await _confirmed_of(session, tender_id, lot_number)
    for row in rows:
        # An award after a refusal does not push a loser's refund back: it fell due from the first award notice.
        row.winner, row.award_notice_at = row.organisation_id in winners, row.award_notice_at or award_notice_at
    await session.flush()
    result = await _refunds(session, tender_id, rows)
    await audit.record(
        session, platform.clock, None, "bid_security.award_recorded", subject_type="tender", subject_id=tender_id,
        details={"lot": lot_number, "award_notice_at": as_utc(award_notice_at).isoformat(), "winners": sorted(winners),
                 "refunds": {str(r.id): (d.due_on.isoformat() if d else None) for r, d in result}},
    )
    return result


async def refunds_due_after_contract(session: AsyncSession, platform: Platform, tender_id: int, lot_number: int,
                                     contract_signed_at: datetime) -> list[tuple[BidSecurity, Refund | None]]:
    """The lot's contract was signed: its confirmed securities fall due (winner and, for works, the rest)."""
    rows = await _confirmed_of(session, tender_id, lot_number)
    for row in rows:
        row.contract_signed_at = contract_signed_at
    await session.flush()
    result = await _refunds(session, tender_id, rows)
    await audit.record(
        session, platform.clock, None, "bid_security.contract_recorded", subject_type="tender", subject_id=tender_id,
        details={"lot": lot_number, "contract_signed_at": as_utc(contract_signed_at).isoformat(),
                 "refunds": {str(r.id): (d.due_on.isoformat() if d else None) for r, d in result}},
    )
    return result


async def award_refused(session: AsyncSession, platform: Platform, tender_id: int, lot_number: int, organisation_id: int,
                        refused_at: datetime, forfeit_article: str) -> list[BidSecurity]:
    """The lot's winner refused to sign: its security held for the lot is forfeited with ``forfeit_article``,
    or, when that is empty (a due reason such as force majeure), falls due for refund from the refusal.

    Only a security still held (confirmed, or its refund overdue) is forfeited; one refunded
    already stays refunded, and the audit entry says which were forfeited.
    """
    rows = [r for r in await _confirmed_of(session, tender_id, lot_number) if r.organisation_id == organisation_id]
    for row in rows:
        row.award_refused_at = refused_at
        if forfeit_article:
            row.status, row.forfeited_at, row.forfeit_article = SecurityStatus.forfeited, refused_at, forfeit_article
    await session.flush()
    await audit.record(
        session, platform.clock, None, "bid_security.forfeited" if forfeit_article else "bid_security.refusal_recorded",
        subject_type="tender", subject_id=tender_id,
        details={"lot": lot_number, "organisation_id": organisation_id, "refused_at": as_utc(refused_at).isoformat(),
                 "securities": [r.id for r in rows], "article": forfeit_article},
    )
    return rows


# --- The scheduler: refunds fall overdue -----------------------------------------------------------------


async def _due(session: AsyncSession, moment: datetime) -> list[tuple[str, datetime]]:
    """Confirmed securities whose refund's due time has come by ``moment``."""
    rows = list((await session.execute(
        select(BidSecurity).where(BidSecurity.status == SecurityStatus.confirmed).order_by(BidSecurity.tender_id, BidSecurity.id)
    )).scalars())
    found: list[tuple[str, datetime]] = []
    calendar = await load_calendar(session) if rows else None
    facts: TenderFacts | None = None
    for row in rows:
        if facts is None or facts.tender.id != row.tender_id:
            tender = await session.get(Tender, row.tender_id)
            assert tender is not None
            facts = await load_facts(session, tender, calendar)
        refund = refund_of(row, facts)
        if refund is not None and refund.due_at <= moment:
            found.append((str(row.id), refund.due_at))
    return found


async def mark_overdue(session: AsyncSession, platform: Platform, security_id: int) -> bool:
    security = await session.get(BidSecurity, security_id, with_for_update=True)
    if security is None or security.status != SecurityStatus.confirmed:
        return False
    tender = await session.get(Tender, security.tender_id)
    assert tender is not None
    refund = refund_of(security, await load_facts(session, tender))
    now = platform.clock.now()
    if refund is None or now < refund.due_at:
        return False
    security.status, security.overdue_at, security.refund_due_on = SecurityStatus.overdue, now, refund.due_on
    await session.flush()
    await audit.record(
        session, platform.clock, None, "bid_security.refund_overdue", subject_type="bid_security", subject_id=security.id,
        organisation_id=tender.owner_organisation_id,
        details={"tender_id": tender.id, "lot": security.lot_number, "organisation_id": security.organisation_id, "basis": refund.basis,
                 "event_at": refund.event_at.isoformat(), "due_on": refund.due_on.isoformat(), "article": refund.article},
    )
    return True


async def _run(session: AsyncSession, platform: Platform, subject_id: str) -> bool:
    return await mark_overdue(session, platform, int(subject_id))


BID_SECURITY_REFUND = Recheck(kind="bid_security_refund", due=_due, run=_run)
