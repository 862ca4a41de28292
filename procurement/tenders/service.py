"""The tender's life from draft to bidding closed: rules, state changes, who may do what.

Every change is audited in the same transaction. The legal limits come from ``rules`` (a
table per track and method), never from scattered conditions here.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.evaluation import scoring
from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.audit.chain import canonical_json
from procurement.clock import as_utc
from procurement.errors import (
    N_,
    Conflict,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
)
from procurement.identity.models import Organisation, OrganisationKind, Role
from procurement.platform import Platform
from procurement.tenders import mall_only, notices, ocds, rules
from procurement.tenders.holidays import load_calendar
from procurement.tenders.models import (
    Amendment,
    CodeSequence,
    EntryReview,
    Lot,
    NoticeKind,
    Tender,
    TenderStatus,
)
from procurement.tenders.money import to_fen
from procurement.tenders.schemas import LotIn, PublishIn, ReviewIn, TenderDraft

# Which states may follow which: the only transitions that exist.
TRANSITIONS: dict[TenderStatus, frozenset[TenderStatus]] = {
    TenderStatus.draft: frozenset({TenderStatus.submitted, TenderStatus.terminated}),
    TenderStatus.submitted: frozenset({TenderStatus.accepted, TenderStatus.draft}),
    TenderStatus.accepted: frozenset({TenderStatus.published, TenderStatus.terminated}),
    TenderStatus.published: frozenset({TenderStatus.bidding_closed, TenderStatus.terminated}),
    TenderStatus.bidding_closed: frozenset({TenderStatus.opened, TenderStatus.failed}),
    TenderStatus.opened: frozenset({TenderStatus.evaluating, TenderStatus.failed}),
    TenderStatus.evaluating: frozenset({TenderStatus.candidates_publicised, TenderStatus.failed}),
    TenderStatus.candidates_publicised: frozenset({TenderStatus.awarded, TenderStatus.failed}),
    # failed: the winner refused to sign and the purchaser tenders the lot again (bidding.award.refusal).
    TenderStatus.awarded: frozenset({TenderStatus.contract_signed, TenderStatus.failed}),
    TenderStatus.contract_signed: frozenset(),
    TenderStatus.failed: frozenset(),
    TenderStatus.terminated: frozenset(),
}
PUBLIC_STATES = frozenset(TenderStatus) - {TenderStatus.draft, TenderStatus.submitted, TenderStatus.accepted}
TRACK_CODE = {rules.Track.works: "GC", rules.Track.government: "ZC"}  # 工程 / 政采

# The materials a tender brings to entry review (清单管理), per method: message ids.
CHECKLISTS: dict[str, tuple[str, ...]] = {
    method: (
        N_("Project approval or budget approval"),
        N_("Tender documents"),
        N_("Procurement requirements"),
        *((N_("Single-source justification and its publicity"),) if method == rules.Method.single_source else ()),
        *((N_("Approval of the non-tender method"),) if method in (rules.Method.negotiation, rules.Method.consultation) else ()),
    )
    for method in rules.Method
}
ENTRY_TARGET_SECONDS = 24 * 3600  # "submitted the same day, handled within 24 hours"


def _transition(tender: Tender, to: TenderStatus) -> None:
    if to not in TRANSITIONS[TenderStatus(tender.status)]:
        raise Conflict("a tender in state %(state)s cannot become %(to)s", state=tender.status, to=to.value)
    tender.status = to


def _refuse(violations: list[rules.Violation]) -> None:
    if violations:
        errors = [FieldError(v.field, v.template, tuple(v.params.items()), v.article) for v in violations]
        raise InvalidInput.for_errors(errors)


# --- Visibility and authority ---------------------------------------------------------------


def _owns(actor: Actor, tender: Tender) -> bool:
    return actor.organisation_id == tender.owner_organisation_id and actor.has(Role.purchaser, Role.agency)


def can_see(actor: Actor | None, tender: Tender) -> bool:
    # A tender terminated before publication was never public, whatever its state says now.
    if tender.status in PUBLIC_STATES and tender.published_at is not None:
        return True
    if actor is None:
        return False
    if actor.organisation_id in (tender.owner_organisation_id, tender.purchaser_organisation_id):
        return True
    # Before publication the trading centre and supervisors see what was submitted, never a draft.
    return tender.status != TenderStatus.draft and actor.has(Role.operator, Role.supervisor)


async def get_tender(session: AsyncSession, actor: Actor | None, tender_id: int, *, for_update: bool = False) -> Tender:
    tender = await session.get(Tender, tender_id, with_for_update=for_update)
    if tender is None or not can_see(actor, tender):
        raise NotFound("no tender %(id)s", id=tender_id)
    return tender


async def _owned(session: AsyncSession, actor: Actor, tender_id: int) -> Tender:
    tender = await get_tender(session, actor, tender_id, for_update=True)
    if not _owns(actor, tender):
        raise Forbidden("only the organisation that runs this tender may change it")
    return tender


async def lots_of(session: AsyncSession, tender_id: int) -> list[Lot]:
    return (await lots_for(session, [tender_id]))[tender_id]


async def organisation_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    """Names of the purchasers and agencies a page of tenders mentions, in one query."""
    if not ids:
        return {}
    rows = await session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids)))
    return {org_id: name for org_id, name in rows}


async def lots_for(session: AsyncSession, tender_ids: list[int]) -> dict[int, list[Lot]]:
    """The lots of many tenders in one query (a page of results must not cost a query per tender)."""
    found: dict[int, list[Lot]] = {tender_id: [] for tender_id in tender_ids}
    query = select(Lot).where(Lot.tender_id.in_(tender_ids)).order_by(Lot.tender_id, Lot.number)
    for lot in (await session.execute(query)).scalars():
        found[lot.tender_id].append(lot)
    return found


# --- Drafts ------------------------------------------------------------------------------------


def _check_content(data: TenderDraft) -> list[scoring.Scheme]:
    """What can be checked on a draft already: the lots against the budget and the security cap, their schemes.

    Returns each lot's evaluation scheme, checked.
    """
    try:
        tender_rules = rules.rules_for(data.track, data.method, category=data.category)
    except rules.NoProcedure as exc:
        raise InvalidInput.for_field("body.method", exc.template, **exc.params) from exc
    problems: list[rules.Violation] = []
    for index, lot in enumerate(data.lots):
        problems += rules.check_security(
            tender_rules, budget=lot.budget, security=lot.bid_security, field=f"body.lots[{index}].bid_security"
        )
    _refuse(problems)
    if sum(lot.budget for lot in data.lots) > data.budget:
        raise InvalidInput.for_field("body.lots", "the lots' budgets add up to more than the tender's budget")
    t = data.timeline
    if not (t.documents_from < t.documents_until <= t.bid_deadline):
        raise InvalidInput.for_field(
            "body.timeline", "documents must be on offer from before they are until, and until no later than the bid deadline"
        )
    return _checked_schemes(data)


def _lot_scheme(track: str, category: str, lot: LotIn) -> scoring.Scheme:
    """The lot's evaluation scheme: what the tender sets, the platform's default for what it omits."""
    default = scoring.default_scheme(track, category, lot.evaluation_method)
    return replace(
        default,
        criteria=default.criteria if lot.criteria is None else tuple(scoring.Criterion(c.code, c.name, c.kind, c.points) for c in lot.criteria),
        discard_extremes=default.discard_extremes if lot.discard_extremes is None else lot.discard_extremes,
        tie_break=default.tie_break if lot.tie_break is None else lot.tie_break,
    )


def _checked_schemes(data: TenderDraft) -> list[scoring.Scheme]:
    schemes: list[scoring.Scheme] = []
    errors: list[FieldError] = []
    for index, lot in enumerate(data.lots):
        scheme = _lot_scheme(data.track, data.category, lot)
        try:
            scheme.check(data.track, data.category)
        except scoring.InvalidScheme as error:
            errors.append(FieldError(f"body.lots[{index}].{error.field}", error.template, tuple(error.params.items()), error.article))
        schemes.append(scheme)
    if errors:
        raise InvalidInput.for_errors(errors)
    return schemes


def scheme_of(lot: Lot) -> scoring.Scheme:
    """The evaluation scheme stored on a lot."""
    return scoring.Scheme.from_encoded(json.loads(lot.evaluation_scheme))


async def _purchaser_for(session: AsyncSession, actor: Actor, data: TenderDraft) -> tuple[int, int | None]:
    """(purchaser, agency) organisations: an agency names the purchaser it acts for."""
    if actor.has(Role.purchaser) and actor.organisation_kind == OrganisationKind.purchaser:
        if data.purchaser_organisation_id not in (None, actor.organisation_id):
            raise InvalidInput.for_field("body.purchaser_organisation_id", "a purchaser creates tenders for itself only")
        return actor.organisation_id, None
    if data.purchaser_organisation_id is None:
        raise InvalidInput.for_field("body.purchaser_organisation_id", "an agency must name the purchaser it acts for")
    purchaser = await session.get(Organisation, data.purchaser_organisation_id)
    if purchaser is None or purchaser.kind != OrganisationKind.purchaser:
        raise InvalidInput.for_field("body.purchaser_organisation_id", "is not a purchasing unit registered on the platform")
    return purchaser.id, actor.organisation_id  # type: ignore[return-value]


async def _next_code(session: AsyncSession, region: str, year: int, track: str) -> str:
    prefix = f"{region}-{year}-{TRACK_CODE[rules.Track(track)]}"
    bumped = (
        await session.execute(update(CodeSequence).where(CodeSequence.prefix == prefix).values(last=CodeSequence.last + 1).returning(CodeSequence.last))
    ).scalar_one_or_none()
    if bumped is None:
        try:
            async with session.begin_nested():
                session.add(CodeSequence(prefix=prefix, last=1))
            bumped = 1
        except IntegrityError:  # another creator made the row first: take the next number after theirs
            return await _next_code(session, region, year, track)
    return f"{prefix}-{bumped:04d}"


def _draft_fields(data: TenderDraft) -> dict[str, object]:
    """The tender's columns a draft sets (create and edit alike)."""
    t = data.timeline
    return {
        "title": data.title, "track": data.track, "category": data.category, "method": data.method, "region": data.region,
        "budget_fen": to_fen(data.budget), "green_channel": data.green_channel, "mall_category": data.mall_category,
        "documents_from": as_utc(t.documents_from), "documents_until": as_utc(t.documents_until),
        "questions_until": as_utc(t.questions_until) if t.questions_until else None,
        "bid_deadline": as_utc(t.bid_deadline), "opening_place": t.opening_place,
        "release_minutes": t.release_minutes, "max_bid_mib": t.max_bid_mib,
        "contact_name": data.contact_name, "contact_phone": data.contact_phone, "qualifications": data.qualifications,
    }


