"""The credit check as used at bid submission vs. a primary-key read of the blacklist table.

In-process, on SQLite in a fresh data directory (``procurement db upgrade``), over a
blacklist of ``--entries`` rows (by default 10,000, most in force, spread over as many
codes) and ``--organisations`` supplier organisations, some of them debarred.

Measured, alternating in ``--rounds`` groups so drift falls on both alike:
- the check: as ``bidding.service.complete`` makes it, ``credit.service.check_kept`` for one
  organisation in a write transaction of its own (its code read with the entries in force
  found by the (uscc, status) index, the check stored with what it saw) and the commit;
- the baseline: a read transaction with ``session.get(BlacklistEntry, id)`` of a random id
  (the platform's ordinary read session; its one-trip ``Database.read`` is about three times
  faster, and no read pays the check's fsync).
Printed: operations per second (ratio = check / baseline). Target: ratio >= 0.5.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import insert

from benchmarks import emit, note
from benchmarks._server import environment, procurement
from procurement.clock import FrozenClock
from procurement.credit import service as credit
from procurement.credit.models import BlacklistEntry, EntryStatus
from procurement.identity import schemas, service
from procurement.identity.models import OrganisationKind, User
from procurement.identity.uscc import make_uscc
from procurement.platform import Platform
from procurement.settings import Settings

BENCH = "credit_check"
TARGET = 0.5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--entries", type=int, default=10_000, help="blacklist rows (default 10,000)")
    parser.add_argument("--organisations", type=int, default=200, help="supplier organisations checked (default 200)")
    parser.add_argument("--operations", type=int, default=3000, help="operations per side, over all rounds (default 3000)")
    parser.add_argument("--rounds", type=int, default=6, help="alternating groups (default 6)")


async def _prepare(platform: Platform, entries: int, organisations: int) -> tuple[list[int], list[int]]:
    async with platform.db.transaction() as session:
        org_ids = []
        for n in range(organisations):
            org = await service.system_create_organisation(
                session, platform, schemas.OrganisationCreate(uscc=make_uscc(f"91460100BK{n:07d}"), name=f"基准供应商{n}", kind=OrganisationKind.supplier),
                via="bench",
            )
            org_ids.append(org.id)
        operator_org = await service.system_create_organisation(
            session, platform, schemas.OrganisationCreate(uscc=make_uscc("91460100BKCENTRE1"), name="交易中心", kind=OrganisationKind.operator), via="bench",
        )
        user = await service.system_create_user(
            session, platform, operator_org, schemas.UserCreate(username="bench-operator", display_name="基准", password="Bench-password-1", roles=["operator"]),
            via="bench",
        )
        now = platform.clock.now()
        start = date(2025, 1, 1)
        rows = []
        for n in range(entries):
            # Every tenth organisation is debarred; the rest of the rows name other codes.
            uscc = make_uscc(f"91460100BK{n % organisations:07d}") if n % 10 == 0 else make_uscc(f"91460100BL{n:07d}")
            rows.append({
                "uscc": uscc, "organisation_name": f"失信单位{n}", "address": "", "conduct": "串通投标", "penalty": "禁止一年",
                "legal_basis": "政府采购法 第七十七条", "authority": "海口市财政局", "starts_on": start, "ends_on": start + timedelta(days=365 * 5),
                "status": EntryStatus.in_force if n % 7 else EntryStatus.expired, "proposed_by": user.id, "approved_by": user.id,
                "lifted_reason": "", "rejected_reason": "", "created_at": now, "updated_at": now,
            })
        await session.execute(insert(BlacklistEntry), rows)
    async with platform.db.transaction(write=False) as session:
        from sqlalchemy import select

        ids = list((await session.execute(select(BlacklistEntry.id))).scalars())
    assert User
    return org_ids, ids


async def _checks(platform: Platform, org_ids: list[int], n: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        await credit.check_kept(platform, "bid_submission", organisation_ids=[org_ids[i % len(org_ids)]], subject_type="bench", subject_id=i)
    return time.perf_counter() - started


async def _reads(platform: Platform, ids: list[int], n: int, rng: random.Random) -> float:
    started = time.perf_counter()
    for _ in range(n):
        async with platform.db.transaction(write=False) as session:
            await session.get(BlacklistEntry, rng.choice(ids))
    return time.perf_counter() - started


async def _main(args: argparse.Namespace, data_dir: Path) -> None:
    env = environment(data_dir)
    procurement(env, "db", "upgrade")
    settings = Settings.from_env(env)
    platform = Platform.build(settings, clock=FrozenClock())
    try:
        note(f"preparing {args.entries} entries, {args.organisations} organisations in {data_dir}")
        org_ids, ids = await _prepare(platform, args.entries, args.organisations)
        rng = random.Random(7)
        await _checks(platform, org_ids, 50)  # warm up both paths
        await _reads(platform, ids, 50, rng)
        per_round = max(1, args.operations // args.rounds)
        check_time = read_time = 0.0
        for r in range(args.rounds):
            if r % 2:
                read_time += await _reads(platform, ids, per_round, rng)
                check_time += await _checks(platform, org_ids, per_round)
            else:
                check_time += await _checks(platform, org_ids, per_round)
                read_time += await _reads(platform, ids, per_round, rng)
        total = per_round * args.rounds
        checks, reads = total / check_time, total / read_time
        note(f"check: {checks:.0f}/s ({1000 / checks:.2f} ms), primary-key read: {reads:.0f}/s ({1000 / reads:.2f} ms); target ratio >= {TARGET}")
        emit(BENCH, "operations_per_second", checks, reads, checks / reads, "ops/s")
    finally:
        await platform.close()


def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-credit-") as tmp:
        asyncio.run(_main(args, Path(tmp)))
