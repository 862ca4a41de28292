"""Purchasing units' mall budgets per year, and the purchase limits per region (集中采购目录及限额标准).

A budget is set by the trading centre's operators or by the unit's own admin. Orders and
open competitions commit amounts against it with one conditional UPDATE
(``amount - committed >= n``), so concurrent orders of one unit never overspend it on either
database; refusals, cancellations and rejections give the amount back.

The limits are data: ``mall_direct_threshold`` and ``mall_tender_threshold`` (yuan) for everyone,
overridden per region by ``mall_region_rules`` (JSON keyed by the purchasing unit's region code),
which also lists the category codes that must be bought through the mall. The tenders enforce the
last two (``procurement.tenders.mall_only``): below the tender threshold, a mall category is not
tendered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.clock import to_display
from procurement.errors import N_, Conflict, Forbidden, InvalidInput
from procurement.identity.models import Organisation, OrganisationKind, Role
from procurement.mall.agreements import path_ids
from procurement.mall.models import Category
from procurement.mall.order_models import Budget
from procurement.platform import Platform
from procurement.settings import Settings
from procurement.tenders.money import FEN_PER_YUAN

NO_BUDGET = N_("your unit has no mall budget for %(year)s: ask the trading centre or your unit's admin to set one")


@dataclass(frozen=True)
class PurchaseRules:
    region: str
    direct_threshold_fen: int  # an order at or above it needs a mini-competition
    # Below it, a purchase in one of the mall categories is bought through the mall: no tender.
    tender_threshold_fen: int
    mall_categories: tuple[str, ...]  # category codes (sub-categories included) that must be bought through the mall


def rules_for(settings: Settings, region: str) -> PurchaseRules:
    """The limits for a purchasing unit's region: the region's own entry, else the defaults."""
    table = json.loads(settings.mall_region_rules) if settings.mall_region_rules.strip() else {}
    own = table.get(region, {})
    return PurchaseRules(
        region,
        direct_threshold_fen=int(own.get("direct_threshold", settings.mall_direct_threshold)) * FEN_PER_YUAN,
        tender_threshold_fen=int(own.get("tender_threshold", settings.mall_tender_threshold)) * FEN_PER_YUAN,
        mall_categories=tuple(own.get("mall_categories", ())),
    )


@dataclass(frozen=True)
class MallListing:
    """Where a catalogue category stands on a region's mall list."""

    category: Category
    listed: str | None  # the code on the list that covers it: its own or its nearest listed ancestor's; None: not listed


async def mall_listing(session: AsyncSession, rules: PurchaseRules, code: str) -> MallListing | None:
    """The catalogue category with this code and whether the region's rules reserve it for the mall; None if no such code."""
    found = (await session.execute(select(Category).where(Category.code == code))).scalars().first()
    if found is None:
        return None
    line = path_ids(found)  # root first
    codes: dict[int, str] = dict((await session.execute(select(Category.id, Category.code).where(Category.id.in_(line)))).all())
    listed = set(rules.mall_categories)
    return MallListing(found, next((codes[i] for i in reversed(line) if codes.get(i) in listed), None))


def budget_year(moment: datetime) -> int:
    """Budgets are per Beijing calendar year."""
    return to_display(moment).year


async def _purchasing_unit(session: AsyncSession, organisation_id: int) -> Organisation:
    found = await session.get(Organisation, organisation_id)
    if found is None or found.kind != OrganisationKind.purchaser:
        raise InvalidInput.for_field("body.organisation_id", N_("is not a purchasing unit"))
    return found


