"""A lot's evaluation on the platform: start, the committee, checks, score sheets, submissions, extension.

The scoring itself is the pure library ``bidding.evaluation.scoring``; this module feeds it
from the database and keeps the rules of the room (docs/evaluation.md, "On the platform"):

- The organisation running the tender starts the evaluation of a lot on the draw's evaluation
  day(s), with the committee the draw seated (``expert_pool.invitations.committee``) and the
  purchaser's representatives it names; the experts' names are released from the audit
  embargo then. Members sign in (an expert only after checking in without a conflict).
- Who is a member is read again at every step: an expert whose invitation ended (a conflict
  declared at check-in) is voided with their work, and the replacement the draw seated joins.
- Checks: a bid is rejected when more than half of the current members fail it.
- Sheets are private to their member until every current member has submitted; then the
  committee, the organiser and supervisors see them all (supervisors see each submitted one
  at once). The result is recomputed at each submission and reopening.
- An extension of ``evaluation_extension_hours`` is granted once, when more than a third of
  the current members asked for it.

The report and signatures are in ``bidding.evaluation.report``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import envelope
from bidding.evaluation import scoring
from bidding.evaluation.models import (
    Evaluation,
    EvaluationCheck,
    EvaluationMember,
    EvaluationSheet,
    EvaluationStatus,
)
from bidding.models import Bid, BidStatus, BidUploadPart
from bidding.stored import blocking_chunks, streamed
from expert_pool import draws, invitations
from expert_pool.draw_models import ExpertDraw
from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.audit.chain import canonical_json
from procurement.clock import as_utc, to_display
from procurement.errors import (
    N_,
    Conflict,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
)
from procurement.identity.models import Organisation, Role, User, UserRole
from procurement.platform import Platform
from procurement.tenders import service as tenders
from procurement.tenders.models import Lot, Tender, TenderStatus

START_STATES = frozenset({TenderStatus.opened, TenderStatus.evaluating})
OPEN = frozenset({EvaluationStatus.in_progress, EvaluationStatus.reporting})
CENT = Decimal("0.01")
MEMBER, ORGANISER, SUPERVISOR = "member", "organiser", "supervisor"
CONFLICT_VOID = N_("replaced after declaring a conflict of interest; their checks, scores and signature are void")


# --- Reading an evaluation as the caller may ------------------------------------------------------


@dataclass
class Room:
    """One evaluation as the caller sees it: who is on the committee now, and in what capacity the caller is here."""

    evaluation: Evaluation
    tender: Tender
    members: list[EvaluationMember]  # everyone who ever sat, the voided too
    current: list[EvaluationMember]  # the committee as it stands
    me: EvaluationMember | None  # the caller's current seat
    viewer: str  # member | organiser | supervisor

    @property
    def current_ids(self) -> set[int]:
        return {m.id for m in self.current}  # type: ignore[misc]


async def room(session: AsyncSession, platform: Platform, actor: Actor, evaluation_id: int, *, write: bool = False) -> Room:
    """The evaluation, its committee re-read from the draw, and the caller's capacity.

    ``write``: lock the evaluation and persist committee changes (voids, replacements joining).
    Reads compute the same committee without writing it.
    """
    evaluation = await session.get(Evaluation, evaluation_id, with_for_update=write)
    if evaluation is None:
        raise NotFound(N_("no evaluation %(id)s"), id=evaluation_id)
    tender = await session.get(Tender, evaluation.tender_id)
    assert tender is not None
    members = await _members(session, evaluation_id)
    seats = await _seats(session, evaluation)
    if evaluation.status in OPEN:
        if write:
            members = await _follow_committee(session, platform, evaluation, members, seats)
        current = [m for m in members if m.voided_at is None and (m.invitation_id is None or m.invitation_id in seats)]
    else:
        current = [m for m in members if m.voided_at is None]  # a signed committee is fixed
    me = next((m for m in current if m.user_id == actor.user_id), None)
    if me is not None:
        viewer = MEMBER
    elif tenders.can_change(actor, tender):
        viewer = ORGANISER
    elif actor.has(Role.supervisor):
        viewer = SUPERVISOR
    elif any(m.user_id == actor.user_id for m in members):
        raise Forbidden(N_("you are no longer on this committee: %(reason)s"),
                        reason=next(m.void_reason for m in members if m.user_id == actor.user_id))
    else:
        raise Forbidden(N_("only the committee, the organisation running the tender and supervisors see an evaluation"))
    return Room(evaluation, tender, members, current, me, viewer)


async def _members(session: AsyncSession, evaluation_id: int) -> list[EvaluationMember]:
    query = select(EvaluationMember).where(EvaluationMember.evaluation_id == evaluation_id).order_by(EvaluationMember.id)
    return list((await session.execute(query)).scalars())


async def _seats(session: AsyncSession, evaluation: Evaluation) -> dict[int, Any]:
    """The seats the draw holds now, by invitation id (ended invitations are no longer among them)."""
    draw = await draws.get_draw(session, None, evaluation.draw_id)
    seated = await invitations.committee(session, evaluation.tender_id, draw.lot_number)
    return {seat.invitation_id: seat for seat in seated}


async def _follow_committee(session: AsyncSession, platform: Platform, evaluation: Evaluation, members: list[EvaluationMember],
                            seats: dict[int, Any]) -> list[EvaluationMember]:
    """Void the experts whose seat ended, seat the replacements; a report not yet signed is drawn up again."""
    now = platform.clock.now()
    changed = False
    for member in members:
        if member.voided_at is None and member.invitation_id is not None and member.invitation_id not in seats:
            member.voided_at, member.void_reason = now, CONFLICT_VOID
            changed = True
            await audit.record(session, platform.clock, None, "evaluation.member_voided", subject_type="evaluation",
                               subject_id=evaluation.id, details={"member_id": member.id, "reason": CONFLICT_VOID})
    known = {m.invitation_id for m in members}
    for invitation_id, seat in seats.items():
        if invitation_id not in known and seat.user_id is not None:
            member = _expert_member(evaluation, seat, now)
            session.add(member)
            members.append(member)
            changed = True
    if changed:
        withdraw_report(evaluation)  # the committee it named is no longer the committee
        await session.flush()
        for member in members:
            if member.invitation_id is not None and member.invitation_id not in known:
                await audit.record(session, platform.clock, None, "evaluation.member_joined", subject_type="evaluation",
                                   subject_id=evaluation.id, details={"member_id": member.id, "replacement": True})
        await refresh_result(session, platform, evaluation, [m for m in members if m.voided_at is None])
    return members


def _expert_member(evaluation: Evaluation, seat: Any, now: datetime) -> EvaluationMember:
    return EvaluationMember(evaluation_id=evaluation.id, user_id=seat.user_id, expert_id=seat.expert_id,  # type: ignore[arg-type]
                            invitation_id=seat.invitation_id, name=seat.name, specialty=seat.specialty, joined_at=now)


def require_member(found: Room) -> EvaluationMember:
    if found.me is None:
        raise Forbidden(N_("only a member of the committee does this"))
    if found.me.signed_in_at is None:
        raise Conflict(N_("sign in to the evaluation first"))
    return found.me


def _require_working(platform: Platform, evaluation: Evaluation) -> None:
    if evaluation.status != EvaluationStatus.in_progress:
        raise Conflict(N_("checks and scores are closed: the evaluation is %(status)s"), status=evaluation.status)
    if platform.clock.now() >= as_utc(evaluation.ends_at):
        raise Conflict(N_("the evaluation time ended at %(time)s; more than a third of the members may ask for an extension"),
                       time=to_display(evaluation.ends_at).strftime("%Y-%m-%d %H:%M"))


# --- Starting ------------------------------------------------------------------------------------------


async def start(session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, lot_number: int,
                representatives: list[int]) -> Evaluation:
    """The organisation running the tender starts a lot's evaluation with the draw's committee."""
    tender = await tenders.get_tender(session, actor, tender_id, for_update=True)
    if not tenders.can_change(actor, tender):
        raise Forbidden(N_("only the organisation that runs this tender starts its evaluation"))
    if tender.status not in START_STATES:
        raise Conflict(N_("an evaluation starts once the bids are opened; the tender is %(status)s"), status=tender.status)
    lot = (await session.execute(select(Lot).where(Lot.tender_id == tender_id, Lot.number == lot_number))).scalar_one_or_none()
    if lot is None:
        raise InvalidInput.for_field("body.lot", N_("the tender has no lot %(lot)s"), lot=lot_number)
    if (await session.execute(select(Evaluation.id).where(Evaluation.tender_id == tender_id, Evaluation.lot_number == lot_number))).first():
        raise Conflict(N_("the evaluation of lot %(lot)s has already started"), lot=lot_number)
    if not await opened_bids(session, tender_id, lot_number):
        raise Conflict(N_("lot %(lot)s has no opened bid to evaluate"), lot=lot_number)
    draw = await _draw_for(session, tender_id, lot_number)
    request = json.loads(draw.request)
    _check_evaluation_day(platform, draw, request)
    seats = await invitations.committee(session, tender_id, draw.lot_number)
    wanted = sum(n for _, n in request["seats"])
    if len(seats) < wanted:
        raise Conflict(N_("the committee is not complete: %(seated)s of %(wanted)s experts are seated"), seated=len(seats), wanted=wanted)
    unlinked = [seat.name for seat in seats if seat.user_id is None]
    if unlinked:
        raise Conflict(N_("these experts have no platform account to evaluate with: %(names)s"), names=", ".join(unlinked))
    names = await _representatives(session, tender, representatives, int(request["purchaser_representatives"]))
    now = platform.clock.now()
    evaluation = Evaluation(
        tender_id=tender_id, lot_number=lot_number, draw_id=draw.id, status=EvaluationStatus.in_progress,  # type: ignore[arg-type]
        scheme=canonical_json(scoring.Scheme.from_encoded(json.loads(lot.evaluation_scheme)).encoded()),
        started_by=actor.user_id, started_at=now, ends_at=now + timedelta(hours=platform.settings.evaluation_hours),
    )
    session.add(evaluation)
    await session.flush()
    session.add_all([_expert_member(evaluation, seat, now) for seat in seats])
    session.add_all([EvaluationMember(evaluation_id=evaluation.id, user_id=user_id, name=name, joined_at=now)  # type: ignore[arg-type]
                     for user_id, name in names.items()])
    if tender.status == TenderStatus.opened:
        await tenders.advance(session, platform, tender, TenderStatus.evaluating)
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "evaluation.started", subject_type="evaluation", subject_id=evaluation.id,
        details={"tender_id": tender_id, "lot": lot_number, "draw_id": draw.id, "experts": len(seats), "representatives": len(names),
                 "ends_at": evaluation.ends_at.isoformat(), "scheme_sha256": hashlib.sha256(evaluation.scheme.encode()).hexdigest()},
    )
    # The names were secret until now [招标投标法 第三十七条]; the committee works under them from here.
    await draws.release_names(session, platform, draw.id)  # type: ignore[arg-type]
    return evaluation


async def _lot_draw(session: AsyncSession, tender_id: int, lot_number: int) -> ExpertDraw | None:
    """The lot's own draw, or else the whole tender's."""
    return await draws.draw_of(session, tender_id, lot_number) or await draws.draw_of(session, tender_id, None)


async def _draw_for(session: AsyncSession, tender_id: int, lot_number: int) -> ExpertDraw:
    draw = await _lot_draw(session, tender_id, lot_number)
    if draw is None:
        raise Conflict(N_("no experts are drawn for lot %(lot)s yet"), lot=lot_number)
    return draw


def _check_evaluation_day(platform: Platform, draw: ExpertDraw, request: dict[str, Any]) -> None:
    today = to_display(platform.clock.now()).date()
    last = draw.evaluation_date + timedelta(days=int(request.get("evaluation_days", 1)) - 1)
    if not draw.evaluation_date <= today <= last:
        raise Conflict(N_("the committee sits from %(first)s to %(last)s; today is %(today)s"),
                       first=draw.evaluation_date.isoformat(), last=last.isoformat(), today=today.isoformat())


async def _representatives(session: AsyncSession, tender: Tender, user_ids: list[int], expected: int) -> dict[int, str]:
    """The purchaser's representatives: as many as the draw was asked for, each a purchaser user of the purchaser."""
    if len(user_ids) != expected or len(set(user_ids)) != len(user_ids):
        raise InvalidInput.for_field("body.representatives", N_("the draw provided for %(expected)s representatives of the purchaser; "
                                                                 "name that many different users"), expected=expected)
    if not user_ids:
        return {}
    found = await purchaser_users(session, tender, user_ids)
    missing = [str(u) for u in user_ids if u not in found]
    if missing:
        raise InvalidInput.for_field("body.representatives", N_("not active purchaser users of the purchaser: %(ids)s"), ids=", ".join(missing))
    return {u: found[u] for u in user_ids}


