"""Mall orders: direct purchase (直购), the order's life, and savings.

placed → confirmed by the supplier (or refused with a reason; cancelled by the scheduler when
not confirmed within ``mall_confirm_days``) → shipped with a delivery note → accepted item by
item (验收; partial acceptance and rejection with reasons; all rejected: ``rejected``) →
invoiced by the supplier → settled when the purchaser confirms the payment (结算). The
purchaser may cancel until the goods are shipped. Every step is audited; the stock and the
budget taken at placement are given back when an order or a rejected item ends.

Concurrency: the stock is taken by ``catalogue.reserve_stock`` and the budget by
``budgets.reserve``, each one conditional UPDATE; products are locked in id order, then the
budget, so concurrent checkouts never oversell, never overspend, and never deadlock. Checkout
takes those locks last, after its checks and inserts: many orders for one product queue on its
row only for the two UPDATEs, the audit entry and the commit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import (
    Select,
    String,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.credit import service as credit
from procurement.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from procurement.identity.models import Organisation, Role
from procurement.mall import budgets, catalogue, sanctions
from procurement.mall.models import Category, Product, ProductRegion
from procurement.mall.order_models import (
    BOUGHT_STATUSES,
    Budget,
    CartItem,
    Order,
    OrderItem,
    OrderKind,
    OrderStatus,
)
from procurement.mall.order_schemas import AcceptanceIn, OrderIn
from procurement.models_base import row_of
from procurement.platform import Platform
from procurement.tenders.money import FEN_PER_YUAN

NOT_CONFIRMED = N_("not confirmed by the supplier in time")


def _purchaser(actor: Actor) -> None:
    if not actor.has(Role.purchaser):
        raise Forbidden(N_("mall orders are placed by purchasing units"))


# --- Placing ----------------------------------------------------------------------------------


async def place(session: AsyncSession, platform: Platform, actor: Actor, data: OrderIn, idempotency_key: str | None) -> tuple[list[Order], bool]:
    """Check out: one order per supplier. Returns (orders, created).

    A repeated submit with the same ``Idempotency-Key`` returns the orders the first one placed.
    """
    _purchaser(actor)
    if idempotency_key:
        earlier = await _by_key(session, actor.organisation_id, idempotency_key)
        if earlier:
            return earlier, False
    quantities: dict[int, int] = defaultdict(int)
    for line in data.items:
        quantities[line.product_id] += line.quantity
    now = platform.clock.now()
    today = sanctions.beijing_today(platform)
    products = await _checked_products(session, platform, sorted(quantities), data, today)
    year = budgets.budget_year(now)
    region, budget_id = await _unit(session, actor.organisation_id, year)
    rules = budgets.rules_for(platform.settings, region)
    by_supplier: dict[int, list[Product]] = defaultdict(list)
    for product in products:
        by_supplier[product.supplier_organisation_id].append(product)
    for lines in by_supplier.values():
        total = sum(p.price_fen * quantities[p.id] for p in lines)  # type: ignore[index]
        if total >= rules.direct_threshold_fen:
            raise Conflict(
                "an order of %(total)s yuan reaches the direct-purchase limit of %(limit)s yuan: post a mini-competition (竞价) instead",
                total=f"{total / FEN_PER_YUAN:.2f}", limit=f"{rules.direct_threshold_fen / FEN_PER_YUAN:.2f}",
            )
    if budget_id is None:
        raise Conflict(budgets.NO_BUDGET, year=year)
    placed = []
    for supplier_id, lines in sorted(by_supplier.items()):
        items = [_item(p, quantities[p.id]) for p in lines]  # type: ignore[index]
        placed.append((await _insert(session, _new_order(platform, actor, OrderKind.direct, supplier_id, budget_id, items, data, idempotency_key), items), items))
    # The locks, last and always in this order: products by id, the unit's budget, the audit head.
    for product in products:
        await catalogue.reserve_stock(session, platform, product, quantities[product.id])  # type: ignore[index]
    await budgets.reserve(session, actor.organisation_id, year, sum(p.price_fen * quantities[p.id] for p in products))  # type: ignore[index]
    for order, items in placed:
        await _audit_placed(session, platform, actor, order, items)
    return [order for order, _ in placed], True


async def _by_key(session: AsyncSession, organisation_id: int, key: str) -> list[Order]:
    query = select(Order).where(Order.purchaser_organisation_id == organisation_id, Order.idempotency_key == key).order_by(Order.id)
    return list((await session.execute(query)).scalars())


# Built once (see catalogue.NOW): each product with whether it is on sale now and delivered to the region.
_CHECKOUT_PRODUCTS = select(
    Product,
    catalogue.on_sale_clause(catalogue.NOW, catalogue.TODAY).label("on_sale"),
    exists().where(ProductRegion.product_id == Product.id, ProductRegion.region == bindparam("region")).label("delivered"),
).where(Product.id.in_(bindparam("ids", expanding=True)))


async def _checked_products(session: AsyncSession, platform: Platform, ids: list[int], data: OrderIn, today: date) -> list[Product]:
    """The products ordered, each refused with its reason unless it can be bought and delivered.

    One query reads each product with whether it is on sale now and delivered to the region
    (checkout runs under load: each statement costs more than its work); the supplier's credit
    check is kept for every order. Only a product not on sale costs more queries, to say why.
    The stock UPDATE at the end tests sale and price again, under the row lock.
    """
    rows = await session.execute(_CHECKOUT_PRODUCTS, {"ids": ids, "region": data.delivery_region, **catalogue.sale_times(platform)})
    found = {p.id: (p, bool(sale), bool(there)) for p, sale, there in rows.all()}
    for index, product_id in enumerate(ids):
        if product_id not in found:
            raise InvalidInput.for_field(f"body.items[{index}].product_id", N_("there is no product %(id)s"), id=product_id)
    for supplier_id in sorted({p.supplier_organisation_id for p, _, _ in found.values()}):
        await credit.require_clear_kept(session, platform, "mall_order", organisation_ids=[supplier_id], subject_type="mall_order", subject_id="new")
    products = []
    for product_id in ids:
        product, for_sale, there = found[product_id]
        if not for_sale:  # a sanction names its reason; else the catalogue's own refusal
            await sanctions.require_not_sanctioned(session, platform, product.supplier_organisation_id)
            await catalogue.product_for_sale(session, platform, product_id)
        if not there:
            raise InvalidInput.for_field(
                "body.delivery_region", N_("%(name)s is not delivered to %(region)s"), name=product.name, region=data.delivery_region,
            )
        earliest = today + timedelta(days=product.lead_time_days)
        if data.requested_date < earliest:
            raise InvalidInput.for_field(
                "body.requested_date", N_("%(name)s needs %(days)s days: the earliest date is %(date)s"),
                name=product.name, days=product.lead_time_days, date=earliest.isoformat(),
            )
        products.append(product)
    return products


_UNIT = (
    select(Organisation.region, Budget.id)
    .outerjoin(Budget, and_(Budget.organisation_id == Organisation.id, Budget.year == bindparam("year")))
    .where(Organisation.id == bindparam("organisation_id"))
)


async def _unit(session: AsyncSession, organisation_id: int, year: int) -> tuple[str, int | None]:
    """The purchasing unit's region (its purchase limits) and its budget for the year, if it has one."""
    region, budget_id = (await session.execute(_UNIT, {"organisation_id": organisation_id, "year": year})).one()
    return region, budget_id


