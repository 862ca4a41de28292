"""Evaluation pages: the committee's room, the report to sign, and the organiser's progress page.

- ``/evaluations/{id}``: a member signs in, reads the opened bids, checks and scores each bid
  (the scoring form validates as it is typed, ``js/evaluation/scoring.js``; the server checks
  again), submits, reopens, asks for more time, and once everyone submitted sees the result with
  its disagreements and draws up the report. The organiser and supervisors read the same page
  without the forms, as the service lets each see.
- ``/evaluations/{id}/report``: the report as drawn up, its digest and signatures; a member signs
  it in the browser with their key file (``js/evaluation/signing.js``: the private key never
  leaves the page; the signature goes to ``POST /api/evaluations/{id}/signatures``).
- ``/tenders/{id}/evaluation``: each lot's draw and evaluation; the organiser starts a lot's
  evaluation here and follows who signed in, submitted and signed, with the report's PDF and
  the award page. A member finds their room from here too.

Every form goes through the same service functions as the API; a refusal comes back as the
page with the message at its field, the transaction rolled back.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.evaluation import report, service
from bidding.evaluation.controllers import (
    MEMBERS,
    OWNERS,
    READERS,
    BidId,
    EvaluationId,
    report_renderer,
)
from bidding.evaluation.models import EvaluationStatus
from bidding.evaluation.schemas import SheetIn, evaluation_out, opened_bid_out
from procurement.actor import Actor
from procurement.clock import as_utc
from procurement.errors import N_, DomainError, InvalidInput
from procurement.platform import Platform
from procurement.tenders import service as tenders
from procurement.tenders.controllers import TenderIdPath
from procurement.tenders.manage_pages import FORM_AGAIN, errors_of
from procurement.tenders.notice_pages import FIELD_LABELS
from procurement.tenders.pages import label
from procurement.web.deps import CurrentActor, DbSession, PlatformDep
from procurement.web.pages import form_text, page

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Done = Annotated[str, QueryParameter(max_length=20, description="which step just succeeded, for the page's message")]

STATUS_LABELS = {
    EvaluationStatus.in_progress: N_("Checking and scoring"), EvaluationStatus.reporting: N_("Report awaiting signatures"),
    EvaluationStatus.signed: N_("Report signed"), EvaluationStatus.failed: N_("Report signed: the lot failed"),
}
DONE = {
    "signed_in": N_("You are signed in. The bids are below."),
    "checked": N_("Your check is saved."),
    "scored": N_("Your scores are saved."),
    "submitted": N_("Your checks and scores are submitted."),
    "reopened": N_("Your submission is reopened: revise it and submit again."),
    "extension": N_("Your request for more time is recorded."),
    "reported": N_("The report is drawn up. Each member now signs it."),
    "signed": N_("Your signature is recorded."),
    "started": N_("The evaluation has started. The committee can sign in."),
}


def money(amount: Decimal | str | None) -> str:
    """Yuan with thousands separators, or a dash when there is none."""
    return "—" if amount is None else f"{Decimal(amount):,.2f}"


def two_places(value: Decimal | str | None) -> str:
    """Points as the report states them: two decimal places."""
    return "—" if value is None else f"{Decimal(value):.2f}"


def _names_of(names: dict[int, str]) -> Callable[[list[int]], str]:
    """Member ids as their names, for the disagreements."""
    return lambda ids: ", ".join(names.get(i, str(i)) for i in ids)


def _form_status(exc: DomainError | ValidationError) -> int:
    """A form refused for what was typed answers 400, as every form of the site does; otherwise the refusal's own status."""
    return 400 if isinstance(exc, ValidationError) or exc.status == 422 else exc.status


def _at_bid(errors: list[tuple[str, str]], bid_id: int) -> list[tuple[str, str]]:
    """The service's field names (``reason``, ``points.technical``) as the ids of that bid's form fields."""
    return [(f"bid-{bid_id}-{field.replace('.', '-')}" if field else "", message) for field, message in errors]


