"""The yearly statistics report over 100,000 tenders vs. one aggregate SQL query over the same rows.

In-process, in a fresh data directory (``procurement db upgrade``; SQLite, or PostgreSQL with
``--database-url``, in a database of its own that is dropped at the end). ``--tenders``
published projects of one year (default 100,000) are written with ``statistics.bulk``, as
the demo's are: 85 % awarded, 10 % failed, a fifth in the green channel, both tracks, five
regions, three purchasers.

Measured, alternating in ``--rounds`` so drift falls on both alike, each in a read
transaction of its own:
- the report: ``statistics.service.report`` for the year grouped by track (the three
  aggregate queries: projects, trades, failures) and the seed-shaped lines from it;
- the baseline: one aggregate query, amount traded and savings by track, over the same
  year's awarded lots joined to their tenders.
Printed: reports per second (ratio = report / baseline). Target: ratio >= 0.2.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from benchmarks import emit, note
from benchmarks._server import environment, procurement
from bidding.award.models import AwardLot
from procurement.clock import FrozenClock
from procurement.identity import schemas, service
from procurement.identity.models import OrganisationKind
from procurement.identity.uscc import make_uscc
from procurement.platform import Platform
from procurement.settings import Settings
from procurement.statistics import lines
from procurement.statistics import service as statistics
from procurement.statistics.bulk import Trade, insert_trades
from procurement.statistics.periods import Period
from procurement.tenders.models import Tender

BENCH = "stats_report"
TARGET = 0.2
YEAR = 2025
BATCH = 5000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenders", type=int, default=100_000, help="projects published in the year (default 100,000)")
    parser.add_argument("--operations", type=int, default=60, help="reports per side, over all rounds (default 60)")
    parser.add_argument("--rounds", type=int, default=6, help="alternating groups (default 6)")
    parser.add_argument("--database-url", default="", help="a PostgreSQL server, e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database-name", default="bench_stats_report", help="the database created (and dropped) on that server")


def _trades(count: int, purchasers: list[int]) -> Iterator[Trade]:
    rng = random.Random(20251231)
    start = datetime(YEAR, 1, 1, 2, tzinfo=UTC)
    for n in range(count):
        track = rng.choice(("works", "government"))
        budget = rng.randint(20, 5000) * 1_000_000
        published = start + timedelta(minutes=rng.randint(0, 300 * 24 * 60))
        outcome = rng.random()
        green = rng.random() < 0.2
        yield Trade(
            code=f"BENCH-{n:07d}", title=f"基准项目{n}", track=track, category="works" if track == "works" else rng.choice(("goods", "services")),
            method="open", region=rng.choice(("460105", "460106", "460107", "460108", "460100")), purchaser_id=rng.choice(purchasers),
            budget_fen=budget, published_at=published, award_fen=int(budget * rng.uniform(0.94, 0.99)) if outcome < 0.85 else None,
            awarded_at=published + timedelta(days=rng.uniform(25, 40)) if outcome < 0.85 else None,
            failed_at=published + timedelta(days=21) if 0.85 <= outcome < 0.95 else None, green_channel=green,
            submitted_days=rng.uniform(0.5, 1.5) if green else rng.uniform(2, 6),
        )


async def _prepare(platform: Platform, count: int) -> None:
    async with platform.db.transaction() as session:
        purchasers = []
        for n in range(3):
            org = await service.system_create_organisation(session, platform, schemas.OrganisationCreate(
                uscc=make_uscc(f"11460100BT{n:07d}"), name=f"基准采购单位{n}", kind=OrganisationKind.purchaser), via="bench")
            purchasers.append(org.id)
        centre = await service.system_create_organisation(session, platform, schemas.OrganisationCreate(
            uscc=make_uscc("12460100BTCENTRE1"), name="交易中心", kind=OrganisationKind.operator), via="bench")
        reviewer = await service.system_create_user(session, platform, centre, schemas.UserCreate(
            username="bench-operator", display_name="基准", password="Bench-password-1", roles=["operator"]), via="bench")
    trades = list(_trades(count, purchasers))  # type: ignore[arg-type]
    for first in range(0, count, BATCH):
        async with platform.db.transaction() as session:
            await insert_trades(session, trades[first:first + BATCH], reviewer_id=reviewer.id, names={})  # type: ignore[arg-type]
        note(f"  {min(first + BATCH, count):,} / {count:,}")


async def _reports(platform: Platform, n: int) -> float:
    query = statistics.Query(Period.year(YEAR), group_by="track")
    started = time.perf_counter()
    for _ in range(n):
        async with platform.db.transaction(write=False) as session:
            report = await statistics.report(session, None, query)
            lines.year_lines(report, "zh")
    return time.perf_counter() - started


async def _baseline(platform: Platform, n: int) -> float:
    period = Period.year(YEAR)
    one_query = (
        select(Tender.track, func.count(), func.sum(AwardLot.award_amount_fen), func.sum(AwardLot.savings_fen))
        .join(Tender, Tender.id == AwardLot.tender_id)
        .where(AwardLot.awarded_at >= period.start, AwardLot.awarded_at < period.end).group_by(Tender.track)
    )
    started = time.perf_counter()
    for _ in range(n):
        async with platform.db.transaction(write=False) as session:
            (await session.execute(one_query)).all()
    return time.perf_counter() - started


async def _main(args: argparse.Namespace, env: dict[str, str]) -> None:
    procurement(env, "db", "upgrade")
    platform = Platform.build(Settings.from_env(env), clock=FrozenClock(datetime(YEAR + 1, 1, 5, tzinfo=UTC)))
    try:
        note(f"preparing {args.tenders:,} tenders of {YEAR}")
        await _prepare(platform, args.tenders)
        await _reports(platform, 2)  # warm up both paths
        await _baseline(platform, 2)
        per_round = max(1, args.operations // args.rounds)
        report_time = baseline_time = 0.0
        for r in range(args.rounds):
            if r % 2:
                baseline_time += await _baseline(platform, per_round)
                report_time += await _reports(platform, per_round)
            else:
                report_time += await _reports(platform, per_round)
                baseline_time += await _baseline(platform, per_round)
        total = per_round * args.rounds
        reports, baseline = total / report_time, total / baseline_time
        where = "PostgreSQL" if args.database_url else "SQLite"
        note(f"{where}: report {1000 / reports:.1f} ms, one aggregate query {1000 / baseline:.1f} ms; target ratio >= {TARGET}: "
             f"{'met' if reports / baseline >= TARGET else 'NOT met'}")
        emit(BENCH, f"reports_per_second_{where.lower()}", reports, baseline, reports / baseline, "reports/s")
    finally:
        await platform.close()


@contextmanager
def _postgres(server_url: str, name: str) -> Iterator[str]:
    admin = create_engine(make_url(server_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-stats-") as tmp, ExitStack() as stack:
        env = environment(Path(tmp) / "var")
        if args.database_url:
            env["PROCUREMENT_DATABASE_URL"] = stack.enter_context(_postgres(args.database_url, args.database_name))
        asyncio.run(_main(args, env))
