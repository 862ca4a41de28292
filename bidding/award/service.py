"""From the signed evaluation to the award: candidates publicity, objections, the winner's confirmation.

Per lot (``AwardLot``): the evaluation hands in its ranked bids (``receive_evaluation``); the
candidates publicity notice goes out at once; those with standing may object while it runs
(``standing_of``), and the organiser answers; after the publicity (works: at least 3 days)
the purchaser confirms the winner — the first candidate, or another with a recorded reason —
once the winner's credit is clear and no objection waits for its answer; the result notice
and the signed letters go out. A winner that refuses to sign (``bidding.award.refusal``)
leaves the lot ``refused``: the purchaser confirms the next candidate in ranking order the
same way (a new round of the result notice and letters), or fails the lot. The tender
follows its live lots: it moves when every lot that did not fail has moved (``advance``).
Limits and articles are in ``bidding.award.rules``; the contract and the scheduler's checks
are ``bidding.award.contract``.

Who may act: the organisation running the tender or the purchaser it runs for (``may_run``)
answers objections, confirms the winner, records a refusal and the contract; suppliers with
standing object; nobody else changes anything. Every change is audited in its transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import security
from bidding.award import letters
from bidding.award.handover import EvaluatedLot
from bidding.award.models import (
    AwardCandidate,
    AwardLetter,
    AwardLot,
    AwardObjection,
    AwardRefusal,
    LetterKind,
    LotState,
    ObjectionState,
    Standing,
)
from bidding.award.rules import MAX_CANDIDATES, award_rules, ends
from bidding.models import Bid, BidStatus
from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.clock import as_utc, to_display
from procurement.credit import service as credit
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
from procurement.tenders import notices
from procurement.tenders import service as tenders
from procurement.tenders.document_models import DocumentObtained
from procurement.tenders.holidays import load_calendar
from procurement.tenders.models import Lot, Notice, NoticeKind, Tender, TenderStatus
from procurement.tenders.money import to_fen, to_yuan

# The tender's states from the evaluation on, in order; a lot's state names the tender's it needs.
CHAIN = (TenderStatus.evaluating, TenderStatus.candidates_publicised, TenderStatus.awarded, TenderStatus.contract_signed)
TENDER_STATE_OF = {
    LotState.publicised: TenderStatus.candidates_publicised,
    LotState.awarded: TenderStatus.awarded,
    LotState.contract_signed: TenderStatus.contract_signed,
    LotState.refused: TenderStatus.awarded,  # the tender stays awarded until the lot has its contract
}
# The states in which the purchaser confirms a winner: after the publicity, and after a refusal.
AWARDABLE = (LotState.publicised, LotState.refused)
BID_AT_DEADLINE = (BidStatus.submitted, BidStatus.opened, BidStatus.open_failed)
RATE_PLACES = Decimal("0.000001")


# --- Who may do what --------------------------------------------------------------------------------


def may_run(actor: Actor | None, tender: Tender) -> bool:
    """The organisation running the tender, or the purchaser it runs for (招标人)."""
    if actor is None:
        return False
    purchaser = actor.organisation_id == tender.purchaser_organisation_id and actor.has(Role.purchaser)
    return purchaser or tenders.can_change(actor, tender)


def oversees(actor: Actor | None, tender: Tender) -> bool:
    return actor is not None and (may_run(actor, tender) or actor.has(Role.supervisor, Role.operator))


def _require_runner(actor: Actor, tender: Tender) -> None:
    if not may_run(actor, tender):
        raise Forbidden("only the organisation running the tender, or its purchaser, may do this")


# --- Reading --------------------------------------------------------------------------------------------


async def lots_of(session: AsyncSession, tender_id: int) -> list[AwardLot]:
    query = select(AwardLot).where(AwardLot.tender_id == tender_id).order_by(AwardLot.lot_number)
    return list((await session.execute(query)).scalars())


async def award_lot(session: AsyncSession, tender_id: int, lot_number: int, *, for_update: bool = False) -> AwardLot:
    query = select(AwardLot).where(AwardLot.tender_id == tender_id, AwardLot.lot_number == lot_number)
    found = (await session.execute(query.with_for_update() if for_update else query)).scalar_one_or_none()
    if found is None:
        raise NotFound("lot %(lot)s of tender %(tender)s has no evaluation result yet", lot=lot_number, tender=tender_id)
    return found


async def candidates_of(session: AsyncSession, award_lot_id: int) -> list[AwardCandidate]:
    query = select(AwardCandidate).where(AwardCandidate.award_lot_id == award_lot_id).order_by(AwardCandidate.rank)
    return list((await session.execute(query)).scalars())


async def refusals_of(session: AsyncSession, award_lot_id: int) -> list[AwardRefusal]:
    query = select(AwardRefusal).where(AwardRefusal.award_lot_id == award_lot_id).order_by(AwardRefusal.award_round)
    return list((await session.execute(query)).scalars())


def next_in_order(candidates: list[AwardCandidate], refusals: list[AwardRefusal]) -> list[AwardCandidate]:
    """The candidates the award may still go to, in ranking order.

    Every candidate before the first award; after a refusal, those ranked after the last
    refusing winner (依次, in ranking order: 条例 第五十五条, 政采条例 第四十九条).
    """
    passed = max((c.rank for c in candidates for r in refusals if c.id == r.candidate_id), default=0)
    return [c for c in candidates if c.rank > passed]


async def objections_of(session: AsyncSession, award_lot_id: int) -> list[AwardObjection]:
    query = select(AwardObjection).where(AwardObjection.award_lot_id == award_lot_id).order_by(AwardObjection.id)
    return list((await session.execute(query)).scalars())


async def bidders_of(session: AsyncSession, tender_id: int, lot_number: int) -> set[int]:
    """Organisations whose bid stood at the deadline for the lot: the ones with standing to object."""
    query = select(Bid.organisation_id).where(Bid.tender_id == tender_id, Bid.lot_number == lot_number, Bid.status.in_(BID_AT_DEADLINE))
    return set((await session.execute(query)).scalars())


async def standing_of(session: AsyncSession, tender_id: int, lot_number: int, organisation_id: int) -> Standing | None:
    """Why the organisation may object to the lot's candidates without more: it bid, or it obtained the documents.

    None otherwise: for works another interested party may still object, stating its interest
    (条例 第五十四条); for government procurement nobody else may (质疑和投诉办法 第十一条).
    """
    if organisation_id in await bidders_of(session, tender_id, lot_number):
        return Standing.bidder
    obtained = (await session.execute(select(DocumentObtained.id).where(
        DocumentObtained.tender_id == tender_id, DocumentObtained.organisation_id == organisation_id))).first()
    return Standing.obtained_documents if obtained is not None else None


async def _organisations(session: AsyncSession, ids: set[int]) -> dict[int, Organisation]:
    if not ids:
        return {}
    return {o.id: o for o in (await session.execute(select(Organisation).where(Organisation.id.in_(ids)))).scalars()}  # type: ignore[misc]


async def failed_lots(session: AsyncSession, tender: Tender) -> set[int]:
    """Lots that failed (流标) at the tally, the opening or the evaluation, from the tenders service's records."""
    facts = await security.load_facts(session, tender)
    return {n for action, _, lots in facts.endings if action == "tender.lots_failed" and lots for n in lots}


