"""The mall orders' time limits, driven by the scheduler.

- ``mall_order_confirmation``: an order still unconfirmed at its ``confirm_by`` is cancelled
  and its stock and budget released;
- ``mall_competition_close``: a mini-competition is closed at its deadline (award or fail);
- ``mall_return_answer``: a return the supplier has not answered by its ``answer_by`` is agreed
  (``returns.agree_unanswered``).

Each is keyed by (subject, due moment) through the scheduler framework, so each runs once,
also late after downtime (the sweep finds every ``next_check`` that passed).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.clock import as_utc
from procurement.mall import competitions, orders, returns
from procurement.mall.order_models import Order, OrderStatus
from procurement.platform import Platform
from procurement.scheduler.framework import Recheck


async def _orders_due(session: AsyncSession, moment: datetime) -> list[tuple[str, datetime]]:
    rows = await session.execute(
        select(Order.id, Order.next_check).where(Order.status == OrderStatus.placed, Order.next_check.is_not(None), Order.next_check <= moment)
    )
    return [(str(order_id), as_utc(at)) for order_id, at in rows]


async def _cancel(session: AsyncSession, platform: Platform, subject_id: str) -> bool:
    return await orders.cancel_unconfirmed(session, platform, int(subject_id))


async def _competitions_due(session: AsyncSession, moment: datetime) -> list[tuple[str, datetime]]:
    return [(str(competition_id), as_utc(at)) for competition_id, at in await competitions.due(session, moment)]


async def _close(session: AsyncSession, platform: Platform, subject_id: str) -> bool:
    return await competitions.close(session, platform, int(subject_id))


MALL_ORDER_CONFIRMATION = Recheck(kind="mall_order_confirmation", due=_orders_due, run=_cancel)
MALL_COMPETITION_CLOSE = Recheck(kind="mall_competition_close", due=_competitions_due, run=_close)


async def _returns_due(session: AsyncSession, moment: datetime) -> list[tuple[str, datetime]]:
    return [(str(return_id), as_utc(at)) for return_id, at in await returns.due(session, moment)]


async def _agree(session: AsyncSession, platform: Platform, subject_id: str) -> bool:
    return await returns.agree_unanswered(session, platform, int(subject_id))


MALL_RETURN_ANSWER = Recheck(kind="mall_return_answer", due=_returns_due, run=_agree)