def _item(product: Product, quantity: int) -> OrderItem:
    return OrderItem(
        product_id=product.id, category_id=product.category_id, name=product.name, brand=product.brand, model=product.model,
        specifications=product.specifications, quantity=quantity, unit_price_fen=product.price_fen,
        reference_unit_fen=product.reference_fen or product.ceiling_fen,
    )


def _new_order(
    platform: Platform, actor: Actor, kind: OrderKind, supplier_id: int, budget_id: int, items: list[OrderItem], data: object, key: str | None,
    competition_id: int | None = None,
) -> Order:
    now = platform.clock.now()
    confirm_by = now + timedelta(days=platform.settings.mall_confirm_days)
    return Order(
        kind=kind, purchaser_organisation_id=actor.organisation_id, supplier_organisation_id=supplier_id, placed_by=actor.user_id,
        competition_id=competition_id, budget_id=budget_id, status=OrderStatus.placed,
        total_fen=sum(i.unit_price_fen * i.quantity for i in items), reference_fen=sum(i.reference_unit_fen * i.quantity for i in items),
        delivery_region=data.delivery_region, delivery_address=data.delivery_address, contact=data.contact,  # type: ignore[attr-defined]
        requested_date=data.requested_date, note=getattr(data, "note", ""), idempotency_key=key,  # type: ignore[attr-defined]
        placed_at=now, confirm_by=confirm_by, next_check=confirm_by,
    )