# --- The evaluation hands in its result --------------------------------------------------------------------


def _check_ranked(evaluated: EvaluatedLot, bids: dict[int, Bid]) -> None:
    if not evaluated.ranked:
        raise InvalidInput.for_field("ranked", "an evaluation without any ranked bid fails the lot instead of naming candidates")
    if [r.rank for r in evaluated.ranked] != list(range(1, len(evaluated.ranked) + 1)):
        raise InvalidInput.for_field("ranked", "candidates are ranked 1, 2, 3 in order")
    for r in evaluated.ranked:
        bid = bids.get(r.bid_id)
        if bid is None or bid.tender_id != evaluated.tender_id or bid.lot_number != evaluated.lot_number or bid.status != BidStatus.opened:
            raise InvalidInput.for_field("ranked", "bid %(bid)s is not an opened bid of this lot", bid=r.bid_id)
        if bid.organisation_id != r.organisation_id:
            raise InvalidInput.for_field("ranked", "bid %(bid)s was not made by organisation %(org)s", bid=r.bid_id, org=r.organisation_id)
        if r.price <= 0:
            raise InvalidInput.for_field("ranked", "bid %(bid)s has no positive price", bid=r.bid_id)


async def receive_evaluation(session: AsyncSession, platform: Platform, actor: Actor | None, evaluated: EvaluatedLot) -> AwardLot:
    """Record the lot's candidates (at most three) and publish the candidates publicity at once.

    Called by the evaluation when its report is fully signed, in the same transaction. The
    tender must be under evaluation (or have other lots publicised already).
    """
    tender = await session.get(Tender, evaluated.tender_id, with_for_update=True)
    if tender is None:
        raise NotFound("no tender %(id)s", id=evaluated.tender_id)
    if tender.status not in (TenderStatus.evaluating, TenderStatus.candidates_publicised):
        raise Conflict("candidates are received while the tender is under evaluation; this one is %(state)s", state=tender.status)
    lots = await tenders.lots_of(session, tender.id)  # type: ignore[arg-type]
    lot = next((x for x in lots if x.number == evaluated.lot_number), None)
    if lot is None or lot.number in await failed_lots(session, tender):
        raise NotFound("tender %(tender)s has no live lot %(lot)s", tender=tender.id, lot=evaluated.lot_number)
    existing = (await session.execute(
        select(AwardLot.id).where(AwardLot.tender_id == tender.id, AwardLot.lot_number == lot.number))).first()
    if existing is not None:
        raise Conflict("lot %(lot)s already has its candidates", lot=lot.number)
    ranked = evaluated.ranked[:MAX_CANDIDATES]
    bids = {b.id: b for b in (await session.execute(select(Bid).where(Bid.id.in_([r.bid_id for r in ranked])))).scalars()}
    _check_ranked(evaluated, bids)  # type: ignore[arg-type]

    now = platform.clock.now()
    calendar = await load_calendar(session)
    limits = award_rules(tender.track)
    reported_at = as_utc(evaluated.reported_at)
    publicity_ends_at = ends(limits.publicity_at_least, now, calendar) if limits.publicity_at_least else None
    names = await _organisations(session, {r.organisation_id for r in ranked})
    row = AwardLot(
        tender_id=tender.id, lot_number=lot.number, state=LotState.publicised,  # type: ignore[arg-type]
        evaluation_id=evaluated.evaluation_id, report_digest=evaluated.report_digest, reported_at=reported_at,
        committee_names=json.dumps(list(evaluated.committee_names), ensure_ascii=False), received_at=now,
        publicity_notice_id=0, publish_by=ends(limits.publish_within, reported_at, calendar),
        publicity_ends_at=publicity_ends_at, budget_fen=lot.budget_fen,
        decide_by=ends(limits.decide_within, reported_at, calendar) if limits.decide_within else None,
    )
    row.next_check = next_check(row)
    candidates = [
        {"rank": r.rank, "bidder": names[r.organisation_id].name, "uscc": names[r.organisation_id].uscc,
         "price": str(to_yuan(to_fen(r.price))), "total": str(r.total) if r.total is not None else None}
        for r in ranked
    ]
    notice = await notices.publish(
        session, platform, actor, tender, NoticeKind.candidates, lots=lots,
        details={"award": {
            "stage": "candidates", "lot": lot.number, "lot_title": lot.title, "candidates": candidates,
            "report_digest": evaluated.report_digest, "reported_at": reported_at.isoformat(),
            "publicity_ends_at": publicity_ends_at.isoformat() if publicity_ends_at else None,
            "publicity_article": limits.publicity_at_least.article if limits.publicity_at_least else None,
            "objection_answer_within": limits.objection_answer_within.text(), "objection_article": limits.objection_answer_within.article,
        }},
    )
    row.publicity_notice_id = notice.id  # type: ignore[assignment]
    session.add(row)
    await session.flush()
    session.add_all(
        AwardCandidate(award_lot_id=row.id, rank=r.rank, bid_id=r.bid_id, organisation_id=r.organisation_id,  # type: ignore[arg-type]
                       price_fen=to_fen(r.price), total=str(r.total) if r.total is not None else None)
        for r in ranked
    )
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "award.candidates_received", subject_type="tender", subject_id=tender.id,
        organisation_id=tender.owner_organisation_id,
        details={"lot": lot.number, "evaluation_id": evaluated.evaluation_id, "report_digest": evaluated.report_digest,
                 "candidates": [{"rank": r.rank, "bid_id": r.bid_id, "organisation_id": r.organisation_id} for r in ranked],
                 "notice_number": notice.number, "publish_by": as_utc(row.publish_by).isoformat(), "late": now > as_utc(row.publish_by),
                 "publicity_ends_at": publicity_ends_at.isoformat() if publicity_ends_at else None},
    )
    await advance(session, platform, tender)
    return row


