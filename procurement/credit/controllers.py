"""Credit API: the blacklist's workflow, the public list and CSV, and the stored checks."""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import PathParameter, QueryParameter

from procurement.credit import csv_io, schemas, workflow
from procurement.credit.models import BlacklistEntry, CreditCheck, EntryStatus
from procurement.errors import InvalidInput
from procurement.identity.models import Role
from procurement.web.deps import (
    MAX_ID,
    CurrentActor,
    DbSession,
    OptionalActor,
    PlatformDep,
)
from procurement.web.guards import requires_roles

EntryId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the entry's id")]
OPERATORS = requires_roles(Role.operator)
SUPERVISORS = requires_roles(Role.supervisor)
PURPOSES = ("registration", "documents", "bid_submission", "opening", "award", "mall_listing", "mall_order")


def public_out(entry: BlacklistEntry) -> schemas.EntryPublic:
    return schemas.EntryPublic(**entry.model_dump(include=set(schemas.EntryPublic.model_fields)))


def entry_out(entry: BlacklistEntry) -> schemas.EntryOut:
    return schemas.EntryOut(**entry.model_dump(include=set(schemas.EntryOut.model_fields)))


def check_out(check: CreditCheck) -> schemas.CheckOut:
    return schemas.CheckOut(**check.model_dump(exclude={"seen"}), seen=json.loads(check.seen))