async def _add(session: AsyncSession, platform: Platform, actor: Actor, order: Order, items: list[OrderItem]) -> Order:
    await _insert(session, order, items)
    await _audit_placed(session, platform, actor, order, items)
    return order


async def _insert(session: AsyncSession, order: Order, items: list[OrderItem]) -> Order:
    session.add(order)
    try:
        await session.flush()
    except IntegrityError as exc:  # the same key submitted twice at the same moment: the other one placed it
        raise Conflict(N_("this order is being placed by another request with the same Idempotency-Key; ask for it again")) from exc
    for item in items:
        item.order_id = order.id  # type: ignore[assignment]
    # The lines in one Core INSERT, not the unit of work: they are final, and a second flush cost
    # more than the statement at every checkout. The objects stay detached records of what was stored.
    await session.execute(insert(OrderItem), [row_of(item, without=("id",)) for item in items])
    return order



async def _audit_placed(session: AsyncSession, platform: Platform, actor: Actor, order: Order, items: list[OrderItem]) -> None:
    await audit.record(
        session, platform.clock, actor, "mall.order_placed", subject_type="mall_order", subject_id=order.id,
        organisation_id=order.purchaser_organisation_id,
        details={"kind": order.kind, "supplier_organisation_id": order.supplier_organisation_id, "total_fen": order.total_fen,
                 "items": [{"product_id": i.product_id, "quantity": i.quantity, "unit_price_fen": i.unit_price_fen} for i in items],
                 "competition_id": order.competition_id, "budget_id": order.budget_id},
    )


async def place_awarded(session: AsyncSession, platform: Platform, owner: Actor, competition: object, quote: object, budget_id: int) -> Order:
    """The order a won competition becomes (``competitions.close``); its budget is already reserved."""
    item = OrderItem(
        category_id=competition.category_id, name=competition.title, brand=quote.brand, model=quote.model,  # type: ignore[attr-defined]
        specifications=quote.specifications, quantity=competition.quantity, unit_price_fen=quote.unit_price_fen,  # type: ignore[attr-defined]
        reference_unit_fen=competition.ceiling_fen,  # type: ignore[attr-defined]
    )
    order = _new_order(platform, owner, OrderKind.competition, quote.supplier_organisation_id, budget_id, [item], competition, None,  # type: ignore[attr-defined]
                       competition_id=competition.id)  # type: ignore[attr-defined]
    return await _add(session, platform, owner, order, [item])


# --- The cart ---------------------------------------------------------------------------------


async def cart(session: AsyncSession, actor: Actor) -> list[tuple[CartItem, Product]]:
    query = select(CartItem, Product).join(Product, Product.id == CartItem.product_id).where(CartItem.user_id == actor.user_id).order_by(Product.supplier_organisation_id, Product.id)
    return [(c, p) for c, p in (await session.execute(query)).all()]


async def put_in_cart(session: AsyncSession, platform: Platform, actor: Actor, product_id: int, quantity: int) -> None:
    """Set a product's quantity in the caller's cart (0 takes it out); only what is on sale goes in."""
    _purchaser(actor)
    if quantity < 0 or quantity > 100000:
        raise InvalidInput.for_field("body.quantity", N_("must be between 0 and 100000"))
    await session.execute(delete(CartItem).where(CartItem.user_id == actor.user_id, CartItem.product_id == product_id))
    if quantity:
        await catalogue.product_for_sale(session, platform, product_id)
        session.add(CartItem(user_id=actor.user_id, product_id=product_id, quantity=quantity, added_at=platform.clock.now()))
    await session.flush()


async def empty_cart(session: AsyncSession, actor: Actor) -> None:
    await session.execute(delete(CartItem).where(CartItem.user_id == actor.user_id))


# --- Reading ----------------------------------------------------------------------------------


def _visible(actor: Actor) -> Select[tuple[Order]]:
    query = select(Order)
    if actor.has(Role.operator, Role.supervisor):
        return query
    return query.where(or_(Order.purchaser_organisation_id == actor.organisation_id, Order.supplier_organisation_id == actor.organisation_id))