# --- Objections (异议) ------------------------------------------------------------------------------------


async def file_objection(session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, lot_number: int, text: str,
                         interest: str = "") -> AwardObjection:
    """A supplier with standing objects to the candidates while they are publicised; the award waits for the answer.

    Bidders of the lot and suppliers that obtained the documents may object; for works, so may
    another interested party (其他利害关系人) that states its interest, which the organiser
    weighs in its answer.
    """
    text, interest = text.strip(), interest.strip()
    if len(text) < 10:
        raise InvalidInput.for_field("body.text", "say what is objected to and why, in at least %(n)s characters", n=10)
    if not (actor.has(Role.supplier) and actor.organisation_kind == OrganisationKind.supplier):
        raise Forbidden("objections to the candidates are filed by suppliers, for their organisation")
    tender = await tenders.get_tender(session, actor, tender_id, for_update=True)
    row = await award_lot(session, tender_id, lot_number)
    now = platform.clock.now()
    if row.state != LotState.publicised or (row.publicity_ends_at is not None and now >= as_utc(row.publicity_ends_at)):
        raise Conflict("objections to the candidates are filed while they are publicised; the publicity of lot %(lot)s has ended",
                       lot=lot_number)
    limits = award_rules(tender.track)
    standing = await standing_of(session, tender_id, lot_number, actor.organisation_id)  # type: ignore[arg-type]
    if standing is None and not limits.others_may_object:
        raise Forbidden("only suppliers that bid on lot %(lot)s or obtained the procurement documents may object to its candidates "
                        "[%(article)s]", lot=lot_number, article=limits.objectors_article)
    if standing is None and len(interest) < 10:
        raise InvalidInput.for_errors([FieldError(
            "body.interest", N_("an interested party that did not bid or obtain the documents states its interest in the result, "
                                "in at least %(n)s characters"), (("n", 10),), limits.objectors_article)])
    limit = limits.objection_answer_within
    objection = AwardObjection(
        award_lot_id=row.id, tender_id=tender_id, lot_number=lot_number, organisation_id=actor.organisation_id,  # type: ignore[arg-type]
        standing=standing or Standing.interested_party, interest=interest if standing is None else "",
        filed_by=actor.user_id, filed_at=now, text=text, answer_due_at=ends(limit, now, await load_calendar(session)),
        state=ObjectionState.open,
    )
    session.add(objection)
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "award.objection_filed", subject_type="award_objection", subject_id=objection.id,
        details={"tender_id": tender_id, "lot": lot_number, "standing": objection.standing,
                 "answer_due_at": as_utc(objection.answer_due_at).isoformat(), "article": limit.article},
    )
    return objection