# --- The room and the report -------------------------------------------------------------------------------


async def _room_context(session: AsyncSession, platform: Platform, actor: Actor, evaluation_id: int) -> dict[str, Any]:
    found = await service.room(session, platform, actor, evaluation_id)
    evaluation = found.evaluation
    standing = await service.standing(session, evaluation, found.current)
    view = evaluation_out(found, standing, await report.signed_members(session, evaluation))
    me = found.me.id if found.me else None
    # A member reads the bids once signed in; the organiser and supervisors from the start.
    reads_bids = found.viewer != service.MEMBER or (found.me is not None and found.me.signed_in_at is not None)
    names = await service.bidder_names(session, standing.bids)
    scheme = service.scheme_of(evaluation)
    sheets = {s.bid_id: json.loads(s.points) for s in service.sheets_visible(found, standing) if s.member_id == me}
    return {
        "tender": found.tender, "evaluation": evaluation, "view": view, "me": found.me,
        "bids": [opened_bid_out(b, names.get(b.organisation_id, "")) for b in standing.bids] if reads_bids else [],
        "states": {b.bid_id: b for b in view.bids},
        "bidders": {b.id: names.get(b.organisation_id, "") for b in standing.bids},
        "names_of": _names_of({m.id: m.name for m in view.members}),
        "criterion_names": {c.code: c.name for c in scheme.scored_criteria},
        "my_checks": {c.bid_id: c for c in service.checks_visible(found, standing) if c.member_id == me},
        "my_sheets": sheets,
        "criteria": scheme.criteria, "scored": scheme.scored_criteria,
        "scored_total": sum((c.points for c in scheme.scored_criteria), Decimal(0)),
        "my_totals": {bid: sum((Decimal(v) for v in points.values()), Decimal(0)) for bid, points in sheets.items()},
        "result": json.loads(evaluation.result) if evaluation.result and standing.all_submitted else None,
        "working": evaluation.status == EvaluationStatus.in_progress and platform.clock.now() < as_utc(evaluation.ends_at),
        "money": money, "two_places": two_places, "status_labels": STATUS_LABELS, "opening_field": lambda name: label(FIELD_LABELS, name),
    }


async def _room(request: Request, session: AsyncSession, platform: Platform, actor: Actor, evaluation_id: int, *,
                errors: list[tuple[str, str]] | None = None, values: dict[str, str] | None = None, done: str = "",
                status_code: int = 200) -> Template:
    context = await _room_context(session, platform, actor, evaluation_id)
    return page(request, "evaluation/room.html", status_code=status_code, errors=errors or [], values=values or {},
                done=DONE.get(done, ""), **context)


Step = Callable[[], Awaitable[Any]]


async def _step(request: Request, session: AsyncSession, platform: Platform, actor: Actor, evaluation_id: int, action: Step,
                done: str, *, anchor: str = "", bid_id: int | None = None, values: dict[str, str] | None = None) -> Any:
    """Run one of the room's forms: on success back to the room with its message, on refusal the room with the errors."""
    try:
        await action()
    except (DomainError, ValidationError) as exc:
        await session.rollback()
        errors = errors_of(exc)
        return await _room(request, session, platform, actor, evaluation_id, status_code=_form_status(exc), values=values,
                           errors=_at_bid(errors, bid_id) if bid_id is not None else errors)
    return Redirect(f"/evaluations/{evaluation_id}?done={done}{anchor}", status_code=303)


