"""Mini-competitions (竞价): for a need at or above the direct-purchase limit.

The purchaser posts the need (required attributes, quantity, unit ceiling, deadline) and its
ceiling × quantity is committed against the budget. Suppliers approved for the category under
an agreement in force quote until the deadline; a quote is seen only by its supplier until
then, and its audit entry is embargoed until the close. At the deadline the scheduler closes
the competition (``close``, also late after downtime): quotes from suppliers barred by then,
above the ceiling or missing a required attribute are not compliant; with fewer compliant
quotes than ``mall_competition_min_quotes`` it fails and the budget is released; otherwise the
lowest price wins (the earlier quote on a tie), and an order is placed with the winner for
the supplier to confirm, the unused part of the budget released.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.credit import service as credit
from procurement.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from procurement.identity import sessions
from procurement.identity.models import Role, User
from procurement.mall import agreements, budgets, orders, sanctions
from procurement.mall.models import (
    Agreement,
    ApplicationCategory,
    ApplicationStatus,
    Category,
    SupplierApplication,
)
from procurement.mall.order_models import (
    Competition,
    CompetitionStatus,
    Quote,
    QuoteStatus,
)
from procurement.mall.order_schemas import CompetitionIn, QuoteIn
from procurement.platform import Platform
from procurement.tenders.money import to_fen

BELOW_MINIMUM = N_("fewer than %(n)s compliant quotes")


def _embargo(competition_id: int) -> str:
    return f"mall-competition:{competition_id}"


async def post(session: AsyncSession, platform: Platform, actor: Actor, data: CompetitionIn) -> Competition:
    if not actor.has(Role.purchaser):
        raise Forbidden(N_("mini-competitions are posted by purchasing units"))
    now = platform.clock.now()
    if data.deadline.tzinfo is None:
        raise InvalidInput.for_field("body.deadline", N_("give the time with its offset, such as 2026-01-20T17:00:00+08:00"))
    if data.deadline <= now:
        raise InvalidInput.for_field("body.deadline", N_("must be in the future"))
    node = await agreements.category(session, data.category_id)
    ceiling = to_fen(data.ceiling)
    budget_id = await budgets.reserve(session, actor.organisation_id, budgets.budget_year(now), ceiling * data.quantity)
    competition = Competition(
        purchaser_organisation_id=actor.organisation_id, created_by=actor.user_id, budget_id=budget_id, category_id=node.id,  # type: ignore[arg-type]
        title=data.title, specifications=json.dumps(data.specifications, ensure_ascii=False, sort_keys=True), quantity=data.quantity,
        ceiling_fen=ceiling, delivery_region=data.delivery_region, delivery_address=data.delivery_address, contact=data.contact,
        requested_date=data.requested_date, deadline=data.deadline, status=CompetitionStatus.open, created_at=now, next_check=data.deadline,
    )
    session.add(competition)
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "mall.competition_posted", subject_type="mall_competition", subject_id=competition.id,
        organisation_id=actor.organisation_id,
        details={"title": data.title, "category_id": node.id, "quantity": data.quantity, "ceiling_fen": ceiling, "deadline": data.deadline.isoformat(),
                 "specifications": data.specifications},
    )
    return competition


async def qualified(session: AsyncSession, platform: Platform, organisation_id: int, node: Category) -> bool:
    """Approved under an agreement in force for the category (or an ancestor of it)."""
    today = sanctions.beijing_today(platform)
    query = (
        select(ApplicationCategory.category_id)
        .join(SupplierApplication, SupplierApplication.id == ApplicationCategory.application_id)
        .join(Agreement, Agreement.id == SupplierApplication.agreement_id)
        .where(SupplierApplication.organisation_id == organisation_id, SupplierApplication.status == ApplicationStatus.approved,
               Agreement.valid_from <= today, Agreement.valid_until >= today)
    )
    return agreements.covered(node, set((await session.execute(query)).scalars()))


def _visible(actor: Actor) -> Select[tuple[Competition]]:
    query = select(Competition)
    if actor.has(Role.operator, Role.supervisor):
        return query
    if actor.has(Role.supplier):
        # Open ones (the page tells whether the supplier may quote) and those it quoted in.
        mine = select(Quote.competition_id).where(Quote.supplier_organisation_id == actor.organisation_id)
        return query.where(or_(Competition.status == CompetitionStatus.open, Competition.id.in_(mine)))
    return query.where(Competition.purchaser_organisation_id == actor.organisation_id)


async def competition(session: AsyncSession, actor: Actor, competition_id: int, *, lock: bool = False) -> Competition:
    query = _visible(actor).where(Competition.id == competition_id)
    found = (await session.execute(query.with_for_update() if lock else query)).scalars().first()
    if found is None:
        raise NotFound("there is no competition %(id)s", id=competition_id)
    return found


async def competitions(session: AsyncSession, actor: Actor, *, status: str | None = None) -> list[Competition]:
    query = _visible(actor)
    if status:
        query = query.where(Competition.status == status)
    return list((await session.execute(query.order_by(Competition.id.desc()).limit(200))).scalars())


async def visible_quotes(session: AsyncSession, actor: Actor, found: Competition) -> list[Quote]:
    """Sealed until the close: a supplier sees its own quote only; after the close the purchaser and the centre see all."""
    query = select(Quote).where(Quote.competition_id == found.id).order_by(Quote.unit_price_fen, Quote.submitted_at, Quote.id)
    insider = actor.has(Role.operator, Role.supervisor) or (actor.has(Role.purchaser) and actor.organisation_id == found.purchaser_organisation_id)
    if found.status == CompetitionStatus.open or not insider:
        query = query.where(Quote.supplier_organisation_id == actor.organisation_id)
    return list((await session.execute(query)).scalars())


def missing_attributes(required: dict[str, object], offered: dict[str, object]) -> list[str]:
    return sorted(name for name in required if str(offered.get(name, "")).strip() == "")


async def quote(session: AsyncSession, platform: Platform, actor: Actor, competition_id: int, data: QuoteIn) -> Quote:
    """Submit or revise the supplier's quote before the deadline."""
    if not actor.has(Role.supplier):
        raise Forbidden(N_("quotes are submitted by suppliers"))
    found = await competition(session, actor, competition_id, lock=True)
    now = platform.clock.now()
    if found.status != CompetitionStatus.open or now >= found.deadline:
        raise Conflict(N_("this competition is closed for quotes"))
    node = await agreements.category(session, found.category_id)
    if not await qualified(session, platform, actor.organisation_id, node):
        raise Forbidden(N_("your organisation is not an approved supplier of the category %(name)s under an agreement in force"), name=node.name)
    await sanctions.require_not_sanctioned(session, platform, actor.organisation_id)
    await credit.require_clear_kept(session, platform, "mall_order", organisation_ids=[actor.organisation_id],
                                    subject_type="mall_competition", subject_id=competition_id)
    price = to_fen(data.unit_price)
    if price > found.ceiling_fen:
        raise InvalidInput.for_field("body.unit_price", N_("exceeds the competition's ceiling of %(ceiling)s yuan"), ceiling=f"{found.ceiling_fen / 100:.2f}")
    missing = missing_attributes(json.loads(found.specifications), data.specifications)
    if missing:
        raise InvalidInput.for_field("body.specifications", N_("give a value for every required attribute; missing: %(names)s"), names=", ".join(missing))
    existing = (await session.execute(select(Quote).where(Quote.competition_id == competition_id, Quote.supplier_organisation_id == actor.organisation_id))).scalars().first()
    row = existing or Quote(competition_id=competition_id, supplier_organisation_id=actor.organisation_id, submitted_by=actor.user_id,
                            unit_price_fen=price, brand="", model="", specifications="{}", status=QuoteStatus.submitted, submitted_at=now)
    row.unit_price_fen, row.brand, row.model, row.submitted_by, row.submitted_at = price, data.brand, data.model, actor.user_id, now
    row.specifications = json.dumps(data.specifications, ensure_ascii=False, sort_keys=True)
    session.add(row)
    await session.flush()
    # Embargoed: nobody, supervisors included, reads the price before the close.
    await audit.record(
        session, platform.clock, actor, "mall.quote_submitted", subject_type="mall_competition", subject_id=competition_id,
        organisation_id=actor.organisation_id, embargo=_embargo(competition_id),
        details={"quote_id": row.id, "unit_price_fen": price, "brand": data.brand, "model": data.model, "revised": existing is not None},
    )
    return row