async def of_tender(session: AsyncSession, actor: Actor, tender_id: int) -> list[Evaluation]:
    """The tender's evaluations the caller may see: all for its organiser and supervisors, their own for members."""
    tender = await tenders.get_tender(session, actor, tender_id)
    found = list((await session.execute(select(Evaluation).where(Evaluation.tender_id == tender_id).order_by(Evaluation.lot_number))).scalars())
    if tenders.can_change(actor, tender) or actor.has(Role.supervisor):
        return found
    mine = set((await session.execute(select(EvaluationMember.evaluation_id).where(
        EvaluationMember.user_id == actor.user_id, EvaluationMember.voided_at.is_(None)))).scalars())  # type: ignore[union-attr]
    return [e for e in found if e.id in mine]


async def purchaser_users(session: AsyncSession, tender: Tender, user_ids: list[int] | None = None) -> dict[int, str]:
    """Active purchaser users of the tender's purchaser (who may sit as its representatives), by id: name."""
    query = (select(User.id, User.display_name).join(UserRole, UserRole.user_id == User.id)  # type: ignore[arg-type]
             .where(User.organisation_id == tender.purchaser_organisation_id, User.active, UserRole.role == Role.purchaser)
             .order_by(User.id))
    if user_ids is not None:
        query = query.where(User.id.in_(user_ids))  # type: ignore[union-attr]
    return dict((await session.execute(query)).all())  # type: ignore[arg-type]


