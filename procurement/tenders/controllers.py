"""Tender API: drafts, entry review, publication."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from litestar import Controller, Response, delete, get, post, put
from litestar.params import HeaderParameter, PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.clock import as_utc
from procurement.errors import InvalidInput
from procurement.identity.models import Role
from procurement.tenders import holidays, rules, schemas, search, service
from procurement.tenders.models import Amendment, EntryReview, Tender, TenderStatus
from procurement.tenders.money import to_fen, to_yuan
from procurement.web.deps import (
    MAX_ID,
    CurrentActor,
    DbSession,
    OptionalActor,
    PlatformDep,
)
from procurement.web.guards import requires_login, requires_roles

# Columns the API does not show: money is shown in yuan, the rest is internal bookkeeping.
INTERNAL_FIELDS = {"budget_fen", "idempotency_key", "owner_organisation_id", "next_check", "created_at", "updated_at", "submitted_at"}
YUAN_PATTERN = r"^[0-9]{1,11}(\.[0-9]{1,2})?$"
TenderIdPath = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the tender's id")]


async def tender_out(session: AsyncSession, tender: Tender) -> schemas.TenderOut:
    return (await tenders_out(session, [tender]))[0]


async def tenders_out(session: AsyncSession, tenders: list[Tender]) -> list[schemas.TenderOut]:
    lots = await service.lots_for(session, [t.id for t in tenders])  # type: ignore[misc]
    names = await service.organisation_names(
        session, {t.purchaser_organisation_id for t in tenders} | {t.agency_organisation_id for t in tenders if t.agency_organisation_id}
    )
    return [
        schemas.TenderOut(
            **tender.model_dump(exclude=INTERNAL_FIELDS),
            purchaser_name=names.get(tender.purchaser_organisation_id, ""),
            agency_name=names.get(tender.agency_organisation_id) if tender.agency_organisation_id else None,
            budget=to_yuan(tender.budget_fen),
            lots=[
                schemas.LotOut(
                    number=lot.number, title=lot.title, budget=to_yuan(lot.budget_fen), bid_security=to_yuan(lot.bid_security_fen),
                    evaluation_method=lot.evaluation_method, evaluation_scheme=schemas.SchemeOut.of(service.scheme_of(lot)),
                )
                for lot in lots[tender.id]  # type: ignore[index]
            ],
        )
        for tender in tenders
    ]


def amendment_out(a: Amendment) -> schemas.AmendmentOut:
    return schemas.AmendmentOut(
        number=a.number, summary=a.summary, amended_at=a.amended_at, deadline_before=a.deadline_before,
        deadline_after=a.deadline_after, deadline_moved=a.deadline_after != a.deadline_before,
    )


def list_item(row: Any) -> schemas.TenderListItem:
    """One row of ``search.search`` as the API's list shows it."""
    return schemas.TenderListItem(
        id=row.id, code=row.code, title=row.title, track=row.track, category=row.category, method=row.method, region=row.region,
        budget=to_yuan(row.budget_fen), status=row.status, green_channel=row.green_channel,
        purchaser_organisation_id=row.purchaser_organisation_id, purchaser_name=row.purchaser_name or "",
        agency_organisation_id=row.agency_organisation_id, agency_name=row.agency_name, documents_from=row.documents_from,
        documents_until=row.documents_until, bid_deadline=row.bid_deadline, published_at=row.published_at, lot_count=row.lot_count,
    )


def next_cursor(found: Sequence[Any], limit: int) -> str | None:
    """The cursor of the page after ``found``; None when this page was the last (fewer than ``limit`` rows)."""
    if len(found) < limit or not found:
        return None
    return encode_cursor(found[-1].published_at, found[-1].id)