async def cancel(session: AsyncSession, platform: Platform, actor: Actor, competition_id: int, reason: str) -> Competition:
    found = await competition(session, actor, competition_id, lock=True)
    if not actor.has(Role.purchaser) or found.purchaser_organisation_id != actor.organisation_id:
        raise Forbidden(N_("only the purchasing unit that posted the competition can cancel it"))
    if found.status != CompetitionStatus.open or platform.clock.now() >= found.deadline:
        raise Conflict(N_("only an open competition can be cancelled before its deadline"))
    await budgets.release(session, found.budget_id, found.ceiling_fen * found.quantity)
    found.status, found.outcome, found.decided_at, found.next_check = CompetitionStatus.cancelled, reason, platform.clock.now(), None
    await audit.release_embargo(session, platform.clock, _embargo(competition_id))
    await audit.record(session, platform.clock, actor, "mall.competition_cancelled", subject_type="mall_competition", subject_id=competition_id,
                       organisation_id=found.purchaser_organisation_id, details={"reason": reason})
    return found


async def _finding(session: AsyncSession, platform: Platform, found: Competition, node: Category, row: Quote, barred: set[int]) -> str:
    """Why a quote is not compliant at the close ("" when it is)."""
    if row.supplier_organisation_id in barred:
        return N_("the supplier is barred (sanction or blacklist)")
    if not await qualified(session, platform, row.supplier_organisation_id, node):
        return N_("the supplier is no longer approved for the category")
    if row.unit_price_fen > found.ceiling_fen:
        return N_("above the ceiling")
    if missing_attributes(json.loads(found.specifications), json.loads(row.specifications)):
        return N_("a required attribute is missing")
    return ""