@dataclass(frozen=True)
class LotPlan:
    """A lot as its organiser prepares its evaluation: the draw that seats its committee, and the evaluation once started."""

    number: int
    title: str
    evaluation: Evaluation | None
    evaluation_date: date | None  # the draw's first evaluation day; None: no experts drawn yet
    representatives: int  # how many representatives of the purchaser the draw provided for


async def plans(session: AsyncSession, actor: Actor, tender_id: int) -> tuple[Tender, list[LotPlan]]:
    """Each lot of the tender with its draw and evaluation: every lot for the organisation running it and
    supervisors; a member the lots they sit on."""
    tender = await tenders.get_tender(session, actor, tender_id)
    started = {e.lot_number: e for e in await of_tender(session, actor, tender_id)}
    oversees = tenders.can_change(actor, tender) or actor.has(Role.supervisor)
    if not oversees and not started:
        raise Forbidden(N_("only the committee, the organisation running the tender and supervisors see an evaluation"))
    found = []
    for lot in await tenders.lots_of(session, tender_id):
        if not oversees and lot.number not in started:
            continue
        draw = await _lot_draw(session, tender_id, lot.number)
        request = json.loads(draw.request) if draw else {}
        found.append(LotPlan(lot.number, lot.title, started.get(lot.number), draw.evaluation_date if draw else None,
                             int(request.get("purchaser_representatives", 0))))
    return tender, found