async def answer_objection(session: AsyncSession, platform: Platform, actor: Actor, objection_id: int, answer: str) -> AwardObjection:
    answer = answer.strip()
    if len(answer) < 10:
        raise InvalidInput.for_field("body.answer", "answer the objection in at least %(n)s characters", n=10)
    objection = await session.get(AwardObjection, objection_id, with_for_update=True)
    tender = await session.get(Tender, objection.tender_id) if objection is not None else None
    if objection is None or tender is None or not (oversees(actor, tender) or objection.organisation_id == actor.organisation_id):
        raise NotFound("no objection %(id)s", id=objection_id)
    _require_runner(actor, tender)
    if objection.state != ObjectionState.open:
        raise Conflict("objection %(id)s is answered already", id=objection_id)
    now = platform.clock.now()
    objection.state, objection.answer, objection.answered_at, objection.answered_by = ObjectionState.answered, answer, now, actor.user_id
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "award.objection_answered", subject_type="award_objection", subject_id=objection.id,
        details={"tender_id": tender.id, "lot": objection.lot_number, "late": now > as_utc(objection.answer_due_at)},
    )
    return objection


# --- The lot fails instead ------------------------------------------------------------------------------------------


async def fail_lot(session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, lot_number: int, reason: str) -> AwardLot:
    """The organiser fails a lot: the failed-tender notice goes out and the lot is tendered again.

    While its candidates are publicised (an objection upheld, every candidate withdrawn or found
    ineligible), or after its winner refused to sign instead of awarding the next candidate
    (重新招标, 条例 第五十五条; 重新开展采购活动, 政采条例 第四十九条). Not while a winner stands.
    """
    reason = reason.strip()
    if len(reason) < 10:
        raise InvalidInput.for_field("body.reason", "say why the lot fails, in at least %(n)s characters", n=10)
    tender = await tenders.get_tender(session, actor, tender_id, for_update=True)
    _require_runner(actor, tender)
    row = await award_lot(session, tender_id, lot_number, for_update=True)
    if row.state not in AWARDABLE:
        raise Conflict("lot %(lot)s is %(state)s: a lot fails here while its candidates are publicised, or after its winner refused "
                       "to sign", lot=lot_number, state=row.state)
    stage = "winner_refused" if row.state == LotState.refused else "candidates_publicised"
    row.state, row.next_check = LotState.failed, None
    await session.flush()
    facts: dict[str, object] = {"evaluation_id": row.evaluation_id, "report_sha256": row.report_digest, "stage": stage}
    await audit.record(session, platform.clock, actor, "award.lot_failed", subject_type="tender", subject_id=tender_id,
                       details={"lot": lot_number, "reason": reason, "stage": stage})
    failed = await failed_lots(session, tender) | {lot_number}
    if failed >= {lot.number for lot in await tenders.lots_of(session, tender_id)}:
        await tenders.fail(session, platform, actor, tender, reason, facts={"failed_lots": sorted(failed), **facts})
    else:
        await tenders.fail_lots(session, platform, tender, [lot_number], reason, facts=facts)
        await advance(session, platform, tender)  # the lots left may all be further on
    return row