class EvaluationPages(Controller):
    tags = ["Pages"]

    @get("/evaluations/{evaluation_id:int}", guards=[READERS],
         summary="The evaluation room: bids, checks, scoring, submission, the result (members; the organiser and supervisors read it)")
    async def show(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                   evaluation_id: EvaluationId, done: Done = "") -> Template:
        return await _room(request, session, platform, actor, evaluation_id, done=done)

    @post("/evaluations/{evaluation_id:int}/sign-in", guards=[MEMBERS], status_code=303, responses=FORM_AGAIN,
          summary="A member signs in to the evaluation, from the room")
    async def sign_in(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                      evaluation_id: EvaluationId) -> Any:
        return await _step(request, session, platform, actor, evaluation_id,
                           lambda: service.sign_in(session, platform, actor, evaluation_id), "signed_in", anchor="#bids")

    @post("/evaluations/{evaluation_id:int}/checks/{bid_id:int}", guards=[MEMBERS], status_code=303, responses=FORM_AGAIN,
          summary="A member's compliance check of a bid (pass, or fail with the reason), from the room")
    async def check(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                    evaluation_id: EvaluationId, bid_id: BidId) -> Any:
        verdict, reason = form_text(data, "passed"), form_text(data, "reason")[:500]
        values = {f"bid-{bid_id}-passed": verdict, f"bid-{bid_id}-reason": reason}

        async def action() -> None:
            if verdict not in ("yes", "no"):
                raise InvalidInput.for_field("passed", N_("Choose whether the bid passes."))
            await service.record_check(session, platform, actor, evaluation_id, bid_id, verdict == "yes", reason)

        return await _step(request, session, platform, actor, evaluation_id, action, "checked", anchor=f"#bid-{bid_id}",
                           bid_id=bid_id, values=values)

    @post("/evaluations/{evaluation_id:int}/sheets/{bid_id:int}", guards=[MEMBERS], status_code=303, responses=FORM_AGAIN,
          summary="A member's points for a bid on every criterion but the price, from the room")
    async def sheet(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                    evaluation_id: EvaluationId, bid_id: BidId) -> Any:
        typed = {name.removeprefix("points-"): form_text(data, name)[:20] for name in data if name.startswith("points-")}
        values = {f"bid-{bid_id}-points-{code}": text for code, text in typed.items()}

        async def action() -> None:
            points = SheetIn(points=typed).points  # type: ignore[arg-type]  # pydantic reads the typed text as decimals
            await service.record_sheet(session, platform, actor, evaluation_id, bid_id, points)

        return await _step(request, session, platform, actor, evaluation_id, action, "scored", anchor=f"#bid-{bid_id}",
                           bid_id=bid_id, values=values)

    @post("/evaluations/{evaluation_id:int}/submission", guards=[MEMBERS], status_code=303, responses=FORM_AGAIN,
          summary="A member submits their checks and scores, from the room (after confirming)")
    async def submit(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                     evaluation_id: EvaluationId) -> Any:
        async def action() -> None:
            if form_text(data, "confirm") != "yes":
                raise InvalidInput.for_field("confirm", N_("Confirm that your checks and scores are final."))
            await service.submit(session, platform, actor, evaluation_id)

        return await _step(request, session, platform, actor, evaluation_id, action, "submitted", anchor="#submission")

    @post("/evaluations/{evaluation_id:int}/submission/reopen", guards=[MEMBERS], status_code=303, responses=FORM_AGAIN,
          summary="A member takes their submission back to revise it, from the room")
    async def reopen(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                     evaluation_id: EvaluationId) -> Any:
        return await _step(request, session, platform, actor, evaluation_id,
                           lambda: service.reopen(session, platform, actor, evaluation_id), "reopened", anchor="#bids")

    @post("/evaluations/{evaluation_id:int}/extension-requests", guards=[MEMBERS], status_code=303, responses=FORM_AGAIN,
          summary="A member asks for more time, from the room")
    async def extension(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                        evaluation_id: EvaluationId) -> Any:
        return await _step(request, session, platform, actor, evaluation_id,
                           lambda: service.ask_extension(session, platform, actor, evaluation_id), "extension", anchor="#time")

    @post("/evaluations/{evaluation_id:int}/report", guards=[MEMBERS], status_code=303, responses=FORM_AGAIN,
          summary="A member draws up the report once every member submitted, from the room")
    async def draw_up(self, request: Request, state: State, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                      evaluation_id: EvaluationId) -> Any:
        answer = await _step(request, session, platform, actor, evaluation_id,
                             lambda: report.draw_up(session, platform, actor, evaluation_id, report_renderer(state)), "reported")
        return Redirect(f"/evaluations/{evaluation_id}/report?done=reported", status_code=303) if isinstance(answer, Redirect) else answer

    @get("/evaluations/{evaluation_id:int}/report", guards=[READERS],
         summary="The evaluation report as drawn up: result, scores, signatures; members sign it here with their key file")
    async def report_page(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                          evaluation_id: EvaluationId, done: Done = "") -> Template:
        found = await service.room(session, platform, actor, evaluation_id)
        drawn_up = await report.view(session, platform, actor, evaluation_id)
        content = drawn_up["content"]
        signed = {s["member_id"] for s in drawn_up["signatures"]}
        pdf = report.pdf_context(content, drawn_up["report_sha256"], drawn_up["signatures"])
        return page(request, "evaluation/report.html", tender=found.tender, evaluation=found.evaluation, report=drawn_up, pdf=pdf,
                    me=found.me, result=content["result"], bidders=pdf["bidders"], names_of=_names_of(pdf["members"]),
                    criterion_names={c["code"]: c["name"] for c in content["scheme"]["criteria"] if c["kind"] != "price"},
                    may_sign=found.me is not None and found.me.id not in signed and found.evaluation.status == EvaluationStatus.reporting,
                    money=money, two_places=two_places, status_labels=STATUS_LABELS, done=DONE.get(done, ""))