async def _check_mall_only(session: AsyncSession, platform: Platform, data: TenderDraft, purchaser_id: int) -> None:
    """At every save, so the form shows it at once; ``submit`` checks again (see ``mall_only``)."""
    await mall_only.check(
        session, platform.settings, track=data.track, category=data.category, code=data.mall_category,
        budget_fen=to_fen(data.budget), purchaser_organisation_id=purchaser_id,
    )


def _lots(tender_id: int, data: TenderDraft, schemes: list[scoring.Scheme]) -> list[Lot]:
    return [
        Lot(
            tender_id=tender_id, number=i, title=lot.title, budget_fen=to_fen(lot.budget),
            bid_security_fen=to_fen(lot.bid_security), evaluation_method=scheme.method,
            evaluation_scheme=canonical_json(scheme.encoded()),
        )
        for i, (lot, scheme) in enumerate(zip(data.lots, schemes, strict=True), start=1)
    ]


async def create_draft(session: AsyncSession, platform: Platform, actor: Actor, data: TenderDraft, idempotency_key: str | None) -> tuple[Tender, bool]:
    """Create a private draft. Repeating a create with the same key returns the first tender.

    Returns (tender, created).
    """
    if idempotency_key:
        existing = (
            await session.execute(
                select(Tender).where(Tender.owner_organisation_id == actor.organisation_id, Tender.idempotency_key == idempotency_key)
            )
        ).scalar_one_or_none()
        if existing is not None:
            return existing, False
    schemes = _check_content(data)
    purchaser_id, agency_id = await _purchaser_for(session, actor, data)
    await _check_mall_only(session, platform, data, purchaser_id)
    now = platform.clock.now()
    tender = Tender(
        code=await _next_code(session, data.region, now.year, data.track),
        purchaser_organisation_id=purchaser_id,
        agency_organisation_id=agency_id,
        owner_organisation_id=actor.organisation_id,
        idempotency_key=idempotency_key,
        status=TenderStatus.draft,
        created_at=now,
        updated_at=now,
        **_draft_fields(data),
    )
    session.add(tender)
    await session.flush()
    session.add_all(_lots(tender.id, data, schemes))  # type: ignore[arg-type]
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "tender.created", subject_type="tender", subject_id=tender.id,
        details={"code": tender.code, "title": tender.title, "track": tender.track, "method": tender.method, "budget_fen": tender.budget_fen,
                 "mall_category": tender.mall_category},
    )
    return tender, True