# --- The award ------------------------------------------------------------------------------------------------


async def confirm_award(session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, lot_number: int, rank: int,
                        reason: str = "") -> AwardLot:
    """The purchaser confirms the winner: the result notice and the signed letters go out.

    After the publicity: the first candidate, or another with the reason recorded. After a
    refusal: the next candidate in ranking order the same way, as a new round (a new result
    notice replacing the last, new letters to every bidder).
    """
    tender = await tenders.get_tender(session, actor, tender_id, for_update=True)
    _require_runner(actor, tender)
    row = await award_lot(session, tender_id, lot_number, for_update=True)
    limits = award_rules(tender.track)
    now = platform.clock.now()
    if row.state not in AWARDABLE:
        raise Conflict("lot %(lot)s is %(state)s: its winner is confirmed already", lot=lot_number, state=row.state)
    if row.publicity_ends_at is not None and now < as_utc(row.publicity_ends_at):
        raise Conflict("the candidates are publicised until %(end)s (Beijing time), for at least %(period)s [%(article)s]: "
                       "the winner is confirmed after that", end=_shown(row.publicity_ends_at),
                       period=limits.publicity_at_least.text(), article=limits.publicity_at_least.article)  # type: ignore[union-attr]
    waiting = [o.id for o in await objections_of(session, row.id) if o.state == ObjectionState.open]  # type: ignore[arg-type]
    if waiting:
        raise Conflict("objection %(id)s to the candidates is not answered yet: the award waits for the answer [%(article)s]",
                       id=waiting[0], article=limits.objection_answer_within.article)
    refusals = await refusals_of(session, row.id)  # type: ignore[arg-type]
    candidates = await candidates_of(session, row.id)  # type: ignore[arg-type]
    remaining = next_in_order(candidates, refusals)
    if not remaining:
        raise Conflict("no candidate of lot %(lot)s is ranked after the one that refused: the lot is tendered again [%(article)s]",
                       lot=lot_number, article=limits.next_candidate_article)
    chosen = next((c for c in remaining if c.rank == rank), None)
    if chosen is None:
        raise InvalidInput.for_field("body.rank", "lot %(lot)s has no candidate ranked %(rank)s that the award may go to",
                                     lot=lot_number, rank=rank)
    reason = reason.strip()
    if chosen is not remaining[0] and len(reason) < 10:
        raise InvalidInput.for_field("body.reason", "choosing a candidate other than the next in ranking order (no. %(next)s) needs the "
                                     "reason recorded, in at least %(n)s characters", next=remaining[0].rank, n=10)
    await credit.require_clear_kept(session, platform, "award", organisation_ids=[chosen.organisation_id],
                                    subject_type="tender", subject_id=tender_id)
    decided_late = row.state == LotState.publicised and row.decide_by is not None and now >= as_utc(row.decide_by)
    if refusals:
        row.award_round = refusals[-1].award_round + 1
    amount = chosen.price_fen
    row.state, row.winner_candidate_id, row.choice_reason = LotState.awarded, chosen.id, reason
    row.awarded_at, row.awarded_by, row.award_amount_fen = now, actor.user_id, amount
    row.savings_fen = row.budget_fen - amount
    row.discount_rate = (Decimal(row.savings_fen) / Decimal(row.budget_fen)).quantize(RATE_PLACES, ROUND_HALF_EVEN)
    row.publicity_ended_at = row.publicity_ended_at or (as_utc(row.publicity_ends_at) if row.publicity_ends_at else None)
    row.contract_due_at = ends(limits.contract_within, now, await load_calendar(session))
    row.next_check = row.contract_due_at
    notice = await _publish_result(session, platform, actor, tender, row, candidates, chosen, refusals[-1] if refusals else None)
    row.result_notice_id = notice.id
    await session.flush()
    await _issue_letters(session, platform, tender, row, chosen, notice, refusals[-1] if refusals else None)
    # The lot's securities: the others' fall due from this award notice (government procurement).
    await security.refunds_due_after_award(session, platform, tender.id, lot_number, [chosen.organisation_id], now)  # type: ignore[arg-type]
    await audit.record(
        session, platform.clock, actor, "award.confirmed", subject_type="tender", subject_id=tender.id,
        details={"lot": lot_number, "rank": rank, "organisation_id": chosen.organisation_id, "reason": reason,
                 "award_amount_fen": amount, "budget_fen": row.budget_fen, "savings_fen": row.savings_fen,
                 "discount_rate": str(row.discount_rate), "notice_number": notice.number,
                 "contract_due_at": as_utc(row.contract_due_at).isoformat(), "round": row.award_round,
                 "decided_late": decided_late,
                 **({"after_refusal_of": refusals[-1].organisation_id, "article": limits.next_candidate_article} if refusals else {})},
    )
    await advance(session, platform, tender)
    return row


