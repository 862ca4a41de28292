"""The bid security page of a tender: a supplier records its payment; the runner confirms, rejects, refunds.

The forms go through the same service functions as the API; a refusal comes back as the page
with the message next to the form, and the transaction rolled back, so nothing changed.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import security as service
from bidding.security_controllers import (
    RUNNERS,
    SUPPLIERS,
    VIEWERS,
    LotNumber,
    SecurityId,
)
from bidding.security_models import SecurityForm
from procurement.actor import Actor
from procurement.errors import N_, Conflict, DomainError, InvalidInput, NotFound
from procurement.platform import Platform
from procurement.tenders.controllers import TenderIdPath
from procurement.tenders.manage_pages import FORM_AGAIN, errors_of
from procurement.tenders.money import to_yuan
from procurement.web.deps import CurrentActor, DbSession, PlatformDep
from procurement.web.pages import form_text, page

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

FORM_LABELS = {
    SecurityForm.bank_transfer: N_("Bank transfer"),
    SecurityForm.cash: N_("Cash"),
    SecurityForm.bank_guarantee: N_("Bank guarantee"),
    SecurityForm.insurance_guarantee: N_("Insurance guarantee"),
}
STATUS_LABELS = {
    "pending": N_("Awaiting confirmation"),
    "confirmed": N_("Confirmed"),
    "rejected": N_("Rejected"),
    "overdue": N_("Refund overdue"),
    "refunded": N_("Refunded"),
    "forfeited": N_("Forfeited"),
}
REFUND_LABELS = {
    "none": N_("No refund (not confirmed)"),
    "not_due": N_("Not due yet"),
    "due": N_("Refund due"),
    "overdue": N_("Refund overdue"),
    "refunded": N_("Refunded"),
    "forfeited": N_("Forfeited: not refunded"),
}
BASIS_LABELS = {
    "withdrawal": N_("Bid withdrawn before the deadline"),
    "no_bid": N_("No bid at the deadline (the law sets no period: the platform's applies)"),
    "lot_failed": N_("Lot failed (the law sets no period: the platform's applies)"),
    "tender_failed": N_("Tender failed (the law sets no period: the platform's applies)"),
    "terminated": N_("Tender terminated"),
    "award": N_("Award notice issued to another bidder"),
    "contract": N_("Contract signed"),
    "refusal": N_("The winner could not sign for a due reason (the law sets no period: the platform's applies)"),
}


async def _render(request: Request, session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, *,
                  errors: list[tuple[str, str]] | None = None, values: dict[str, str] | None = None, done: str = "",
                  status_code: int = 200) -> Template:
    listing = await service.overview(session, platform, actor, tender_id)
    tender = listing.tender
    return page(
        request, "bidding/security.html", status_code=status_code,
        tender=tender, lots=[{"number": lot.number, "title": lot.title, "amount_due": to_yuan(lot.bid_security_fen)} for lot in listing.lots],
        securities=listing.securities, sees_all=listing.sees_all,
        may_pay=service.is_supplier(actor) and tender.status == "published",
        may_manage=service.may_decide(actor, tender),
        forms=[(f.value, FORM_LABELS[f]) for f in SecurityForm if not (f == SecurityForm.cash and tender.track == "government")],
        status_labels=STATUS_LABELS, refund_labels=REFUND_LABELS, basis_labels=BASIS_LABELS, form_labels=FORM_LABELS,
        to_yuan=to_yuan, errors=errors or [], values=values or {}, done=done,
    )


class BidSecurityPages(Controller):
    tags = ["Pages"]

    @get("/tenders/{tender_id:int}/bid-security", guards=[VIEWERS],
         summary="A tender's bid securities: record a payment (supplier); confirm, reject, refund (the runner)")
    async def show(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath,
                   done: str = "") -> Template:
        return await _render(request, session, platform, actor, tender_id, done=done[:20])

    async def _again(self, request: Request, session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, exc: DomainError,
                     values: dict[str, str] | None = None) -> Template:
        await session.rollback()
        status = 409 if isinstance(exc, Conflict) else 400
        return await _render(request, session, platform, actor, tender_id, errors=errors_of(exc), values=values, status_code=status)

    @post("/tenders/{tender_id:int}/bid-security/lots/{lot_number:int}", guards=[SUPPLIERS], status_code=303, responses=FORM_AGAIN,
          summary="Record the organisation's bid security for a lot, from the form")
    async def pay(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                  tender_id: TenderIdPath, lot_number: LotNumber) -> Any:
        values = {name: form_text(data, name) for name in ("form", "amount", "payer_account_name", "bank_reference")}
        try:
            try:
                amount = Decimal(values["amount"].replace(",", "").replace("，", ""))
            except InvalidOperation as exc:
                raise InvalidInput.for_field("body.amount", N_("Enter an amount in yuan, such as 16000.00.")) from exc
            if not amount.is_finite() or amount <= 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
                raise InvalidInput.for_field("body.amount", N_("Enter an amount in yuan, such as 16000.00."))
            await service.record_payment(session, platform, actor, tender_id, lot_number, service.PaymentIn(
                values["form"], amount, values["payer_account_name"][:200], values["bank_reference"][:100]))
        except (InvalidInput, Conflict) as exc:
            return await self._again(request, session, platform, actor, tender_id, exc, values)
        return Redirect(f"/tenders/{tender_id}/bid-security?done=recorded", status_code=303)

    async def _decide(self, request: Request, session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, security_id: int,
                      action: str, data: dict[str, Any]) -> Any:
        security = await session.get(service.BidSecurity, security_id)
        if security is None or security.tender_id != tender_id:
            raise NotFound("no bid security %(id)s", id=security_id)
        values: dict[str, str] = {}
        try:
            if action == "confirm":
                await service.confirm(session, platform, actor, security_id)
            elif action == "reject":
                values = {"reason": form_text(data, "reason")[:500]}
                await service.reject(session, platform, actor, security_id, values["reason"])
            else:
                values = {"refunded_on": form_text(data, "refunded_on"), "bank_reference": form_text(data, "bank_reference")[:100]}
                try:
                    day = date.fromisoformat(values["refunded_on"])
                except ValueError as exc:
                    raise InvalidInput.for_field("body.refunded_on", N_("Enter a date, such as 2026-03-01.")) from exc
                await service.refund(session, platform, actor, security_id, day, values["bank_reference"])
        except (InvalidInput, Conflict) as exc:
            return await self._again(request, session, platform, actor, tender_id, exc, values)
        return Redirect(f"/tenders/{tender_id}/bid-security?done={action}", status_code=303)

    @post("/tenders/{tender_id:int}/bid-security/{security_id:int}/confirm", guards=[RUNNERS], status_code=303, responses=FORM_AGAIN,
          summary="Confirm a bid security from the page (the organisation running the tender)")
    async def confirm(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath,
                      security_id: SecurityId) -> Any:
        return await self._decide(request, session, platform, actor, tender_id, security_id, "confirm", {})

    @post("/tenders/{tender_id:int}/bid-security/{security_id:int}/reject", guards=[RUNNERS], status_code=303, responses=FORM_AGAIN,
          summary="Reject a bid security with the reason, from the page")
    async def reject(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                     tender_id: TenderIdPath, security_id: SecurityId) -> Any:
        return await self._decide(request, session, platform, actor, tender_id, security_id, "reject", data)

    @post("/tenders/{tender_id:int}/bid-security/{security_id:int}/refund", guards=[RUNNERS], status_code=303, responses=FORM_AGAIN,
          summary="Record a bid security's refund from the page: the date and the transfer's reference")
    async def refund(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                     tender_id: TenderIdPath, security_id: SecurityId) -> Any:
        return await self._decide(request, session, platform, actor, tender_id, security_id, "refund", data)
