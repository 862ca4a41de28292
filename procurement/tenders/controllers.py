"""Tender API: drafts, entry review, publication."""

from __future__ import annotations

import json

from litestar import Controller, Response, get, post, put
from litestar.params import HeaderParameter, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.clock import as_utc
from procurement.identity.models import Role
from procurement.tenders import rules, schemas, service
from procurement.tenders.models import EntryReview, Tender
from procurement.tenders.money import to_yuan
from procurement.web.deps import (
    MAX_ID,
    CurrentActor,
    DbSession,
    OptionalActor,
    PlatformDep,
)
from procurement.web.guards import requires_login, requires_roles

TenderId = Parameter(ge=1, le=MAX_ID, description="the tender's id")


async def tender_out(session: AsyncSession, tender: Tender) -> schemas.TenderOut:
    lots = await service.lots_of(session, tender.id)  # type: ignore[arg-type]
    return schemas.TenderOut(
        **tender.model_dump(exclude={"budget_fen", "idempotency_key", "owner_organisation_id", "next_check", "created_at",
                                     "updated_at", "submitted_at"}),
        budget=to_yuan(tender.budget_fen),
        lots=[
            schemas.LotOut(
                number=lot.number, title=lot.title, budget=to_yuan(lot.budget_fen), bid_security=to_yuan(lot.bid_security_fen),
                evaluation_method=lot.evaluation_method,
            )
            for lot in lots
        ],
    )


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
        idempotency_key: str | None = HeaderParameter(name="Idempotency-Key", default=None, min_length=8, max_length=64),
    ) -> Response[schemas.TenderOut]:
        tender, created = await service.create_draft(session, platform, actor, data, idempotency_key)
        return Response(await tender_out(session, tender), status_code=201 if created else 200)

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
    async def one(self, session: DbSession, optional_actor: OptionalActor, tender_id: int = TenderId) -> schemas.TenderOut:
        return await tender_out(session, await service.get_tender(session, optional_actor, tender_id))

    @put("/{tender_id:int}", summary="Edit a draft", guards=[requires_roles(Role.purchaser, Role.agency)])
    async def update(
        self, data: schemas.TenderDraft, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: int = TenderId
    ) -> schemas.TenderOut:
        return await tender_out(session, await service.update_draft(session, platform, actor, tender_id, data))

    @post("/{tender_id:int}/submit", summary="Submit a draft for entry review (进场)",
          guards=[requires_roles(Role.purchaser, Role.agency)], status_code=200)
    async def submit(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: int = TenderId) -> schemas.TenderOut:
        return await tender_out(session, await service.submit(session, platform, actor, tender_id))

    @post("/{tender_id:int}/review", summary="Accept or return a submitted tender against its checklist",
          guards=[requires_roles(Role.operator)], status_code=200)
    async def review(
        self, data: schemas.ReviewIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: int = TenderId
    ) -> schemas.ReviewOut:
        return review_out(await service.review(session, platform, actor, tender_id, data))

    @get("/{tender_id:int}/reviews", summary="The entry review decisions of a tender", guards=[requires_login])
    async def reviews(self, session: DbSession, actor: CurrentActor, tender_id: int = TenderId) -> list[schemas.ReviewOut]:
        await service.get_tender(session, actor, tender_id)
        return [review_out(r) for r in await service.reviews_of(session, tender_id)]

    @post("/{tender_id:int}/publish", summary="Publish an accepted tender now, or schedule its publication",
          guards=[requires_roles(Role.purchaser, Role.agency)], status_code=200)
    async def publish(
        self, data: schemas.PublishIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: int = TenderId
    ) -> schemas.TenderOut:
        return await tender_out(session, await service.publish(session, platform, actor, tender_id, data))


class TenderRulesController(Controller):
    path = "/api/tender-rules"
    tags = ["Tenders"]

    @get(summary="The legal time limits and caps the platform enforces, per track and method, with their articles")
    async def table(self) -> list[dict[str, str]]:
        return rules.rules_table()
