"""Expert draws on the database: commit the seed, draw, keep everything needed to re-run it.

The pure library (``expert_pool.draw``, docs/expert-draw.md) does the drawing; this module
builds its inputs from the database, stores its outputs and keeps the seed secret:

- ``make_draw``: the organisation running the tender, once bidding closed (before, who bid is
  secret). Audit ``draw.seed_committed`` (commitment and digests) is written before the draw
  is run, then ``draw.made`` with counts only; then every seat is invited
  (``invitation_notices.invite``).
- ``supplement``: a seat given up (declined, no answer, a conflict at check-in) is refilled by
  replaying the recorded declines plus this one (补抽); ``draw.supplemented`` carries counts
  only, the names go under the draw's embargo; a pool that cannot fill the seat leaves it
  empty (``draw.seat_unfilled``).
- ``view``: supervisors see names, reasons and the invitations; everyone else who may see the
  tender, counts.
- ``reveal``: a supervisor publishes the seed in the audit log (``draw.seed_revealed``) and the
  entries naming the experts are released; ``release_names`` releases them when the
  evaluation starts.
- ``verification``: re-runs ``verify`` from the stored snapshot, request and seed.

The snapshot records each expert's sittings (accepted invitations within the sitting window:
the purchaser's USCC and the evaluation date) and draws in the evaluation's calendar month
(invitations created in it), so ``recent_sitting`` and ``monthly_draw_limit`` apply with the
settings' window and limit. Supervised tenders are not recorded yet (no table holds them).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.models import Bid
from expert_pool import draw as lib
from expert_pool import invitation_notices
from expert_pool.draw.encoding import collector_paused
from expert_pool.draw_models import ExpertDraw
from expert_pool.invitation_models import ENDED, ExpertInvitation, InvitationStatus
from expert_pool.models import (
    Expert,
    ExpertRelationship,
    ExpertSpecialty,
    ExpertUnavailability,
    RelationshipKind,
    Specialty,
)
from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.audit.models import AuditEntry
from procurement.clock import to_display
from procurement.errors import (
    N_,
    Conflict,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
)
from procurement.identity.models import Organisation, Role, User
from procurement.platform import Platform
from procurement.supervision.models import ProjectSupervisor
from procurement.tenders import service as tenders
from procurement.tenders.models import Tender, TenderStatus

# A draw is made once bidding closed (who bid is secret before) and before the evaluation ends.
DRAW_STATES = frozenset({TenderStatus.bidding_closed, TenderStatus.opened, TenderStatus.evaluating})
_STATUS = {"active": lib.ExpertStatus.active, "suspended": lib.ExpertStatus.suspended, "retired": lib.ExpertStatus.dismissed}
_ABSENT = "absent"  # the kind pool_snapshot gives an absence, read with the ties (no RelationshipKind has this value)
# The library's request fields that come from the body; the rest come from the tender.
_BODY_FIELDS = ("seats", "reserves", "purchaser_representatives", "allowed_regions", "evaluation_days", "minimum_members", "lot")


class DrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seats: dict[str, int] = Field(description="specialty code -> experts to seat")
    reserves: dict[str, int] = Field(default_factory=dict, description="specialty code -> reserves (备选) to draw")
    purchaser_representatives: int = Field(default=0, ge=0, le=50)
    allowed_regions: list[str] = Field(default_factory=list, max_length=50, description="6-digit division codes; empty: anywhere")
    evaluation_date: date
    evaluation_days: int = Field(default=1, ge=1, le=30)
    lot: int | None = Field(default=None, ge=1, description="the lot the committee evaluates; none: the whole tender")
    minimum_members: int | None = Field(default=None, ge=1, le=99)


class DrawnOut(BaseModel):
    expert_id: int
    name: str
    specialty: str
    round: int


class ExclusionOut(BaseModel):
    expert_id: int
    name: str
    reasons: list[dict[str, str]]  # code, detail


class DrawOut(BaseModel):
    id: int
    tender_id: int
    lot: int | None
    evaluation_date: date
    created_at: str
    seed_commitment: str
    snapshot_digest: str
    request_digest: str
    revealed: bool
    seed: str | None  # only after the reveal
    seats: int
    reserves: int
    exclusions: int
    candidates: int
    # Supervisors only: names, reasons.
    committee: list[DrawnOut] | None = None
    reserve_list: list[DrawnOut] | None = None
    excluded: list[ExclusionOut] | None = None
    invitations: list[invitation_notices.InvitationStatusOut] | None = None
    unfilled: list[DrawnOut] | None = None  # seats given up that no expert could be drawn for


class CheckOut(BaseModel):
    check: str
    ok: bool
    message: str


class VerificationOut(BaseModel):
    draw_id: int
    ok: bool
    checks: list[CheckOut]


# --- making a draw -----------------------------------------------------------------------------


async def make_draw(session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, data: DrawIn) -> ExpertDraw:
    tender = await tenders.get_tender(session, actor, tender_id, for_update=True)  # serialises draws of one tender
    if not tenders.can_change(actor, tender):
        raise Forbidden(N_("only the organisation that runs this tender may draw its experts"))
    if tender.status not in DRAW_STATES:
        raise Conflict(N_("experts are drawn after bidding closed and before the evaluation ends; the tender is %(status)s"),
                       status=tender.status)
    today = to_display(platform.clock.now()).date()
    if data.evaluation_date < today:
        raise InvalidInput.for_field("body.evaluation_date", N_("the evaluation cannot start before today (%(today)s)"), today=today.isoformat())
    if await draw_of(session, tender_id, data.lot) is not None:
        # One draw per committee: drawing again until one likes the result is what the commitment guards against.
        raise Conflict(N_("the experts for this tender (lot %(lot)s) are already drawn"), lot=data.lot or "-")
    codes = {s.code for s in (await session.execute(select(Specialty))).scalars()}
    for code in [*data.seats, *data.reserves]:
        if code not in codes:
            raise InvalidInput.for_field(f"body.seats.{code}", N_("%(code)s is not in the specialty code list"), code=code)
    request = _checked(lib.DrawRequest(
        tender_id=str(tender.id), lot=data.lot, track=tender.track, method=tender.method, seats=data.seats, reserves=data.reserves,
        evaluation_date=data.evaluation_date, evaluation_days=data.evaluation_days,
        purchaser_uscc=await _uscc(session, tender.purchaser_organisation_id), bidder_usccs=await _bidders(session, tender, data.lot),
        purchaser_representatives=data.purchaser_representatives, allowed_regions=frozenset(data.allowed_regions),
        minimum_members=data.minimum_members, sitting_window_days=platform.settings.expert_sitting_window_days,
        max_draws_per_month=platform.settings.expert_max_draws_per_month or None,  # 0: no limit
        project_supervisor_ids=await _supervising_experts(session, tender.id),
    ))
    snapshot = await pool_snapshot(session, set(request.specialties), data.evaluation_date,
                                   sitting_window_days=request.sitting_window_days)
    seed = lib.new_seed()
    commitment = lib.seed_commitment(seed)
    row = ExpertDraw(
        tender_id=tender.id, lot_number=data.lot, evaluation_date=data.evaluation_date, requested_by=actor.user_id,  # type: ignore[arg-type]
        organisation_id=actor.organisation_id, created_at=platform.clock.now(), request=request.canonical_bytes().decode(),
        snapshot=snapshot.canonical_bytes().decode(), outcome="", seed=seed.hex(), seed_commitment=commitment,
        snapshot_digest=snapshot.digest, request_digest=request.digest, committed_seq=0,
    )
    session.add(row)
    await session.flush()
    # The commitment goes into the log before anything is drawn.
    committed = await audit.record(
        session, platform.clock, actor, "draw.seed_committed", subject_type="draw", subject_id=row.id,
        details={"tender_id": tender.id, "lot": data.lot, "seed_commitment": commitment, "snapshot_digest": snapshot.digest,
                 "request_digest": request.digest},
    )
    try:
        outcome = lib.draw(snapshot, request, seed)
    except lib.InsufficientExperts as error:
        raise Conflict(error.template, **error.params) from None  # the transaction rolls back: nothing is kept
    row.outcome = outcome.canonical_bytes().decode()
    row.committed_seq = committed.seq
    session.add(row)
    await audit.record(
        session, platform.clock, actor, "draw.made", subject_type="draw", subject_id=row.id,
        details={"tender_id": tender.id, "lot": data.lot, "seats": len(outcome.seats), "reserves": len(outcome.reserves),
                 "exclusions": len(outcome.exclusions), "candidates": len(snapshot), "outcome_digest": outcome.digest},
    )
    await invitation_notices.invite(session, platform, row, outcome.seats)
    await session.flush()
    return row


def _checked(request: lib.DrawRequest) -> lib.DrawRequest:
    try:
        return request.check()
    except lib.InvalidDrawRequest as error:
        prefix = "body" if error.field.split(".")[0] in _BODY_FIELDS else "tender"
        raise InvalidInput.for_errors([FieldError(f"{prefix}.{error.field}", error.template, tuple(error.params.items()), article=error.article)]) from None


async def draw_of(session: AsyncSession, tender_id: int, lot: int | None) -> ExpertDraw | None:
    lot_is = ExpertDraw.lot_number.is_(None) if lot is None else ExpertDraw.lot_number == lot  # type: ignore[union-attr]
    return (await session.execute(select(ExpertDraw).where(ExpertDraw.tender_id == tender_id, lot_is).limit(1))).scalar_one_or_none()


async def _uscc(session: AsyncSession, organisation_id: int) -> str:
    return (await session.execute(select(Organisation.uscc).where(Organisation.id == organisation_id))).scalar_one()


async def _bidders(session: AsyncSession, tender: Tender, lot: int | None) -> frozenset[str]:
    """Every organisation that bid (in any version, withdrawn too: the conflict is the same)."""
    query = select(Organisation.uscc).join(Bid, Bid.organisation_id == Organisation.id).where(Bid.tender_id == tender.id)  # type: ignore[arg-type]
    if lot is not None:
        query = query.where(Bid.lot_number == lot)
    return frozenset((await session.execute(query.distinct())).scalars())


async def _supervising_experts(session: AsyncSession, tender_id: int) -> frozenset[str]:
    """The pool's experts on the staff of a body supervising the tender (its assigned supervisors' bodies).

    行政监督部门的工作人员不得担任本部门负责监督项目的评标委员会成员 [招标投标法实施条例 第四十六条]:
    an expert whose current employer is such a body is kept off the committee.
    """
    bodies = (select(Organisation.uscc).join(User, User.organisation_id == Organisation.id)  # type: ignore[arg-type]
              .join(ProjectSupervisor, ProjectSupervisor.user_id == User.id).where(ProjectSupervisor.tender_id == tender_id))  # type: ignore[arg-type]
    found = await session.execute(select(Expert.id).where(Expert.employer_uscc.in_(bodies)))  # type: ignore[attr-defined]
    return frozenset(str(expert_id) for expert_id in found.scalars())


async def pool_snapshot(session: AsyncSession, specialties: set[str], evaluation_date: date, *,
                        sitting_window_days: int = 0) -> lib.PoolSnapshot:
    """The experts with a requested specialty, as the draw sees them (docs/expert-draw.md §2).

    With 100,000 experts this keeps the draw within a few times the cost of reading the pool
    once (benchmarks/expert_draw.py): plain rows rather than table objects, the candidates
    picked by a subquery rather than a list of ids, and the cyclic garbage collector paused
    while the rows and the experts are made. Some 40,000 objects are alive at once then: the
    collector would scan them again and again and move them to its oldest generation, whose
    full passes then cost as much as the rest of the draw (measured). Nothing here makes
    reference cycles; the pause only defers the process's collections by this read's time,
    and the rows are gone before it ends (they die with ``_read_pool``).
    """
    with collector_paused():
        return await _read_pool(session, specialties, evaluation_date, sitting_window_days)


async def _read_pool(session: AsyncSession, specialties: set[str], evaluation_date: date, sitting_window_days: int) -> lib.PoolSnapshot:
    """Reads the candidates, their ties, absences and history, and makes the snapshot of them."""
    rows = (await session.execute(  # a row per expert and requested specialty the expert has
        select(Expert.id, Specialty.code, Expert.region, Expert.status, Expert.qualification_expires, Expert.employer_uscc)
        .join(ExpertSpecialty, ExpertSpecialty.expert_id == Expert.id).join(Specialty, Specialty.id == ExpertSpecialty.specialty_id)  # type: ignore[arg-type]
        .where(Specialty.code.in_(specialties))  # type: ignore[attr-defined]
    )).all()
    if not rows:
        return lib.PoolSnapshot.of([])
    candidates = (select(ExpertSpecialty.expert_id).join(Specialty, Specialty.id == ExpertSpecialty.specialty_id)  # type: ignore[arg-type]
                  .where(Specialty.code.in_(specialties)))  # type: ignore[attr-defined]
    # Ties and absences in one query, one round trip: an absence is a row of kind _ABSENT.
    others = (await session.execute(union_all(
        select(ExpertRelationship.expert_id, ExpertRelationship.kind, ExpertRelationship.organisation_uscc, ExpertRelationship.from_date,
               ExpertRelationship.to_date).where(ExpertRelationship.expert_id.in_(candidates)),  # type: ignore[attr-defined]
        select(ExpertUnavailability.expert_id, literal(_ABSENT), null(), ExpertUnavailability.from_date, ExpertUnavailability.to_date)
        .where(ExpertUnavailability.expert_id.in_(candidates)),  # type: ignore[attr-defined]
    ))).all()
    sittings, drawn_this_month = await _history(session, evaluation_date, sitting_window_days)
    return _snapshot(rows, others, sittings, drawn_this_month, evaluation_date)


def _snapshot(rows: Sequence[Any], others: Sequence[Any], sittings: dict[int, list[lib.Sitting]], drawn_this_month: dict[int, int],
              evaluation_date: date) -> lib.PoolSnapshot:
    """The snapshot from what ``_read_pool`` read."""
    codes: dict[int, list[str]] = defaultdict(list)
    columns: dict[int, Any] = {}  # the expert's row (the same for each of its specialties)
    for row in rows:
        codes[row[0]].append(row[1])
        columns[row[0]] = row
    past_jobs: dict[int, list[lib.Employment]] = defaultdict(list)
    absent: dict[int, list[lib.DateRange]] = defaultdict(list)
    shares: dict[int, set[str]] = defaultdict(set)
    relatives: dict[int, set[str]] = defaultdict(set)
    held: dict[str, dict[int, set[str]]] = {RelationshipKind.shareholding: shares, RelationshipKind.relative: relatives}
    for expert_id, kind, uscc, start, end in others:
        if kind == _ABSENT:
            absent[expert_id].append(lib.DateRange(start, end))
        elif kind == RelationshipKind.employer:
            past_jobs[expert_id].append(lib.Employment(uscc, start, end))
        elif kind in held and (end is None or end >= evaluation_date):  # shares and relatives count while held
            held[kind][expert_id].add(uscc)
    # Immutable parts many experts have alike are made once and shared: fewer objects to make,
    # and fewer for the collector to scan while the snapshot lives.
    jobs: dict[str, tuple[lib.Employment]] = {}  # a current employer alone
    code_sets: dict[tuple[str, ...], frozenset[str]] = {}
    none: frozenset[str] = frozenset()
    experts = []
    for expert_id, (_, _, region, status, expires, employer) in columns.items():
        job = jobs.get(employer) or jobs.setdefault(employer, (lib.Employment(employer),))
        held_codes = tuple(codes[expert_id])
        experts.append(lib.Expert(
            id=str(expert_id), specialties=code_sets.get(held_codes) or code_sets.setdefault(held_codes, frozenset(held_codes)),
            region=region, status=_STATUS.get(status, lib.ExpertStatus.dismissed),
            qualification_expires=expires, employers=(*job, *past_jobs[expert_id]) if expert_id in past_jobs else job,
            shareholdings=frozenset(shares[expert_id]) if expert_id in shares else none,
            relative_organisations=frozenset(relatives[expert_id]) if expert_id in relatives else none,
            unavailable=tuple(absent.get(expert_id, ())), sittings=tuple(sittings.get(expert_id, ())),
            draws_this_month=drawn_this_month.get(expert_id, 0), supervised_tenders=none,
        ))
    return lib.PoolSnapshot.of(experts)


async def _history(session: AsyncSession, evaluation_date: date, window_days: int) -> tuple[dict[int, list[lib.Sitting]], dict[int, int]]:
    """Every expert's sittings the window can see and invitations in the evaluation's month.

    A sitting is an accepted invitation: the tender's purchaser and the evaluation's first day,
    after ``evaluation − window`` and not after the evaluation (older or later ones change
    nothing, so the snapshot leaves them out). Draws this month count every invitation created
    in the evaluation's calendar month (Beijing), whatever its answer: being drawn is what the
    limit counts. Read by date range, not by expert, so the pool's size does not matter.
    """
    sittings: dict[int, list[lib.Sitting]] = defaultdict(list)
    if window_days:
        rows = await session.execute(
            select(ExpertInvitation.expert_id, Organisation.uscc, ExpertDraw.evaluation_date)
            .join(ExpertDraw, ExpertDraw.id == ExpertInvitation.draw_id)  # type: ignore[arg-type]
            .join(Tender, Tender.id == ExpertDraw.tender_id)  # type: ignore[arg-type]
            .join(Organisation, Organisation.id == Tender.purchaser_organisation_id)  # type: ignore[arg-type]
            .where(ExpertInvitation.status == InvitationStatus.accepted,
                   ExpertDraw.evaluation_date > evaluation_date - timedelta(days=window_days),  # type: ignore[operator]
                   ExpertDraw.evaluation_date <= evaluation_date)  # type: ignore[operator]
        )
        for expert_id, uscc, on in rows:
            sittings[expert_id].append(lib.Sitting(uscc, on))
    first = evaluation_date.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    start, end = (invitation_notices.day_start(day) for day in (first, following))
    counts = await session.execute(
        select(ExpertInvitation.expert_id, func.count()).where(
            ExpertInvitation.created_at >= start, ExpertInvitation.created_at < end)  # type: ignore[operator]
        .group_by(ExpertInvitation.expert_id)  # type: ignore[arg-type]
    )
    return sittings, {expert_id: count for expert_id, count in counts}


# --- reading, revealing, verifying -----------------------------------------------------------


async def get_draw(session: AsyncSession, actor: Actor | None, draw_id: int, *, for_update: bool = False) -> ExpertDraw:
    row = await session.get(ExpertDraw, draw_id, with_for_update=for_update)
    if row is None:
        raise NotFound(N_("no draw %(id)s"), id=draw_id)
    if actor is not None:
        await tenders.get_tender(session, actor, row.tender_id)  # who may not see the tender does not see its draws
    return row


def _outcome(row: ExpertDraw) -> dict[str, Any]:
    return json.loads(row.outcome)


async def view(session: AsyncSession, actor: Actor, draw_id: int) -> DrawOut:
    row = await get_draw(session, actor, draw_id)
    outcome = _outcome(row)
    out = DrawOut(
        id=row.id, tender_id=row.tender_id, lot=row.lot_number, evaluation_date=row.evaluation_date,  # type: ignore[arg-type]
        created_at=row.created_at.isoformat(), seed_commitment=row.seed_commitment, snapshot_digest=row.snapshot_digest,
        request_digest=row.request_digest, revealed=row.revealed_at is not None, seed=row.seed if row.revealed_at else None,
        seats=len(outcome["seats"]), reserves=len(outcome["reserves"]), exclusions=len(outcome["exclusions"]),
        candidates=len(lib.PoolSnapshot.from_canonical_bytes(row.snapshot.encode())),
    )
    if not actor.has(Role.supervisor):
        return out  # the committee stays secret until the evaluation [招标投标法 第三十七条: 名单在中标结果确定前应当保密]
    ids = {int(d[0]) for d in outcome["seats"] + outcome["reserves"]} | {int(x[0]) for x in outcome["exclusions"]}
    names = dict((await session.execute(select(Expert.id, Expert.name).where(Expert.id.in_(ids)))).all()) if ids else {}  # type: ignore[union-attr]

    def drawn(d: list[Any]) -> DrawnOut:
        return DrawnOut(expert_id=int(d[0]), name=names.get(int(d[0]), ""), specialty=d[1], round=d[2])

    out.committee = [drawn(d) for d in outcome["seats"]]
    out.reserve_list = [drawn(d) for d in outcome["reserves"]]
    out.excluded = [
        ExclusionOut(expert_id=int(x[0]), name=names.get(int(x[0]), ""), reasons=[_reason(r) for r in x[1]]) for x in outcome["exclusions"]
    ]
    out.invitations = await invitation_notices.of_draw(session, draw_id)
    # A seat given up stays in the outcome when no replacement could be drawn: that seat is empty.
    ended = {str(i.expert_id) for i in out.invitations if i.status in ENDED}
    out.unfilled = [drawn(d) for d in outcome["seats"] if d[0] in ended]
    return out


def _reason(encoded: list[str]) -> dict[str, str]:
    # The record keeps each reason's code and detail (docs/expert-draw.md §4 says what each code means).
    return {"code": encoded[0], "detail": encoded[1] if len(encoded) > 1 else ""}


async def reveal(session: AsyncSession, platform: Platform, actor: Actor, draw_id: int) -> ExpertDraw:
    if not actor.has(Role.supervisor):
        raise Forbidden(N_("only a supervisor reveals a draw's seed"))
    row = await get_draw(session, actor, draw_id, for_update=True)
    if row.revealed_at is not None:
        raise Conflict(N_("the seed of draw %(id)s is already revealed"), id=draw_id)
    await _reveal(session, platform, actor, row)
    return row


async def reveal_after_evaluation(session: AsyncSession, platform: Platform, draw_id: int) -> None:
    """The committee's report is signed: the seed goes into the log, so anyone may verify the draw
    (docs/expert-draw.md §1); nothing to do when a supervisor revealed it already."""
    row = await get_draw(session, None, draw_id, for_update=True)
    if row.revealed_at is None:
        await _reveal(session, platform, None, row)


async def _reveal(session: AsyncSession, platform: Platform, actor: Actor | None, row: ExpertDraw) -> None:
    row.revealed_at = platform.clock.now()
    session.add(row)
    await audit.record(session, platform.clock, actor, "draw.seed_revealed", subject_type="draw", subject_id=row.id,
                       details={"tender_id": row.tender_id, "lot": row.lot_number, "seed": row.seed, "seed_commitment": row.seed_commitment})
    await audit.release_embargo(session, platform.clock, invitation_notices.embargo_key(row.id))  # type: ignore[arg-type]
    await session.flush()


async def release_names(session: AsyncSession, platform: Platform, draw_id: int) -> int:
    """The evaluation starts: the audit entries naming the draw's experts become readable. Returns how many."""
    row = await get_draw(session, None, draw_id)
    released = await audit.release_embargo(session, platform.clock, invitation_notices.embargo_key(row.id))  # type: ignore[arg-type]
    if released:
        await audit.record(session, platform.clock, None, "draw.names_released", subject_type="draw", subject_id=row.id,
                           details={"tender_id": row.tender_id, "lot": row.lot_number, "entries": released})
    return released


