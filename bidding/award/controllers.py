"""Award API: candidates and award per lot, objections, the winner's confirmation and refusal, letters, the contract."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.params import PathParameter, QueryParameter
from litestar.response import Stream
from pydantic import BaseModel, Field

from bidding.award import contract, letters, refusal
from bidding.award import service as award
from bidding.award.models import AwardLetter, RefusalReason
from procurement.clock import to_display
from procurement.documents import PdfRenderer
from procurement.identity.models import Role
from procurement.keys import public_key_pem
from procurement.tenders.controllers import TenderIdPath
from procurement.tenders.money import to_yuan
from procurement.web.deps import (
    MAX_ID,
    CurrentActor,
    DbSession,
    OptionalActor,
    PlatformDep,
)
from procurement.web.guards import requires_login, requires_roles

RUNNERS = requires_roles(Role.purchaser, Role.agency)
SUPPLIERS = requires_roles(Role.supplier)
OVERSEERS = requires_roles(Role.supervisor, Role.operator)
LotNumber = Annotated[int, PathParameter(ge=1, le=10_000, description="the lot's number within the tender")]
ObjectionId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the objection's id")]
LetterId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the letter's id")]
SignedOn = Annotated[date, QueryParameter(description="the Beijing date the contract was signed")]
FileName = Annotated[str, QueryParameter(min_length=1, max_length=200, description="the document's file name, e.g. 合同.pdf")]


class CandidateOut(BaseModel):
    rank: int
    organisation_id: int
    bidder: str
    price: Decimal
    total: str | None = Field(description="the comprehensive score; null under the lowest-price method")


class ObjectionOut(BaseModel):
    id: int
    lot_number: int
    organisation_id: int
    bidder: str = Field(description="the objecting organisation's name")
    standing: str = Field(description="bidder | obtained_documents | interested_party (works: another interested party)")
    interest: str = Field(description="an interested party's stated interest; empty for the others")
    text: str
    filed_at: datetime
    answer_due_at: datetime
    state: str = Field(description="open (the award waits) | answered")
    answer: str
    answered_at: datetime | None
    late: bool = Field(description="answered after, or still open past, its due time")


class ContractOut(BaseModel):
    signed_on: date
    recorded_at: datetime
    name: str
    sha256: str
    size: int
    notice_id: int | None
    download: str


class RefusalOut(BaseModel):
    round: int = Field(description="the award round refused: 1 for the first award")
    rank: int
    organisation_id: int
    bidder: str
    reason: str = Field(description="declined (放弃中标) | force_majeure (因不可抗力不能履行合同) | no_performance_security "
                        "(不按照招标文件要求提交履约保证金) | not_signed (did not sign within the limit)")
    evidence: str | None = Field(description="for the runner, its purchaser, supervisors, the trading centre and the refusing supplier")
    recorded_at: datetime
    awarded_at: datetime
    result_notice_id: int = Field(description="the result notice of the award refused")
    forfeited: bool = Field(description="the refusing bidder's security is not refunded (不予退还)")
    forfeit_article: str


class LotAwardOut(BaseModel):
    lot_number: int
    lot_title: str
    state: str = Field(description="waiting (no evaluation result yet) | publicised | awarded | refused (the winner refused to sign: "
                       "the next candidate or a new tender) | contract_signed | failed")
    candidates: list[CandidateOut]
    publicity_notice_id: int | None
    publicity_ends_at: datetime | None = Field(description="null where the law sets no minimum (government procurement)")
    decide_by: datetime | None
    decision_overdue: bool = Field(description="government: the purchaser had not decided within 5 working days of the report "
                                   "(政府采购法实施条例 第四十三条) when the scheduler looked, and still has not")
    next_rank: int | None = Field(description="the candidate the award goes to next in ranking order; null unless a winner is awaited")
    award_round: int = Field(description="1 for the first award; one more for each award after a refusal")
    refusals: list[RefusalOut]
    objections: list[ObjectionOut] = Field(description="every objection for the runner and overseers; a bidder's own otherwise")
    winner_rank: int | None
    choice_reason: str
    awarded_at: datetime | None
    result_notice_id: int | None
    budget: Decimal
    award_amount: Decimal | None
    savings: Decimal | None = Field(description="budget − award amount")
    discount_rate: Decimal | None = Field(description="savings ÷ budget")
    contract_due_at: datetime | None
    contract_overdue: bool
    contract: ContractOut | None


class TenderAwardOut(BaseModel):
    tender_id: int
    status: str
    lots: list[LotAwardOut]


class ObjectionIn(BaseModel):
    text: str = Field(min_length=10, max_length=5000, description="what is objected to and why")
    interest: str = Field(default="", max_length=2000, description="works, a supplier that neither bid nor obtained the documents: "
                          "its interest in the result (required then)")


class AnswerIn(BaseModel):
    answer: str = Field(min_length=10, max_length=5000)


class ConfirmIn(BaseModel):
    rank: int = Field(ge=1, le=3, description="the candidate chosen; other than the next in ranking order (`next_rank`) needs a reason")
    reason: str = Field(default="", max_length=1000, description="why not the next candidate in ranking order (required then)")


class RefusalIn(BaseModel):
    reason: RefusalReason = Field(description="declined | force_majeure | no_performance_security | not_signed (after the contract "
                                  "was flagged overdue)")
    evidence: str = Field(min_length=10, max_length=5000, description="what shows the refusal: the winner's letter, the deadline it let pass")


class FailIn(BaseModel):
    reason: str = Field(min_length=10, max_length=2000, description="why the lot fails (an objection upheld, every candidate ineligible...)")


class LetterOut(BaseModel):
    id: int
    tender_id: int
    organisation_id: int
    kind: str = Field(description="award (中标通知书, to the winner) | result (中标结果通知书, to the other bidders)")
    issued_at: datetime
    content: dict[str, Any] = Field(description="canonical JSON the platform signed")
    content_sha256: str
    signature: str = Field(description="Ed25519 over 'procurement-award-letter/v1\\n' followed by the canonical JSON, base64")
    key_id: str
    pdf: str


class VerifyIn(BaseModel):
    content: dict[str, Any]
    signature: str = Field(min_length=1, max_length=200)


class VerifyOut(BaseModel):
    valid: bool
    key_id: str = Field(description="the platform key checked against (GET /api/audit/public-key)")
    content_sha256: str


class OverdueOut(BaseModel):
    tender_id: int
    lot_number: int
    awarded_at: datetime | None
    contract_due_at: datetime | None
    flagged_at: datetime | None


class OverdueDecisionOut(BaseModel):
    tender_id: int
    lot_number: int
    reported_at: datetime = Field(description="when the evaluation report was signed")
    decide_by: datetime | None
    flagged_at: datetime | None


def _late(objection: Any, now: datetime) -> bool:
    return (objection.answered_at or now) > objection.answer_due_at


def refusal_out(view: award.LotView, refused: award.RefusalView) -> RefusalOut:
    r = refused.refusal
    rank = next(c.rank for c in view.candidates if c.id == r.candidate_id)
    return RefusalOut(round=r.award_round, rank=rank, organisation_id=r.organisation_id, bidder=view.names.get(r.organisation_id, ""),
                      reason=r.reason, evidence=refused.evidence, recorded_at=r.recorded_at, awarded_at=r.awarded_at,
                      result_notice_id=r.result_notice_id, forfeited=bool(r.forfeit_article), forfeit_article=r.forfeit_article)


def lot_out(view: award.LotView, now: datetime) -> LotAwardOut:
    row, winner = view.award, view.winner
    return LotAwardOut(
        lot_number=view.lot.number, lot_title=view.lot.title, state=row.state if row else "waiting",
        candidates=[CandidateOut(rank=c.rank, organisation_id=c.organisation_id, bidder=view.names.get(c.organisation_id, ""),
                                 price=to_yuan(c.price_fen), total=c.total) for c in view.candidates],
        publicity_notice_id=row.publicity_notice_id if row else None, publicity_ends_at=row.publicity_ends_at if row else None,
        decide_by=row.decide_by if row else None,
        decision_overdue=bool(row and row.decision_overdue_at and row.state == "publicised"),
        next_rank=view.awardable[0].rank if view.awardable else None, award_round=row.award_round if row else 1,
        refusals=[refusal_out(view, r) for r in view.refusals],
        objections=[ObjectionOut(id=o.id, lot_number=o.lot_number, organisation_id=o.organisation_id,  # type: ignore[arg-type]
                                 bidder=view.names.get(o.organisation_id, ""), standing=o.standing, interest=o.interest,
                                 text=o.text, filed_at=o.filed_at,
                                 answer_due_at=o.answer_due_at, state=o.state, answer=o.answer, answered_at=o.answered_at,
                                 late=_late(o, now)) for o in view.objections],
        winner_rank=winner.rank if winner else None, choice_reason=row.choice_reason if row else "",
        awarded_at=row.awarded_at if row else None, result_notice_id=row.result_notice_id if row else None,
        budget=to_yuan(view.lot.budget_fen),
        award_amount=to_yuan(row.award_amount_fen) if row and row.award_amount_fen is not None else None,
        savings=to_yuan(row.savings_fen) if row and row.savings_fen is not None else None,
        discount_rate=row.discount_rate if row else None, contract_due_at=row.contract_due_at if row else None,
        contract_overdue=bool(row and row.contract_overdue_at and not row.contract_signed_on),
        contract=ContractOut(
            signed_on=row.contract_signed_on, recorded_at=row.contract_recorded_at, name=row.contract_name,  # type: ignore[arg-type]
            sha256=row.contract_sha256, size=row.contract_size, notice_id=row.contract_notice_id,  # type: ignore[arg-type]
            download=f"/api/tenders/{row.tender_id}/lots/{row.lot_number}/contract",
        ) if row and row.contract_signed_on else None,
    )


def letter_out(row: AwardLetter) -> LetterOut:
    return LetterOut(
        id=row.id, tender_id=row.tender_id, organisation_id=row.organisation_id, kind=row.kind, issued_at=row.issued_at,  # type: ignore[arg-type]
        content=letters.parsed(row.content), content_sha256=row.content_sha256, signature=row.signature, key_id=row.key_id,
        pdf=f"/api/award-letters/{row.id}/pdf",
    )


async def tender_award_out(session: Any, platform: Any, actor: Any, tender_id: int) -> TenderAwardOut:
    tender, views = await award.overview(session, actor, tender_id)
    now = platform.clock.now()
    return TenderAwardOut(tender_id=tender_id, status=tender.status, lots=[lot_out(v, now) for v in views])


async def _lot_out(session: Any, platform: Any, actor: Any, tender_id: int, lot_number: int) -> LotAwardOut:
    """The lot as the award listing shows it to this actor (the answer of every lot step)."""
    listing = await tender_award_out(session, platform, actor, tender_id)
    return next(lot for lot in listing.lots if lot.lot_number == lot_number)


async def render_letter(state: State, platform: Any, row: AwardLetter) -> bytes:
    renderer: PdfRenderer = state.pdf
    return await renderer.render("pdf/award_letter.html", {
        "letter": letters.parsed(row.content), "row": row, "base_url": platform.settings.base_url,
        "public_key_pem": public_key_pem(platform.keys.public_key), "generated_at": to_display(platform.clock.now()),
        "issued_at": to_display(row.issued_at), "contract_due_at": to_display(datetime.fromisoformat(letters.parsed(row.content)["contract_due_at"])),
    })


class AwardController(Controller):
    tags = ["Award"]

    @get("/api/tenders/{tender_id:int}/award", summary="Each lot's candidates, award, statistics and contract",
         description="What the candidates, result and contract notices published, per lot, with the award's budget, amount, "
         "savings and discount rate. Objections: every one for the organisation running the tender, its purchaser, "
         "supervisors and the trading centre; a bidder sees its own; others none.")
    async def overview(self, session: DbSession, platform: PlatformDep, optional_actor: OptionalActor,
                       tender_id: TenderIdPath) -> TenderAwardOut:
        return await tender_award_out(session, platform, optional_actor, tender_id)

    @post("/api/tenders/{tender_id:int}/lots/{lot_number:int}/objections", guards=[SUPPLIERS], status_code=201,
          summary="Object to a lot's candidates during their publicity (a supplier with standing)",
          description="Bidders of the lot and suppliers that obtained the documents; for works also another interested party "
          "(其他利害关系人, 招标投标法实施条例 第五十四条) stating its `interest`; for government procurement nobody else "
          "(政府采购质疑和投诉办法 第十一条). The award waits until the organiser answers (works: within 3 days, "
          "招标投标法实施条例 第五十四条; government: 7 working days, 政府采购法 第五十三条).")
    async def object(self, data: ObjectionIn, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                     tender_id: TenderIdPath, lot_number: LotNumber) -> ObjectionOut:
        row = await award.file_objection(session, platform, actor, tender_id, lot_number, data.text, data.interest)
        return await self._objection(session, platform, actor, tender_id, row.id)  # type: ignore[arg-type]

    @post("/api/award-objections/{objection_id:int}/answer", guards=[RUNNERS], status_code=200,
          summary="Answer an objection (the organisation running the tender, or its purchaser)")
    async def answer(self, data: AnswerIn, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                     objection_id: ObjectionId) -> ObjectionOut:
        row = await award.answer_objection(session, platform, actor, objection_id, data.answer)
        return await self._objection(session, platform, actor, row.tender_id, objection_id)

    async def _objection(self, session: Any, platform: Any, actor: Any, tender_id: int, objection_id: int) -> ObjectionOut:
        listing = await tender_award_out(session, platform, actor, tender_id)
        return next(o for lot in listing.lots for o in lot.objections if o.id == objection_id)

    @post("/api/tenders/{tender_id:int}/lots/{lot_number:int}/award", guards=[RUNNERS], status_code=200,
          summary="Confirm the lot's winner: the result notice and the signed letters go out",
          description="After the publicity, with no objection unanswered; the first candidate, or another with the reason. "
          "After a refusal: the next candidate in ranking order (`next_rank`), or a later one with the reason; a new result "
          "notice and new letters replace the refused award's. The winner's credit is checked: a debarred candidate is "
          "refused, naming the blacklist entry.")
    async def confirm(self, data: ConfirmIn, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                      tender_id: TenderIdPath, lot_number: LotNumber) -> LotAwardOut:
        await award.confirm_award(session, platform, actor, tender_id, lot_number, data.rank, data.reason)
        return await _lot_out(session, platform, actor, tender_id, lot_number)

    @post("/api/tenders/{tender_id:int}/lots/{lot_number:int}/refusal", guards=[RUNNERS], status_code=200,
          summary="Record that the lot's winner refuses to sign: its security is forfeited unless for force majeure",
          description="For an awarded lot without a contract. `not_signed` once the scheduler flagged the contract overdue. The "
          "refusing bidder's bid security is not refunded (招标投标法实施条例 第七十四条; 政府采购法实施条例 第七十二条), except "
          "for force majeure. Then confirm the next candidate in ranking order (POST .../award) or fail the lot (POST .../failure) "
          "(招标投标法实施条例 第五十五条; 政府采购法实施条例 第四十九条).")
    async def refuse(self, data: RefusalIn, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                     tender_id: TenderIdPath, lot_number: LotNumber) -> LotAwardOut:
        await refusal.record_refusal(session, platform, actor, tender_id, lot_number, data.reason, data.evidence)
        return await _lot_out(session, platform, actor, tender_id, lot_number)

    @post("/api/tenders/{tender_id:int}/lots/{lot_number:int}/failure", guards=[RUNNERS], status_code=200,
          summary="Fail a lot whose candidates are publicised, or whose winner refused: the failed-tender notice goes out",
          description="While the candidates are publicised (an objection upheld, every candidate withdrawn or ineligible), or "
          "after the winner refused to sign instead of awarding the next candidate; with the reason. The tender fails when no "
          "lot is left alive; bid securities of the lot fall due for refund (a forfeited one stays forfeited).")
    async def fail(self, data: FailIn, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                   tender_id: TenderIdPath, lot_number: LotNumber) -> LotAwardOut:
        await award.fail_lot(session, platform, actor, tender_id, lot_number, data.reason)
        return await _lot_out(session, platform, actor, tender_id, lot_number)

    @put("/api/tenders/{tender_id:int}/lots/{lot_number:int}/contract", guards=[RUNNERS], status_code=200, request_max_body_size=None,
         summary="Record the signed contract with its document (streamed body) and publish it",
         description="Within 30 days of the award notice (招标投标法 第四十六条; 政府采购法 第四十六条); later is recorded as "
         "late. The body is the document; `Content-Type` its type. The contract notice is published at once.")
    async def record_contract(
        self, request: Request, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath, lot_number: LotNumber,
        signed_on: SignedOn, name: FileName,
    ) -> LotAwardOut:
        length = request.headers.get("content-length")
        data = contract.ContractIn(tender_id, lot_number, signed_on, name, request.headers.get("content-type", ""),
                                   int(length) if length and length.isdigit() else None)
        await contract.record_contract(platform, actor, data, request.stream())
        async with platform.db.transaction(write=False) as session:
            return await _lot_out(session, platform, actor, tender_id, lot_number)

    @get("/api/tenders/{tender_id:int}/lots/{lot_number:int}/contract", summary="The published contract's document (streamed)",
         opt={"skip_compression": True})
    async def contract_document(self, platform: PlatformDep, optional_actor: OptionalActor, tender_id: TenderIdPath,
                                lot_number: LotNumber) -> Stream:
        opened = await contract.open_contract(platform, optional_actor, tender_id, lot_number)
        row = opened.row
        return Stream(opened.chunks(), media_type=row.contract_content_type, headers={
            "Content-Length": str(row.contract_size), "ETag": f'"{row.contract_sha256}"',
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.contract_name, safe='')}",
        })

    @get("/api/tenders/{tender_id:int}/award-letters", guards=[requires_login],
         summary="Award and result letters of a tender, signed by the platform",
         description="A bidder reads its own organisation's; the runner, its purchaser, supervisors and the trading centre every one.")
    async def letters(self, session: DbSession, actor: CurrentActor, tender_id: TenderIdPath) -> list[LetterOut]:
        return [letter_out(row) for row in await award.letters_for(session, actor, tender_id)]

    @get("/api/award-letters/{letter_id:int}/pdf", guards=[requires_login], media_type="application/pdf",
         summary="A letter as a PDF, with its signature and how to verify it")
    async def letter_pdf(self, state: State, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                         letter_id: LetterId) -> Response[bytes]:
        row = await award.letter(session, actor, letter_id)
        pdf = await render_letter(state, platform, row)
        return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="letter-{row.id}.pdf"'})

    @post("/api/award-letters/verify", status_code=200, summary="Check a letter's platform signature",
          description="Send the letter's `content` and `signature` as the letter or its PDF gives them; `valid` says whether "
          "the platform's key signed exactly that content. Offline: Ed25519 over 'procurement-award-letter/v1\\n' followed by "
          "the canonical JSON (sorted keys, no spaces, UTF-8), with the key from GET /api/audit/public-key.")
    async def verify(self, data: VerifyIn, platform: PlatformDep) -> VerifyOut:
        return VerifyOut(valid=letters.verify_letter(data.content, data.signature, platform.keys.public_key), key_id=platform.keys.key_id,
                         content_sha256=letters.content_sha256(data.content))

    @get("/api/awards/overdue-contracts", guards=[OVERSEERS], summary="Awarded lots whose contract is overdue (supervisors, trading centre)")
    async def overdue(self, session: DbSession) -> list[OverdueOut]:
        return [OverdueOut(tender_id=r.tender_id, lot_number=r.lot_number, awarded_at=r.awarded_at, contract_due_at=r.contract_due_at,
                           flagged_at=r.contract_overdue_at) for r in await contract.overdue_contracts(session)]

    @get("/api/awards/overdue-decisions", guards=[OVERSEERS],
         summary="Government lots whose purchaser has not confirmed the winner within 5 working days of the report (supervisors, trading centre)",
         description="政府采购法实施条例 第四十三条. Flagged by the scheduler; a lot leaves the list once its winner is confirmed or it fails.")
    async def overdue_decisions(self, session: DbSession) -> list[OverdueDecisionOut]:
        return [OverdueDecisionOut(tender_id=r.tender_id, lot_number=r.lot_number, reported_at=r.reported_at, decide_by=r.decide_by,
                                   flagged_at=r.decision_overdue_at) for r in await contract.overdue_decisions(session)]