async def _replaced(session: AsyncSession, refusal: AwardRefusal | None) -> dict[str, object] | None:
    """What a result after a refusal says about the award it replaces."""
    if refusal is None:
        return None
    previous = await session.get(Notice, refusal.result_notice_id)
    names = await _organisations(session, {refusal.organisation_id})
    return {"notice_number": previous.number if previous else None, "winner": names[refusal.organisation_id].name,
            "reason": refusal.reason, "forfeited": bool(refusal.forfeit_article), "forfeit_article": refusal.forfeit_article}


async def _publish_result(session: AsyncSession, platform: Platform, actor: Actor, tender: Tender, row: AwardLot,
                          candidates: list[AwardCandidate], chosen: AwardCandidate, refusal: AwardRefusal | None):
    lots = await tenders.lots_of(session, tender.id)  # type: ignore[arg-type]
    lot = next(x for x in lots if x.number == row.lot_number)
    names = await _organisations(session, {c.organisation_id for c in candidates})
    limits = award_rules(tender.track)
    facts = {
        "stage": "result", "lot": lot.number, "lot_title": lot.title, "winner": names[chosen.organisation_id].name,
        "winner_uscc": names[chosen.organisation_id].uscc, "winner_rank": chosen.rank, "choice_reason": row.choice_reason,
        "award_amount": str(to_yuan(chosen.price_fen)), "budget": str(to_yuan(row.budget_fen)),
        "candidates": [{"rank": c.rank, "bidder": names[c.organisation_id].name, "price": str(to_yuan(c.price_fen))} for c in candidates],
    }
    if refusal is not None:
        facts["round"] = row.award_round
        facts["replaces"] = {**(await _replaced(session, refusal) or {}), "article": limits.next_candidate_article}
    if limits.names_committee:
        facts["committee"] = json.loads(row.committee_names)
    return await notices.publish(session, platform, actor, tender, NoticeKind.result, lots=lots, details={"award": facts})