# --- supplementary draws -----------------------------------------------------------------------


async def supplement(session: AsyncSession, platform: Platform, draw_id: int, expert_id: int, cause: InvitationStatus) -> ExpertInvitation | None:
    """Refill the seat ``expert_id`` gave up (补抽) and invite the replacement; None: nobody is left to draw.

    The library replays the recorded declines plus this one (what ``lib.supplement`` does), so
    the stored outcome is exactly what verification recomputes. The callers authorise (the
    expert's own answer, the answer deadline); the entries here are the system's, since an
    actor would name who declined. ``draw.supplemented`` carries counts only; who replaced whom
    is held under the draw's embargo.
    """
    row = await get_draw(session, None, draw_id, for_update=True)  # serialises the supplements of one draw
    snapshot, request = _inputs(row)
    try:
        outcome = lib.run_draw(snapshot, request, bytes.fromhex(row.seed), (*_outcome(row)["declines"], str(expert_id)))
    except lib.InsufficientExperts as error:
        await audit.record(session, platform.clock, None, "draw.seat_unfilled", subject_type="draw", subject_id=row.id,
                           details={"tender_id": row.tender_id, "lot": row.lot_number, "cause": cause.value,
                                    "specialty": error.params["specialty"], "round": error.params["round"]})
        return None
    except lib.InvalidDecline as error:
        raise Conflict(error.template, **error.params) from None
    row.outcome = outcome.canonical_bytes().decode()
    session.add(row)
    replacement = outcome.replacements[-1]
    drawn = next(d for d in outcome.seats if d.expert_id == replacement.replaced_by)
    await audit.record(session, platform.clock, None, "draw.supplemented", subject_type="draw", subject_id=row.id,
                       details={"tender_id": row.tender_id, "lot": row.lot_number, "cause": cause.value, "round": drawn.round,
                                "supplements": len(outcome.replacements), "reserves_left": len(outcome.reserves),
                                "outcome_digest": outcome.digest})
    await audit.record(session, platform.clock, None, "draw.seat_replaced", subject_type="draw", subject_id=row.id,
                       details={"declined": replacement.declined, "replaced_by": replacement.replaced_by,
                                "specialty": replacement.specialty, "round": replacement.round},
                       embargo=invitation_notices.embargo_key(row.id))  # type: ignore[arg-type]
    return (await invitation_notices.invite(session, platform, row, [drawn]))[0]


