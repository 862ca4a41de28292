"""Products of the mall: listing, prices under price control, references, stock, and what is on sale.

A product is on sale (``on_sale_clause``) when its stored status is ``on_sale``, its agreement
is in force today, and its supplier is not barred (``sanctions.barred_suppliers``) — decided
by each query, never by rewriting rows. The order code uses ``product_for_sale``,
``reserve_stock``, ``release_stock`` and ``add_sales``; see docs/mall.md.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.credit import service as credit
from procurement.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from procurement.identity.models import Organisation, Role
from procurement.mall import agreements, files, onboarding, pricing, sanctions
from procurement.mall.models import (
    Agreement,
    PriceChange,
    PriceReview,
    Product,
    ProductFile,
    ProductRegion,
    ProductStatus,
    ReferencePrice,
    ReviewStatus,
)
from procurement.mall.schemas import ProductIn, ProductUpdate, ReferenceIn
from procurement.platform import Platform
from procurement.tenders.money import to_fen, to_yuan

# Reasons the platform itself gives in the price history (message ids, translated on display).
LISTED = N_("listed")
OFFERED_AGAIN = N_("offered again")
REFERENCES_CHANGED = N_("reference prices changed")

# --- What is on sale --------------------------------------------------------------------------


def on_sale_clause(now: datetime | ColumnElement[datetime], today: date | ColumnElement[date]) -> ColumnElement[bool]:
    agreements_in_force = select(Agreement.id).where(Agreement.valid_from <= today, Agreement.valid_until >= today)
    return and_(
        Product.status == ProductStatus.on_sale,
        Product.agreement_id.in_(agreements_in_force),
        Product.supplier_organisation_id.not_in(sanctions.barred_suppliers(now, today)),
    )


# Statements that run at every order are built once with the time as parameters: building the
# on-sale test and computing its cache key cost ~1 ms a statement, more than running it.
# Pass ``sale_times(platform)`` with their other parameters.
NOW, TODAY = bindparam("now"), bindparam("today")

_TAKE_STOCK = (
    update(Product)
    .where(Product.id == bindparam("product_id"), Product.stock >= bindparam("quantity"), Product.price_fen == bindparam("price_fen_read"),
           on_sale_clause(NOW, TODAY))
    .values(stock=Product.stock - bindparam("quantity")).returning(Product.stock)
    .execution_options(synchronize_session=False)  # no search of the session for copies to update: none is read after
)
_PRICE_ON_SALE = select(Product.price_fen).where(Product.id == bindparam("product_id"), on_sale_clause(NOW, TODAY))


def sale_times(platform: Platform) -> dict[str, object]:
    """The values of ``NOW`` and ``TODAY``: the platform's time and Beijing's date."""
    return {"now": platform.clock.now(), "today": sanctions.beijing_today(platform)}


async def barred(session: AsyncSession, platform: Platform, organisation_id: int) -> bool:
    query = select(sanctions.barred_suppliers(platform.clock.now(), sanctions.beijing_today(platform)).subquery().c[0])
    return organisation_id in set((await session.execute(query)).scalars())


def effective_status(product: Product, supplier_barred: bool) -> str:
    """The status shown: ``supplier_suspended`` overrides while the supplier is barred."""
    return ProductStatus.supplier_suspended if supplier_barred and product.status != ProductStatus.delisted else product.status


async def product_for_sale(session: AsyncSession, platform: Platform, product_id: int, *, for_update: bool = False) -> Product:
    """The product if it can be bought now, else Conflict (NotFound if it does not exist).

    ``for_update`` locks the row (PostgreSQL; SQLite serialises writers anyway), so an order
    reads the price and stock it will reserve against.
    """
    now, today = platform.clock.now(), sanctions.beijing_today(platform)
    query = select(Product).where(Product.id == product_id, on_sale_clause(now, today))
    if for_update:
        query = query.with_for_update()
    product = (await session.execute(query)).scalars().first()
    if product is None:
        if await session.get(Product, product_id) is None:
            raise NotFound("there is no product %(id)s", id=product_id)
        raise Conflict(N_("this product is not on sale now (blocked for its price, delisted, or its supplier is barred)"))
    return product


async def reserve_stock(session: AsyncSession, platform: Platform, product: Product, quantity: int) -> int:
    """Take ``quantity`` from the stock at the price ``product`` was read with; Conflict if that cannot be.

    The stock test, the price test and the on-sale test are one conditional UPDATE, so
    concurrent orders never oversell on either database, and an order never takes stock at a
    price that changed after it read the product, nor from one that left sale meanwhile. The
    UPDATE is also the order's first lock on the product row: checkout does it last, so the
    hot row is held only for the budget, the audit entry and the commit. Returns the stock left.
    """
    if quantity <= 0:
        raise InvalidInput.for_field("body.quantity", N_("must be more than zero"))
    left = (await session.execute(
        _TAKE_STOCK, {"product_id": product.id, "quantity": quantity, "price_fen_read": product.price_fen, **sale_times(platform)},
    )).scalar_one_or_none()
    if left is not None:
        return int(left)
    # Why not: read the row as it is now (not the session's copy) to say so.
    current = (await session.execute(_PRICE_ON_SALE, {"product_id": product.id, **sale_times(platform)})).scalar_one_or_none()
    if current is None:
        await product_for_sale(session, platform, product.id)  # type: ignore[arg-type]  # raises: gone, or not on sale
    if current != product.price_fen:
        raise Conflict(
            "the price of %(name)s changed from %(old)s to %(new)s yuan while the order was placed: check the cart and order again",
            name=product.name, old=to_yuan(product.price_fen), new=to_yuan(current or 0),
        )
    raise Conflict(N_("not enough stock for this quantity"))


async def release_stock(session: AsyncSession, product_id: int, quantity: int) -> None:
    """Give back what ``reserve_stock`` took (an order refused, cancelled or returned)."""
    await session.execute(update(Product).where(Product.id == product_id).values(stock=Product.stock + quantity))


async def add_sales(session: AsyncSession, product_id: int, quantity: int) -> None:
    """Count units sold (the catalogue's sort by sales); orders call it when an order is accepted."""
    await session.execute(update(Product).where(Product.id == product_id).values(sales_count=Product.sales_count + quantity))


# --- Reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductView:
    product: Product
    supplier_name: str
    regions: list[str]
    files: list[ProductFile]
    status: str  # the effective status

    @property
    def specifications(self) -> dict[str, object]:
        return json.loads(self.product.specifications)


async def visible_product(session: AsyncSession, platform: Platform, actor: Actor | None, product_id: int) -> ProductView:
    """A product as its viewer may see it: on sale for everyone; any state for its supplier, the centre and supervisors."""
    product = await session.get(Product, product_id)
    if product is None:
        raise NotFound("there is no product %(id)s", id=product_id)
    insider = actor is not None and (actor.has(Role.operator, Role.supervisor) or actor.organisation_id == product.supplier_organisation_id)
    if not insider:
        product = await product_for_sale(session, platform, product_id)
    return await _view(session, platform, product)


async def _view(session: AsyncSession, platform: Platform, product: Product) -> ProductView:
    name = (await session.execute(select(Organisation.name).where(Organisation.id == product.supplier_organisation_id))).scalar_one()
    regions = (await session.execute(select(ProductRegion.region).where(ProductRegion.product_id == product.id).order_by(ProductRegion.region))).scalars()
    found = (await session.execute(select(ProductFile).where(ProductFile.product_id == product.id).order_by(ProductFile.id))).scalars()
    status = effective_status(product, await barred(session, platform, product.supplier_organisation_id))
    return ProductView(product, name, list(regions), list(found), status)


async def price_history(session: AsyncSession, product_id: int) -> list[PriceChange]:
    query = select(PriceChange).where(PriceChange.product_id == product_id).order_by(PriceChange.id)
    return list((await session.execute(query)).scalars())


async def references(session: AsyncSession, product_id: int) -> list[ReferencePrice]:
    query = select(ReferencePrice).where(ReferencePrice.product_id == product_id).order_by(ReferencePrice.observed_on.desc(), ReferencePrice.id.desc())
    return list((await session.execute(query)).scalars())


async def own_products(session: AsyncSession, platform: Platform, actor: Actor) -> list[ProductView]:
    query = select(Product).where(Product.supplier_organisation_id == actor.organisation_id).order_by(Product.id.desc()).limit(500)
    return [await _view(session, platform, p) for p in (await session.execute(query)).scalars()]


# --- Listing and changing ---------------------------------------------------------------------


def search_text(name: str, brand: str, model: str, specifications: dict[str, object]) -> str:
    """What a keyword is matched against: lower-cased, so Latin letters match in any case."""
    parts = [name, brand, model, *(f"{k} {v}" for k, v in specifications.items())]
    return " ".join(parts).lower()


async def _editable(session: AsyncSession, actor: Actor, product_id: int) -> Product:
    """The caller's own product, locked; another supplier's looks like a missing one."""
    product = await session.get(Product, product_id, with_for_update=True)
    if product is None or product.supplier_organisation_id != actor.organisation_id:
        raise NotFound("there is no product %(id)s", id=product_id)
    return product


async def _require_may_sell(session: AsyncSession, platform: Platform, actor: Actor, subject_id: object) -> None:
    """A barred supplier (sanction, blacklist) neither lists nor changes prices; the credit check is kept."""
    if not actor.has(Role.supplier):
        raise Forbidden(N_("products are listed by their suppliers"))
    await sanctions.require_not_sanctioned(session, platform, actor.organisation_id)
    await credit.require_clear(session, platform, [actor.organisation_id], "mall_listing", subject_type="mall_product", subject_id=subject_id)


async def create_product(session: AsyncSession, platform: Platform, actor: Actor, data: ProductIn) -> Product:
    """List a product under an agreement in force, in a category the supplier was approved for."""
    await _require_may_sell(session, platform, actor, "new")
    found = await agreements.agreement(session, data.agreement_id)
    if not agreements.in_force(found, sanctions.beijing_today(platform)):
        raise Conflict("the agreement %(number)s is not in force (%(start)s to %(end)s)", number=found.number, start=found.valid_from, end=found.valid_until)
    node = await agreements.category(session, data.category_id)
    if not agreements.covered(node, await agreements.agreement_category_ids(session, found.id)):  # type: ignore[arg-type]
        raise InvalidInput.for_field("body.category_id", N_("the agreement %(number)s does not cover the category %(name)s"), number=found.number, name=node.name)
    await onboarding.require_may_list(session, actor.organisation_id, found.id, node)  # type: ignore[arg-type]
    price, ceiling = to_fen(data.price), to_fen(data.ceiling)
    status = pricing.decide(price, ceiling, None, platform.settings)
    now = platform.clock.now()
    product = Product(
        supplier_organisation_id=actor.organisation_id, agreement_id=found.id, category_id=node.id, name=data.name, brand=data.brand,  # type: ignore[arg-type]
        model=data.model, specifications=json.dumps(data.specifications, ensure_ascii=False, sort_keys=True),
        search_text=search_text(data.name, data.brand, data.model, data.specifications), stock=data.stock, lead_time_days=data.lead_time_days,
        price_fen=price, ceiling_fen=ceiling, status=status, created_by=actor.user_id, created_at=now, updated_at=now,
    )
    session.add(product)
    await session.flush()
    session.add_all([ProductRegion(product_id=product.id, region=r) for r in sorted(set(data.delivery_regions))])  # type: ignore[arg-type]
    session.add(PriceChange(product_id=product.id, new_fen=price, reason=LISTED, outcome=status, changed_by=actor.user_id, changed_at=now))  # type: ignore[arg-type]
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "mall.product_listed", subject_type="mall_product", subject_id=product.id,
        organisation_id=actor.organisation_id,
        details={"agreement_id": found.id, "category_id": node.id, "name": data.name, "price_fen": price, "ceiling_fen": ceiling, "status": status},
    )
    return product


