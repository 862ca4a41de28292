"""Framework agreements (框架协议) and the mall's category tree, both kept by operators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from procurement.identity.models import Role
from procurement.mall.models import Agreement, AgreementCategory, Category
from procurement.platform import Platform


def _operator(actor: Actor, template: str) -> None:
    if not actor.has(Role.operator):
        raise Forbidden(template)


def path_ids(category: Category) -> list[int]:
    """The category's own id and its ancestors', root first."""
    return [int(part) for part in category.path.strip("/").split("/") if part]


def covered(category: Category, allowed: set[int]) -> bool:
    """A category is covered when it or any ancestor is among ``allowed``."""
    return bool(allowed.intersection(path_ids(category)))


# --- Categories -------------------------------------------------------------------------------


async def category(session: AsyncSession, category_id: int, *, field: str = "body.category_id") -> Category:
    found = await session.get(Category, category_id)
    if found is None:
        raise InvalidInput.for_field(field, N_("there is no category %(id)s"), id=category_id)
    return found


async def categories(session: AsyncSession) -> list[Category]:
    """The whole tree in path order (a parent before its children)."""
    return list((await session.execute(select(Category).order_by(Category.path))).scalars())


async def create_category(
    session: AsyncSession, platform: Platform, actor: Actor, *, code: str, name: str, parent_id: int | None
) -> Category:
    _operator(actor, N_("the mall's categories are kept by the trading centre's operators"))
    if (await session.execute(select(Category.id).where(Category.code == code))).first():
        raise Conflict("a category with the code %(code)s exists already", code=code)
    parent = await category(session, parent_id, field="body.parent_id") if parent_id is not None else None
    node = Category(code=code, name=name, parent_id=parent_id)
    session.add(node)
    await session.flush()
    node.path = f"{parent.path if parent else '/'}{node.id}/"
    await audit.record(
        session, platform.clock, actor, "mall.category_created", subject_type="mall_category", subject_id=node.id,
        details={"code": code, "name": name, "parent_id": parent_id},
    )
    return node


async def rename_category(session: AsyncSession, platform: Platform, actor: Actor, category_id: int, name: str) -> Category:
    _operator(actor, N_("the mall's categories are kept by the trading centre's operators"))
    node = await session.get(Category, category_id, with_for_update=True)
    if node is None:
        raise NotFound("there is no category %(id)s", id=category_id)
    old, node.name = node.name, name
    await audit.record(
        session, platform.clock, actor, "mall.category_renamed", subject_type="mall_category", subject_id=category_id,
        details={"old": old, "new": name},
    )
    return node


# --- Agreements -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementTerms:
    number: str
    title: str
    region: str
    valid_from: date
    valid_until: date
    category_ids: tuple[int, ...]


async def agreement(session: AsyncSession, agreement_id: int) -> Agreement:
    found = await session.get(Agreement, agreement_id)
    if found is None:
        raise NotFound("there is no agreement %(id)s", id=agreement_id)
    return found


async def agreement_category_ids(session: AsyncSession, agreement_id: int) -> set[int]:
    query = select(AgreementCategory.category_id).where(AgreementCategory.agreement_id == agreement_id)
    return set((await session.execute(query)).scalars())


async def agreements(session: AsyncSession) -> list[Agreement]:
    return list((await session.execute(select(Agreement).order_by(Agreement.valid_until.desc(), Agreement.id.desc()))).scalars())


async def create_agreement(session: AsyncSession, platform: Platform, actor: Actor, terms: AgreementTerms) -> Agreement:
    """Record a framework agreement the centre concluded, with the categories it covers."""
    _operator(actor, N_("framework agreements are recorded by the trading centre's operators"))
    if terms.valid_until < terms.valid_from:
        raise InvalidInput.for_field("body.valid_until", N_("must not be before the start date %(starts_on)s"), starts_on=terms.valid_from.isoformat())
    if (await session.execute(select(Agreement.id).where(Agreement.number == terms.number))).first():
        raise Conflict("an agreement numbered %(number)s exists already", number=terms.number)
    for category_id in terms.category_ids:
        await category(session, category_id, field="body.category_ids")
    found = Agreement(
        number=terms.number, title=terms.title, region=terms.region, valid_from=terms.valid_from, valid_until=terms.valid_until,
        created_by=actor.user_id, created_at=platform.clock.now(),
    )
    session.add(found)
    await session.flush()
    session.add_all([AgreementCategory(agreement_id=found.id, category_id=c) for c in sorted(set(terms.category_ids))])  # type: ignore[arg-type]
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "mall.agreement_created", subject_type="mall_agreement", subject_id=found.id,
        details={"number": terms.number, "title": terms.title, "region": terms.region, "valid_from": terms.valid_from.isoformat(),
                 "valid_until": terms.valid_until.isoformat(), "category_ids": sorted(set(terms.category_ids))},
    )
    return found


def in_force(found: Agreement, today: date) -> bool:
    return found.valid_from <= today <= found.valid_until