async def order(session: AsyncSession, actor: Actor, order_id: int, *, lock: bool = False) -> Order:
    """An order its purchaser, its supplier, the centre and supervisors see; to others it does not exist."""
    query = _visible(actor).where(Order.id == order_id)
    found = (await session.execute(query.with_for_update() if lock else query)).scalars().first()
    if found is None:
        raise NotFound("there is no order %(id)s", id=order_id)
    return found


async def items(session: AsyncSession, order_id: int) -> list[OrderItem]:
    return list((await session.execute(select(OrderItem).where(OrderItem.order_id == order_id).order_by(OrderItem.id))).scalars())


async def orders(session: AsyncSession, actor: Actor, *, status: str | None = None, limit: int = 200) -> list[Order]:
    query = _visible(actor)
    if status:
        query = query.where(Order.status == status)
    return list((await session.execute(query.order_by(Order.id.desc()).limit(limit))).scalars())


async def names(session: AsyncSession, organisation_ids: set[int]) -> dict[int, str]:
    rows = await session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(organisation_ids or {0})))
    return dict(rows.all())  # type: ignore[arg-type]


# --- The order's life -------------------------------------------------------------------------


async def _as_supplier(session: AsyncSession, actor: Actor, order_id: int, *expected: OrderStatus) -> Order:
    found = await order(session, actor, order_id, lock=True)
    if not actor.has(Role.supplier) or found.supplier_organisation_id != actor.organisation_id:
        raise Forbidden(N_("only the order's supplier can do this"))
    return _in(found, *expected)


async def _as_purchaser(session: AsyncSession, actor: Actor, order_id: int, *expected: OrderStatus) -> Order:
    found = await order(session, actor, order_id, lock=True)
    if not actor.has(Role.purchaser) or found.purchaser_organisation_id != actor.organisation_id:
        raise Forbidden(N_("only the purchasing unit that placed the order can do this"))
    return _in(found, *expected)


def _in(found: Order, *expected: OrderStatus) -> Order:
    if found.status not in expected:
        raise Conflict("this order is %(status)s; this step needs it %(expected)s", status=found.status, expected=" / ".join(expected))
    return found


async def _record(session: AsyncSession, platform: Platform, actor: Actor | None, found: Order, action: str, **details: object) -> None:
    await audit.record(
        session, platform.clock, actor, f"mall.order_{action}", subject_type="mall_order", subject_id=found.id,
        organisation_id=found.purchaser_organisation_id, details={"status": found.status, **details},
    )


async def _give_back(session: AsyncSession, found: Order, *, all_items: bool) -> None:
    """Return the stock and budget an order held: all of it, or what acceptance rejected."""
    for item in await items(session, found.id):  # type: ignore[arg-type]
        returned = item.quantity if all_items else item.quantity - (item.accepted_quantity or 0)
        if item.product_id is not None and returned:
            await catalogue.release_stock(session, item.product_id, returned)
    await budgets.release(session, found.budget_id, found.total_fen - (0 if all_items else found.accepted_fen or 0))


async def confirm(session: AsyncSession, platform: Platform, actor: Actor, order_id: int) -> Order:
    found = await _as_supplier(session, actor, order_id, OrderStatus.placed)
    found.status, found.confirmed_at, found.next_check = OrderStatus.confirmed, platform.clock.now(), None
    await _record(session, platform, actor, found, "confirmed")
    return found


async def refuse(session: AsyncSession, platform: Platform, actor: Actor, order_id: int, reason: str) -> Order:
    found = await _as_supplier(session, actor, order_id, OrderStatus.placed)
    await _close(session, platform, actor, found, OrderStatus.refused, reason)
    return found


async def cancel(session: AsyncSession, platform: Platform, actor: Actor, order_id: int, reason: str) -> Order:
    """The purchaser withdraws an order not yet shipped."""
    found = await _as_purchaser(session, actor, order_id, OrderStatus.placed, OrderStatus.confirmed)
    await _close(session, platform, actor, found, OrderStatus.cancelled, reason)
    return found