def _inputs(row: ExpertDraw) -> tuple[lib.PoolSnapshot, lib.DrawRequest]:
    return lib.PoolSnapshot.from_canonical_bytes(row.snapshot.encode()), request_of(json.loads(row.request))


async def logged_commitment(session: AsyncSession, row: ExpertDraw) -> str | None:
    entry = await session.get(AuditEntry, row.committed_seq)
    if entry is None or entry.action != "draw.seed_committed" or entry.subject_id != str(row.id):
        return None
    return json.loads(entry.details).get("seed_commitment")


def request_of(encoded: dict[str, Any]) -> lib.DrawRequest:
    fields = {k: v for k, v in encoded.items() if k != "label"}
    fields["evaluation_date"] = date.fromisoformat(fields["evaluation_date"])
    fields["seats"] = [tuple(p) for p in fields["seats"]]
    fields["reserves"] = [tuple(p) for p in fields["reserves"]]
    for name in ("bidder_usccs", "allowed_regions", "project_supervisor_ids"):
        fields[name] = frozenset(fields[name])
    return lib.DrawRequest(**fields)


# Every part verify compares, so the report lists passed checks too.
CHECKS = (
    ("seed_not_committed", "the seed matches the commitment in the audit log"),
    ("seed_commitment_mismatch", "the seed matches the record's commitment"),
    ("snapshot_digest_mismatch", "the pool snapshot is the one the draw was made from"),
    ("request_digest_mismatch", "the request is the one the draw was made for"),
    ("seats_mismatch", "the committee is the one the draw gives"),
    ("reserves_mismatch", "the reserves are the ones the draw gives"),
    ("exclusions_mismatch", "the exclusions and their reasons are the draw's"),
    ("replacements_mismatch", "the supplementary draws are the draw's"),
    ("rounds_mismatch", "the number of rounds is the draw's"),
    ("shortfall_mismatch", "the reserve shortfall is the draw's"),
)


async def verification(session: AsyncSession, actor: Actor | None, draw_id: int) -> VerificationOut:
    """Re-runs the draw from what is stored. ``actor`` None: the CLI, run by whoever holds the database."""
    row = await get_draw(session, actor, draw_id)
    if actor is not None and not actor.has(Role.supervisor) and row.revealed_at is None:
        raise Forbidden(N_("a draw can be verified by anyone once its seed is revealed; until then only by supervisors"))
    committed = await logged_commitment(session, row)
    problems: list[lib.Problem] = []
    try:
        snapshot, request = _inputs(row)
        result = lib.verify(snapshot, request, bytes.fromhex(row.seed), _outcome(row), committed=committed or "")
        problems = list(result.problems)
    except (lib.DrawError, ValueError, KeyError, TypeError) as error:
        problems.append(lib.Problem("rerun_failed", f"The stored draw cannot be read: {error}"))
    found = {p.code: p.message for p in problems}
    checks = [CheckOut(check=code, ok=code not in found, message=found.get(code, text)) for code, text in CHECKS]
    checks += [CheckOut(check=p.code, ok=False, message=p.message) for p in problems if p.code not in dict(CHECKS)]
    return VerificationOut(draw_id=draw_id, ok=not problems, checks=checks)