async def _issue_letters(session: AsyncSession, platform: Platform, tender: Tender, row: AwardLot, chosen: AwardCandidate,
                         notice, refusal: AwardRefusal | None) -> None:
    recipients = await bidders_of(session, tender.id, row.lot_number) | {chosen.organisation_id}  # type: ignore[arg-type]
    orgs = await _organisations(session, recipients | {tender.purchaser_organisation_id})
    lot = next(x for x in await tenders.lots_of(session, tender.id) if x.number == row.lot_number)  # type: ignore[arg-type]
    issued_at = as_utc(row.awarded_at)  # type: ignore[arg-type]
    replaced = await _replaced(session, refusal)
    for org_id in sorted(recipients):
        kind = LetterKind.award if org_id == chosen.organisation_id else LetterKind.result
        content = {
            "format": letters.LETTER_FORMAT, "letter": kind.value,
            "tender": {"id": tender.id, "code": tender.code, "title": tender.title, "track": tender.track},
            "lot": {"number": lot.number, "title": lot.title},
            "purchaser": orgs[tender.purchaser_organisation_id].name,
            "recipient": {"organisation_id": org_id, "name": orgs[org_id].name, "uscc": orgs[org_id].uscc},
            "winner": {"name": orgs[chosen.organisation_id].name, "uscc": orgs[chosen.organisation_id].uscc},
            "award_amount": str(to_yuan(chosen.price_fen)),
            "result_notice": {"id": notice.id, "number": notice.number, "content_sha256": notice.content_sha256},
            "contract_due_at": as_utc(row.contract_due_at).isoformat(),  # type: ignore[arg-type]
            "issued_at": issued_at.isoformat(), "key_id": platform.keys.key_id,
        }
        if replaced is not None:  # a later round: the letter says which result it replaces
            content["round"] = row.award_round
            content["replaces"] = {"notice_number": replaced["notice_number"], "winner": replaced["winner"]}
        session.add(AwardLetter(
            award_lot_id=row.id, award_round=row.award_round, tender_id=tender.id, organisation_id=org_id, kind=kind.value,  # type: ignore[arg-type]
            content=letters.canonical_json(content), content_sha256=letters.content_sha256(content),
            signature=letters.sign(platform.keys, content), key_id=platform.keys.key_id, issued_at=issued_at,
        ))
    await session.flush()
    await audit.record(
        session, platform.clock, None, "award.letters_issued", subject_type="tender", subject_id=tender.id,
        organisation_id=tender.owner_organisation_id,
        details={"lot": row.lot_number, "round": row.award_round, "award_to": chosen.organisation_id,
                 "result_to": sorted(recipients - {chosen.organisation_id})},
    )


def _shown(moment: datetime) -> str:
    return to_display(moment).strftime("%Y-%m-%d %H:%M")


# --- The tender follows its lots ------------------------------------------------------------------------------------


async def advance(session: AsyncSession, platform: Platform, tender: Tender) -> None:
    """Move the tender as far as every live lot has gone: evaluating → publicised → awarded → contract signed."""
    failed = await failed_lots(session, tender)
    live = {lot.number for lot in await tenders.lots_of(session, tender.id) if lot.number not in failed}  # type: ignore[arg-type]
    rows = [r for r in await lots_of(session, tender.id) if r.lot_number in live]  # type: ignore[arg-type]
    if not live or {r.lot_number for r in rows} != live:
        return
    target = min(CHAIN.index(TENDER_STATE_OF[LotState(r.state)]) for r in rows)
    while TenderStatus(tender.status) in CHAIN and CHAIN.index(TenderStatus(tender.status)) < target:
        step = CHAIN[CHAIN.index(TenderStatus(tender.status)) + 1]
        await tenders.advance(session, platform, tender, step, details={"lots": sorted(live)})


