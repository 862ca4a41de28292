"""Concurrent mall order placement against a small stock vs. a plain insert of the same rows.

In-process, on SQLite in a fresh data directory (``procurement db upgrade``), or on the
PostgreSQL database given by ``--database-url`` (its tables must be migrated and are added
to). Set-up through the services: an agreement, a supplier with one product, ``--buyers``
purchasing units each with a budget.

Measured after one untimed round of each, alternating in ``--rounds``: the product's stock is set to ``--stock`` units and
``--attempts`` orders of one unit are placed at once (``--concurrency`` transactions in
flight), each through ``orders.place`` (credit check, on-sale test, conditional stock and
budget updates, order and item rows, audit entry); the baseline inserts the same number of
order and item rows, one transaction each, at the same concurrency. Printed: orders per
second (ratio = placement / plain insert). Checked after every round, and the run fails
otherwise: no oversell (units sold = stock taken, stock never below zero, exactly ``--stock``
orders placed). Target: ratio >= 0.2 with zero oversell.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select, update

from benchmarks import emit, note
from benchmarks._server import environment, procurement
from procurement.clock import FrozenClock
from procurement.errors import Conflict
from procurement.identity import schemas, service, sessions
from procurement.identity.models import OrganisationKind, Role
from procurement.identity.uscc import make_uscc
from procurement.mall import agreements, budgets, catalogue, onboarding, orders
from procurement.mall.models import Product
from procurement.mall.order_models import Order, OrderItem
from procurement.mall.order_schemas import OrderIn
from procurement.mall.schemas import ProductIn
from procurement.platform import Platform
from procurement.settings import Settings

BENCH = "mall_orders"
TARGET = 0.2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stock", type=int, default=100, help="units on sale each round (default 100)")
    parser.add_argument("--attempts", type=int, default=150, help="orders of one unit tried each round (default 150)")
    parser.add_argument("--buyers", type=int, default=30, help="purchasing units (default 30)")
    parser.add_argument("--concurrency", type=int, default=10, help="transactions in flight (default 10)")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds (default 4)")
    parser.add_argument("--database-url", default="", help="a migrated PostgreSQL database to use instead of a fresh SQLite one")


async def _user(platform: Platform, org_id: int, username: str, role: Role):  # type: ignore[no-untyped-def]
    async with platform.db.transaction() as session:
        org = await session.get(service.Organisation, org_id)
        user = await service.system_create_user(session, platform, org, schemas.UserCreate(  # type: ignore[arg-type]
            username=username, display_name="基准", password="Bench-password-1", roles=[role]), via="bench")
        return await sessions.actor_for(session, user, via="bearer", session_id=None)


async def _org(platform: Platform, code: str, name: str, kind: OrganisationKind) -> int:
    async with platform.db.transaction() as session:
        org = await service.system_create_organisation(session, platform, schemas.OrganisationCreate(uscc=make_uscc(code), name=name, kind=kind), via="bench")
        return org.id  # type: ignore[return-value]


async def _prepare(platform: Platform, buyers: int, tag: str) -> tuple[int, list]:  # type: ignore[type-arg]
    operator = await _user(platform, await _org(platform, f"91460100A{tag}0001", "交易中心", OrganisationKind.operator), f"bench-op-{tag}", Role.operator)
    seller = await _user(platform, await _org(platform, f"91460100B{tag}0001", "基准供应商", OrganisationKind.supplier), f"bench-sup-{tag}", Role.supplier)
    today = date(2026, 1, 5)
    async with platform.db.transaction() as session:
        node = await agreements.create_category(session, platform, operator, code=f"B{tag}", name="台式计算机", parent_id=None)
        found = await agreements.create_agreement(session, platform, operator, agreements.AgreementTerms(
            f"BENCH-{tag}", "基准框架协议", "海口市", today - timedelta(days=10), today + timedelta(days=300), (node.id,)))  # type: ignore[arg-type]
        application = await onboarding.apply(session, platform, seller, agreement_id=found.id, category_ids=[node.id], statement="")  # type: ignore[arg-type]
        application.status = "approved"
        product = await catalogue.create_product(session, platform, seller, ProductIn(
            agreement_id=found.id, category_id=node.id, name="基准台式计算机", brand="联想", model="M430", specifications={"CPU": "i5"},  # type: ignore[arg-type]
            stock=0, delivery_regions=["海口市"], lead_time_days=1, price=Decimal("4000.00"), ceiling=Decimal("4500.00")))
    actors = []
    for n in range(buyers):
        buyer = await _user(platform, await _org(platform, f"91460100C{tag}{n:04d}", f"基准采购单位{n}", OrganisationKind.purchaser), f"bench-buy-{tag}-{n}", Role.purchaser)
        async with platform.db.transaction() as session:
            await budgets.set_budget(session, platform, operator, buyer.organisation_id, 2026, 10**12)
        actors.append(buyer)
    return product.id, actors  # type: ignore[return-value]


async def _bounded(concurrency: int, jobs: list) -> list:  # type: ignore[type-arg]
    gate = asyncio.Semaphore(concurrency)

    async def one(job):  # type: ignore[no-untyped-def]
        async with gate:
            return await job()

    return await asyncio.gather(*(one(j) for j in jobs), return_exceptions=True)


async def _placements(platform: Platform, product_id: int, actors: list, args: argparse.Namespace) -> tuple[float, int]:  # type: ignore[type-arg]
    async with platform.db.transaction() as session:
        await session.execute(update(Product).where(Product.id == product_id).values(stock=args.stock))
    body = OrderIn(items=[{"product_id": product_id, "quantity": 1}], delivery_region="海口市", delivery_address="海口市基准路1号",  # type: ignore[list-item]
                   contact="基准 0898", requested_date=date(2026, 2, 1))

    def job(actor):  # type: ignore[no-untyped-def]
        async def place() -> int:
            async with platform.db.transaction() as session:
                placed, _ = await orders.place(session, platform, actor, body, None)
                return placed[0].id  # type: ignore[return-value]
        return place

    started = time.perf_counter()
    results = await _bounded(args.concurrency, [job(actors[i % len(actors)]) for i in range(args.attempts)])
    elapsed = time.perf_counter() - started
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, Conflict)]
    if unexpected:
        raise SystemExit(f"unexpected failures: {unexpected[:3]}")
    placed = sum(isinstance(r, int) for r in results)
    async with platform.db.transaction(write=False) as session:
        stock = (await session.get(Product, product_id, populate_existing=True)).stock  # type: ignore[union-attr]
    if stock < 0 or placed != args.stock - stock or placed != min(args.stock, args.attempts):
        raise SystemExit(f"OVERSELL or lost order: stock {args.stock} → {stock}, {placed} orders placed")
    return elapsed, placed


async def _inserts(platform: Platform, product_id: int, actors: list, args: argparse.Namespace) -> float:  # type: ignore[type-arg]
    now = platform.clock.now()
    budget_ids = {}
    async with platform.db.transaction(write=False) as session:
        for actor in actors:
            budget_ids[actor.organisation_id] = (await session.execute(select(budgets.Budget.id).where(budgets.Budget.organisation_id == actor.organisation_id))).scalar_one()
        supplier_id = (await session.get(Product, product_id)).supplier_organisation_id  # type: ignore[union-attr]
        category_id = (await session.get(Product, product_id)).category_id  # type: ignore[union-attr]

    def job(actor):  # type: ignore[no-untyped-def]
        async def insert() -> None:
            async with platform.db.transaction() as session:
                order = Order(kind="direct", purchaser_organisation_id=actor.organisation_id, supplier_organisation_id=supplier_id, placed_by=actor.user_id,
                              budget_id=budget_ids[actor.organisation_id], status="placed", total_fen=400000, reference_fen=450000, delivery_region="海口市",
                              delivery_address="海口市基准路1号", contact="基准 0898", requested_date=date(2026, 2, 1), placed_at=now, confirm_by=now)
                session.add(order)
                await session.flush()
                session.add(OrderItem(order_id=order.id, product_id=product_id, category_id=category_id, name="基准台式计算机", brand="联想", model="M430",  # type: ignore[arg-type]
                                      specifications="{}", quantity=1, unit_price_fen=400000, reference_unit_fen=450000))
        return insert

    started = time.perf_counter()
    await _bounded(args.concurrency, [job(actors[i % len(actors)]) for i in range(args.attempts)])
    return time.perf_counter() - started


async def _main(args: argparse.Namespace, data_dir: Path) -> None:
    env = environment(data_dir)
    if args.database_url:
        env["PROCUREMENT_DATABASE_URL"] = args.database_url
    procurement(env, "db", "upgrade")
    platform = Platform.build(Settings.from_env(env), clock=FrozenClock())
    try:
        tag = str(int(time.time()) % 10000).zfill(4)
        product_id, actors = await _prepare(platform, args.buyers, tag)
        note(f"{args.rounds} rounds of {args.attempts} orders against {args.stock} units, {args.concurrency} in flight, on "
             f"{'PostgreSQL' if args.database_url else 'SQLite'}")
        # One untimed round of each first: every pooled connection prepares each statement once,
        # and the measure is of steady work, not of those first preparations.
        await _placements(platform, product_id, actors, args)
        await _inserts(platform, product_id, actors, args)
        place_time = insert_time = 0.0
        for r in range(args.rounds):
            if r % 2:
                insert_time += await _inserts(platform, product_id, actors, args)
                place_time += (await _placements(platform, product_id, actors, args))[0]
            else:
                place_time += (await _placements(platform, product_id, actors, args))[0]
                insert_time += await _inserts(platform, product_id, actors, args)
        total = args.attempts * args.rounds
        placements, inserts = total / place_time, total / insert_time
        note(f"placement: {placements:.0f} orders/s, plain insert: {inserts:.0f}/s; zero oversell in every round; target ratio >= {TARGET}")
        emit(BENCH, "orders_per_second", placements, inserts, placements / inserts, "orders/s")
    finally:
        await platform.close()


def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-mall-orders-") as tmp:
        asyncio.run(_main(args, Path(tmp)))
