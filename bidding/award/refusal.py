"""The winner does not sign: the purchaser records it, the security is forfeited, the lot awaits its next step.

招标投标法实施条例 第五十五条 (works) and 政府采购法实施条例 第四十九条 (government): when the
winner gives up the award, cannot perform because of force majeure, does not furnish the
performance security the documents require, or will not sign, the purchaser may award the next
candidate in ranking order or tender again. Refusing without a due reason costs the bid security
(条例 第七十四条: 投标保证金不予退还; 政采条例 第七十二条 makes it a breach and the procurement
documents withhold the security); force majeure is a due reason, so that security falls due for
refund instead.

``record_refusal`` records who refused, why and the evidence; forfeits or releases the security
(``bidding.security.award_refused``); moves the lot's award facts into the ``AwardRefusal`` row
and leaves the lot ``refused``. The purchaser then confirms the next candidate with
``service.confirm_award`` (the credit check, a new result notice and new letters) or fails the
lot with ``service.fail_lot``. "Not signed" needs the scheduler's contract-overdue flag first:
until the 30 days have run, silence is not a refusal. Blacklisting the supplier is the credit
workflow's (proposed by the trading centre, approved by a supervisor), never automatic here.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bidding import security
from bidding.award import service
from bidding.award.models import AwardCandidate, AwardRefusal, LotState, RefusalReason
from bidding.award.rules import award_rules
from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.errors import Conflict, InvalidInput
from procurement.platform import Platform
from procurement.tenders import service as tenders

# Every reason but force majeure is a refusal without a due reason: the security is forfeited.
FORFEITS = frozenset(RefusalReason) - {RefusalReason.force_majeure}
MIN_EVIDENCE = 10


async def record_refusal(session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, lot_number: int,
                         reason: str, evidence: str) -> AwardRefusal:
    """The runner (or its purchaser) records that the lot's winner will not sign; returns the refusal."""
    evidence = evidence.strip()
    if reason not in set(RefusalReason):
        raise InvalidInput.for_field("body.reason", "must be one of: %(reasons)s", reasons=", ".join(RefusalReason))
    if len(evidence) < MIN_EVIDENCE:
        raise InvalidInput.for_field("body.evidence", "record the evidence of the refusal (the winner's letter, the deadline it let pass), "
                                     "in at least %(n)s characters", n=MIN_EVIDENCE)
    tender = await tenders.get_tender(session, actor, tender_id, for_update=True)
    service._require_runner(actor, tender)
    row = await service.award_lot(session, tender_id, lot_number, for_update=True)
    limits = award_rules(tender.track)
    if row.state != LotState.awarded:
        raise Conflict("a refusal is recorded for an awarded lot whose contract is not signed; lot %(lot)s is %(state)s",
                       lot=lot_number, state=row.state)
    if reason == RefusalReason.not_signed and row.contract_overdue_at is None:
        raise Conflict("the contract is due by %(due)s (Beijing time) [%(article)s]: the winner has not let the time pass yet; "
                       "record what it said instead", due=service._shown(row.contract_due_at), article=limits.contract_within.article)  # type: ignore[arg-type]
    winner = await session.get(AwardCandidate, row.winner_candidate_id)
    assert winner is not None and row.awarded_at and row.result_notice_id and row.contract_due_at
    now = platform.clock.now()
    refusal = AwardRefusal(
        award_lot_id=row.id, tender_id=tender_id, lot_number=lot_number, award_round=row.award_round,  # type: ignore[arg-type]
        candidate_id=winner.id, organisation_id=winner.organisation_id, reason=reason, evidence=evidence,  # type: ignore[arg-type]
        recorded_by=actor.user_id, recorded_at=now, awarded_at=row.awarded_at, result_notice_id=row.result_notice_id,
        contract_due_at=row.contract_due_at, contract_overdue_at=row.contract_overdue_at,
        forfeit_article=limits.forfeit_article if reason in FORFEITS else "",
    )
    session.add(refusal)
    # The lot holds the current award only, and has none until the next candidate is confirmed;
    # the statistics and the supervision rules read the lot, so they no longer count this award.
    row.state, row.winner_candidate_id, row.choice_reason, row.awarded_at, row.awarded_by = LotState.refused, None, "", None, None
    row.result_notice_id, row.award_amount_fen, row.savings_fen, row.discount_rate = None, None, None, None
    row.contract_due_at, row.contract_overdue_at, row.next_check = None, None, None
    await session.flush()
    forfeited = await security.award_refused(session, platform, tender_id, lot_number, winner.organisation_id, now, refusal.forfeit_article)
    await audit.record(
        session, platform.clock, actor, "award.refused", subject_type="tender", subject_id=tender_id,
        details={"lot": lot_number, "round": refusal.award_round, "organisation_id": winner.organisation_id, "rank": winner.rank,
                 "reason": reason, "evidence": evidence, "forfeit_article": refusal.forfeit_article,
                 "securities": [s.id for s in forfeited], "next_article": limits.next_candidate_article},
    )
    return refusal