# --- The members' work -----------------------------------------------------------------------------------


async def sign_in(session: AsyncSession, platform: Platform, actor: Actor, evaluation_id: int) -> EvaluationMember:
    found = await room(session, platform, actor, evaluation_id, write=True)
    if found.me is None:
        raise Forbidden(N_("only a member of the committee signs in"))
    if found.me.invitation_id is not None:
        seat = (await _seats(session, found.evaluation))[found.me.invitation_id]
        if seat.checked_in_at is None:
            raise Conflict(N_("check in first and declare whether any conflict of interest applies"))
    if found.me.signed_in_at is None:
        found.me.signed_in_at = platform.clock.now()
        await session.flush()
        await audit.record(session, platform.clock, actor, "evaluation.signed_in", subject_type="evaluation", subject_id=evaluation_id,
                           details={"member_id": found.me.id})
    return found.me


async def opened_bids(session: AsyncSession, tender_id: int, lot_number: int) -> list[Bid]:
    query = select(Bid).where(Bid.tender_id == tender_id, Bid.lot_number == lot_number, Bid.status == BidStatus.opened).order_by(Bid.id)
    return list((await session.execute(query)).scalars())


def bid_price(bid: Bid) -> Decimal | None:
    """The price the envelope stated at the opening, or None when it stated none that reads as money."""
    try:
        price = Decimal(str(json.loads(bid.opening_fields or "{}").get("price")))
    except InvalidOperation:
        return None
    return price if price.is_finite() and price > 0 and price == price.quantize(CENT) else None