def encode_cursor(published_at: datetime, tender_id: int) -> str:
    return base64.urlsafe_b64encode(f"{as_utc(published_at).isoformat()}|{tender_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        at, tender_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return as_utc(datetime.fromisoformat(at)), int(tender_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput.for_field("query.cursor", "is not a cursor this list gave out") from exc


def review_out(review: EntryReview) -> schemas.ReviewOut:
    return schemas.ReviewOut(
        tender_id=review.tender_id, decision=review.decision, reason=review.reason, checklist=json.loads(review.checklist),
        decided_at=review.decided_at, elapsed_seconds=review.elapsed_seconds,
        within_target=review.elapsed_seconds <= service.ENTRY_TARGET_SECONDS,
    )


class TenderController(Controller):
    path = "/api/tenders"
    tags = ["Tenders"]

    @post(
        summary="Create a tender as a private draft",
        description="Repeating the request with the same `Idempotency-Key` returns the first draft (200) instead of a second one.",
        guards=[requires_roles(Role.purchaser, Role.agency)],
        status_code=201,
    )
    async def create(
        self,
        data: schemas.TenderDraft,
        session: DbSession,
        platform: PlatformDep,
        actor: CurrentActor,
        idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key", min_length=8, max_length=64)] = None,
    ) -> Response[schemas.TenderOut]:
        tender, created = await service.create_draft(session, platform, actor, data, idempotency_key)
        return Response(await tender_out(session, tender), status_code=201 if created else 200)

    @get(
        summary="Find published tenders",
        description="Newest publication first. Keyword matches the title or project code (Chinese works). "
        "Pages with `cursor` stay stable while new tenders are published. Each item is the tender as the list "
        "shows it (names, budget, dates, number of lots); the whole tender with its lots is at `GET /api/tenders/{id}`.",
    )
    async def find(
        self,
        platform: PlatformDep,
        q: Annotated[str, QueryParameter(max_length=100, description="keyword")] = "",
        region: Annotated[str | None, QueryParameter(pattern=r"^[0-9]{6}$")] = None,
        track: rules.Track | None = None,
        category: rules.Category | None = None,
        method: rules.Method | None = None,
        status: TenderStatus | None = None,
        published_from: datetime | None = None,
        published_until: datetime | None = None,
        # Yuan as text: the query-string decoder checks ranges on numbers only, never on Decimal.
        budget_min: Annotated[str | None, QueryParameter(pattern=YUAN_PATTERN, description="yuan, e.g. 500000.00")] = None,
        budget_max: Annotated[str | None, QueryParameter(pattern=YUAN_PATTERN, description="yuan")] = None,
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> schemas.TenderPage:
        # Not the request's session: a read of its own, in one trip to the database (see Database.read).
        found = await platform.db.read(search.reader(
            search.Search(
                keyword=q.strip(), region=region, track=track, category=category, method=method, status=status,
                published_from=as_utc(published_from) if published_from else None,
                published_until=as_utc(published_until) if published_until else None,
                budget_min_fen=to_fen(Decimal(budget_min)) if budget_min else None,
                budget_max_fen=to_fen(Decimal(budget_max)) if budget_max else None,
                after=decode_cursor(cursor) if cursor else None, limit=limit,
            ),
        ))
        return schemas.TenderPage(items=[list_item(row) for row in found], next_cursor=next_cursor(found, limit))

    @get("/review-queue", summary="Tenders waiting for entry review: green channel first, with the 24-hour clock",
         guards=[requires_roles(Role.operator, Role.supervisor)])
    async def queue(self, session: DbSession, platform: PlatformDep) -> list[schemas.QueueItem]:
        now = platform.clock.now()
        items = []
        for tender in await service.review_queue(session):
            waiting = int((now - as_utc(tender.submitted_at or now)).total_seconds())
            items.append(
                schemas.QueueItem(
                    tender=await tender_out(session, tender), waiting_seconds=waiting,
                    overdue=waiting > service.ENTRY_TARGET_SECONDS, checklist=list(service.CHECKLISTS[tender.method]),
                )
            )
        return items

    @get("/{tender_id:int}", summary="One tender (drafts only to their owner)")
    async def one(self, session: DbSession, optional_actor: OptionalActor, tender_id: TenderIdPath) -> schemas.TenderOut:
        return await tender_out(session, await service.get_tender(session, optional_actor, tender_id))

    @put("/{tender_id:int}", summary="Edit a draft", guards=[requires_roles(Role.purchaser, Role.agency)])
    async def update(
        self, data: schemas.TenderDraft, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath
    ) -> schemas.TenderOut:
        return await tender_out(session, await service.update_draft(session, platform, actor, tender_id, data))

    @post("/{tender_id:int}/submit", summary="Submit a draft for entry review (进场)",
          guards=[requires_roles(Role.purchaser, Role.agency)], status_code=200)
    async def submit(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath) -> schemas.TenderOut:
        return await tender_out(session, await service.submit(session, platform, actor, tender_id))

    @post("/{tender_id:int}/review", summary="Accept or return a submitted tender against its checklist",
          guards=[requires_roles(Role.operator)], status_code=200)
    async def review(
        self, data: schemas.ReviewIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath
    ) -> schemas.ReviewOut:
        return review_out(await service.review(session, platform, actor, tender_id, data))

    @get("/{tender_id:int}/reviews", summary="The entry review decisions of a tender", guards=[requires_login])
    async def reviews(self, session: DbSession, actor: CurrentActor, tender_id: TenderIdPath) -> list[schemas.ReviewOut]:
        await service.get_tender(session, actor, tender_id)
        return [review_out(r) for r in await service.reviews_of(session, tender_id)]

    @post("/{tender_id:int}/publish", summary="Publish an accepted tender now, or schedule its publication",
          guards=[requires_roles(Role.purchaser, Role.agency)], status_code=200)
    async def publish(
        self, data: schemas.PublishIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath
    ) -> schemas.TenderOut:
        return await tender_out(session, await service.publish(session, platform, actor, tender_id, data))


    @post("/{tender_id:int}/amendments", summary="Clarify or amend a published tender (moves the deadline if needed)",
          guards=[requires_roles(Role.purchaser, Role.agency)], status_code=201)
    async def amend(
        self, data: schemas.AmendmentIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath
    ) -> schemas.AmendmentOut:
        return amendment_out(await service.amend(session, platform, actor, tender_id, data.summary))

    @post("/{tender_id:int}/terminate", summary="End a tender early (终止), with the reason; a published one gets a termination notice",
          guards=[requires_roles(Role.purchaser, Role.agency)], status_code=200)
    async def terminate(
        self, data: schemas.TerminateIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath
    ) -> schemas.TenderOut:
        return await tender_out(session, await service.terminate(session, platform, actor, tender_id, data.reason))

    @get("/{tender_id:int}/amendments", summary="The clarifications and amendments of a tender")
    async def amendments(self, session: DbSession, optional_actor: OptionalActor, tender_id: TenderIdPath) -> list[schemas.AmendmentOut]:
        await service.get_tender(session, optional_actor, tender_id)
        return [amendment_out(a) for a in await service.amendments_of(session, tender_id)]


class CalendarController(Controller):
    path = "/api/calendar"
    tags = ["Tenders"]

    @get(summary="Holidays and working weekends of a year (working days are counted with them)")
    async def year(self, session: DbSession, year: Annotated[int, QueryParameter(ge=2000, le=2100)]) -> list[schemas.CalendarDayOut]:
        return [schemas.CalendarDayOut(day=d.day, kind=d.kind, name=d.name) for d in await holidays.list_days(session, year)]

    @put("/{day:date}", summary="Mark a day as a holiday or a working weekend", guards=[requires_roles(Role.operator)])
    async def set_day(self, day: date, data: schemas.CalendarDayIn, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> schemas.CalendarDayOut:
        entry = await holidays.set_day(session, platform, actor, day, data.kind, data.name)
        return schemas.CalendarDayOut(day=entry.day, kind=entry.kind, name=entry.name)

    @delete("/{day:date}", summary="Make a day ordinary again", guards=[requires_roles(Role.operator)], status_code=204)
    async def remove_day(self, day: date, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> None:
        await holidays.remove_day(session, platform, actor, day)


class TenderRulesController(Controller):
    path = "/api/tender-rules"
    tags = ["Tenders"]

    @get(summary="The legal time limits and caps the platform enforces, per track and method, with their articles")
    async def table(self) -> list[dict[str, str]]:
        return rules.rules_table()