async def _close(session: AsyncSession, platform: Platform, actor: Actor | None, found: Order, status: OrderStatus, reason: str) -> None:
    await _give_back(session, found, all_items=True)
    found.status, found.closed_at, found.closed_reason, found.next_check = status, platform.clock.now(), reason, None
    await _record(session, platform, actor, found, status, reason=reason)


async def cancel_unconfirmed(session: AsyncSession, platform: Platform, order_id: int) -> bool:
    """The scheduler's recheck: an order still unconfirmed at ``confirm_by`` is cancelled; idempotent."""
    found = await session.get(Order, order_id, with_for_update=True)
    if found is None or found.status != OrderStatus.placed or found.confirm_by > platform.clock.now():
        return False
    await _close(session, platform, None, found, OrderStatus.cancelled, NOT_CONFIRMED)
    return True


async def ship(session: AsyncSession, platform: Platform, actor: Actor, order_id: int, delivery_note: str) -> Order:
    found = await _as_supplier(session, actor, order_id, OrderStatus.confirmed)
    found.status, found.shipped_at, found.delivery_note = OrderStatus.shipped, platform.clock.now(), delivery_note
    await _record(session, platform, actor, found, "shipped", delivery_note=delivery_note)
    return found


async def accept(session: AsyncSession, platform: Platform, actor: Actor, order_id: int, data: AcceptanceIn) -> Order:
    """验收: every item checked against its specifications; fewer than ordered needs a reason.

    Rejected units go back to the supplier's stock and their amount back to the budget; an
    order with nothing accepted ends ``rejected``.
    """
    found = await _as_purchaser(session, actor, order_id, OrderStatus.shipped)
    lines = {line.item_id: line for line in data.items}
    current = await items(session, order_id)
    if set(lines) != {i.id for i in current}:
        raise InvalidInput.for_field("body.items", N_("give a result for every item of the order, once each"))
    for index, item in enumerate(current):
        line = lines[item.id]  # type: ignore[index]
        if line.accepted_quantity > item.quantity:
            raise InvalidInput.for_field(f"body.items[{index}].accepted_quantity", N_("may not exceed the %(n)s ordered"), n=item.quantity)
        if line.accepted_quantity < item.quantity and len(line.reason.strip()) < 2:
            raise InvalidInput.for_field(f"body.items[{index}].reason", N_("say why the item is rejected"))
        item.accepted_quantity, item.rejection_reason = line.accepted_quantity, line.reason.strip() if line.accepted_quantity < item.quantity else ""
        if item.product_id is not None and line.accepted_quantity:
            await catalogue.add_sales(session, item.product_id, line.accepted_quantity)
    found.accepted_fen = sum(i.unit_price_fen * (i.accepted_quantity or 0) for i in current)
    found.accepted_at, found.acceptance_note = platform.clock.now(), data.note
    await _give_back(session, found, all_items=False)
    found.status = OrderStatus.accepted if found.accepted_fen else OrderStatus.rejected
    if found.status == OrderStatus.rejected:
        found.closed_at, found.closed_reason = found.accepted_at, "; ".join(i.rejection_reason for i in current)
    await _record(session, platform, actor, found, "accepted" if found.accepted_fen else "rejected", accepted_fen=found.accepted_fen,
                  items=[{"item_id": i.id, "accepted": i.accepted_quantity, "reason": i.rejection_reason} for i in current], note=data.note)
    return found


async def invoice(session: AsyncSession, platform: Platform, actor: Actor, order_id: int, number: str, amount_fen: int) -> Order:
    """The supplier records its invoice, for exactly the accepted amount."""
    found = await _as_supplier(session, actor, order_id, OrderStatus.accepted)
    if amount_fen != found.accepted_fen:
        raise InvalidInput.for_field("body.amount", N_("must equal the accepted amount, %(amount)s yuan"), amount=f"{(found.accepted_fen or 0) / FEN_PER_YUAN:.2f}")
    found.status, found.invoice_number, found.invoiced_at = OrderStatus.invoiced, number, platform.clock.now()
    await _record(session, platform, actor, found, "invoiced", invoice_number=number, amount_fen=amount_fen)
    return found


async def pay(session: AsyncSession, platform: Platform, actor: Actor, order_id: int, reference: str) -> Order:
    """The purchaser confirms the payment: the order is settled (结算)."""
    found = await _as_purchaser(session, actor, order_id, OrderStatus.invoiced)
    found.status, found.payment_reference, found.settled_at = OrderStatus.settled, reference, platform.clock.now()
    await budgets.record_paid(session, found.budget_id, found.accepted_fen or 0)
    await _record(session, platform, actor, found, "settled", payment_reference=reference, amount_fen=found.accepted_fen)
    return found