async def update_draft(session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, data: TenderDraft) -> Tender:
    tender = await _owned(session, actor, tender_id)
    if tender.status != TenderStatus.draft:
        raise Conflict("only a draft can be edited; this tender is %(state)s", state=tender.status)
    schemes = _check_content(data)
    purchaser_id, agency_id = await _purchaser_for(session, actor, data)
    await _check_mall_only(session, platform, data, purchaser_id)
    tender.purchaser_organisation_id, tender.agency_organisation_id = purchaser_id, agency_id
    for name, value in _draft_fields(data).items():
        setattr(tender, name, value)
    tender.updated_at = platform.clock.now()
    await session.execute(delete(Lot).where(Lot.tender_id == tender.id))
    session.add_all(_lots(tender.id, data, schemes))  # type: ignore[arg-type]
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "tender.updated", subject_type="tender", subject_id=tender.id,
        details={"title": tender.title, "budget_fen": tender.budget_fen, "lots": len(data.lots), "mall_category": tender.mall_category},
    )
    return tender


# --- Entry review (进场) -------------------------------------------------------------------------


async def _check_timeline(session: AsyncSession, tender: Tender, published_at: datetime) -> None:
    _refuse(
        rules.check_timeline(
            rules.rules_for(tender.track, tender.method),
            await load_calendar(session),
            documents_from=as_utc(tender.documents_from),
            documents_until=as_utc(tender.documents_until),
            bid_deadline=as_utc(tender.bid_deadline),
            published_at=published_at,
        )
    )