async def update_product(session: AsyncSession, platform: Platform, actor: Actor, product_id: int, data: ProductUpdate) -> Product:
    """Change what a supplier may change besides the price."""
    await _require_may_sell(session, platform, actor, product_id)
    product = await _editable(session, actor, product_id)
    changes = data.model_dump(exclude_none=True)
    for name in ("name", "brand", "model", "stock", "lead_time_days"):
        if name in changes:
            setattr(product, name, changes[name])
    if data.specifications is not None:
        product.specifications = json.dumps(data.specifications, ensure_ascii=False, sort_keys=True)
    product.search_text = search_text(product.name, product.brand, product.model, json.loads(product.specifications))
    if data.delivery_regions is not None:
        await session.execute(delete(ProductRegion).where(ProductRegion.product_id == product_id))
        session.add_all([ProductRegion(product_id=product_id, region=r) for r in sorted(set(data.delivery_regions))])
    product.updated_at = platform.clock.now()
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "mall.product_updated", subject_type="mall_product", subject_id=product_id,
        organisation_id=actor.organisation_id, details={"changed": sorted(changes)},
    )
    return product


async def _settle_price(session: AsyncSession, platform: Platform, actor: Actor, product: Product, price: int, reason: str) -> None:
    """Apply a price (or re-judge the current one): status, review queue, history, audit."""
    status = pricing.decide(price, product.ceiling_fen, product.reference_fen, platform.settings)
    await _close_reviews(session, product.id, ReviewStatus.superseded, actor, reason)  # type: ignore[arg-type]
    if status == ProductStatus.pending_review:
        session.add(PriceReview(
            product_id=product.id, price_fen=price, reference_fen=product.reference_fen, status=ReviewStatus.pending,  # type: ignore[arg-type]
            created_at=platform.clock.now(),
        ))
    old, product.price_fen, product.status, product.updated_at = product.price_fen, price, status, platform.clock.now()
    session.add(PriceChange(product_id=product.id, old_fen=old, new_fen=price, reason=reason, outcome=status, changed_by=actor.user_id, changed_at=platform.clock.now()))  # type: ignore[arg-type]
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "mall.price_changed", subject_type="mall_product", subject_id=product.id,
        organisation_id=product.supplier_organisation_id, details={"old_fen": old, "new_fen": price, "reason": reason, "status": status},
    )