# --- Monitoring and savings -------------------------------------------------------------------


async def late(session: AsyncSession, platform: Platform) -> list[tuple[str, Order]]:
    """Late confirmations (waiting more than a day, or cancelled for it) and late deliveries (not shipped by the requested date)."""
    now, today = platform.clock.now(), sanctions.beijing_today(platform)
    confirmations = select(Order).where(or_(
        and_(Order.status == OrderStatus.placed, Order.placed_at <= now - timedelta(days=1)),
        and_(Order.status == OrderStatus.cancelled, Order.closed_reason == NOT_CONFIRMED, Order.closed_at >= now - timedelta(days=90)),
    ))
    deliveries = select(Order).where(Order.status.in_((OrderStatus.placed, OrderStatus.confirmed)), Order.requested_date < today)
    found = [("confirmation", o) for o in (await session.execute(confirmations.order_by(Order.placed_at).limit(200))).scalars()]
    found += [("delivery", o) for o in (await session.execute(deliveries.order_by(Order.requested_date).limit(200))).scalars()]
    return found


GROUPS = ("unit", "category", "month")


@dataclass(frozen=True)
class Savings:
    key: str
    label: str
    orders: int
    reference_fen: int
    paid_fen: int

    @property
    def savings_fen(self) -> int:
        return self.reference_fen - self.paid_fen

    @property
    def rate(self) -> Decimal:
        """Savings as a percentage of the reference (amount-weighted), two places."""
        return (Decimal(self.savings_fen * 100) / self.reference_fen).quantize(Decimal("0.01")) if self.reference_fen else Decimal(0)


async def mall_savings(session: AsyncSession, period_from: datetime, period_to: datetime, group_by: str) -> list[Savings]:
    """Savings of orders placed in [from, to): e-commerce reference (else the ceiling) minus the price paid.

    Counts what was bought: the accepted units of accepted, invoiced and settled orders, and
    every unit of orders confirmed or shipped; grouped by purchasing unit, category or month
    (Beijing time is not applied to the month: placed_at's UTC month, as statistics does).
    """
    if group_by not in GROUPS:
        raise InvalidInput.for_field("query.group_by", N_("must be one of: %(choices)s"), choices=", ".join(GROUPS))
    counted = func.coalesce(OrderItem.accepted_quantity, OrderItem.quantity) - OrderItem.returned_quantity  # returns (returns.py) count off
    keys = {
        "unit": (Order.purchaser_organisation_id, Organisation.name),
        "category": (OrderItem.category_id, Category.name),
        "month": (func.substr(cast(Order.placed_at, String), 1, 7), None),
    }
    key, label = keys[group_by]
    columns = [key, label if label is not None else key,
               func.count(func.distinct(Order.id)), func.sum(counted * OrderItem.reference_unit_fen), func.sum(counted * OrderItem.unit_price_fen)]
    query = (
        select(*columns).join(Order, Order.id == OrderItem.order_id)
        .where(Order.status.in_((OrderStatus.confirmed, OrderStatus.shipped, *BOUGHT_STATUSES)), Order.placed_at >= period_from, Order.placed_at < period_to)
        .group_by(key, *([label] if label is not None else [])).order_by(key)
    )
    if group_by == "unit":
        query = query.join(Organisation, Organisation.id == Order.purchaser_organisation_id)
    if group_by == "category":
        query = query.join(Category, Category.id == OrderItem.category_id)
    return [Savings(str(k), str(name), int(n), int(ref or 0), int(paid or 0)) for k, name, n, ref, paid in (await session.execute(query)).all()]


def order_savings(found: Order, lines: list[OrderItem]) -> int:
    """One order's savings in fen: reference minus price over the units bought (after acceptance: the accepted ones)."""
    if found.status in (OrderStatus.refused, OrderStatus.cancelled, OrderStatus.rejected):
        return 0
    return sum((i.reference_unit_fen - i.unit_price_fen) * ((i.quantity if i.accepted_quantity is None else i.accepted_quantity) - i.returned_quantity)
               for i in lines)