async def bids_of(session: AsyncSession, found: Room) -> list[Bid]:
    """The opened bids under evaluation: the committee (signed in), the organiser and supervisors."""
    if found.viewer == MEMBER:
        require_member(found)
    return await opened_bids(session, found.evaluation.tender_id, found.evaluation.lot_number)


async def bidder_names(session: AsyncSession, bids: list[Bid]) -> dict[int, str]:
    """The bidders' organisation names, by organisation id."""
    query = select(Organisation.id, Organisation.name).where(Organisation.id.in_({b.organisation_id for b in bids} or {0}))  # type: ignore[attr-defined]
    return dict((await session.execute(query)).all())  # type: ignore[arg-type]


async def _bid_in(session: AsyncSession, evaluation: Evaluation, bid_id: int) -> Bid:
    bid = await session.get(Bid, bid_id)
    if bid is None or (bid.tender_id, bid.lot_number, bid.status) != (evaluation.tender_id, evaluation.lot_number, BidStatus.opened):
        raise NotFound(N_("bid %(id)s is not under this evaluation"), id=bid_id)
    return bid


async def record_check(session: AsyncSession, platform: Platform, actor: Actor, evaluation_id: int, bid_id: int,
                       passed: bool, reason: str) -> EvaluationCheck:
    found = await room(session, platform, actor, evaluation_id, write=True)
    me = _editable(platform, found)
    await _bid_in(session, found.evaluation, bid_id)
    if not passed and not reason.strip():
        raise InvalidInput.for_field("body.reason", N_("say which requirement the bid fails"))
    check = (await session.execute(select(EvaluationCheck).where(EvaluationCheck.member_id == me.id, EvaluationCheck.bid_id == bid_id))).scalar_one_or_none()
    if check is None:
        check = EvaluationCheck(evaluation_id=evaluation_id, member_id=me.id, bid_id=bid_id, passed=passed, reason="",  # type: ignore[arg-type]
                                checked_at=platform.clock.now())
        session.add(check)
    check.passed, check.reason, check.checked_at = passed, "" if passed else reason.strip(), platform.clock.now()
    await session.flush()
    await audit.record(session, platform.clock, actor, "evaluation.checked", subject_type="evaluation", subject_id=evaluation_id,
                       # A digest only: the member's judgement is theirs alone until they submit (then in full, below).
                       details={"member_id": me.id, "bid_id": bid_id,
                                "check_sha256": hashlib.sha256(json.dumps([passed, check.reason], ensure_ascii=False).encode()).hexdigest()})
    return check


def _editable(platform: Platform, found: Room) -> EvaluationMember:
    me = require_member(found)
    _require_working(platform, found.evaluation)
    if me.submitted_at is not None:
        raise Conflict(N_("you have submitted; reopen your submission to change it"))
    return me


async def record_sheet(session: AsyncSession, platform: Platform, actor: Actor, evaluation_id: int, bid_id: int,
                       points: dict[str, Decimal]) -> EvaluationSheet:
    found = await room(session, platform, actor, evaluation_id, write=True)
    me = _editable(platform, found)
    await _bid_in(session, found.evaluation, bid_id)
    scheme = scheme_of(found.evaluation)
    if not scheme.scored_criteria:
        raise Conflict(N_("under the lowest evaluated price method the members score nothing by hand: the checks decide"))
    try:
        scoring.check_sheet(scheme, scoring.Sheet(me.id, bid_id, points))  # type: ignore[arg-type]
    except scoring.ScoringError as error:
        raise InvalidInput.for_errors([FieldError(f"body.{error.field}", error.template, tuple(error.params.items()), error.article)]) from None
    encoded = canonical_json({code: f"{value:f}" for code, value in sorted(points.items())})
    sheet = (await session.execute(select(EvaluationSheet).where(EvaluationSheet.member_id == me.id, EvaluationSheet.bid_id == bid_id))).scalar_one_or_none()
    if sheet is None:
        sheet = EvaluationSheet(evaluation_id=evaluation_id, member_id=me.id, bid_id=bid_id, points=encoded,  # type: ignore[arg-type]
                                updated_at=platform.clock.now())
        session.add(sheet)
    sheet.points, sheet.updated_at = encoded, platform.clock.now()
    await session.flush()
    # The points stay out of the log until the member submits: the entry records that a sheet changed.
    await audit.record(session, platform.clock, actor, "evaluation.sheet_saved", subject_type="evaluation", subject_id=evaluation_id,
                       details={"member_id": me.id, "bid_id": bid_id, "sheet_sha256": hashlib.sha256(encoded.encode()).hexdigest()})
    return sheet


