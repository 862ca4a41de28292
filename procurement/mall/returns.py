"""Returns after acceptance (退货): accepted units sent back to the supplier and their amount released.

requested by the order's purchasing unit → agreed by the supplier (or by the scheduler when it
has not answered by ``answer_by``) or refused with a reason → the goods sent back (the
purchasing unit records how) → received (the supplier confirms). The purchasing unit may
withdraw a return until it sends the goods.

The rules:

- A return is asked for while the order is accepted, invoiced or settled, until
  ``mall_return_days`` Beijing days after the acceptance date (inclusive); for each item at most
  the units accepted, less those returned or held by another open return; with a reason.
- The supplier answers within ``mall_return_answer_days``. Silence agrees: the purchasing unit's
  right to return within the window must not depend on a supplier that does not answer, and an
  automatic agreement needs no operator to chase anyone (``agreed_automatically`` shows it).
- On receipt the units go back to stock (and out of the sales count), the order's accepted
  amount and its items' ``returned_quantity`` change, so invoicing, payment, savings and the
  statistics all count the net, and the amount is released to the budget the order committed.
  An order already invoiced needs the credit note (红字发票) that reduces the invoice; a settled
  one needs the refund's reference, and the budget's paid amount drops with its committed one.
  An order whose every accepted unit came back ends ``returned``.

Concurrency: every step locks the order row first (as the order's own steps do), then works on
the return; a request counts the units held by open returns under that lock, so two returns of
the same units cannot both pass, on either database. Steps repeated on a return already in the
state they lead to return it unchanged (a retried request), and a request repeated with the same
``Idempotency-Key`` returns the first return.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.clock import to_display
from procurement.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from procurement.identity.models import Role
from procurement.mall import catalogue, orders, sanctions
from procurement.mall.order_models import (
    OPEN_RETURN_STATUSES,
    Budget,
    Order,
    OrderItem,
    OrderReturn,
    OrderStatus,
    ReturnItem,
    ReturnStatus,
)
from procurement.mall.order_schemas import ReturnIn
from procurement.platform import Platform

# The order states in which accepted units are held by the purchasing unit and may go back.
RETURNABLE = (OrderStatus.accepted, OrderStatus.invoiced, OrderStatus.settled)
ALL_RETURNED = N_("every accepted unit was returned")


# --- Reading ----------------------------------------------------------------------------------


def return_until(platform: Platform, found: Order) -> date | None:
    """The last Beijing day the purchasing unit may ask for a return; None when the order is not returnable."""
    if found.status not in RETURNABLE or found.accepted_at is None:
        return None
    return to_display(found.accepted_at).date() + timedelta(days=platform.settings.mall_return_days)


async def of_order(session: AsyncSession, order_id: int) -> list[tuple[OrderReturn, list[ReturnItem]]]:
    """An order's returns, oldest first, each with its items (one query)."""
    rows = await session.execute(
        select(OrderReturn, ReturnItem).join(ReturnItem, ReturnItem.return_id == OrderReturn.id)
        .where(OrderReturn.order_id == order_id).order_by(OrderReturn.id, ReturnItem.order_item_id)
    )
    found: dict[int, tuple[OrderReturn, list[ReturnItem]]] = {}
    for row, item in rows.all():
        found.setdefault(row.id, (row, []))[1].append(item)  # type: ignore[index]
    return list(found.values())


async def returnable_quantities(session: AsyncSession, found: Order) -> dict[int, int]:
    """Per order item: the units that may still be asked back (accepted, less returned, less held by open returns)."""
    held = dict((await session.execute(
        select(ReturnItem.order_item_id, func.sum(ReturnItem.quantity)).join(OrderReturn, OrderReturn.id == ReturnItem.return_id)
        .where(OrderReturn.order_id == found.id, OrderReturn.status.in_(OPEN_RETURN_STATUSES)).group_by(ReturnItem.order_item_id)
    )).all())
    return {i.id: (i.accepted_quantity or 0) - i.returned_quantity - int(held.get(i.id, 0)) for i in await orders.items(session, found.id)}  # type: ignore[arg-type,misc]


# --- Who may act ------------------------------------------------------------------------------


