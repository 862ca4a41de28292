"""The mall's risk checks, run by the scheduler order by order when each falls due.

Mall orders have no tender stages; each rule says when an order falls due for it:

- ``mall_price_above_reference``: once, ``service.CHECK_DELAY`` after the order is placed (the
  price is agreed then, and a supervisor can look before anything is paid). The scheduler's
  ledger (``job_run``) records that an order was checked, so it is not looked at again.
- ``mall_late_acceptance`` / ``mall_late_settlement``: when the order has waited N days after
  shipping / acceptance (thresholds for the purchaser's region) and is still waiting. An order
  that moved on in time never falls due; one alert at most per order and rule.

Subjects are ``"<order id>:<rule>"``; the sweep catches up after downtime like every recheck.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import String, cast, exists, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.clock import as_utc
from procurement.identity.models import Organisation
from procurement.mall.order_models import Order, OrderItem
from procurement.platform import Platform
from procurement.scheduler.framework import job_key
from procurement.scheduler.models import JobRun
from procurement.supervision import service
from procurement.supervision.models import RiskAlert
from procurement.supervision.rules import mall as mall_rules
from procurement.supervision.rules.thresholds import Thresholds, load_thresholds

KIND = "risk_mall"
PRICE = "mall_price_above_reference"
# Ratios in SQL as whole numbers: price × SCALE > reference × floor(ratio × SCALE) is exact in integers.
SCALE = 10_000


def _least(thresholds: Thresholds, name: str) -> Decimal:
    """The smallest value any region sets: what every region's candidates pass, before each is judged by its own."""
    return min(value for (key, _, _), value in thresholds.values.items() if key == name)


def _alerted(rule: str):
    return exists().where(RiskAlert.dedupe_key == literal(f"{rule}:") + cast(Order.id, String))


async def _price_due(session: AsyncSession, moment: datetime, thresholds: Thresholds) -> list[tuple[str, datetime]]:
    scaled = int((_least(thresholds, "mall_price_above_reference_ratio") * SCALE).to_integral_value(rounding=ROUND_FLOOR))
    checked = exists().where(JobRun.key == literal(job_key(KIND, "")) + cast(Order.id, String) + literal(f":{PRICE}"))
    above = exists().where(OrderItem.order_id == Order.id, OrderItem.product_id.is_not(None),
                           OrderItem.unit_price_fen * SCALE > OrderItem.reference_unit_fen * scaled)
    rows = await session.execute(
        select(Order.id, Order.placed_at).where(Order.placed_at <= moment - service.CHECK_DELAY, Order.status.not_in(mall_rules.ENDED_ORDER),
                                                above, ~checked)
    )
    return [(f"{order_id}:{PRICE}", as_utc(placed) + service.CHECK_DELAY) for order_id, placed in rows]


async def _late_due(session: AsyncSession, moment: datetime, thresholds: Thresholds,
                    deadline: mall_rules.OrderDeadline) -> list[tuple[str, datetime]]:
    since = getattr(Order, deadline.since)
    rows = await session.execute(
        select(Order.id, since, Organisation.region).join(Organisation, Organisation.id == Order.purchaser_organisation_id)
        .where(Order.status.in_(deadline.waiting), since <= moment - timedelta(days=int(_least(thresholds, deadline.days))),
               ~_alerted(deadline.rule))
    )
    found = []
    for order_id, at, region in rows:
        due = deadline.due(at, thresholds, (region or "")[:6])
        if due <= moment:
            found.append((f"{order_id}:{deadline.rule}", due))
    return found


async def pending(session: AsyncSession, moment: datetime) -> list[tuple[str, datetime]]:
    """("<order id>:<rule>", due) of every mall check due by ``moment``."""
    thresholds = await load_thresholds(session)
    found = await _price_due(session, moment, thresholds)
    for deadline in (mall_rules.LATE_ACCEPTANCE, mall_rules.LATE_SETTLEMENT):
        found += await _late_due(session, moment, thresholds, deadline)
    return found


async def run_subject(session: AsyncSession, platform: Platform, subject_id: str) -> bool:
    """Judge one order by one rule now; raise what it finds. Returns whether an alert was raised."""
    order_id, _, rule = subject_id.partition(":")
    check = mall_rules.MALL_RULES[rule]
    findings = await check(session, int(order_id), platform.clock.now(), await load_thresholds(session))
    return bool(await service.raise_findings(session, platform, findings))
