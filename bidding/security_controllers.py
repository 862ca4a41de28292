"""Bid security API: the status per lot, payments recorded by suppliers, the runner's confirmation and refunds."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from litestar import Controller, get, post
from litestar.params import PathParameter
from pydantic import BaseModel, Field

from bidding import security as service
from bidding.security_models import SecurityForm, SecurityStatus
from procurement.identity.models import Role
from procurement.tenders.controllers import TenderIdPath
from procurement.tenders.money import to_yuan
from procurement.web.deps import MAX_ID, CurrentActor, DbSession, PlatformDep
from procurement.web.guards import requires_roles

VIEWERS = requires_roles(Role.supplier, Role.purchaser, Role.agency, Role.supervisor, Role.operator)
# The trading centre (it keeps the security accounts) and, once bidding closed, the runner: see security.may_decide.
RUNNERS = requires_roles(Role.purchaser, Role.agency, Role.operator)
SUPPLIERS = requires_roles(Role.supplier)
LotNumber = Annotated[int, PathParameter(ge=1, le=10_000, description="the lot's number within the tender")]
SecurityId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the bid security's id")]


class PaymentIn(BaseModel):
    form: Literal["bank_transfer", "cash", "bank_guarantee", "insurance_guarantee"] = Field(
        description="bank_transfer, cash (works only), bank_guarantee or insurance_guarantee")
    amount: Decimal = Field(gt=0, max_digits=15, decimal_places=2, description="yuan; at least the lot's amount due")
    payer_account_name: str = Field(min_length=1, max_length=200, description="the paying account's name, or the guarantee's applicant")
    bank_reference: str = Field(min_length=1, max_length=100, description="the transfer's reference, or the guarantee's number")


class RejectIn(BaseModel):
    reason: str = Field(min_length=2, max_length=500)


class RefundIn(BaseModel):
    refunded_on: date = Field(description="the Beijing date the refund was paid")
    bank_reference: str = Field(min_length=1, max_length=100, description="the refund transfer's reference")


class RefundOut(BaseModel):
    state: str = Field(description="none (never confirmed) | not_due | due | overdue | refunded | forfeited")
    basis: str | None = Field(description="withdrawal | no_bid | lot_failed | tender_failed | terminated | award | contract | refusal "
                              "(the winner could not sign for a due reason) | forfeited (不予退还: the winner refused to sign)")
    event_at: datetime | None
    due_on: date | None = Field(description="null when not due, and for a forfeited security")
    article: str | None = Field(description="the law's article; empty where the law sets no period and the platform's applies; "
                                "for a forfeited security, the article it is forfeited under")
    refunded_on: date | None
    bank_reference: str


class SecurityOut(BaseModel):
    id: int
    tender_id: int
    lot_number: int
    organisation_id: int
    organisation_name: str
    form: str
    amount: Decimal
    payer_account_name: str
    bank_reference: str
    status: str = Field(description="pending | confirmed | rejected | overdue | refunded | forfeited")
    confirmed: bool
    recorded_at: datetime
    decided_at: datetime | None
    reject_reason: str
    refund: RefundOut


class LotDue(BaseModel):
    number: int
    title: str
    amount_due: Decimal


class TenderSecuritiesOut(BaseModel):
    tender_id: int
    track: str
    every_payer: bool = Field(description="true for the runner, supervisors and the trading centre; a supplier sees its own only")
    lots: list[LotDue]
    securities: list[SecurityOut]


def security_out(view: service.SecurityView) -> SecurityOut:
    s, r = view.security, view.refund
    return SecurityOut(
        id=s.id, tender_id=s.tender_id, lot_number=s.lot_number, organisation_id=s.organisation_id,  # type: ignore[arg-type]
        organisation_name=view.organisation_name, form=s.form, amount=to_yuan(s.amount_fen), payer_account_name=s.payer_account_name,
        bank_reference=s.bank_reference, status=s.status, confirmed=s.status not in ("pending", "rejected"), recorded_at=s.recorded_at,
        decided_at=s.decided_at, reject_reason=s.reject_reason,
        refund=RefundOut(
            state=view.refund_state, basis=r.basis if r else None, event_at=r.event_at if r else None, due_on=r.due_on if r else None,
            article=r.article if r else None, refunded_on=s.refunded_on, bank_reference=s.refund_reference,
        ) if s.status != SecurityStatus.forfeited else RefundOut(
            state=view.refund_state, basis="forfeited", event_at=s.forfeited_at, due_on=None, article=s.forfeit_article,
            refunded_on=None, bank_reference="",
        ),
    )


async def _one(session, platform, actor, security_id: int) -> SecurityOut:
    security = await session.get(service.BidSecurity, security_id)
    listing = await service.overview(session, platform, actor, security.tender_id)
    return security_out(next(v for v in listing.securities if v.security.id == security_id))


class BidSecurityController(Controller):
    tags = ["Bid securities"]

    @get("/api/tenders/{tender_id:int}/bid-security", guards=[VIEWERS],
         summary="Bid securities of a tender: amount due per lot, payments, confirmation, refund due date and state",
         description="A supplier sees its own organisation's; the runner (and its purchaser), supervisors and the trading centre "
         "see every payer's. Before the deadline this tells the runner who paid a security, never who bid.")
    async def overview(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath) -> TenderSecuritiesOut:
        listing = await service.overview(session, platform, actor, tender_id)
        return TenderSecuritiesOut(
            tender_id=tender_id, track=listing.tender.track, every_payer=listing.sees_all,
            lots=[LotDue(number=lot.number, title=lot.title, amount_due=to_yuan(lot.bid_security_fen)) for lot in listing.lots],
            securities=[security_out(v) for v in listing.securities],
        )

    @post("/api/tenders/{tender_id:int}/lots/{lot_number:int}/bid-security", guards=[SUPPLIERS], status_code=201,
          summary="Record the organisation's bid security payment or guarantee for a lot",
          description="Before the deadline. The amount must be at least the lot's amount due; government procurement refuses "
          "cash (政府采购法实施条例 第三十三条). The runner then confirms or rejects it.")
    async def record(self, data: PaymentIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath,
                     lot_number: LotNumber) -> SecurityOut:
        security = await service.record_payment(session, platform, actor, tender_id, lot_number, service.PaymentIn(
            SecurityForm(data.form), data.amount, data.payer_account_name, data.bank_reference))
        return await _one(session, platform, actor, security.id)  # type: ignore[arg-type]

    @post("/api/bid-securities/{security_id:int}/confirm", guards=[RUNNERS], status_code=200,
          summary="Confirm a recorded bid security (the organisation running the tender)")
    async def confirm(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, security_id: SecurityId) -> SecurityOut:
        await service.confirm(session, platform, actor, security_id)
        return await _one(session, platform, actor, security_id)

    @post("/api/bid-securities/{security_id:int}/reject", guards=[RUNNERS], status_code=200,
          summary="Reject a recorded bid security, with the reason (the organisation running the tender)")
    async def reject(self, data: RejectIn, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                     security_id: SecurityId) -> SecurityOut:
        await service.reject(session, platform, actor, security_id, data.reason)
        return await _one(session, platform, actor, security_id)

    @post("/api/bid-securities/{security_id:int}/refund", guards=[RUNNERS], status_code=200,
          summary="Record the refund of a bid security: the date paid and the transfer's reference",
          description="Only once a refund is due (withdrawal, failure, termination, award or contract); a refund after the due "
          "date is recorded as late.")
    async def refund(self, data: RefundIn, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                     security_id: SecurityId) -> SecurityOut:
        await service.refund(session, platform, actor, security_id, data.refunded_on, data.bank_reference)
        return await _one(session, platform, actor, security_id)