async def _close_reviews(session: AsyncSession, product_id: int, status: ReviewStatus, actor: Actor, reason: str) -> None:
    await session.execute(
        update(PriceReview).where(PriceReview.product_id == product_id, PriceReview.status == ReviewStatus.pending)
        .values(status=status, decided_by=actor.user_id, reason=reason)
    )


async def change_price(session: AsyncSession, platform: Platform, actor: Actor, product_id: int, price_yuan: object, reason: str) -> Product:
    """The supplier sets a new price; above the ceiling it is refused, far above the references it waits for review."""
    await _require_may_sell(session, platform, actor, product_id)
    product = await _editable(session, actor, product_id)
    if product.status == ProductStatus.delisted:
        raise Conflict(N_("offer the product again before changing its price"))
    await _settle_price(session, platform, actor, product, to_fen(price_yuan), reason)  # type: ignore[arg-type]
    return product


async def set_listing(session: AsyncSession, platform: Platform, actor: Actor, product_id: int, *, on_sale: bool, reason: str) -> Product:
    """Delist a product (its supplier or an operator), or offer it again (its supplier; the price is judged again)."""
    if actor.has(Role.operator) and not on_sale:
        product = await session.get(Product, product_id, with_for_update=True)
        if product is None:
            raise NotFound("there is no product %(id)s", id=product_id)
    else:
        await _require_may_sell(session, platform, actor, product_id)
        product = await _editable(session, actor, product_id)
    if not on_sale:
        if product.status == ProductStatus.delisted:
            return product
        await _close_reviews(session, product_id, ReviewStatus.superseded, actor, reason)
        product.status, product.updated_at = ProductStatus.delisted, platform.clock.now()
        await audit.record(
            session, platform.clock, actor, "mall.product_delisted", subject_type="mall_product", subject_id=product_id,
            organisation_id=product.supplier_organisation_id, details={"reason": reason},
        )
        return product
    if product.status != ProductStatus.delisted:
        raise Conflict(N_("only a delisted product can be offered again"))
    await _settle_price(session, platform, actor, product, product.price_fen, reason or OFFERED_AGAIN)
    return product