async def _locked_order(session: AsyncSession, actor: Actor, order_id: int, party: str) -> Order:
    """The order, row-locked, for its purchasing unit (``party="purchaser"``) or its supplier; 404 to those who do not see it."""
    found = await orders.order(session, actor, order_id, lock=True)
    if party == "purchaser" and not (actor.has(Role.purchaser) and found.purchaser_organisation_id == actor.organisation_id):
        raise Forbidden(N_("only the purchasing unit that placed the order can do this"))
    if party == "supplier" and not (actor.has(Role.supplier) and found.supplier_organisation_id == actor.organisation_id):
        raise Forbidden(N_("only the order's supplier can do this"))
    return found


async def _locked_return(session: AsyncSession, found: Order, return_id: int) -> OrderReturn:
    query = select(OrderReturn).where(OrderReturn.id == return_id, OrderReturn.order_id == found.id).with_for_update()
    row = (await session.execute(query)).scalars().first()
    if row is None:
        raise NotFound(N_("order %(order)s has no return %(id)s"), order=found.id, id=return_id)
    return row


def _expect(row: OrderReturn, *expected: ReturnStatus) -> None:
    if row.status not in expected:
        raise Conflict(N_("this return is %(status)s; this step needs it %(expected)s"), status=row.status, expected=" / ".join(expected))


async def _record(session: AsyncSession, platform: Platform, actor: Actor | None, found: Order, row: OrderReturn, action: str,
                  **details: object) -> None:
    """Audited on the order, so that its history shows what changed its amounts."""
    await audit.record(
        session, platform.clock, actor, f"mall.return_{action}", subject_type="mall_order", subject_id=found.id,
        organisation_id=found.purchaser_organisation_id, details={"return_id": row.id, "status": row.status, **details},
    )


# --- The purchasing unit ----------------------------------------------------------------------