def scheme_of(evaluation: Evaluation) -> scoring.Scheme:
    return scoring.Scheme.from_encoded(json.loads(evaluation.scheme))


# --- Where the committee stands --------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """The committee's work so far, computed from the current members' rows only."""

    checks: list[EvaluationCheck]
    sheets: list[EvaluationSheet]
    bids: list[Bid]
    settled: bool  # every current member checked every bid
    rejected: dict[int, str]  # bid id -> the failing members' reasons
    valid: list[int]  # bid ids not rejected, once settled
    submitted: set[int]  # member ids whose submission covers every valid bid
    complete: bool  # every seat the draw provided for is filled (a replacement may still be on the way)
    all_submitted: bool


async def standing(session: AsyncSession, evaluation: Evaluation, current: list[EvaluationMember]) -> Standing:
    ids = {m.id for m in current}
    checks = [c for c in (await session.execute(select(EvaluationCheck).where(EvaluationCheck.evaluation_id == evaluation.id)
                                                .order_by(EvaluationCheck.id))).scalars() if c.member_id in ids]
    sheets = [s for s in (await session.execute(select(EvaluationSheet).where(EvaluationSheet.evaluation_id == evaluation.id)
                                                .order_by(EvaluationSheet.id))).scalars() if s.member_id in ids]
    bids = await opened_bids(session, evaluation.tender_id, evaluation.lot_number)
    checked = {(c.member_id, c.bid_id) for c in checks}
    settled = bool(current) and all((m, b.id) in checked for m in ids for b in bids)
    failures: dict[int, list[str]] = defaultdict(list)
    for c in checks:
        if not c.passed:
            failures[c.bid_id].append(c.reason)
    rejected = {bid_id: "; ".join(dict.fromkeys(reasons)) for bid_id, reasons in failures.items() if 2 * len(reasons) > len(ids)}
    for bid in bids:
        if bid.id not in rejected and bid_price(bid) is None:
            rejected[bid.id] = N_("the bid states no price that can be evaluated")  # type: ignore[index]
    valid = [b.id for b in bids if b.id not in rejected] if settled else []  # type: ignore[misc]
    needs_sheets = bool(scheme_of(evaluation).scored_criteria)
    scored = {(s.member_id, s.bid_id) for s in sheets}
    submitted = {m.id for m in current if m.submitted_at is not None and (not needs_sheets or all((m.id, b) in scored for b in valid))}  # type: ignore[misc]
    complete = len(current) >= await committee_size(session, evaluation)
    return Standing(checks, sheets, bids, settled, rejected, valid, submitted, complete,  # type: ignore[arg-type]
                    complete and settled and submitted == ids)


async def committee_size(session: AsyncSession, evaluation: Evaluation) -> int:
    """Experts seated plus the purchaser's representatives, as the draw's request says."""
    request = json.loads((await draws.get_draw(session, None, evaluation.draw_id)).request)
    return sum(n for _, n in request["seats"]) + int(request["purchaser_representatives"])