@dataclass(frozen=True)
class RefusalView:
    refusal: AwardRefusal
    evidence: str | None  # for the runner, overseers and the refusing organisation; None for everyone else


@dataclass(frozen=True)
class LotView:
    lot: Lot
    award: AwardLot | None
    candidates: list[AwardCandidate]
    names: dict[int, str]
    objections: list[AwardObjection]  # only what the viewer may read
    refusals: list[RefusalView]

    @property
    def winner(self) -> AwardCandidate | None:
        return next((c for c in self.candidates if c.id == self.award.winner_candidate_id), None) if self.award else None

    @property
    def awardable(self) -> list[AwardCandidate]:
        """The candidates the purchaser may confirm now, the next in ranking order first; none unless awaiting a winner."""
        if self.award is None or self.award.state not in AWARDABLE:
            return []
        return next_in_order(self.candidates, [v.refusal for v in self.refusals])


async def overview(session: AsyncSession, actor: Actor | None, tender_id: int) -> tuple[Tender, list[LotView]]:
    """Each lot's candidates, award, refusals and contract as published; objections to those who may read them.

    Everything here but the objections and a refusal's evidence is in the public notices
    already. The runner, its purchaser, supervisors and the trading centre read every
    objection and the evidence; a supplier its own.
    """
    tender = await tenders.get_tender(session, actor, tender_id)
    sees_all = oversees(actor, tender)
    own = actor.organisation_id if actor is not None else None
    rows = {r.lot_number: r for r in await lots_of(session, tender_id)}
    views = []
    for lot in await tenders.lots_of(session, tender_id):
        row = rows.get(lot.number)
        candidates = await candidates_of(session, row.id) if row else []  # type: ignore[arg-type]
        objections = await objections_of(session, row.id) if row else []  # type: ignore[arg-type]
        if not sees_all:
            objections = [o for o in objections if o.organisation_id == own]
        refusals = [RefusalView(r, r.evidence if sees_all or r.organisation_id == own else None)
                    for r in (await refusals_of(session, row.id) if row else [])]  # type: ignore[arg-type]
        orgs = await _organisations(session, {c.organisation_id for c in candidates} | {o.organisation_id for o in objections})
        views.append(LotView(lot, row, candidates, {i: o.name for i, o in orgs.items()}, objections, refusals))
    return tender, views


# --- The scheduler's look at a lot -----------------------------------------------------------------------------


def next_check(row: AwardLot) -> datetime | None:
    """When the scheduler must look at the lot next (``contract.recheck``): None when nothing is pending.

    Publicised: the publicity's end and the government decision limit, each until marked;
    awarded: the contract's due time until flagged.
    """
    if row.state == LotState.publicised:
        pending = [row.publicity_ends_at if row.publicity_ended_at is None else None,
                   row.decide_by if row.decision_overdue_at is None else None]
        return min((as_utc(t) for t in pending if t is not None), default=None)
    if row.state == LotState.awarded and row.contract_overdue_at is None:
        return row.contract_due_at
    return None


# --- Letters: each bidder reads its own ------------------------------------------------------------------------


async def letters_for(session: AsyncSession, actor: Actor, tender_id: int) -> list[AwardLetter]:
    """The runner, its purchaser, supervisors and the trading centre read every letter; a bidder its own."""
    tender = await tenders.get_tender(session, actor, tender_id)
    query = select(AwardLetter).where(AwardLetter.tender_id == tender_id)
    if not oversees(actor, tender):
        query = query.where(AwardLetter.organisation_id == actor.organisation_id)
    return list((await session.execute(query.order_by(AwardLetter.award_lot_id, AwardLetter.id))).scalars())


async def letter(session: AsyncSession, actor: Actor, letter_id: int) -> AwardLetter:
    found = await session.get(AwardLetter, letter_id)
    tender = await session.get(Tender, found.tender_id) if found is not None else None
    if found is None or tender is None or not (oversees(actor, tender) or found.organisation_id == actor.organisation_id):
        raise NotFound("no award letter %(id)s", id=letter_id)
    return found