async def submit(session: AsyncSession, platform: Platform, actor: Actor, tender_id: int) -> Tender:
    tender = await _owned(session, actor, tender_id)
    now = platform.clock.now()
    # Binding: the region's rules may have changed since the draft was saved. First, as no timeline fixes it.
    await mall_only.check(
        session, platform.settings, track=tender.track, category=tender.category, code=tender.mall_category,
        budget_fen=tender.budget_fen, purchaser_organisation_id=tender.purchaser_organisation_id,
    )
    await _check_timeline(session, tender, now)  # a tender that could not be published now is not worth reviewing
    _transition(tender, TenderStatus.submitted)
    tender.submitted_at = tender.updated_at = now
    await session.flush()
    await audit.record(session, platform.clock, actor, "tender.submitted", subject_type="tender", subject_id=tender.id)
    return tender


async def review(session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, data: ReviewIn) -> EntryReview:
    if not actor.has(Role.operator):
        raise Forbidden("only the trading centre reviews tender entry")
    tender = await get_tender(session, actor, tender_id, for_update=True)
    required = CHECKLISTS[tender.method]
    unknown = sorted(set(data.checklist) - set(required))
    if unknown:
        raise InvalidInput.for_field("body.checklist", "not on this method's checklist: %(items)s", items=", ".join(unknown))
    missing = [item for item in required if not data.checklist.get(item)]
    if data.decision == "accepted" and missing:
        raise InvalidInput.for_field("body.checklist", "cannot accept with materials missing: %(items)s", items=", ".join(missing))
    if data.decision == "returned" and not data.reason:
        raise InvalidInput.for_field("body.reason", "say why the tender is returned")
    now = platform.clock.now()
    _transition(tender, TenderStatus.accepted if data.decision == "accepted" else TenderStatus.draft)
    submitted_at = as_utc(tender.submitted_at or now)
    decision = EntryReview(
        tender_id=tender.id, decision=data.decision, reason=data.reason,  # type: ignore[arg-type]
        checklist=json.dumps({item: bool(data.checklist.get(item)) for item in required}, ensure_ascii=False),
        reviewer_id=actor.user_id, submitted_at=submitted_at, decided_at=now,
        elapsed_seconds=int((now - submitted_at).total_seconds()),
    )
    tender.updated_at = now
    session.add(decision)
    await session.flush()
    await audit.record(
        session, platform.clock, actor, f"tender.entry_{data.decision}", subject_type="tender", subject_id=tender.id,
        organisation_id=actor.organisation_id,
        details={"reason": data.reason, "missing": missing, "elapsed_seconds": decision.elapsed_seconds},
    )
    return decision