async def submit(session: AsyncSession, platform: Platform, actor: Actor, evaluation_id: int) -> EvaluationMember:
    """The member hands in their checks and sheets: every bid checked, every valid bid scored."""
    found = await room(session, platform, actor, evaluation_id, write=True)
    me = _editable(platform, found)
    now_standing = await standing(session, found.evaluation, found.current)
    mine = {c.bid_id for c in now_standing.checks if c.member_id == me.id}
    unchecked = [b.id for b in now_standing.bids if b.id not in mine]
    if unchecked:
        raise Conflict(N_("check every bid before submitting; not yet checked: %(bids)s"), bids=", ".join(map(str, unchecked)))
    if not now_standing.settled:
        raise Conflict(N_("wait until every member has checked every bid: which bids are valid is not settled yet"))
    if scheme_of(found.evaluation).scored_criteria:
        scored = {s.bid_id for s in now_standing.sheets if s.member_id == me.id}
        missing = [b for b in now_standing.valid if b not in scored]
        if missing:
            raise Conflict(N_("score every valid bid before submitting; not yet scored: %(bids)s"), bids=", ".join(map(str, missing)))
    now = platform.clock.now()
    me.submitted_at = now
    for sheet in now_standing.sheets:
        if sheet.member_id == me.id:
            sheet.submitted_at = now
    await session.flush()
    await audit.record(session, platform.clock, actor, "evaluation.submitted", subject_type="evaluation", subject_id=evaluation_id,
                       details={"member_id": me.id,
                                "checks": {str(c.bid_id): [c.passed, c.reason] for c in now_standing.checks if c.member_id == me.id},
                                "sheets": {str(s.bid_id): json.loads(s.points) for s in now_standing.sheets if s.member_id == me.id}})
    await refresh_result(session, platform, found.evaluation, found.current)
    return me


async def reopen(session: AsyncSession, platform: Platform, actor: Actor, evaluation_id: int) -> EvaluationMember:
    """A member takes their submission back to revise it after the discussion, before the report."""
    found = await room(session, platform, actor, evaluation_id, write=True)
    me = require_member(found)
    _require_working(platform, found.evaluation)
    if me.submitted_at is None:
        raise Conflict(N_("you have not submitted"))
    me.submitted_at = None
    for sheet in (await session.execute(select(EvaluationSheet).where(EvaluationSheet.member_id == me.id))).scalars():
        sheet.submitted_at = None
    await session.flush()
    await audit.record(session, platform.clock, actor, "evaluation.reopened", subject_type="evaluation", subject_id=evaluation_id,
                       details={"member_id": me.id})
    await refresh_result(session, platform, found.evaluation, found.current)
    return me


async def refresh_result(session: AsyncSession, platform: Platform, evaluation: Evaluation, current: list[EvaluationMember]) -> None:
    """Compute the result once every current member submitted; drop it when that stops being so.

    A report drawn up from an earlier result is dropped with it (its signatures no longer count).
    """
    now_standing = await standing(session, evaluation, current)
    result = compute(evaluation, now_standing) if now_standing.all_submitted else None
    encoded = canonical_json(result.encoded()) if result is not None else None
    if encoded == evaluation.result:
        return
    evaluation.result = encoded
    evaluation.result_digest = hashlib.sha256(encoded.encode()).hexdigest() if encoded else ""
    withdraw_report(evaluation)
    await session.flush()
    await audit.record(session, platform.clock, None, "evaluation.result_computed" if encoded else "evaluation.result_withdrawn",
                       subject_type="evaluation", subject_id=evaluation.id, details={"result_sha256": evaluation.result_digest})


def withdraw_report(evaluation: Evaluation) -> None:
    """A report not yet signed by all no longer stands: back to work (signatures on its digest stop counting)."""
    if evaluation.status == EvaluationStatus.reporting:
        evaluation.status, evaluation.report, evaluation.report_digest, evaluation.reported_at = EvaluationStatus.in_progress, None, "", None


def compute(evaluation: Evaluation, now_standing: Standing) -> scoring.Result:
    scheme = scheme_of(evaluation)
    facts = [scoring.BidFacts(b.id, bid_price(b) or CENT, as_utc(b.submitted_at), now_standing.rejected.get(b.id))  # type: ignore[arg-type]
             for b in now_standing.bids]
    sheets = [scoring.Sheet(s.member_id, s.bid_id, {k: Decimal(v) for k, v in json.loads(s.points).items()})
              for s in now_standing.sheets if s.bid_id in now_standing.valid and scheme.scored_criteria]
    return scoring.evaluate(scheme, facts, sheets)


# --- Extension -----------------------------------------------------------------------------------------------