async def close(session: AsyncSession, platform: Platform, competition_id: int) -> bool:
    """The scheduler's recheck at the deadline: award the lowest compliant quote, or fail; idempotent."""
    found = await session.get(Competition, competition_id, with_for_update=True)
    now = platform.clock.now()
    if found is None or found.status != CompetitionStatus.open or found.deadline > now:
        return False
    node = await agreements.category(session, found.category_id)
    barred = set((await session.execute(sanctions.barred_suppliers(now, sanctions.beijing_today(platform)))).scalars())
    rows = list((await session.execute(select(Quote).where(Quote.competition_id == competition_id).order_by(Quote.unit_price_fen, Quote.submitted_at, Quote.id))).scalars())
    compliant = []
    for row in rows:
        row.finding = await _finding(session, platform, found, node, row, barred)
        row.status = QuoteStatus.non_compliant if row.finding else QuoteStatus.lost
        if not row.finding:
            compliant.append(row)
    minimum = platform.settings.mall_competition_min_quotes
    found.decided_at, found.next_check = now, None
    await audit.release_embargo(session, platform.clock, _embargo(competition_id))
    if len(compliant) < minimum:
        found.status, found.outcome = CompetitionStatus.failed, BELOW_MINIMUM % {"n": minimum}
        await budgets.release(session, found.budget_id, found.ceiling_fen * found.quantity)
    else:
        winner = compliant[0]
        winner.status, found.status, found.winning_quote_id = QuoteStatus.won, CompetitionStatus.awarded, winner.id
        await budgets.release(session, found.budget_id, (found.ceiling_fen - winner.unit_price_fen) * found.quantity)
        placed = await orders.place_awarded(session, platform, await _owner(session, found), found, winner, found.budget_id)
        found.order_id = placed.id
    await session.flush()
    await audit.record(
        session, platform.clock, None, f"mall.competition_{found.status}", subject_type="mall_competition", subject_id=competition_id,
        organisation_id=found.purchaser_organisation_id,
        details={"quotes": [{"quote_id": r.id, "supplier_organisation_id": r.supplier_organisation_id, "unit_price_fen": r.unit_price_fen,
                             "status": r.status, "finding": r.finding} for r in rows],
                 "minimum": minimum, "winning_quote_id": found.winning_quote_id, "order_id": found.order_id},
    )
    return True


async def _owner(session: AsyncSession, found: Competition) -> Actor:
    """The order is placed in the name of the purchaser's user who posted the need."""
    user = await session.get(User, found.created_by)
    assert user is not None
    return await sessions.actor_for(session, user, via="bearer", session_id=None)


async def due(session: AsyncSession, moment: datetime) -> list[tuple[int, datetime]]:
    rows = await session.execute(select(Competition.id, Competition.next_check).where(
        Competition.status == CompetitionStatus.open, Competition.next_check.is_not(None), Competition.next_check <= moment))
    return list(rows.all())  # type: ignore[arg-type]
