"""An expert draw over a pool of 100,000 experts vs. one plain query reading the eligible rows.

Set-up, in a fresh data directory (``procurement db upgrade``; SQLite by default,
``--database-url postgresql+asyncpg://USER@HOST/DB`` for PostgreSQL in a database of its own,
dropped afterwards): 40 specialty codes and ``--experts`` experts bulk-inserted from
``expert_pool.draw.synthetic.synthetic_pool`` (a tenth with two specialties, a few percent
suspended, retired or expired, eight Hainan regions, past employers for a fifth, shareholdings
and relatives among the bidders for some, absences for a tenth; the synthetic sittings and
monthly counts are not loaded: on the platform they come from invitations). One tender draft
gives the stored draw its foreign keys. Then ``ANALYZE``.

Measured, alternating in ``--rounds`` rounds so drift falls on both alike:
- the draw, as ``draws.make_draw`` does its work, timed directly rather than through
  ``make_draw`` (which allows one draw per tender and needs one whose bidding closed):
  ``draws.pool_snapshot`` for 3 specialties, the library draw (exclusions, HMAC ranking,
  7 seats and 2 reserves per specialty; 8 bidders, Hainan only), and storing the
  ``expert_draw`` row with the snapshot, request and outcome, committed (the row is deleted
  afterwards, untimed, so every round draws alike);
- the baseline: one query reading the experts with a requested specialty and the columns the
  draw reads from the expert table (id, code, region, status, expiry, employer).
Printed: seconds per draw and per baseline read; ratio = baseline / draw. Target >= 0.33.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import delete, insert, select, text

from benchmarks import emit, note
from benchmarks._server import environment, procurement
from benchmarks.tender_search import _postgres_database
from expert_pool import draws
from expert_pool.draw import draw as library_draw
from expert_pool.draw.synthetic import (
    EVALUATION_DATE,
    SPECIALTIES,
    realistic_request,
    synthetic_pool,
)
from expert_pool.draw_models import ExpertDraw
from expert_pool.models import (
    Expert,
    ExpertRelationship,
    ExpertSpecialty,
    ExpertUnavailability,
    Specialty,
)
from expert_pool.national_id import make_national_id
from procurement.actor import Actor
from procurement.clock import FrozenClock
from procurement.identity import schemas, service, sessions
from procurement.identity.models import OrganisationKind
from procurement.identity.uscc import make_uscc
from procurement.platform import Platform
from procurement.settings import Settings
from procurement.tenders import service as tenders
from procurement.tenders.schemas import LotIn, TenderDraft, TimelineIn

BENCH = "expert_draw"
TARGET = 0.33
REQUESTED = SPECIALTIES[:3]
STATUS = {"active": "active", "suspended": "suspended", "dismissed": "retired"}
SEED = b"\x07" * 32
BATCH = 5000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--experts", type=int, default=100_000, help="experts in the pool (default 100,000)")
    parser.add_argument("--rounds", type=int, default=6, help="alternating rounds, one draw and one baseline read each (default 6)")
    parser.add_argument(
        "--database-url", default="",
        help="a PostgreSQL server to measure on, e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres (default: SQLite)",
    )
    parser.add_argument("--database-name", default="bench_expert_draw", help="the database created (and dropped) on that server")


async def _owner(platform: Platform) -> tuple[Actor, int]:
    """A purchaser with one tender draft: the stored draws' foreign keys."""
    async with platform.db.transaction() as session:
        org = await service.system_create_organisation(
            session, platform, schemas.OrganisationCreate(uscc=make_uscc("12460100BD0000001"), name="基准采购单位", kind=OrganisationKind.purchaser),
            via="bench")
        user = await service.system_create_user(
            session, platform, org, schemas.UserCreate(username="bench-purchaser", display_name="基准", password="Bench-password-1", roles=["purchaser"]),
            via="bench")
        actor = await sessions.actor_for(session, user, via="bearer", session_id=None)
        start = datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
        tender, _ = await tenders.create_draft(session, platform, actor, TenderDraft(
            title="基准评标专家抽取工程", track="works", category="works", method="open", region="460100", budget=Decimal("5000000.00"),
            lots=[LotIn(title="第一标段", budget=Decimal("5000000.00"))],
            timeline=TimelineIn(documents_from=start, documents_until=start.replace(day=8), bid_deadline=start.replace(day=28)),
        ), "bench-expert-draw")
        return actor, tender.id  # type: ignore[return-value]


def _national_id(n: int) -> str:
    """A valid, unique citizen ID for the n-th expert: a birth day and a sequence number from n."""
    born = date(1955, 1, 1) + timedelta(days=n % 15_000)
    return make_national_id(f"460100{born:%Y%m%d}{n // 15_000:03d}")