async def ask_extension(session: AsyncSession, platform: Platform, actor: Actor, evaluation_id: int) -> Evaluation:
    """A member asks for more time; more than a third of the current members asking extends it, once."""
    found = await room(session, platform, actor, evaluation_id, write=True)
    me = require_member(found)
    evaluation = found.evaluation
    if evaluation.status != EvaluationStatus.in_progress:
        raise Conflict(N_("the evaluation is %(status)s: there is nothing to extend"), status=evaluation.status)
    if evaluation.extended:
        raise Conflict(N_("the evaluation time was already extended once"))
    if me.extension_requested_at is not None:
        raise Conflict(N_("you have already asked for an extension"))
    me.extension_requested_at = platform.clock.now()
    asked = sum(1 for m in found.current if m.extension_requested_at is not None)
    await session.flush()
    await audit.record(session, platform.clock, actor, "evaluation.extension_requested", subject_type="evaluation", subject_id=evaluation_id,
                       details={"member_id": me.id, "asked": asked, "members": len(found.current)})
    if 3 * asked > len(found.current):
        before = as_utc(evaluation.ends_at)
        evaluation.ends_at, evaluation.extended = before + timedelta(hours=platform.settings.evaluation_extension_hours), True
        await session.flush()
        await audit.record(session, platform.clock, None, "evaluation.extended", subject_type="evaluation", subject_id=evaluation_id,
                           details={"ends_at_before": before.isoformat(), "ends_at": as_utc(evaluation.ends_at).isoformat(),
                                    "asked": asked, "members": len(found.current)})
    return evaluation


# --- What each viewer sees ------------------------------------------------------------------------------------


def sheets_visible(found: Room, now_standing: Standing) -> list[EvaluationSheet]:
    """Sheets: one's own always; everyone's once all submitted; supervisors each submitted one."""
    if now_standing.all_submitted:
        return now_standing.sheets
    if found.viewer == SUPERVISOR:
        return [s for s in now_standing.sheets if s.submitted_at is not None]
    if found.viewer == MEMBER:
        return [s for s in now_standing.sheets if s.member_id == found.me.id]  # type: ignore[union-attr]
    return []


def checks_visible(found: Room, now_standing: Standing) -> list[EvaluationCheck]:
    """Checks follow the sheets' rule: private to their member until everyone submitted."""
    if now_standing.all_submitted:
        return now_standing.checks
    if found.viewer == SUPERVISOR:
        submitted = {m.id for m in found.current if m.submitted_at is not None}
        return [c for c in now_standing.checks if c.member_id in submitted]
    if found.viewer == MEMBER:
        return [c for c in now_standing.checks if c.member_id == found.me.id]  # type: ignore[union-attr]
    return []


# --- The opened bids' contents --------------------------------------------------------------------------------


async def bid_file(platform: Platform, actor: Actor, evaluation_id: int, bid_id: int, number: int) -> tuple[str, AsyncIterator[bytes]]:
    """One file of an opened bid, decrypted again with the content key the bidder released at the opening.

    The platform keeps the envelope and, since the opening, its content key; not the plain
    contents. The file is decrypted as it is sent (a bid may be up to the tender's size limit).
    The read is audited before the first byte goes out.
    """
    async with platform.db.transaction(write=False) as session:
        found = await room(session, platform, actor, evaluation_id)
        if found.viewer == MEMBER:
            require_member(found)
        bid = await _bid_in(session, found.evaluation, bid_id)
        files = json.loads(bid.opening_fields or "{}").get("files", [])
        if not 1 <= number <= len(files):
            raise NotFound(N_("bid %(bid)s has no file %(number)s"), bid=bid_id, number=number)
        parts = list((await session.execute(select(BidUploadPart.object_key).where(BidUploadPart.upload_id == bid.upload_id)
                                            .order_by(BidUploadPart.number))).scalars())
        key = base64.b64decode(bid.content_key or "")
    await _record_download(platform, actor, evaluation_id, bid_id, number)
    loop = asyncio.get_running_loop()
    return files[number - 1]["name"], streamed(lambda: _file_chunks(blocking_chunks(platform, parts, loop), key, number - 1))


def _file_chunks(chunks: Iterator[bytes], key: bytes, index: int) -> Iterator[bytes]:
    opened = envelope.open_envelope(chunks, key)
    for position, (_, content) in enumerate(opened.files()):
        if position == index:
            yield from content
            return
        for _ in content:  # the files before it: decrypted (each segment authenticates) and dropped
            pass
    raise AssertionError("the manifest listed the file")


async def _record_download(platform: Platform, actor: Actor, evaluation_id: int, bid_id: int, number: int) -> None:
    async with platform.db.transaction() as session:
        await audit.record(session, platform.clock, actor, "evaluation.bid_file_read", subject_type="evaluation", subject_id=evaluation_id,
                           details={"bid_id": bid_id, "file": number})
