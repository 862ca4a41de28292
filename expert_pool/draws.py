"""Expert draws on the database: commit the seed, draw, keep everything needed to re-run it.

The pure library (``expert_pool.draw``, docs/expert-draw.md) does the drawing; this module
builds its inputs from the database, stores its outputs and keeps the seed secret:

- ``make_draw``: the organisation running the tender, once bidding closed (before, who bid is
  secret). Audit ``draw.seed_committed`` (commitment and digests) is written before the draw
  is run, then ``draw.made`` with counts only.
- ``view``: supervisors see names and reasons; everyone else who may see the tender, counts.
- ``reveal``: a supervisor publishes the seed in the audit log (``draw.seed_revealed``).
- ``verification``: re-runs ``verify`` from the stored snapshot, request and seed.

Not yet in the snapshot: past sittings and this month's draw counts (no table records
sittings yet), so ``recent_sitting`` and ``monthly_draw_limit`` never apply; supervised
tenders likewise. The request turns both limits off so the record says so.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.models import Bid
from expert_pool import draw as lib
from expert_pool.draw_models import ExpertDraw
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
from procurement.identity.models import Organisation, Role
from procurement.platform import Platform
from procurement.tenders import service as tenders
from procurement.tenders.models import Tender, TenderStatus

# A draw is made once bidding closed (who bid is secret before) and before the evaluation ends.
DRAW_STATES = frozenset({TenderStatus.bidding_closed, TenderStatus.opened, TenderStatus.evaluating})
_STATUS = {"active": lib.ExpertStatus.active, "suspended": lib.ExpertStatus.suspended, "retired": lib.ExpertStatus.dismissed}
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
    if await _existing(session, tender_id, data.lot) is not None:
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
        minimum_members=data.minimum_members,
    ))
    snapshot = await pool_snapshot(session, set(request.specialties), data.evaluation_date)
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
    await session.flush()
    return row


def _checked(request: lib.DrawRequest) -> lib.DrawRequest:
    try:
        return request.check()
    except lib.InvalidDrawRequest as error:
        prefix = "body" if error.field.split(".")[0] in _BODY_FIELDS else "tender"
        raise InvalidInput.for_errors([FieldError(f"{prefix}.{error.field}", error.template, tuple(error.params.items()), article=error.article)]) from None


async def _existing(session: AsyncSession, tender_id: int, lot: int | None) -> ExpertDraw | None:
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


async def pool_snapshot(session: AsyncSession, specialties: set[str], evaluation_date: date) -> lib.PoolSnapshot:
    """The experts with a requested specialty, as the draw sees them (docs/expert-draw.md §2)."""
    links = (await session.execute(
        select(ExpertSpecialty.expert_id, Specialty.code).join(Specialty, Specialty.id == ExpertSpecialty.specialty_id)  # type: ignore[arg-type]
        .where(Specialty.code.in_(specialties))  # type: ignore[attr-defined]
    )).all()
    codes: dict[int, set[str]] = defaultdict(set)
    for expert_id, code in links:
        codes[expert_id].add(code)
    ids = sorted(codes)
    if not ids:
        return lib.PoolSnapshot.of([])
    experts = (await session.execute(select(Expert).where(Expert.id.in_(ids)))).scalars()  # type: ignore[union-attr]
    ties: dict[int, list[ExpertRelationship]] = defaultdict(list)
    for rel in (await session.execute(select(ExpertRelationship).where(ExpertRelationship.expert_id.in_(ids)))).scalars():  # type: ignore[attr-defined]
        ties[rel.expert_id].append(rel)
    absent: dict[int, list[lib.DateRange]] = defaultdict(list)
    for period in (await session.execute(select(ExpertUnavailability).where(ExpertUnavailability.expert_id.in_(ids)))).scalars():  # type: ignore[attr-defined]
        absent[period.expert_id].append(lib.DateRange(period.from_date, period.to_date))

    def held(kind: RelationshipKind, rels: list[ExpertRelationship]) -> frozenset[str]:
        # Shares and relatives: the ones still held on the evaluation's first day.
        return frozenset(r.organisation_uscc for r in rels if r.kind == kind and (r.to_date is None or r.to_date >= evaluation_date))

    return lib.PoolSnapshot.of(
        lib.Expert(
            id=str(e.id), specialties=frozenset(codes[e.id]), region=e.region, status=_STATUS.get(e.status, lib.ExpertStatus.dismissed),  # type: ignore[index]
            qualification_expires=e.qualification_expires,
            employers=(lib.Employment(e.employer_uscc), *(lib.Employment(r.organisation_uscc, r.from_date, r.to_date)
                                                          for r in ties[e.id] if r.kind == RelationshipKind.employer)),  # type: ignore[index]
            shareholdings=held(RelationshipKind.shareholding, ties[e.id]),  # type: ignore[index]
            relative_organisations=held(RelationshipKind.relative, ties[e.id]),  # type: ignore[index]
            unavailable=tuple(absent[e.id]),  # type: ignore[index]
        )
        for e in experts
    )


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
    row.revealed_at = platform.clock.now()
    session.add(row)
    await audit.record(session, platform.clock, actor, "draw.seed_revealed", subject_type="draw", subject_id=row.id,
                       details={"tender_id": row.tender_id, "lot": row.lot_number, "seed": row.seed, "seed_commitment": row.seed_commitment})
    await session.flush()
    return row


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
        snapshot = lib.PoolSnapshot.from_canonical_bytes(row.snapshot.encode())
        request = request_of(json.loads(row.request))
        result = lib.verify(snapshot, request, bytes.fromhex(row.seed), _outcome(row), committed=committed or "")
        problems = list(result.problems)
    except (lib.DrawError, ValueError, KeyError, TypeError) as error:
        problems.append(lib.Problem("rerun_failed", f"The stored draw cannot be read: {error}"))
    found = {p.code: p.message for p in problems}
    checks = [CheckOut(check=code, ok=code not in found, message=found.get(code, text)) for code, text in CHECKS]
    checks += [CheckOut(check=p.code, ok=False, message=p.message) for p in problems if p.code not in dict(CHECKS)]
    return VerificationOut(draw_id=draw_id, ok=not problems, checks=checks)