async def set_ceiling(session: AsyncSession, platform: Platform, actor: Actor, product_id: int, ceiling_yuan: object, reason: str) -> Product:
    """An operator corrects the agreed ceiling; a price now above it blocks the product (blocked_price)."""
    if not actor.has(Role.operator):
        raise Forbidden(N_("ceiling prices are set by the trading centre's operators"))
    product = await session.get(Product, product_id, with_for_update=True)
    if product is None:
        raise NotFound("there is no product %(id)s", id=product_id)
    old, product.ceiling_fen = product.ceiling_fen, to_fen(ceiling_yuan)  # type: ignore[arg-type]
    if product.price_fen > product.ceiling_fen and product.status != ProductStatus.delisted:
        await _close_reviews(session, product_id, ReviewStatus.superseded, actor, reason)
        product.status = ProductStatus.blocked_price
    product.updated_at = platform.clock.now()
    await audit.record(
        session, platform.clock, actor, "mall.ceiling_changed", subject_type="mall_product", subject_id=product_id,
        organisation_id=product.supplier_organisation_id, details={"old_fen": old, "new_fen": product.ceiling_fen, "reason": reason, "status": product.status},
    )
    return product


async def decide_review(session: AsyncSession, platform: Platform, actor: Actor, review_id: int, *, approve: bool, reason: str) -> PriceReview:
    """An operator approves a held price (the product goes on sale) or rejects it (blocked until the price changes)."""
    if not actor.has(Role.operator):
        raise Forbidden(N_("held prices are reviewed by the trading centre's operators"))
    review = await session.get(PriceReview, review_id, with_for_update=True)
    if review is None:
        raise NotFound("there is no price review %(id)s", id=review_id)
    if review.status != ReviewStatus.pending:
        raise Conflict("this review is %(status)s already", status=review.status)
    product = await session.get(Product, review.product_id, with_for_update=True)
    assert product is not None
    now = platform.clock.now()
    review.status = ReviewStatus.approved if approve else ReviewStatus.rejected
    review.decided_by, review.decided_at, review.reason = actor.user_id, now, reason
    product.status, product.updated_at = (ProductStatus.on_sale if approve else ProductStatus.blocked_price), now
    await audit.record(
        session, platform.clock, actor, f"mall.price_review_{review.status}", subject_type="mall_product", subject_id=product.id,
        organisation_id=product.supplier_organisation_id, details={"review_id": review_id, "price_fen": review.price_fen, "reason": reason},
    )
    return review