async def set_budget(session: AsyncSession, platform: Platform, actor: Actor, organisation_id: int, year: int, amount_fen: int) -> Budget:
    """Set a unit's budget for a year: operators for any unit, a unit's admin for its own.

    The amount may not fall below what is already committed.
    """
    if not (actor.has(Role.operator) or (actor.has(Role.admin) and actor.organisation_id == organisation_id)):
        raise Forbidden(N_("a unit's budget is set by the trading centre's operators or the unit's own admin"))
    await _purchasing_unit(session, organisation_id)
    query = select(Budget).where(Budget.organisation_id == organisation_id, Budget.year == year).with_for_update()
    budget = (await session.execute(query)).scalars().first()
    old = budget.amount_fen if budget else None
    if budget is None:
        budget = Budget(organisation_id=organisation_id, year=year, amount_fen=amount_fen, set_by=actor.user_id, updated_at=platform.clock.now())
        session.add(budget)
    elif amount_fen < budget.committed_fen:
        raise InvalidInput.for_field(
            "body.amount", N_("may not be less than the %(committed)s yuan already committed by orders"), committed=budget.committed_fen / FEN_PER_YUAN,
        )
    budget.amount_fen, budget.set_by, budget.updated_at = amount_fen, actor.user_id, platform.clock.now()
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "mall.budget_set", subject_type="mall_budget", subject_id=budget.id, organisation_id=organisation_id,
        details={"year": year, "old_fen": old, "amount_fen": amount_fen},
    )
    return budget


async def budgets(session: AsyncSession, actor: Actor, *, year: int | None = None) -> list[tuple[Budget, str]]:
    """Budgets with the unit's name: all for the centre and supervisors, else the caller's unit's."""
    query = select(Budget, Organisation.name).join(Organisation, Organisation.id == Budget.organisation_id)
    if not actor.has(Role.operator, Role.supervisor):
        query = query.where(Budget.organisation_id == actor.organisation_id)
    if year is not None:
        query = query.where(Budget.year == year)
    return [(b, name) for b, name in (await session.execute(query.order_by(Budget.year.desc(), Organisation.name).limit(500))).all()]


# Built once: it runs at every order (see catalogue.NOW).
_RESERVE = (
    update(Budget)
    # Parameter names unlike the columns': an UPDATE keeps those for its SET clause.
    .where(Budget.organisation_id == bindparam("unit_id"), Budget.year == bindparam("budget_year"),
           Budget.amount_fen - Budget.committed_fen >= bindparam("amount"))
    .values(committed_fen=Budget.committed_fen + bindparam("amount")).returning(Budget.id)
    .execution_options(synchronize_session=False)  # no search of the session for copies to update: none is read after
)


async def reserve(session: AsyncSession, organisation_id: int, year: int, amount_fen: int) -> int:
    """Commit an amount against the unit's budget for the year, in one conditional UPDATE; returns the budget's id.

    Conflict when there is no budget or too little is left; concurrent reservations can never
    together exceed the amount, because the test and the increment are one statement.
    """
    found_id = (await session.execute(_RESERVE, {"unit_id": organisation_id, "budget_year": year, "amount": amount_fen})).scalar_one_or_none()
    if found_id is not None:
        return int(found_id)
    found = (await session.execute(select(Budget).where(Budget.organisation_id == organisation_id, Budget.year == year))).scalars().first()
    if found is None:
        raise Conflict(NO_BUDGET, year=year)
    raise Conflict(
        "the order needs %(needed)s yuan but only %(left)s yuan of the %(year)s budget is left",
        needed=f"{amount_fen / FEN_PER_YUAN:.2f}", left=f"{(found.amount_fen - found.committed_fen) / FEN_PER_YUAN:.2f}", year=year,
    )


async def release(session: AsyncSession, budget_id: int, amount_fen: int) -> None:
    """Give back what ``reserve`` committed (refused, cancelled, rejected, or a competition's unused ceiling)."""
    if amount_fen:
        await session.execute(update(Budget).where(Budget.id == budget_id).values(committed_fen=Budget.committed_fen - amount_fen))


async def record_paid(session: AsyncSession, budget_id: int, amount_fen: int) -> None:
    await session.execute(update(Budget).where(Budget.id == budget_id).values(paid_fen=Budget.paid_fen + amount_fen))

