"""Credit pages: the public blacklist and its entries; the operators' proposals; the supervisors' review."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.enums import MediaType, RequestEncodingType
from litestar.openapi import ResponseSpec
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template
from pydantic import ValidationError

from procurement.credit import csv_io, workflow
from procurement.credit.controllers import EntryId, decode_cursor, encode_cursor
from procurement.credit.models import EntryStatus
from procurement.credit.schemas import EntryIn
from procurement.errors import N_, DomainError
from procurement.i18n import gettext
from procurement.identity.models import Role
from procurement.web.deps import CurrentActor, DbSession, OptionalActor, PlatformDep
from procurement.web.guards import requires_roles
from procurement.web.pages import form_errors, page

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
FORM_AGAIN = {400: ResponseSpec(data_container=str, media_type=MediaType.HTML, description="The page again, saying what to correct")}
ENTRY_FIELDS = ("uscc", "organisation_name", "address", "conduct", "penalty", "legal_basis", "authority", "starts_on", "ends_on")
STATUS_LABELS = {
    EntryStatus.proposed: N_("Proposed"), EntryStatus.in_force: N_("In force"), EntryStatus.expired: N_("Expired"),
    EntryStatus.lifted: N_("Lifted early"), EntryStatus.rejected: N_("Rejected"),
}
PAGE_SIZE = 20


def _date(value: str, name: str, errors: list[tuple[str, str]]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append((name, gettext("is not a date such as 2026-01-31")))
        return None


async def _file_chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(1024 * 1024):
        yield chunk


class CreditPages(Controller):
    tags = ["Pages"]  # noqa: RUF012 - Litestar reads it as declared

    @get("/credit", summary="The public blacklist (失信名单) with search")
    async def listing(
        self,
        request: Request,
        session: DbSession,
        name: Annotated[str, QueryParameter(max_length=100)] = "",
        uscc: Annotated[str, QueryParameter(max_length=18)] = "",
        authority: Annotated[str, QueryParameter(max_length=100)] = "",
        date_from: Annotated[str, QueryParameter(max_length=10)] = "",
        date_until: Annotated[str, QueryParameter(max_length=10)] = "",
        status: Annotated[str, QueryParameter(max_length=16)] = "",
        cursor: Annotated[str, QueryParameter(max_length=40)] = "",
    ) -> Template:
        errors: list[tuple[str, str]] = []
        values = {"name": name, "uscc": uscc, "authority": authority, "date_from": date_from, "date_until": date_until, "status": status}
        start, end = _date(date_from, "date_from", errors), _date(date_until, "date_until", errors)
        entries = []
        if not errors:
            try:
                query = workflow.Search(
                    name=name.strip(), uscc=uscc.strip(), authority=authority.strip(), date_from=start, date_until=end,
                    status=status or None, before_id=decode_cursor(cursor) if cursor else None, limit=PAGE_SIZE,
                )
                entries = await workflow.search(session, query)
            except DomainError as exc:
                errors = form_errors(exc)
        next_query = ""
        if len(entries) == PAGE_SIZE:
            next_query = "&".join(f"{k}={v}" for k, v in values.items() if v) + f"&cursor={encode_cursor(entries[-1].id)}"  # type: ignore[arg-type]
        export_query = "&".join(f"{k}={v}" for k, v in values.items() if v)
        return page(
            request, "credit/list.html", entries=entries, values=values, errors=errors, status_labels=STATUS_LABELS,
            next_query=next_query, export_query=export_query,
        )

    @get("/credit/{entry_id:int}", summary="One blacklist entry (published ones to anyone; all to the trading centre and supervisors)")
    async def one(self, request: Request, session: DbSession, optional_actor: OptionalActor, entry_id: EntryId, done: str = "") -> Template:
        entry = await workflow.entry_for(session, optional_actor, entry_id)
        return page(request, "credit/entry.html", entry=entry, status_labels=STATUS_LABELS, done=done, errors=[])


class CreditProposalPages(Controller):
    tags = ["Pages"]  # noqa: RUF012
    guards = [requires_roles(Role.operator)]  # noqa: RUF012

    @get("/credit/proposals", summary="Propose blacklist entries, one by one or from CSV (operators)")
    async def form(self, request: Request, session: DbSession, done: Annotated[str, QueryParameter(max_length=20)] = "") -> Template:
        # Another page may link here with the form filled in (the award page, for a winner that
        # refused to sign); nothing is proposed until the operator submits it.
        values = {n: request.query_params[n][:5000] for n in ENTRY_FIELDS if request.query_params.get(n)}
        return await _proposals_page(request, session, done=done, values=values)

    @post("/credit/proposals", summary="Propose an entry with its decision document, from the page", status_code=303, responses=FORM_AGAIN)
    async def propose(self, request: Request, data: Multipart, platform: PlatformDep, actor: CurrentActor) -> Any:
        values = {n: str(data.get(n, "")).strip() for n in ENTRY_FIELDS}
        permanent = str(data.get("permanent", "")) == "1"
        upload = data.get("decision")
        errors: list[tuple[str, str]] = []
        if not isinstance(upload, UploadFile) or not upload.filename:
            errors.append(("decision", gettext("attach the decision document (处罚决定书)")))
        try:
            proposal = EntryIn(**{k: v for k, v in values.items() if v or k in ("address",)}, permanent=permanent)  # type: ignore[arg-type]
        except ValidationError as exc:
            errors += form_errors(exc)
            proposal = None
        if proposal is not None:
            errors += [(e.field.split(".")[-1], e.shown(gettext)) for e in workflow.field_errors(proposal)]
        if errors or proposal is None:
            return await _proposals_page_fresh(request, platform, values=values, permanent=permanent, errors=errors)
        # Own transactions, not the request's: the document streams between the two writes.
        async with platform.db.transaction() as session:
            entry = await workflow.propose(session, platform, actor, proposal, via="page")
        try:
            await workflow.attach_decision(
                platform, actor, entry.id, _file_chunks(upload), content_type=(upload.content_type or "application/octet-stream")[:100],  # type: ignore[arg-type, union-attr]
                content_length=None,
            )
        except DomainError as exc:
            return await _proposals_page_fresh(request, platform, values=values, permanent=permanent, errors=form_errors(exc))
        return Redirect(f"/credit/proposals?done=proposed#entry-{entry.id}", status_code=303)

    @post("/credit/imports", summary="Import proposals from a CSV file, from the page (all rows or none)", status_code=200, responses=FORM_AGAIN)
    async def import_csv(self, request: Request, data: Multipart, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> Template:
        upload = data.get("file")
        raw = await upload.read() if isinstance(upload, UploadFile) else b""
        try:
            report = await csv_io.import_proposals(session, platform, actor, raw)
        except csv_io.ImportRefused as exc:
            await session.rollback()
            file_errors = [(e.field, e.shown(gettext)) for e in exc.errors if not e.field.startswith("row[")]
            return await _proposals_page(request, session, report=exc.report, import_errors=file_errors, status_code=400)
        return await _proposals_page(request, session, report=report)


async def _proposals_page_fresh(request: Request, platform: Any, **context: Any) -> Template:
    async with platform.db.transaction(write=False) as session:
        return await _proposals_page(request, session, status_code=400, **context)


async def _proposals_page(request: Request, session: Any, *, status_code: int = 200, **context: Any) -> Template:
    context.setdefault("values", {})
    context.setdefault("errors", [])
    context.setdefault("permanent", False)
    return page(
        request, "credit/proposals.html", status_code=status_code, proposals=await workflow.queue(session),
        status_labels=STATUS_LABELS, columns=csv_io.IMPORT_COLUMNS, **context,
    )


class CreditReviewPages(Controller):
    tags = ["Pages"]  # noqa: RUF012
    guards = [requires_roles(Role.supervisor)]  # noqa: RUF012

    @get("/credit/review", summary="Approve, reject or lift blacklist entries (supervisors)")
    async def queue(self, request: Request, session: DbSession, done: Annotated[str, QueryParameter(max_length=20)] = "") -> Template:
        return await _review_page(request, session, done=done)

    @post("/credit/{entry_id:int}/approve", summary="Put a proposal in force, from the page", status_code=303, responses=FORM_AGAIN)
    async def approve(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor, entry_id: EntryId) -> Any:
        try:
            await workflow.approve(session, platform, actor, entry_id)
        except DomainError as exc:
            await session.rollback()
            return await _review_page(request, session, errors=form_errors(exc), failed=entry_id, status_code=exc.status)
        return Redirect(f"/credit/review?done=approved#entry-{entry_id}", status_code=303)

    @post("/credit/{entry_id:int}/reject", summary="Reject a proposal with a reason, from the page", status_code=303, responses=FORM_AGAIN)
    async def reject(
        self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor, entry_id: EntryId
    ) -> Any:
        try:
            await workflow.reject(session, platform, actor, entry_id, str(data.get("reason", "")))
        except DomainError as exc:
            await session.rollback()
            return await _review_page(request, session, errors=form_errors(exc), failed=entry_id, status_code=exc.status)
        return Redirect("/credit/review?done=rejected", status_code=303)

    @post("/credit/{entry_id:int}/lift", summary="Lift an entry in force with a reason, from the page", status_code=303, responses=FORM_AGAIN)
    async def lift(
        self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor, entry_id: EntryId
    ) -> Any:
        try:
            await workflow.lift(session, platform, actor, entry_id, str(data.get("reason", "")))
        except DomainError as exc:
            await session.rollback()
            return await _review_page(request, session, errors=form_errors(exc), failed=entry_id, status_code=exc.status)
        return Redirect(f"/credit/{entry_id}?done=lifted", status_code=303)


async def _review_page(request: Request, session: Any, *, status_code: int = 200, **context: Any) -> Template:
    context.setdefault("errors", [])
    return page(
        request, "credit/review.html", status_code=status_code, proposals=await workflow.queue(session),
        in_force=await workflow.in_force(session), status_labels=STATUS_LABELS, **context,
    )
