"""Demo mall orders: the demo purchasing unit's budget, an order in every state, and an open
mini-competition with two quotes. Made through the services, as the users would; idempotent
(nothing is done once the unit has a budget)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from procurement.actor import Actor
from procurement.mall import (
    budgets,
    catalogue,
    competitions,
    orders,
    returns,
    sanctions,
)
from procurement.mall.models import Category, Product
from procurement.mall.order_models import Budget, OrderStatus
from procurement.mall.order_schemas import (
    AcceptanceIn,
    CompetitionIn,
    OrderIn,
    QuoteIn,
    ReturnIn,
)
from procurement.platform import Platform
from procurement.tenders.money import to_fen

ADDRESS = {"delivery_region": "海口市", "delivery_address": "海口市龙华区人民医院行政楼3楼设备科", "contact": "设备科 李老师 0898-66000000"}
# The steps each demo order goes through, in order: its final state names it.
WALKS: dict[str, tuple[str, ...]] = {
    OrderStatus.placed: (), OrderStatus.confirmed: ("confirm",), OrderStatus.refused: ("refuse",), OrderStatus.cancelled: ("cancel",),
    OrderStatus.shipped: ("confirm", "ship"), OrderStatus.accepted: ("confirm", "ship", "accept"),
    OrderStatus.rejected: ("confirm", "ship", "reject"), OrderStatus.invoiced: ("confirm", "ship", "accept", "invoice"),
    OrderStatus.settled: ("confirm", "ship", "accept", "invoice", "pay"),
    OrderStatus.returned: ("confirm", "ship", "accept", "return"),
}


async def load_order_demo(platform: Platform, operator: Actor, purchaser: Actor, suppliers: list[Actor]) -> None:
    year = budgets.budget_year(platform.clock.now())
    async with platform.db.transaction() as session:
        if (await session.execute(select(Budget.id).where(Budget.organisation_id == purchaser.organisation_id))).first():
            return
        await budgets.set_budget(session, platform, operator, purchaser.organisation_id, year, to_fen(Decimal(3000000)))
    seller = suppliers[0]
    async with platform.db.transaction(write=False) as session:
        query = select(Product.id).where(Product.supplier_organisation_id == seller.organisation_id,
                                         catalogue.on_sale_clause(platform.clock.now(), sanctions.beijing_today(platform)))
        product_ids = list((await session.execute(query.order_by(Product.id).limit(len(WALKS)))).scalars())
    requested = sanctions.beijing_today(platform) + timedelta(days=10)
    for product_id, (state, steps) in zip(product_ids, WALKS.items(), strict=False):
        async with platform.db.transaction() as session:
            placed, _ = await orders.place(session, platform, purchaser, OrderIn(
                items=[{"product_id": product_id, "quantity": 2}], requested_date=requested, note=f"演示订单（{state}）", **ADDRESS), None)  # type: ignore[list-item]
            await _walk(session, platform, purchaser, seller, placed[0].id, steps)  # type: ignore[arg-type]
    await _competition(platform, purchaser, suppliers)


async def _walk(session, platform: Platform, purchaser: Actor, seller: Actor, order_id: int, steps: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    for step in steps:
        if step == "confirm":
            await orders.confirm(session, platform, seller, order_id)
        elif step == "refuse":
            await orders.refuse(session, platform, seller, order_id, "该型号暂时缺货（演示）")
        elif step == "cancel":
            await orders.cancel(session, platform, purchaser, order_id, "科室需求调整（演示）")
        elif step == "ship":
            await orders.ship(session, platform, seller, order_id, "顺丰速运 SF0000000000（演示）")
        elif step in ("accept", "reject"):
            item = (await orders.items(session, order_id))[0]
            accepted = 0 if step == "reject" else item.quantity - 1
            await orders.accept(session, platform, purchaser, order_id, AcceptanceIn(
                items=[{"item_id": item.id, "accepted_quantity": accepted, "reason": "外观破损，退回（演示）"}], note="逐项核对技术、服务、安全标准（演示）"))  # type: ignore[list-item]
        elif step == "invoice":
            found = await orders.order(session, seller, order_id)
            await orders.invoice(session, platform, seller, order_id, f"4600260000{order_id:04d}", found.accepted_fen or 0)
        elif step == "pay":
            await orders.pay(session, platform, purchaser, order_id, f"国库集中支付 ZF-DEMO-{order_id:04d}")
        elif step == "return":  # every accepted unit back (returns.py)
            item = (await orders.items(session, order_id))[0]
            found, _ = await returns.request(session, platform, purchaser, order_id, ReturnIn(
                items=[{"item_id": item.id, "quantity": item.accepted_quantity}], reason="使用中发现故障，申请退货（演示）"), None)  # type: ignore[list-item]
            await returns.agree(session, platform, seller, order_id, found.id)  # type: ignore[arg-type]
            await returns.send(session, platform, purchaser, order_id, found.id, "顺丰速运 SF0000000001 退回（演示）")  # type: ignore[arg-type]
            await returns.receive(session, platform, seller, order_id, found.id, "")  # type: ignore[arg-type]


async def _competition(platform: Platform, purchaser: Actor, suppliers: list[Actor]) -> None:
    async with platform.db.transaction() as session:
        category_id = (await session.execute(select(Category.id).where(Category.code == "A020101"))).scalar_one()
        found = await competitions.post(session, platform, purchaser, CompetitionIn(
            title="门诊部台式计算机 60台（演示）", category_id=category_id, specifications={"CPU": "Intel i5 或以上", "内存": "16GB"}, quantity=60,
            ceiling=Decimal("4600.00"), deadline=platform.clock.now() + timedelta(days=5), requested_date=sanctions.beijing_today(platform) + timedelta(days=20),
            **ADDRESS,
        ))
    for supplier, price in zip(suppliers[:2], ("4380.00", "4420.00"), strict=True):
        async with platform.db.transaction() as session:
            await competitions.quote(session, platform, supplier, found.id, QuoteIn(  # type: ignore[arg-type]
                unit_price=Decimal(price), brand="联想", model="启天M430", specifications={"CPU": "Intel i5-12500", "内存": "16GB"}))