def encode_cursor(entry_id: int) -> str:
    return base64.urlsafe_b64encode(f"e{entry_id}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not text.startswith("e"):
            raise ValueError(text)
        value = int(text[1:])
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput.for_field("query.cursor", "is not a cursor this list gave out") from exc
    if not 1 <= value <= MAX_ID:
        raise InvalidInput.for_field("query.cursor", "is not a cursor this list gave out")
    return value


def search_from(
    name: str, uscc: str, authority: str, date_from: date | None, date_until: date | None, status: str | None, cursor: str | None, limit: int
) -> workflow.Search:
    if date_from and date_until and date_until < date_from:
        raise InvalidInput.for_field("query.date_until", "must not be before date_from")
    return workflow.Search(
        name=name.strip(), uscc=uscc.strip(), authority=authority.strip(), date_from=date_from, date_until=date_until, status=status,
        before_id=decode_cursor(cursor) if cursor else None, limit=limit,
    )


class CreditEntryController(Controller):
    path = "/api/credit"
    tags = ["Credit"]  # noqa: RUF012 - Litestar reads it as declared

    @post("/entries", summary="Propose a blacklist entry (operators); a supervisor puts it in force", guards=[OPERATORS], status_code=201)
    async def propose(self, data: schemas.EntryIn, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> schemas.EntryOut:
        return entry_out(await workflow.propose(session, platform, actor, data))

    @post(
        "/entries/{entry_id:int}/decision-document", summary="Attach the decision document (处罚决定书), streamed with its SHA-256",
        description="The file itself as the request body with its `Content-Type`; while the entry is proposed; at most 50 MiB. "
        "A second upload replaces the first (both are in the audit log).",
        guards=[OPERATORS], status_code=200, request_max_body_size=None,
    )
    async def decision_document(self, request: Request, platform: PlatformDep, actor: CurrentActor, entry_id: EntryId) -> schemas.EntryOut:
        length = request.headers.get("content-length")
        content_type = (request.headers.get("content-type") or "application/octet-stream")[:100]
        entry = await workflow.attach_decision(
            platform, actor, entry_id, request.stream(), content_type=content_type, content_length=int(length) if length and length.isdigit() else None,
        )
        return entry_out(entry)

    @post("/entries/{entry_id:int}/approve", summary="Put a proposal in force (a supervisor who did not propose it)", guards=[SUPERVISORS], status_code=200)
    async def approve(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, entry_id: EntryId) -> schemas.EntryOut:
        return entry_out(await workflow.approve(session, platform, actor, entry_id))

    @post("/entries/{entry_id:int}/reject", summary="Reject a proposal, with the reason", guards=[SUPERVISORS], status_code=200)
    async def reject(
        self, data: schemas.ReasonIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, entry_id: EntryId
    ) -> schemas.EntryOut:
        return entry_out(await workflow.reject(session, platform, actor, entry_id, data.reason))

    @post("/entries/{entry_id:int}/lift", summary="Lift an entry in force before its end (supervisors), with the reason", guards=[SUPERVISORS], status_code=200)
    async def lift(
        self, data: schemas.ReasonIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, entry_id: EntryId
    ) -> schemas.EntryOut:
        return entry_out(await workflow.lift(session, platform, actor, entry_id, data.reason))

    @get(
        "/entries", summary="The public blacklist: search by name, code, authority and date",
        description="Entries in force, and as history the expired and lifted ones (their `status` says so); proposals are never "
        "public. `date_from`/`date_until` find entries whose period overlaps that range. Newest first; `next_cursor` pages on.",
    )
    async def find(
        self,
        session: DbSession,
        name: Annotated[str, QueryParameter(max_length=100)] = "",
        uscc: Annotated[str, QueryParameter(max_length=18)] = "",
        authority: Annotated[str, QueryParameter(max_length=100)] = "",
        date_from: date | None = None,
        date_until: date | None = None,
        status: EntryStatus | None = None,
        cursor: Annotated[str | None, QueryParameter(max_length=40)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> schemas.EntryPage:
        found = await workflow.search(session, search_from(name, uscc, authority, date_from, date_until, status, cursor, limit))
        return schemas.EntryPage(
            items=[public_out(e) for e in found], next_cursor=encode_cursor(found[-1].id) if len(found) == limit else None,  # type: ignore[arg-type]
        )

    @get("/entries/{entry_id:int}", summary="One entry: published ones to anyone; every field and any status to operators and supervisors")
    async def one(self, session: DbSession, optional_actor: OptionalActor, entry_id: EntryId) -> schemas.EntryPublic | schemas.EntryOut:
        entry = await workflow.entry_for(session, optional_actor, entry_id)
        if optional_actor is not None and optional_actor.has(Role.operator, Role.supervisor):
            return entry_out(entry)
        return public_out(entry)

    @get("/proposals", summary="Proposals waiting for a supervisor", guards=[requires_roles(Role.operator, Role.supervisor)])
    async def proposals(self, session: DbSession) -> list[schemas.EntryOut]:
        return [entry_out(e) for e in await workflow.queue(session)]

    @get("/entries.csv", summary="The public blacklist as CSV (the published fields; same filters as the list, up to 5,000 rows)")
    async def export(
        self,
        session: DbSession,
        name: Annotated[str, QueryParameter(max_length=100)] = "",
        uscc: Annotated[str, QueryParameter(max_length=18)] = "",
        authority: Annotated[str, QueryParameter(max_length=100)] = "",
        date_from: date | None = None,
        date_until: date | None = None,
        status: EntryStatus | None = None,
    ) -> Response[str]:
        found = await workflow.search(session, search_from(name, uscc, authority, date_from, date_until, status, None, csv_io.MAX_ROWS))
        return Response(
            csv_io.export(found), media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": "attachment; filename=\"credit-blacklist.csv\""},
        )

    @post(
        "/imports", summary="Import proposals from CSV (operators): all rows or none, with a report per row",
        description="UTF-8 CSV as the body with the header " + ",".join(csv_io.IMPORT_COLUMNS) + ". Each row becomes a proposal, "
        "never an entry in force. If any row is bad nothing is imported and the 422 names each bad row and field (`row[N].field`).",
        guards=[OPERATORS], status_code=201,
    )
    async def import_csv(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> schemas.ImportReport:
        return await csv_io.import_proposals(session, platform, actor, await request.body())

    @get("/checks", summary="The stored credit checks: what each saw, and the decision (supervisors)", guards=[SUPERVISORS])
    async def checks(
        self,
        session: DbSession,
        actor: CurrentActor,
        organisation_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        uscc: Annotated[str | None, QueryParameter(max_length=18)] = None,
        purpose: Annotated[str | None, QueryParameter(max_length=32, description=", ".join(PURPOSES))] = None,
    ) -> list[schemas.CheckOut]:
        return [check_out(c) for c in await workflow.checks(session, actor, organisation_id=organisation_id, uscc=uscc, purpose=purpose)]
