"""The award page of a tender: candidates, objections, the winner's confirmation and refusal, the contract, the letters.

One page for everyone who may see the tender; each sees the forms its role allows: the
runner (and its purchaser) answers objections, confirms the winner, records a winner's
refusal to sign, awards the next candidate or fails the lot, and uploads the contract; a
supplier with standing objects during the publicity; a bidder downloads its own letters; the
trading centre may propose a refusing supplier for the blacklist (the credit workflow's form,
filled in). The forms go through the same service functions as the API; a refused request
comes back as the page with the message, the transaction rolled back.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.award import contract, refusal
from bidding.award import service as award
from bidding.award.controllers import RUNNERS, SUPPLIERS, LotNumber, ObjectionId
from bidding.award.letters import parsed
from bidding.award.models import LotState, RefusalReason
from bidding.award.rules import award_rules
from procurement.actor import Actor
from procurement.clock import as_utc
from procurement.errors import N_, Conflict, DomainError, Forbidden, InvalidInput
from procurement.i18n import gettext
from procurement.identity.models import Organisation, OrganisationKind, Role
from procurement.platform import Platform
from procurement.tenders.calendar import beijing_date
from procurement.tenders.controllers import TenderIdPath
from procurement.tenders.manage_pages import FORM_AGAIN, errors_of
from procurement.tenders.pages import yuan
from procurement.web.deps import CurrentActor, DbSession, PlatformDep
from procurement.web.guards import requires_login
from procurement.web.pages import form_text, page

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Upload = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]

STATE_LABELS = {
    "waiting": N_("Waiting for the evaluation"),
    LotState.publicised: N_("Candidates publicised"),
    LotState.awarded: N_("Awarded"),
    LotState.contract_signed: N_("Contract signed"),
    LotState.refused: N_("Winner refused to sign"),
    LotState.failed: N_("Failed: tendered again"),
}
REFUSAL_LABELS = {
    RefusalReason.declined: N_("Gave up the award"),
    RefusalReason.force_majeure: N_("Cannot perform because of force majeure"),
    RefusalReason.no_performance_security: N_("Did not furnish the performance security the documents require"),
    RefusalReason.not_signed: N_("Did not sign within the time limit"),
}
STANDING_LABELS = {
    "bidder": N_("Bidder"),
    "obtained_documents": N_("Obtained the documents"),
    "interested_party": N_("Other interested party"),
}
# The API's field paths as the page's form fields.
PAGE_FIELDS = {"query.signed_on": "signed_on", "body": "document"}
DONE = {
    "objected": N_("Your objection is recorded. The award waits for the answer."),
    "answered": N_("The answer is recorded."),
    "awarded": N_("The winner is confirmed: the result notice and the letters are out."),
    "contract": N_("The contract is recorded and published."),
    "failed": N_("The lot failed: the failed-tender notice is published."),
    "refused": N_("The refusal is recorded. Award the next candidate, or fail the lot to tender it again."),
}
# The refusal form's fields on the page (the confirm and failure forms have their own "reason").
REFUSAL_FIELDS = {**PAGE_FIELDS, "reason": "refusal_reason"}


async def _render(request: Request, session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, *,
                  errors: list[tuple[str, str]] | None = None, values: dict[str, str] | None = None, done: str = "",
                  status_code: int = 200) -> Template:
    tender, views = await award.overview(session, actor, tender_id)
    now = platform.clock.now()
    limits = award_rules(tender.track)
    supplier = actor.has(Role.supplier) and actor.organisation_kind == OrganisationKind.supplier
    bidder_lots = set()
    if supplier:
        bidder_lots = {v.lot.number for v in views if actor.organisation_id in await award.bidders_of(session, tender_id, v.lot.number)}
    found = await award.letters_for(session, actor, tender_id) if (bidder_lots or award.oversees(actor, tender)) else []
    lot_of = {v.award.id: v.lot.number for v in views if v.award}
    letters = [(row, lot_of.get(row.award_lot_id), parsed(row.content)["recipient"]["name"]) for row in found]
    # Lot number -> whether the supplier must state its interest (an interested party without other standing).
    objecting: dict[int, bool] = {}
    for v in views if supplier else []:
        if v.award and v.award.state == LotState.publicised and (v.award.publicity_ends_at is None or now < as_utc(v.award.publicity_ends_at)):
            standing = await award.standing_of(session, tender_id, v.lot.number, actor.organisation_id)  # type: ignore[arg-type]
            if standing is not None or limits.others_may_object:
                objecting[v.lot.number] = standing is None
    return page(
        request, "award/award.html", status_code=status_code, tender=tender, views=views, runs=award.may_run(actor, tender),
        objecting=objecting, letters=letters, state_labels=STATE_LABELS, refusal_labels=REFUSAL_LABELS, standing_labels=STANDING_LABELS,
        limits=limits, proposals=await _blacklist_proposals(session, tender, views) if actor.has(Role.operator) else {},
        yuan=yuan, now=now, as_utc=as_utc, today=beijing_date(now).isoformat(), errors=errors or [], values=values or {},
        done=DONE.get(done, ""),
    )


async def _blacklist_proposals(session: AsyncSession, tender: Any, views: list[award.LotView]) -> dict[int, str]:
    """Refusal id -> the credit workflow's proposal form, filled in, for a supplier that refused without a due reason.

    The trading centre proposes and a supervisor approves (procurement.credit.workflow): the
    link only fills in the form; nothing is proposed until the operator submits it.
    """
    links = {}
    for v in views:
        for refused in v.refusals:
            r = refused.refusal
            organisation = await session.get(Organisation, r.organisation_id)
            if not r.forfeit_article or organisation is None:
                continue
            conduct = gettext("Refused to sign the contract for lot %(lot)s of %(code)s after the award: %(reason)s",
                              lot=v.lot.number, code=tender.code, reason=gettext(REFUSAL_LABELS[RefusalReason(r.reason)]))
            links[r.id] = "/credit/proposals?" + urlencode({"uscc": organisation.uscc, "organisation_name": organisation.name,
                                                            "conduct": conduct, "legal_basis": r.forfeit_article})
    return links


class AwardPages(Controller):
    tags = ["Pages"]

    @get("/tenders/{tender_id:int}/award", guards=[requires_login],
         summary="A tender's award: candidates, objections, winner, contract, letters (page)")
    async def show(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath,
                   done: str = "") -> Template:
        return await _render(request, session, platform, actor, tender_id, done=done[:20])

    async def _again(self, request: Request, session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, exc: DomainError,
                     values: dict[str, str], fields: dict[str, str] = PAGE_FIELDS) -> Template:
        await session.rollback()
        status = 409 if isinstance(exc, Conflict) else 403 if isinstance(exc, Forbidden) else 400
        errors = [(fields.get(field, field), message) for field, message in errors_of(exc)]
        return await _render(request, session, platform, actor, tender_id, errors=errors, values=values, status_code=status)

    @post("/tenders/{tender_id:int}/award/lots/{lot_number:int}/objections", guards=[SUPPLIERS], status_code=303, responses=FORM_AGAIN,
          summary="Object to a lot's candidates, from the page")
    async def object(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                     tender_id: TenderIdPath, lot_number: LotNumber) -> Any:
        values = {"text": form_text(data, "text")[:5000], "interest": form_text(data, "interest")[:2000]}
        try:
            await award.file_objection(session, platform, actor, tender_id, lot_number, values["text"], values["interest"])
        except (InvalidInput, Conflict, Forbidden) as exc:
            return await self._again(request, session, platform, actor, tender_id, exc, values)
        return Redirect(f"/tenders/{tender_id}/award?done=objected", status_code=303)

    @post("/tenders/{tender_id:int}/award/objections/{objection_id:int}/answer", guards=[RUNNERS], status_code=303,
          responses=FORM_AGAIN, summary="Answer an objection, from the page")
    async def answer(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                     tender_id: TenderIdPath, objection_id: ObjectionId) -> Any:
        values = {f"answer-{objection_id}": form_text(data, "answer")[:5000]}
        try:
            objection = await award.answer_objection(session, platform, actor, objection_id, values[f"answer-{objection_id}"])
            if objection.tender_id != tender_id:
                raise InvalidInput.for_field("answer", "this objection belongs to another tender")
        except (InvalidInput, Conflict) as exc:
            return await self._again(request, session, platform, actor, tender_id, exc, values)
        return Redirect(f"/tenders/{tender_id}/award?done=answered", status_code=303)

    @post("/tenders/{tender_id:int}/award/lots/{lot_number:int}/confirm", guards=[RUNNERS], status_code=303, responses=FORM_AGAIN,
          summary="Confirm a lot's winner, from the page")
    async def confirm(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                      tender_id: TenderIdPath, lot_number: LotNumber) -> Any:
        values = {"rank": form_text(data, "rank"), "reason": form_text(data, "reason")[:1000]}
        try:
            if values["rank"] not in ("1", "2", "3"):
                raise InvalidInput.for_field("body.rank", N_("Choose a candidate."))
            await award.confirm_award(session, platform, actor, tender_id, lot_number, int(values["rank"]), values["reason"])
        except (InvalidInput, Conflict, Forbidden) as exc:
            return await self._again(request, session, platform, actor, tender_id, exc, values)
        return Redirect(f"/tenders/{tender_id}/award?done=awarded", status_code=303)

    @post("/tenders/{tender_id:int}/award/lots/{lot_number:int}/refusal", guards=[RUNNERS], status_code=303, responses=FORM_AGAIN,
          summary="Record that a lot's winner refuses to sign, from the page")
    async def refuse(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                     tender_id: TenderIdPath, lot_number: LotNumber) -> Any:
        values = {"refusal_reason": form_text(data, "refusal_reason")[:32], "evidence": form_text(data, "evidence")[:5000]}
        try:
            await refusal.record_refusal(session, platform, actor, tender_id, lot_number, values["refusal_reason"], values["evidence"])
        except (InvalidInput, Conflict, Forbidden) as exc:
            return await self._again(request, session, platform, actor, tender_id, exc, values, REFUSAL_FIELDS)
        return Redirect(f"/tenders/{tender_id}/award?done=refused", status_code=303)

    @post("/tenders/{tender_id:int}/award/lots/{lot_number:int}/failure", guards=[RUNNERS], status_code=303, responses=FORM_AGAIN,
          summary="Fail a lot whose candidates are publicised, or whose winner refused, from the page")
    async def fail(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                   tender_id: TenderIdPath, lot_number: LotNumber) -> Any:
        values = {"fail_reason": form_text(data, "fail_reason")[:2000]}
        try:
            await award.fail_lot(session, platform, actor, tender_id, lot_number, values["fail_reason"])
        except (InvalidInput, Conflict, Forbidden) as exc:
            # Its reason is not the confirm form's "reason" on the same page.
            return await self._again(request, session, platform, actor, tender_id, exc, values, {**PAGE_FIELDS, "reason": "fail_reason"})
        return Redirect(f"/tenders/{tender_id}/award?done=failed", status_code=303)

    @post("/tenders/{tender_id:int}/award/lots/{lot_number:int}/contract", guards=[RUNNERS], status_code=303, responses=FORM_AGAIN,
          summary="Record the signed contract with its document, from the page (multipart)")
    async def record_contract(self, request: Request, data: Upload, platform: PlatformDep, actor: CurrentActor,
                              tender_id: TenderIdPath, lot_number: LotNumber) -> Any:
        values = {"signed_on": form_text(data, "signed_on")}
        document = data.get("document")
        try:
            try:
                signed_on = date.fromisoformat(values["signed_on"])
            except ValueError as exc:
                raise InvalidInput.for_field("query.signed_on", N_("Enter a date, such as 2026-03-01.")) from exc
            if not isinstance(document, UploadFile) or not document.filename:
                raise InvalidInput.for_field("body", N_("Choose the signed contract's file."))
            await contract.record_contract(platform, actor, contract.ContractIn(
                tender_id, lot_number, signed_on, document.filename, document.content_type or ""), _chunks(document))
        except (InvalidInput, Conflict) as exc:
            async with platform.db.transaction(write=False) as session:
                return await self._again(request, session, platform, actor, tender_id, exc, values)
        return Redirect(f"/tenders/{tender_id}/award?done=contract", status_code=303)


async def _chunks(upload: UploadFile) -> Any:
    while chunk := await upload.read(1 << 16):
        yield chunk
