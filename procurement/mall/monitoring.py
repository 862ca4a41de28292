"""What the operators watch (事中监控) and supervisors read: products kept from sale, the price
review queue, price anomalies, and the sanctions."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from sqlalchemy import Row, Subquery, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.errors import N_, Forbidden
from procurement.identity.models import Organisation, Role
from procurement.mall import pricing
from procurement.mall.models import (
    PriceChange,
    PriceReview,
    Product,
    ProductStatus,
    ReviewStatus,
    SupplierApplication,
)
from procurement.platform import Platform

WATCH_LIMIT = 200
# A category's median means something only with this many products in it.
MEDIAN_MIN_PRODUCTS = 3
# Ratios in SQL as whole numbers: price × SCALE > median × floor(ratio × SCALE) is exact in integers.
SCALE = 10_000


def require_watcher(actor: Actor) -> None:
    if not actor.has(Role.operator, Role.supervisor):
        raise Forbidden(N_("the mall's monitoring is for the trading centre and supervisors"))


@dataclass(frozen=True)
class Anomaly:
    product_id: int
    product_name: str
    supplier_name: str
    rule: pricing.PriceRule
    ratio: Decimal
    price_fen: int
    compared_fen: int


async def blocked(session: AsyncSession) -> list[Row[Any]]:
    """Products held or blocked for their price, oldest change first."""
    query = (
        select(Product.id, Product.name, Product.brand, Product.model, Product.category_id, Product.supplier_organisation_id,
               Organisation.name.label("supplier_name"), Product.price_fen, Product.reference_fen, Product.sales_count,
               Product.lead_time_days, Product.status)
        .join(Organisation, Organisation.id == Product.supplier_organisation_id)
        .where(Product.status.in_((ProductStatus.blocked_price, ProductStatus.pending_review)))
        .order_by(Product.updated_at, Product.id).limit(WATCH_LIMIT)
    )
    return list((await session.execute(query)).all())


async def reviews(session: AsyncSession, *, pending_only: bool = True) -> list[Row[Any]]:
    query = (
        select(PriceReview, Product.name.label("product_name"), Organisation.name.label("supplier_name"))
        .join(Product, Product.id == PriceReview.product_id)
        .join(Organisation, Organisation.id == Product.supplier_organisation_id)
    )
    if pending_only:
        query = query.where(PriceReview.status == ReviewStatus.pending).order_by(PriceReview.id)
    else:
        query = query.order_by(PriceReview.id.desc())
    return list((await session.execute(query.limit(WATCH_LIMIT))).all())


def category_medians() -> Subquery:
    """(category_id, median_fen) of every category with at least MEDIAN_MIN_PRODUCTS products not delisted.

    ``pricing.median`` in SQL, the same on SQLite and PostgreSQL (no percentile functions on
    SQLite): number each category's prices in order; the middle row of an odd count, or the
    two middle rows of an even one, sit at positions (n + 1) // 2 and (n + 2) // 2; the median
    is the floor of their mean, in whole fen.
    """
    ranked = (
        select(Product.category_id, Product.price_fen,
               func.row_number().over(partition_by=Product.category_id, order_by=Product.price_fen).label("position"),
               func.count().over(partition_by=Product.category_id).label("size"))
        .where(Product.status != ProductStatus.delisted)
        .subquery()
    )
    middle = or_(ranked.c.position == (ranked.c.size + 1) // 2, ranked.c.position == (ranked.c.size + 2) // 2)
    return (
        select(ranked.c.category_id, ((func.min(ranked.c.price_fen) + func.max(ranked.c.price_fen)) // 2).label("median_fen"))
        .where(ranked.c.size >= MEDIAN_MIN_PRODUCTS, middle)
        .group_by(ranked.c.category_id)
        .subquery()
    )


async def anomalies(session: AsyncSession, platform: Platform) -> list[Anomaly]:
    """A latest change that jumped above the jump ratio; a price far above its category's median."""
    found: list[Anomaly] = []
    jump = pricing.threshold(pricing.PRICE_JUMP, platform.settings)
    latest = select(func.max(PriceChange.id)).where(PriceChange.old_fen.is_not(None)).group_by(PriceChange.product_id)
    jumps = await session.execute(
        select(PriceChange.product_id, PriceChange.old_fen, PriceChange.new_fen, Product.name, Organisation.name)
        .join(Product, Product.id == PriceChange.product_id)
        .join(Organisation, Organisation.id == Product.supplier_organisation_id)
        .where(PriceChange.id.in_(latest), Product.status != ProductStatus.delisted)
    )
    for product_id, old, new, name, supplier in jumps:
        if old and pricing.above(new, old, jump):
            found.append(Anomaly(product_id, name, supplier, pricing.PRICE_JUMP, jump, new, old))
    ratio = pricing.threshold(pricing.CATEGORY_MEDIAN, platform.settings)
    # SQL keeps the candidates (exact for ratios of up to four decimals); pricing.above decides.
    scaled = int((ratio * SCALE).to_integral_value(rounding=ROUND_FLOOR))
    medians = category_medians()
    far_above = await session.execute(
        select(Product.id, Product.name, Organisation.name, Product.price_fen, medians.c.median_fen)
        .join(medians, medians.c.category_id == Product.category_id)
        .join(Organisation, Organisation.id == Product.supplier_organisation_id)
        .where(Product.status != ProductStatus.delisted, medians.c.median_fen > 0, Product.price_fen * SCALE > medians.c.median_fen * scaled)
        .order_by(Product.id)
    )
    for product_id, name, supplier, price, middle in far_above:
        if pricing.above(price, middle, ratio):
            found.append(Anomaly(product_id, name, supplier, pricing.CATEGORY_MEDIAN, ratio, price, middle))
    return found[:WATCH_LIMIT]


async def suppliers(session: AsyncSession) -> list[tuple[int, str]]:
    """Supplier organisations that have applied to sell in the mall (for the sanction form)."""
    query = (
        select(Organisation.id, Organisation.name)
        .where(Organisation.id.in_(select(SupplierApplication.organisation_id)))
        .order_by(Organisation.name)
    )
    return [(i, name) for i, name in (await session.execute(query)).all()]