async def add_reference(session: AsyncSession, platform: Platform, actor: Actor, product_id: int, data: ReferenceIn, *, via: str = "api") -> ReferencePrice:
    """Record an e-commerce price; the average changes, and the current price is judged again against it."""
    if not actor.has(Role.operator):
        raise Forbidden(N_("reference prices are entered by the trading centre's operators"))
    product = await session.get(Product, product_id, with_for_update=True)
    if product is None:
        raise NotFound("there is no product %(id)s", id=product_id)
    reference = ReferencePrice(
        product_id=product_id, source=data.source, url=data.url, price_fen=to_fen(data.price), observed_on=data.observed_on,
        entered_by=actor.user_id, entered_at=platform.clock.now(),
    )
    session.add(reference)
    await session.flush()
    product.reference_fen = await pricing.reference_average(session, product_id)
    await audit.record(
        session, platform.clock, actor, "mall.reference_added", subject_type="mall_product", subject_id=product_id,
        organisation_id=product.supplier_organisation_id,
        details={"source": data.source, "url": data.url, "price_fen": reference.price_fen, "observed_on": data.observed_on.isoformat(),
                 "average_fen": product.reference_fen, "via": via},
    )
    await _rejudge(session, platform, actor, product)
    return reference


async def _rejudge(session: AsyncSession, platform: Platform, actor: Actor, product: Product) -> None:
    """After the average moved: an offered price now too high is held; a held one now acceptable is released."""
    if product.status not in (ProductStatus.on_sale, ProductStatus.pending_review):
        return
    verdict = pricing.decide(product.price_fen, product.ceiling_fen, product.reference_fen, platform.settings)
    if verdict != product.status:
        await _settle_price(session, platform, actor, product, product.price_fen, REFERENCES_CHANGED)


async def attach_file(
    platform: Platform, actor: Actor, product_id: int, *, kind: str, name: str, chunks: AsyncIterable[bytes], content_type: str, content_length: int | None,
) -> ProductFile:
    """Stream an image or document of the caller's own product into storage with its SHA-256."""
    if kind not in ("image", "document"):
        raise InvalidInput.for_field("query.kind", N_("must be image or document"))
    async with platform.db.transaction(write=False) as session:
        await _editable(session, actor, product_id)
    files.check_declared(content_type, content_length, image=kind == "image")
    async with files.stored(platform, f"mall/products/{product_id}", chunks, content_type) as info, platform.db.transaction() as session:
        await _editable(session, actor, product_id)
        row = ProductFile(
            product_id=product_id, kind=kind, name=name, object_key=info.key, sha256=info.sha256, size=info.size,
            content_type=content_type, uploaded_by=actor.user_id, uploaded_at=platform.clock.now(),
        )
        session.add(row)
        await session.flush()
        await audit.record(
            session, platform.clock, actor, "mall.product_file", subject_type="mall_product", subject_id=product_id,
            organisation_id=actor.organisation_id, details={"kind": kind, "name": name, "sha256": info.sha256, "size": info.size},
        )
        return row


async def file_for(session: AsyncSession, platform: Platform, actor: Actor | None, file_id: int) -> ProductFile:
    """A product's file, for whoever may see the product."""
    row = await session.get(ProductFile, file_id)
    if row is None:
        raise NotFound("there is no file %(id)s", id=file_id)
    await visible_product(session, platform, actor, row.product_id)
    return row