async def _fill(platform: Platform, size: int) -> None:
    """The synthetic pool in the tables, in batches of bulk inserts."""
    now = platform.clock.now()
    pool = synthetic_pool(size)
    async with platform.db.transaction() as session:
        await session.execute(insert(Specialty), [{"code": code, "name": f"专业{code}", "parent_code": None, "created_at": now} for code in SPECIALTIES])
        code_ids = dict((await session.execute(select(Specialty.code, Specialty.id))).all())
    for first in range(0, size, BATCH):
        chunk = pool[first:first + BATCH]
        experts, links, ties, absences = [], [], [], []
        for n, e in enumerate(chunk, start=first + 1):  # ids 1..size, in order
            job = e.employers[0]
            current = job.uscc if job.end is None else make_uscc(f"91460100BE{n:07d}")
            experts.append({"id": n, "name": f"专家{n}", "national_id": _national_id(n),
                            "employer_uscc": current, "title": "高级工程师", "years": 10, "region": e.region, "phone": "", "status": STATUS[e.status.value],
                            "suspension_reason": "", "suspended_until": None, "qualification_expires": e.qualification_expires, "user_id": None,
                            "created_at": now, "updated_at": now})
            links += [{"expert_id": n, "specialty_id": code_ids[code]} for code in e.specialties]
            if job.end is not None:
                ties.append({"expert_id": n, "kind": "employer", "organisation_uscc": job.uscc, "from_date": job.start, "to_date": job.end})
            ties += [{"expert_id": n, "kind": "shareholding", "organisation_uscc": u, "from_date": None, "to_date": None} for u in e.shareholdings]
            ties += [{"expert_id": n, "kind": "relative", "organisation_uscc": u, "from_date": None, "to_date": None} for u in e.relative_organisations]
            absences += [{"expert_id": n, "from_date": r.start, "to_date": r.end, "reason": "出差"} for r in e.unavailable]
        async with platform.db.transaction() as session:
            await session.execute(insert(Expert), experts)
            await session.execute(insert(ExpertSpecialty), links)
            if ties:
                await session.execute(insert(ExpertRelationship), ties)
            if absences:
                await session.execute(insert(ExpertUnavailability), absences)


async def _draw(platform: Platform, actor: Actor, tender_id: int) -> float:
    request = replace(realistic_request(), tender_id=str(tender_id), seats={REQUESTED[0]: 3, REQUESTED[1]: 2, REQUESTED[2]: 2},
                      purchaser_representatives=0).check()
    started = time.perf_counter()
    async with platform.db.transaction() as session:
        snapshot = await draws.pool_snapshot(session, set(REQUESTED), EVALUATION_DATE)
        outcome = library_draw(snapshot, request, SEED)
        session.add(ExpertDraw(
            tender_id=tender_id, lot_number=1, evaluation_date=EVALUATION_DATE, requested_by=actor.user_id, organisation_id=actor.organisation_id,
            created_at=platform.clock.now(), request=request.canonical_bytes().decode(), snapshot=snapshot.canonical_bytes().decode(),
            outcome=outcome.canonical_bytes().decode(), seed=SEED.hex(), seed_commitment=outcome.seed_commitment,
            snapshot_digest=snapshot.digest, request_digest=request.digest, committed_seq=0,
        ))
    elapsed = time.perf_counter() - started
    async with platform.db.transaction() as session:
        await session.execute(delete(ExpertDraw).where(ExpertDraw.tender_id == tender_id))
    return elapsed


async def _read(platform: Platform) -> tuple[float, int]:
    started = time.perf_counter()
    async with platform.db.transaction(write=False) as session:
        rows = (await session.execute(
            select(Expert.id, Specialty.code, Expert.region, Expert.status, Expert.qualification_expires, Expert.employer_uscc)
            .join(ExpertSpecialty, ExpertSpecialty.expert_id == Expert.id).join(Specialty, Specialty.id == ExpertSpecialty.specialty_id)
            .where(Specialty.code.in_(REQUESTED))
        )).all()
    return time.perf_counter() - started, len(rows)


async def _main(args: argparse.Namespace, env: dict[str, str]) -> None:
    procurement(env, "db", "upgrade")
    platform = Platform.build(Settings.from_env(env), clock=FrozenClock())
    try:
        actor, tender_id = await _owner(platform)
        started = time.perf_counter()
        await _fill(platform, args.experts)
        async with platform.db.transaction() as session:
            # Planner statistics, as a pool in service has. Without them PostgreSQL's plans (and so
            # both timings) depended on whether autovacuum had analysed the new tables yet.
            await session.execute(text("ANALYZE"))
        note(f"{args.experts:,} experts loaded in {time.perf_counter() - started:.1f} s")
        await _draw(platform, actor, tender_id)  # warm both paths up
        _, eligible = await _read(platform)
        draw_time = read_time = 0.0
        for r in range(args.rounds):
            if r % 2:
                read_time += (await _read(platform))[0]
                draw_time += await _draw(platform, actor, tender_id)
            else:
                draw_time += await _draw(platform, actor, tender_id)
                read_time += (await _read(platform))[0]
        per_draw, per_read = draw_time / args.rounds, read_time / args.rounds
        ratio = per_read / per_draw
        note(f"draw {per_draw:.3f} s, plain read of {eligible:,} eligible rows {per_read:.3f} s: ratio {ratio:.3f} "
             f"(target >= {TARGET}: {'met' if ratio >= TARGET else 'NOT met'})")
        emit(BENCH, "seconds_per_draw", per_draw, per_read, ratio, "s")
    finally:
        await platform.close()


def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-draw-") as tmp, ExitStack() as stack:
        env = environment(Path(tmp) / "var")
        if args.database_url:
            env["PROCUREMENT_DATABASE_URL"] = stack.enter_context(_postgres_database(args.database_url, args.database_name))
        note(f"expert_draw on {'PostgreSQL ' + args.database_name if args.database_url else 'SQLite'}")
        asyncio.run(_main(args, env))
