"""The online opening room: who is present, and the bidders' confirmations and objections (异议).

招标投标法实施条例 第四十四条: a bidder objects to the opening at the opening itself, and the
tenderer answers on the spot. Online, "on the spot" is the opening and a short time after its
record is published (``OBJECTION_MINUTES``); each confirmation, objection and answer is audited.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.models import Bid, Opening, OpeningAttendance, OpeningResponse
from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.clock import as_utc
from procurement.errors import Conflict, Forbidden, InvalidInput, NotFound
from procurement.identity.models import Organisation, Role
from procurement.platform import Platform
from procurement.tenders import service as tenders

OBJECTION_MINUTES = 30
KINDS = ("confirmed", "objection")


async def _bidder_of(session: AsyncSession, actor: Actor, tender_id: int) -> Opening:
    """The opening, if the caller's organisation bid on the tender (any version, any lot)."""
    if not actor.has(Role.supplier):
        raise Forbidden("only bidders take part in the opening room")
    opening = await session.get(Opening, tender_id)
    if opening is None:
        raise NotFound("the opening of tender %(id)s has not started", id=tender_id)
    bid = (await session.execute(
        select(Bid.id).where(Bid.tender_id == tender_id, Bid.organisation_id == actor.organisation_id).limit(1)
    )).first()
    if bid is None:
        raise Forbidden("your organisation has no bid in this tender")
    return opening


async def join(session: AsyncSession, platform: Platform, actor: Actor, tender_id: int) -> tuple[OpeningAttendance, bool]:
    opening = await _bidder_of(session, actor, tender_id)
    if opening.closed_at is not None:
        raise Conflict("the opening has closed")
    present = (await session.execute(select(OpeningAttendance).where(
        OpeningAttendance.tender_id == tender_id, OpeningAttendance.organisation_id == actor.organisation_id))).scalar_one_or_none()
    if present is not None:
        return present, False
    present = OpeningAttendance(tender_id=tender_id, organisation_id=actor.organisation_id, user_id=actor.user_id,  # type: ignore[arg-type]
                                joined_at=platform.clock.now())
    session.add(present)
    await session.flush()
    await audit.record(session, platform.clock, actor, "opening.joined", subject_type="tender", subject_id=tender_id)
    return present, True


async def present(session: AsyncSession, tender_id: int) -> list[str]:
    """The names of the organisations present, in the order they came."""
    rows = await session.execute(
        select(Organisation.name).join(OpeningAttendance, OpeningAttendance.organisation_id == Organisation.id)
        .where(OpeningAttendance.tender_id == tender_id).order_by(OpeningAttendance.joined_at, OpeningAttendance.id)
    )
    return list(rows.scalars())


async def respond(session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, kind: str, text: str) -> OpeningResponse:
    """A bidder confirms the published opening record, or objects to it, within the window."""
    opening = await _bidder_of(session, actor, tender_id)
    if kind not in KINDS:
        raise InvalidInput.for_field("body.kind", "must be confirmed or objection")
    if kind == "objection" and len(text.strip()) < 4:
        raise InvalidInput.for_field("body.text", "say what the objection is")
    now = platform.clock.now()
    if opening.closed_at is None:
        raise Conflict("the opening record is confirmed or objected to once the opening has closed")
    until = as_utc(opening.closed_at) + timedelta(minutes=OBJECTION_MINUTES)
    if now > until:
        raise Conflict("objections to the opening are raised at the opening, by %(until)s (招标投标法实施条例 第四十四条)",
                       until=until.isoformat())
    response = OpeningResponse(tender_id=tender_id, organisation_id=actor.organisation_id, user_id=actor.user_id,  # type: ignore[arg-type]
                               kind=kind, text=text.strip(), made_at=now)
    session.add(response)
    await session.flush()
    await audit.record(session, platform.clock, actor, f"opening.{kind}", subject_type="tender", subject_id=tender_id,
                       details={"response_id": response.id, "text": response.text})
    return response


async def answer(session: AsyncSession, platform: Platform, actor: Actor, response_id: int, text: str) -> OpeningResponse:
    """The tenderer (the organisation running the tender) or the trading centre answers an objection."""
    response = await session.get(OpeningResponse, response_id, with_for_update=True)
    if response is None or response.kind != "objection":
        raise NotFound("no objection %(id)s", id=response_id)
    tender = await tenders.get_tender(session, actor, response.tender_id)
    runs = actor.organisation_id == tender.owner_organisation_id and actor.has(Role.purchaser, Role.agency)
    if not (runs or actor.has(Role.operator)):
        raise Forbidden("the organisation running the tender or the trading centre answers objections to the opening")
    if response.answered_at is not None:
        raise Conflict("this objection has been answered")
    if len(text.strip()) < 4:
        raise InvalidInput.for_field("body.answer", "write the answer")
    response.answer, response.answered_by, response.answered_at = text.strip(), actor.user_id, platform.clock.now()
    await session.flush()
    await audit.record(session, platform.clock, actor, "opening.objection_answered", subject_type="tender", subject_id=response.tender_id,
                       details={"response_id": response.id, "answer": response.answer})
    return response


async def responses(session: AsyncSession, actor: Actor, tender_id: int) -> list[OpeningResponse]:
    """Every confirmation and objection: for the bidders of the tender, those running it, the centre and supervisors."""
    tender = await tenders.get_tender(session, actor, tender_id)
    runs = actor.organisation_id in (tender.owner_organisation_id, tender.purchaser_organisation_id)
    if not (runs or actor.has(Role.operator, Role.supervisor)):
        await _bidder_of(session, actor, tender_id)
    query = select(OpeningResponse).where(OpeningResponse.tender_id == tender_id).order_by(OpeningResponse.id)
    return list((await session.execute(query)).scalars())