# --- The organiser's progress page -------------------------------------------------------------------------------


async def _progress(request: Request, session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, *,
                    errors: list[tuple[str, str]] | None = None, done: str = "", status_code: int = 200) -> Template:
    tender, plans = await service.plans(session, actor, tender_id)
    lots = []
    for plan in plans:
        view = None
        if plan.evaluation is not None:
            found = await service.room(session, platform, actor, plan.evaluation.id)  # type: ignore[arg-type]
            standing = await service.standing(session, found.evaluation, found.current)
            view = evaluation_out(found, standing, await report.signed_members(session, found.evaluation))
        lots.append((plan, view))
    choices = await service.purchaser_users(session, tender) if any(p.representatives for p in plans) else {}
    return page(request, "evaluation/progress.html", status_code=status_code, tender=tender, lots=lots, choices=choices,
                runs=tenders.can_change(actor, tender), errors=errors or [], done=DONE.get(done, ""), status_labels=STATUS_LABELS)


class EvaluationProgressPages(Controller):
    tags = ["Pages"]

    @get("/tenders/{tender_id:int}/evaluation", guards=[READERS],
         summary="A tender's evaluations: start a lot's, follow the committee, the report (organiser, supervisors; a member their own)")
    async def show(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                   tender_id: TenderIdPath, done: Done = "") -> Template:
        return await _progress(request, session, platform, actor, tender_id, done=done)

    @post("/tenders/{tender_id:int}/evaluation/start", guards=[OWNERS], status_code=303, responses=FORM_AGAIN,
          summary="The organiser starts a lot's evaluation with the purchaser's representatives, from the progress page")
    async def start(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                    tender_id: TenderIdPath) -> Any:
        lot = form_text(data, "lot")
        chosen = data.get("representatives", [])
        try:
            if not lot.isdigit() or not 1 <= int(lot) <= 10_000:
                raise InvalidInput.for_field("lot", N_("Choose a lot."))
            representatives = [int(v) for v in (chosen if isinstance(chosen, list) else [chosen]) if str(v).isdigit()]
            await service.start(session, platform, actor, tender_id, int(lot), representatives)
        except DomainError as exc:
            await session.rollback()
            field = f"lot-{lot}-representatives" if lot.isdigit() else ""
            errors = [(field if name == "representatives" else "", message) for name, message in errors_of(exc)]
            return await _progress(request, session, platform, actor, tender_id, errors=errors, status_code=_form_status(exc))
        return Redirect(f"/tenders/{tender_id}/evaluation?done=started#lot-{lot}", status_code=303)