async def review_queue(session: AsyncSession) -> list[Tender]:
    """Submitted tenders, green channel first, then oldest first."""
    query = (
        select(Tender)
        .where(Tender.status == TenderStatus.submitted)
        .order_by(Tender.green_channel.desc(), Tender.submitted_at, Tender.id)
    )
    return list((await session.execute(query)).scalars())


async def reviews_of(session: AsyncSession, tender_id: int) -> list[EntryReview]:
    return list(
        (await session.execute(select(EntryReview).where(EntryReview.tender_id == tender_id).order_by(EntryReview.id))).scalars()
    )


# --- The organisation's own tenders (the management pages) -------------------------------------


def can_change(actor: Actor, tender: Tender) -> bool:
    """Whether the actor may edit, submit, publish or amend it: pages offer only what is allowed."""
    return _owns(actor, tender)


async def tenders_of(session: AsyncSession, actor: Actor, *, limit: int = 200) -> list[Tender]:
    """The tenders the actor's organisation runs or buys through an agency, in every state, latest change first."""
    ours = (Tender.owner_organisation_id == actor.organisation_id) | (Tender.purchaser_organisation_id == actor.organisation_id)  # type: ignore[operator]
    query = select(Tender).where(ours).order_by(Tender.updated_at.desc(), Tender.id.desc()).limit(limit)  # type: ignore[attr-defined]
    return list((await session.execute(query)).scalars())


async def managed_tender(session: AsyncSession, actor: Actor, tender_id: int) -> Tender:
    """One of ``tenders_of``: another organisation's tender, even a published one, is not found here."""
    tender = await session.get(Tender, tender_id)
    if tender is None or actor.organisation_id not in (tender.owner_organisation_id, tender.purchaser_organisation_id):
        raise NotFound("no tender %(id)s", id=tender_id)
    return tender


# --- Publication and the deadline -------------------------------------------------------------------


async def publish(session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, data: PublishIn) -> Tender:
    tender = await _owned(session, actor, tender_id)
    if tender.status != TenderStatus.accepted:
        raise Conflict("a tender is published after its entry is accepted; this one is %(state)s", state=tender.status)
    now = platform.clock.now()
    at = as_utc(data.publish_at) if data.publish_at else now
    if at < now:
        raise InvalidInput.for_field("body.publish_at", "must not be in the past")
    await _check_timeline(session, tender, at)
    if at > now:
        tender.publish_at = tender.next_check = at
        tender.updated_at = now
        await session.flush()
        await audit.record(
            session, platform.clock, actor, "tender.publication_scheduled", subject_type="tender", subject_id=tender.id,
            details={"publish_at": at.isoformat()},
        )
        return tender
    await _publish_now(session, platform, actor, tender)
    return tender


async def _publish_now(session: AsyncSession, platform: Platform, actor: Actor | None, tender: Tender) -> None:
    now = platform.clock.now()
    _transition(tender, TenderStatus.published)
    tender.published_at = tender.updated_at = now
    tender.publish_at = None
    tender.next_check = as_utc(tender.bid_deadline)
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "tender.published", subject_type="tender", subject_id=tender.id,
        organisation_id=tender.owner_organisation_id, details={"code": tender.code, "bid_deadline": as_utc(tender.bid_deadline).isoformat()},
    )
    await notices.publish(session, platform, actor, tender, NoticeKind.tender, lots=await lots_of(session, tender.id))  # type: ignore[arg-type]
    await ocds.record_release(session, platform, tender, ["tender"])