async def request(session: AsyncSession, platform: Platform, actor: Actor, order_id: int, data: ReturnIn,
                  idempotency_key: str | None) -> tuple[OrderReturn, bool]:
    """Ask to return accepted units. Returns (the return, created)."""
    found = await _locked_order(session, actor, order_id, "purchaser")
    if idempotency_key:
        earlier = (await session.execute(
            select(OrderReturn).where(OrderReturn.order_id == found.id, OrderReturn.idempotency_key == idempotency_key)
        )).scalars().first()
        if earlier is not None:
            return earlier, False
    last_day = return_until(platform, found)
    if last_day is None:
        raise Conflict(N_("this order is %(status)s; only accepted, invoiced or settled orders take returns"), status=found.status)
    if sanctions.beijing_today(platform) > last_day:
        raise Conflict(N_("returns could be asked for until %(date)s, %(days)s days after acceptance"),
                       date=last_day.isoformat(), days=platform.settings.mall_return_days)
    lines = await _valid_lines(session, found, data)
    now = platform.clock.now()
    answer_by = now + timedelta(days=platform.settings.mall_return_answer_days)
    row = OrderReturn(
        order_id=found.id, status=ReturnStatus.requested, reason=data.reason, idempotency_key=idempotency_key,  # type: ignore[arg-type]
        amount_fen=sum(item.unit_price_fen * quantity for item, quantity in lines), requested_by=actor.user_id,
        requested_at=now, answer_by=answer_by, next_check=answer_by,
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as exc:  # the same key at the same moment; the order lock makes this rare
        raise Conflict(N_("this return is being asked for by another request with the same Idempotency-Key; ask for it again")) from exc
    session.add_all([ReturnItem(return_id=row.id, order_item_id=item.id, quantity=quantity) for item, quantity in lines])  # type: ignore[arg-type]
    await session.flush()
    await _record(session, platform, actor, found, row, "requested", reason=row.reason, amount_fen=row.amount_fen,
                  items=[{"item_id": item.id, "quantity": quantity} for item, quantity in lines], answer_by=answer_by.isoformat())
    return row, True


async def _valid_lines(session: AsyncSession, found: Order, data: ReturnIn) -> list[tuple[OrderItem, int]]:
    items = {i.id: i for i in await orders.items(session, found.id)}  # type: ignore[arg-type]
    left = await returnable_quantities(session, found)
    seen: set[int] = set()
    lines = []
    for index, line in enumerate(data.items):
        if line.item_id not in items:
            raise InvalidInput.for_field(f"body.items[{index}].item_id", N_("is not an item of this order"))
        if line.item_id in seen:
            raise InvalidInput.for_field(f"body.items[{index}].item_id", N_("name each item once"))
        seen.add(line.item_id)
        if line.quantity > left[line.item_id]:
            raise InvalidInput.for_field(
                f"body.items[{index}].quantity", N_("at most %(n)s units of this item may be returned: those accepted, less those returned or being returned"),
                n=max(left[line.item_id], 0),
            )
        lines.append((items[line.item_id], line.quantity))
    return lines


async def withdraw(session: AsyncSession, platform: Platform, actor: Actor, order_id: int, return_id: int, reason: str) -> OrderReturn:
    """The purchasing unit drops its return before sending the goods; the units may be asked for again."""
    found = await _locked_order(session, actor, order_id, "purchaser")
    row = await _locked_return(session, found, return_id)
    if row.status == ReturnStatus.withdrawn:
        return row
    _expect(row, ReturnStatus.requested, ReturnStatus.agreed)
    row.status, row.closed_at, row.closed_reason, row.next_check = ReturnStatus.withdrawn, platform.clock.now(), reason, None
    await _record(session, platform, actor, found, row, "withdrawn", reason=reason)
    return row


async def send(session: AsyncSession, platform: Platform, actor: Actor, order_id: int, return_id: int, shipping_note: str) -> OrderReturn:
    """The purchasing unit records the goods sent back, once the return is agreed."""
    found = await _locked_order(session, actor, order_id, "purchaser")
    row = await _locked_return(session, found, return_id)
    if row.status in (ReturnStatus.sent, ReturnStatus.received):
        return row
    _expect(row, ReturnStatus.agreed)
    row.status, row.sent_at, row.shipping_note = ReturnStatus.sent, platform.clock.now(), shipping_note
    await _record(session, platform, actor, found, row, "sent", shipping_note=shipping_note)
    return row


# --- The supplier -----------------------------------------------------------------------------


async def agree(session: AsyncSession, platform: Platform, actor: Actor, order_id: int, return_id: int) -> OrderReturn:
    found = await _locked_order(session, actor, order_id, "supplier")
    row = await _locked_return(session, found, return_id)
    if row.status == ReturnStatus.agreed:
        return row
    _expect(row, ReturnStatus.requested)
    await _agree(session, platform, actor, found, row)
    return row


async def _agree(session: AsyncSession, platform: Platform, actor: Actor | None, found: Order, row: OrderReturn) -> None:
    row.status, row.answered_at, row.next_check = ReturnStatus.agreed, platform.clock.now(), None
    row.answered_by = actor.user_id if actor else None
    await _record(session, platform, actor, found, row, "agreed", automatic=actor is None)


async def refuse(session: AsyncSession, platform: Platform, actor: Actor, order_id: int, return_id: int, reason: str) -> OrderReturn:
    found = await _locked_order(session, actor, order_id, "supplier")
    row = await _locked_return(session, found, return_id)
    if row.status == ReturnStatus.refused:
        return row
    _expect(row, ReturnStatus.requested)
    now = platform.clock.now()
    row.status, row.answered_at, row.answered_by, row.closed_at, row.closed_reason, row.next_check = (
        ReturnStatus.refused, now, actor.user_id, now, reason, None)
    await _record(session, platform, actor, found, row, "refused", reason=reason)
    return row


async def receive(session: AsyncSession, platform: Platform, actor: Actor, order_id: int, return_id: int, reference: str) -> OrderReturn:
    """The supplier confirms the goods came back: stock, sales, the order's amounts and the budget follow.

    An invoiced order needs the credit note (红字发票) reducing the invoice; a settled one the
    refund's reference.
    """
    found = await _locked_order(session, actor, order_id, "supplier")
    row = await _locked_return(session, found, return_id)
    if row.status == ReturnStatus.received:
        return row
    _expect(row, ReturnStatus.sent)
    if found.status == OrderStatus.invoiced and len(reference.strip()) < 2:
        raise InvalidInput.for_field("body.reference", N_("the order is invoiced: give the number of the credit note (红字发票) that reduces the invoice"))
    if found.status == OrderStatus.settled and len(reference.strip()) < 2:
        raise InvalidInput.for_field("body.reference", N_("the order is settled: give the reference of the refund to the purchasing unit"))
    refunded = found.status == OrderStatus.settled
    kept = await _take_back(session, found, row)
    await _release_budget(session, found.budget_id, row.amount_fen, refunded=refunded)
    now = platform.clock.now()
    row.status, row.received_at, row.received_by, row.reference = ReturnStatus.received, now, actor.user_id, reference.strip()
    found.accepted_fen = (found.accepted_fen or 0) - row.amount_fen
    if not kept:
        found.status, found.closed_at, found.closed_reason = OrderStatus.returned, now, ALL_RETURNED
    await _record(session, platform, actor, found, row, "received", amount_fen=row.amount_fen, reference=row.reference,
                  refunded=refunded, order_status=found.status, accepted_fen=found.accepted_fen)
    return row


async def _take_back(session: AsyncSession, found: Order, row: OrderReturn) -> int:
    """Put the return's units back; returns the accepted units the purchasing unit still keeps."""
    lines = (await session.execute(select(ReturnItem).where(ReturnItem.return_id == row.id))).scalars()
    quantities: dict[int, int] = defaultdict(int, {line.order_item_id: line.quantity for line in lines})
    kept = 0
    for item in await orders.items(session, found.id):  # type: ignore[arg-type]
        returned = quantities[item.id]  # type: ignore[index]
        item.returned_quantity += returned
        kept += (item.accepted_quantity or 0) - item.returned_quantity
        if item.product_id is not None and returned:  # a competition's item was never in the catalogue's stock
            await catalogue.release_stock(session, item.product_id, returned)
            await catalogue.add_sales(session, item.product_id, -returned)  # returned units were not sold after all
    return kept


async def _release_budget(session: AsyncSession, budget_id: int, amount_fen: int, *, refunded: bool) -> None:
    """Release the returned amount in one conditional UPDATE: committed (and paid, when refunded) never go below zero.

    The order committed the amount when placed, so the condition only fails if the budget was
    corrupted; refusing then keeps a wrong figure from growing worse.
    """
    paid = amount_fen if refunded else 0
    released = (await session.execute(
        update(Budget).where(Budget.id == budget_id, Budget.committed_fen >= amount_fen, Budget.paid_fen >= paid)
        .values(committed_fen=Budget.committed_fen - amount_fen, paid_fen=Budget.paid_fen - paid).returning(Budget.id)
    )).scalar_one_or_none()
    if released is None:
        raise Conflict(N_("the budget does not hold the amount this order committed; ask the trading centre to check it"))


# --- The scheduler ----------------------------------------------------------------------------


async def due(session: AsyncSession, moment: datetime) -> list[tuple[int, datetime]]:
    """Requests still unanswered at their ``answer_by``."""
    rows = await session.execute(
        select(OrderReturn.id, OrderReturn.next_check).where(
            OrderReturn.status == ReturnStatus.requested, OrderReturn.next_check.is_not(None), OrderReturn.next_check <= moment)
    )
    return [(return_id, at) for return_id, at in rows.all()]


async def agree_unanswered(session: AsyncSession, platform: Platform, return_id: int) -> bool:
    """The recheck at ``answer_by``: a request the supplier has not answered is agreed; idempotent."""
    order_id = (await session.execute(select(OrderReturn.order_id).where(OrderReturn.id == return_id))).scalar_one_or_none()
    if order_id is None:
        return False
    found = await session.get(Order, order_id, with_for_update=True)  # the order first, as every step locks it
    row = await session.get(OrderReturn, return_id, with_for_update=True, populate_existing=True)
    if found is None or row is None or row.status != ReturnStatus.requested or row.answer_by > platform.clock.now():
        return False
    await _agree(session, platform, None, found, row)
    return True
