"""Evaluation API: start a lot's evaluation, the committee's checks, sheets and submissions, the report and its signatures.

Coarse guards by role here; ``bidding.evaluation.service`` scopes every call to the committee
(current members), the organisation running the tender and supervisors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any

from litestar import Controller, Response, get, post, put
from litestar.datastructures import State
from litestar.params import PathParameter
from litestar.response import Stream

from bidding.evaluation import report, service
from bidding.evaluation.schemas import (
    CheckIn,
    CheckOut,
    EvaluationOut,
    EvaluationSummaryOut,
    OpenedBidOut,
    ReportOut,
    ResultOut,
    SheetIn,
    SheetOut,
    SignatureIn,
    StartIn,
    check_out,
    evaluation_out,
    opened_bid_out,
    sheet_out,
    summary_out,
)
from procurement.actor import Actor
from procurement.documents import PdfRenderer
from procurement.errors import N_, Conflict
from procurement.i18n import language_var
from procurement.identity.models import Role
from procurement.platform import Platform
from procurement.tenders.controllers import TenderIdPath
from procurement.tenders.document_controllers import content_disposition
from procurement.web.deps import MAX_ID, CurrentActor, DbSession, PlatformDep
from procurement.web.guards import requires_roles
from storage import read_bytes

OWNERS = requires_roles(Role.purchaser, Role.agency)
# Experts and the purchaser's representatives sit; the organiser and supervisors follow.
READERS = requires_roles(Role.expert, Role.purchaser, Role.agency, Role.supervisor)
MEMBERS = requires_roles(Role.expert, Role.purchaser)
EvaluationId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the evaluation's id")]
BidId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="an opened bid of the evaluated lot")]
FileNumber = Annotated[int, PathParameter(ge=1, le=10_000, description="the file's number in the bid's manifest, from 1")]


def report_renderer(state: State):
    """Reports are official Chinese documents, whatever language the caller reads the site in."""
    pdf: PdfRenderer = state.pdf

    async def render(template: str, context: Mapping[str, Any]) -> bytes:
        token = language_var.set("zh")
        try:
            return await pdf.render(template, context)
        finally:
            language_var.reset(token)

    return render


async def _view(session: DbSession, platform: Platform, actor: Actor, evaluation_id: int) -> EvaluationOut:
    found = await service.room(session, platform, actor, evaluation_id)
    standing = await service.standing(session, found.evaluation, found.current)
    return evaluation_out(found, standing, await report.signed_members(session, found.evaluation))


class EvaluationController(Controller):
    path = "/api"
    tags = ["Evaluation"]

    @post("/tenders/{tender_id:int}/evaluations", guards=[OWNERS], status_code=201,
          summary="Start a lot's evaluation (the organisation running the tender, on the evaluation day)",
          description="With the committee the draw seated and the purchaser's representatives named here; the tender "
          "becomes `evaluating` and the experts' names are released from the audit embargo.")
    async def start(self, data: StartIn, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                    tender_id: TenderIdPath) -> EvaluationOut:
        evaluation = await service.start(session, platform, actor, tender_id, data.lot, data.representatives)
        return await _view(session, platform, actor, evaluation.id)  # type: ignore[arg-type]

    @get("/tenders/{tender_id:int}/evaluations", guards=[READERS],
         summary="A tender's evaluations: all for its organiser and supervisors, their own for members")
    async def of_tender(self, session: DbSession, actor: CurrentActor, tender_id: TenderIdPath) -> list[EvaluationSummaryOut]:
        return [EvaluationSummaryOut(**summary_out(e)) for e in await service.of_tender(session, actor, tender_id)]

    @get("/evaluations/{evaluation_id:int}", guards=[READERS],
         summary="An evaluation: the committee's progress, each bid's validity once checked (no prices, no scores)")
    async def one(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, evaluation_id: EvaluationId) -> EvaluationOut:
        return await _view(session, platform, actor, evaluation_id)

    @post("/evaluations/{evaluation_id:int}/sign-in", guards=[MEMBERS], status_code=200,
          summary="A member signs in (an expert after checking in without a conflict)")
    async def sign_in(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, evaluation_id: EvaluationId) -> EvaluationOut:
        await service.sign_in(session, platform, actor, evaluation_id)
        return await _view(session, platform, actor, evaluation_id)

    @get("/evaluations/{evaluation_id:int}/bids", guards=[READERS],
         summary="The opened bids: bidders, prices, the files with their digests (committee, organiser, supervisors)")
    async def bids(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, evaluation_id: EvaluationId) -> list[OpenedBidOut]:
        found = await service.room(session, platform, actor, evaluation_id)
        bids = await service.bids_of(session, found)
        names = await service.bidder_names(session, bids)
        return [opened_bid_out(b, names.get(b.organisation_id, "")) for b in bids]

    @get("/evaluations/{evaluation_id:int}/bids/{bid_id:int}/files/{number:int}", guards=[READERS], media_type="application/octet-stream",
         summary="One file of an opened bid, decrypted with the key released at the opening (committee, organiser, supervisors)")
    async def bid_file(self, platform: PlatformDep, actor: CurrentActor, evaluation_id: EvaluationId, bid_id: BidId,
                       number: FileNumber) -> Stream:
        name, data = await service.bid_file(platform, actor, evaluation_id, bid_id, number)
        return Stream(data, media_type="application/octet-stream",
                        headers={"Content-Disposition": content_disposition(name), "X-Content-Type-Options": "nosniff",
                                 "Cache-Control": "private, no-store"})

    @put("/evaluations/{evaluation_id:int}/checks/{bid_id:int}", guards=[MEMBERS], status_code=200,
         summary="A member's qualification and compliance check of a bid (a failure needs its reason)")
    async def check(self, data: CheckIn, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                    evaluation_id: EvaluationId, bid_id: BidId) -> CheckOut:
        return check_out(await service.record_check(session, platform, actor, evaluation_id, bid_id, data.passed, data.reason))

    @get("/evaluations/{evaluation_id:int}/checks", guards=[READERS],
         summary="Checks the caller may see: their own; everyone's once all submitted; supervisors each submitted one")
    async def checks(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, evaluation_id: EvaluationId) -> list[CheckOut]:
        found = await service.room(session, platform, actor, evaluation_id)
        return [check_out(c) for c in service.checks_visible(found, await service.standing(session, found.evaluation, found.current))]

    @put("/evaluations/{evaluation_id:int}/sheets/{bid_id:int}", guards=[MEMBERS], status_code=200,
         summary="A member's points for a bid on every criterion but the price (0 to the criterion's points, two places)")
    async def sheet(self, data: SheetIn, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                    evaluation_id: EvaluationId, bid_id: BidId) -> SheetOut:
        return sheet_out(await service.record_sheet(session, platform, actor, evaluation_id, bid_id, data.points))

    @get("/evaluations/{evaluation_id:int}/sheets", guards=[READERS],
         summary="Score sheets the caller may see: their own; everyone's once all submitted; supervisors each submitted one")
    async def sheets(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, evaluation_id: EvaluationId) -> list[SheetOut]:
        found = await service.room(session, platform, actor, evaluation_id)
        return [sheet_out(s) for s in service.sheets_visible(found, await service.standing(session, found.evaluation, found.current))]

    @post("/evaluations/{evaluation_id:int}/submission", guards=[MEMBERS], status_code=200,
          summary="A member hands in their checks and sheets (every bid checked, every valid bid scored)")
    async def submit(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, evaluation_id: EvaluationId) -> EvaluationOut:
        await service.submit(session, platform, actor, evaluation_id)
        return await _view(session, platform, actor, evaluation_id)

    @post("/evaluations/{evaluation_id:int}/submission/reopen", guards=[MEMBERS], status_code=200,
          summary="A member takes their submission back to revise it, until the report is drawn up")
    async def reopen(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, evaluation_id: EvaluationId) -> EvaluationOut:
        await service.reopen(session, platform, actor, evaluation_id)
        return await _view(session, platform, actor, evaluation_id)

    @post("/evaluations/{evaluation_id:int}/extension-requests", guards=[MEMBERS], status_code=200,
          summary="A member asks for more time; granted once when more than a third of the members asked")
    async def extension(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, evaluation_id: EvaluationId) -> EvaluationOut:
        await service.ask_extension(session, platform, actor, evaluation_id)
        return await _view(session, platform, actor, evaluation_id)

    @get("/evaluations/{evaluation_id:int}/result", guards=[READERS],
         summary="The computed result once every member submitted: ranking, rejected bids, disagreements")
    async def result(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, evaluation_id: EvaluationId) -> ResultOut:
        found = await service.room(session, platform, actor, evaluation_id)
        if found.evaluation.result is None:
            raise Conflict(N_("the result is computed once every member has submitted"))
        return ResultOut(evaluation_id=evaluation_id, result_sha256=found.evaluation.result_digest, result=json.loads(found.evaluation.result))

    @post("/evaluations/{evaluation_id:int}/report", guards=[MEMBERS], status_code=201,
          summary="Draw up the report (评标报告) once every member submitted: canonical content, SHA-256 and PDF")
    async def draw_up(self, state: State, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                      evaluation_id: EvaluationId) -> ReportOut:
        await report.draw_up(session, platform, actor, evaluation_id, report_renderer(state))
        return ReportOut(**await report.view(session, platform, actor, evaluation_id))

    @get("/evaluations/{evaluation_id:int}/report", guards=[READERS],
         summary="The report as drawn up, its SHA-256 and the signatures on it")
    async def report(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, evaluation_id: EvaluationId) -> ReportOut:
        return ReportOut(**await report.view(session, platform, actor, evaluation_id))

    @get("/evaluations/{evaluation_id:int}/report/pdf", guards=[READERS], media_type="application/pdf",
         summary="The report's PDF as stored (with the signatures once every member signed)")
    async def report_pdf(self, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                         evaluation_id: EvaluationId) -> Response[bytes]:
        evaluation, key = await report.pdf(session, platform, actor, evaluation_id)
        return Response(await read_bytes(platform.store, key), media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="evaluation-{evaluation.id}.pdf"', "ETag": f'"{evaluation.report_sha256}"',
                                 "Cache-Control": "private, no-cache"})

    @post("/evaluations/{evaluation_id:int}/signatures", guards=[MEMBERS], status_code=201,
          summary="A member signs the report with their registered Ed25519 key (and records a dissent)",
          description="The signature covers b'procurement-evaluation-report/v1\\n' + report_sha256 + b'\\n' + dissent. The last "
          "member's signature completes the evaluation: the ranked candidates go to the award, or the lot fails.")
    async def sign(self, data: SignatureIn, state: State, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                   evaluation_id: EvaluationId) -> ReportOut:
        await report.sign(session, platform, actor, evaluation_id, data.key_id, data.signature, data.dissent, report_renderer(state))
        return ReportOut(**await report.view(session, platform, actor, evaluation_id))