async def recheck(session: AsyncSession, platform: Platform, tender_id: int) -> bool:
    """The scheduler's look at a tender: publish when its time comes, close bidding at the deadline.

    Idempotent: it acts only on what is due now, and moves ``next_check`` past it.
    """
    tender = await session.get(Tender, tender_id, with_for_update=True)
    if tender is None:
        return False
    now = platform.clock.now()
    changed = False
    if tender.status == TenderStatus.accepted and tender.publish_at and as_utc(tender.publish_at) <= now:
        await _publish_now(session, platform, None, tender)
        changed = True
    if tender.status == TenderStatus.published and as_utc(tender.bid_deadline) <= now:
        _transition(tender, TenderStatus.bidding_closed)
        tender.updated_at = now
        await session.flush()
        await audit.record(
            session, platform.clock, None, "tender.bidding_closed", subject_type="tender", subject_id=tender.id,
            organisation_id=tender.owner_organisation_id, details={"bid_deadline": as_utc(tender.bid_deadline).isoformat()},
        )
        await ocds.record_release(session, platform, tender, ["tenderUpdate"])
        changed = True
    if tender.next_check is not None and as_utc(tender.next_check) <= now:
        # Nothing more is due from this tender here (the opening belongs to the sealed-bid work).
        tender.next_check = None
        await session.flush()
    return changed


# --- Clarifications and amendments -------------------------------------------------------------


async def amend(session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, summary: str) -> Amendment:
    """Record a clarification or amendment; move the deadline if too little time would remain.

    The law asks for at least 15 days between the amendment and the deadline (works: 招标投标法
    第二十三条; government: 政府采购法实施条例 第三十一条); rather than refuse, the platform moves
    the deadline, and the amendment (and its notice) says so.
    """
    tender = await _owned(session, actor, tender_id)
    if tender.status != TenderStatus.published:
        raise Conflict("only a published tender open for bids can be amended; this one is %(state)s", state=tender.status)
    now = platform.clock.now()
    before = as_utc(tender.bid_deadline)
    after = rules.moved_deadline_for_amendment(
        rules.rules_for(tender.track, tender.method), amended_at=now, bid_deadline=before, calendar=await load_calendar(session)
    )
    previous = (
        await session.execute(select(Amendment.number).where(Amendment.tender_id == tender.id).order_by(Amendment.number.desc()).limit(1))
    ).scalar_one_or_none()
    amendment = Amendment(
        tender_id=tender.id, number=(previous or 0) + 1, summary=summary, amended_at=now,  # type: ignore[arg-type]
        deadline_before=before, deadline_after=after, author_id=actor.user_id,
    )
    session.add(amendment)
    if after != before:
        tender.bid_deadline = after
        # A documents window that reached the old deadline follows it.
        if as_utc(tender.documents_until) == before:
            tender.documents_until = after
        tender.next_check = after
    tender.updated_at = now
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "tender.amended", subject_type="tender", subject_id=tender.id,
        details={"number": amendment.number, "deadline_before": before.isoformat(), "deadline_after": after.isoformat()},
    )
    # The amendment notice (更正公告) corrects the tender notice and states the new deadline.
    await notices.publish(
        session, platform, actor, tender, NoticeKind.amendment, lots=await lots_of(session, tender.id),  # type: ignore[arg-type]
        details={"amendment": notices.amendment_facts(amendment)},
        corrects=await notices.latest_of_kind(session, tender.id, NoticeKind.tender),  # type: ignore[arg-type]
    )
    await ocds.record_release(session, platform, tender, ["tenderAmendment"])
    return amendment


async def amendments_of(session: AsyncSession, tender_id: int) -> list[Amendment]:
    return list(
        (await session.execute(select(Amendment).where(Amendment.tender_id == tender_id).order_by(Amendment.number))).scalars()
    )


# --- Ending a tender early ------------------------------------------------------------------------


