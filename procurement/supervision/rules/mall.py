"""Rules over one mall order each: priced above the e-commerce reference, and delivered but not
accepted, or accepted but not settled, in time. Mall orders have no tender stages: the scheduler
decides when an order falls due for each rule (``procurement.supervision.mall_checks``). The
region in the thresholds is the purchaser organisation's; there is no category."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.clock import as_utc
from procurement.identity.models import Organisation
from procurement.mall.models import ReferencePrice
from procurement.mall.order_models import Order, OrderItem, OrderStatus
from procurement.supervision.rules.findings import Finding, iso_utc, organisation_names
from procurement.supervision.rules.thresholds import Thresholds
from procurement.tenders.money import to_yuan

ENDED_ORDER = (OrderStatus.refused, OrderStatus.cancelled, OrderStatus.rejected)


async def _order_context(session: AsyncSession, order_id: int) -> tuple[Order | None, str, dict[str, Any]]:
    """The order, its purchaser's region (for the thresholds) and the facts every mall alert shows."""
    order = await session.get(Order, order_id)
    if order is None:
        return None, "", {}
    purchaser = await session.get(Organisation, order.purchaser_organisation_id)
    names = await organisation_names(session, (order.purchaser_organisation_id, order.supplier_organisation_id))
    return order, (purchaser.region if purchaser else "")[:6], {
        "order_id": order.id, "purchaser": names.get(order.purchaser_organisation_id, ""), "supplier": names.get(order.supplier_organisation_id, ""),
        "status": order.status, "total_yuan": str(to_yuan(order.total_fen)), "placed_at": iso_utc(order.placed_at),
    }


def _order_finding(rule: str, order: Order, evidence: dict[str, Any]) -> Finding:
    return Finding(rule, f"{rule}:{order.id}", evidence, [order.purchaser_organisation_id, order.supplier_organisation_id],
                   purchaser_organisation_id=order.purchaser_organisation_id)


async def _references_seen(session: AsyncSession, product_id: int, moment: datetime) -> list[dict[str, Any]]:
    """The latest e-commerce observation per source entered by ``moment``: what the order's reference averaged."""
    rows = (await session.execute(
        select(ReferencePrice).where(ReferencePrice.product_id == product_id, ReferencePrice.entered_at <= moment)
        .order_by(ReferencePrice.source, ReferencePrice.observed_on.desc(), ReferencePrice.id.desc())
    )).scalars()
    latest: dict[str, ReferencePrice] = {}
    for row in rows:
        latest.setdefault(row.source, row)
    return [{"source": r.source, "url": r.url, "price_yuan": str(to_yuan(r.price_fen)), "observed_on": r.observed_on.isoformat()}
            for r in latest.values()]


async def mall_price_above_reference(session: AsyncSession, order_id: int, now: datetime, thresholds: Thresholds) -> list[Finding]:
    """An order (not refused, cancelled or rejected) with a catalogue item priced above N times the e-commerce
    average it was placed against. An item's stored reference is that average when the product had e-commerce
    prices at the time, else the ceiling: only items with observations entered before the order count."""
    order, region, evidence = await _order_context(session, order_id)
    if order is None or order.status in ENDED_ORDER:
        return []
    ratio = thresholds.get("mall_price_above_reference_ratio", region)
    items = (await session.execute(
        select(OrderItem).where(OrderItem.order_id == order_id, OrderItem.product_id.is_not(None)).order_by(OrderItem.id)
    )).scalars()
    above = []
    for item in items:
        if Decimal(item.unit_price_fen) <= Decimal(item.reference_unit_fen) * ratio:
            continue
        seen = await _references_seen(session, item.product_id, as_utc(order.placed_at))  # type: ignore[arg-type]
        if seen:
            above.append({"product_id": item.product_id, "name": item.name, "brand": item.brand, "model": item.model, "quantity": item.quantity,
                          "unit_price_yuan": str(to_yuan(item.unit_price_fen)), "reference_yuan": str(to_yuan(item.reference_unit_fen)),
                          "times_reference": str((Decimal(item.unit_price_fen) / item.reference_unit_fen).quantize(Decimal("0.01"))),
                          "references": seen})
    if not above:
        return []
    return [_order_finding("mall_price_above_reference", order, {**evidence, "ratio": str(ratio), "items": above})]


@dataclass(frozen=True)
class OrderDeadline:
    """A step of a mall order due within N calendar days of an earlier one."""

    rule: str
    waiting: tuple[str, ...]  # the statuses in which the order still waits for the step
    since: str  # the Order column the days count from
    days: str  # the threshold

    def due(self, since: datetime, thresholds: Thresholds, region: str) -> datetime:
        return as_utc(since) + timedelta(days=int(thresholds.get(self.days, region)))


LATE_ACCEPTANCE = OrderDeadline("mall_late_acceptance", (OrderStatus.shipped,), "shipped_at", "mall_acceptance_days")
LATE_SETTLEMENT = OrderDeadline("mall_late_settlement", (OrderStatus.accepted, OrderStatus.invoiced), "accepted_at", "mall_settlement_days")


async def _late(deadline: OrderDeadline, session: AsyncSession, order_id: int, now: datetime, thresholds: Thresholds) -> list[Finding]:
    order, region, evidence = await _order_context(session, order_id)
    if order is None or order.status not in deadline.waiting:
        return []
    since = as_utc(getattr(order, deadline.since))
    due = deadline.due(since, thresholds, region)
    if due > now:
        return []
    return [_order_finding(deadline.rule, order, {
        **evidence, "since": iso_utc(since), "due": iso_utc(due), "days": int(thresholds.get(deadline.days, region)), "checked_at": iso_utc(now),
        "days_late": (now - due).days,
    })]


async def mall_late_acceptance(session: AsyncSession, order_id: int, now: datetime, thresholds: Thresholds) -> list[Finding]:
    """Shipped, and not accepted (验收) within N days of the shipping."""
    return await _late(LATE_ACCEPTANCE, session, order_id, now, thresholds)


async def mall_late_settlement(session: AsyncSession, order_id: int, now: datetime, thresholds: Thresholds) -> list[Finding]:
    """Accepted (and perhaps invoiced), and not settled (结算) within N days of the acceptance."""
    return await _late(LATE_SETTLEMENT, session, order_id, now, thresholds)


MALL_RULES = {
    "mall_price_above_reference": mall_price_above_reference,
    "mall_late_acceptance": mall_late_acceptance,
    "mall_late_settlement": mall_late_settlement,
}