async def terminate(session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, reason: str) -> Tender:
    """The owner ends a tender before the deadline (终止); a published one gets a termination notice."""
    tender = await _owned(session, actor, tender_id)
    was_public = tender.status in PUBLIC_STATES
    _transition(tender, TenderStatus.terminated)
    tender.closed_reason = reason
    tender.updated_at = platform.clock.now()
    tender.next_check = tender.publish_at = None
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "tender.terminated", subject_type="tender", subject_id=tender.id, details={"reason": reason},
    )
    if was_public:
        await notices.publish(
            session, platform, actor, tender, NoticeKind.termination, lots=await lots_of(session, tender.id),  # type: ignore[arg-type]
            details={"reason": reason},
        )
        await ocds.record_release(session, platform, tender, ["tenderCancellation"])
    return tender


async def fail(
    session: AsyncSession, platform: Platform, actor: Actor | None, tender: Tender, reason: str, *, facts: dict[str, object] | None = None
) -> Tender:
    """The tender fails (流标/废标), e.g. too few bids at the opening: recorded and published.

    Called by the opening and the evaluation with the tender locked; ``facts`` say what was
    seen (bids received per lot...), and go into the audit entry and the notice alike.
    """
    _transition(tender, TenderStatus.failed)
    tender.closed_reason = reason
    tender.updated_at = platform.clock.now()
    tender.next_check = None
    await session.flush()
    details = {"reason": reason, **(facts or {})}
    await audit.record(
        session, platform.clock, actor, "tender.failed", subject_type="tender", subject_id=tender.id,
        organisation_id=tender.owner_organisation_id, details=details,
    )
    await notices.publish(
        session, platform, actor, tender, NoticeKind.failed, lots=await lots_of(session, tender.id), details=details,  # type: ignore[arg-type]
    )
    await ocds.record_release(session, platform, tender, ["tenderUpdate"])
    return tender


async def fail_lots(
    session: AsyncSession, platform: Platform, tender: Tender, lot_numbers: list[int], reason: str, *, facts: dict[str, object]
) -> None:
    """Some lots fail (too few bids at the deadline): recorded and published; the others go on.

    When every lot fails, the tender itself fails. Called with the tender locked.
    """
    lots = await lots_of(session, tender.id)  # type: ignore[arg-type]
    if set(lot_numbers) >= {lot.number for lot in lots}:
        await fail(session, platform, None, tender, reason, facts={"failed_lots": sorted(lot_numbers), **facts})
        return
    details = {"reason": reason, "failed_lots": sorted(lot_numbers), **facts}
    tender.updated_at = platform.clock.now()
    await audit.record(
        session, platform.clock, None, "tender.lots_failed", subject_type="tender", subject_id=tender.id,
        organisation_id=tender.owner_organisation_id, details=details,
    )
    await notices.publish(session, platform, None, tender, NoticeKind.failed, lots=lots, details=details)
    await ocds.record_release(session, platform, tender, ["tenderUpdate"])


async def opened(session: AsyncSession, platform: Platform, tender: Tender) -> None:
    """The opening ended with bids opened: the tender moves on to evaluation. Tender locked by the caller."""
    await advance(session, platform, tender, TenderStatus.opened)


# The OCDS release tag each later stage publishes.
_RELEASE_TAGS = {TenderStatus.awarded: "award", TenderStatus.contract_signed: "contract"}


async def advance(session: AsyncSession, platform: Platform, tender: Tender, to: TenderStatus,
                  details: dict[str, object] | None = None) -> None:
    """One step after the opening (opened → evaluating → candidates publicised → awarded → contract signed).

    The evaluation and the award drive these steps; the table ``TRANSITIONS`` decides which are
    allowed. Audited as ``tender.<state>`` by the platform (the step follows from what the actor
    did, which is audited on its own). Tender locked by the caller.
    """
    _transition(tender, to)
    tender.updated_at = platform.clock.now()
    await session.flush()
    await audit.record(session, platform.clock, None, f"tender.{to.value}", subject_type="tender", subject_id=tender.id,
                       organisation_id=tender.owner_organisation_id, details=details)
    await ocds.record_release(session, platform, tender, [_RELEASE_TAGS.get(to, "tenderUpdate")])
