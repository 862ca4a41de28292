"""Searching 100,000 published tenders with filters vs. the hello-world route of the same app.

Set-up: a fresh data directory (SQLite), ``procurement db upgrade`` and ``demo``, then
100,000 published tenders with a lot each written straight into the database (test data:
six regions, both tracks, every method, two years of publication dates). The server is
``procurement serve`` (one worker, scheduler off); the load is a separate process with
keep-alive connections; the routes alternate to share the machine's drift.

``--database-url postgresql+asyncpg://USER@HOST/DB`` measures on PostgreSQL instead: the
benchmark creates its own database ``--database-name`` (default ``bench_tender_search``)
on that server, fills it the same way, and drops it at the end.

Measured: ``GET /api/tenders?region=460106&track=government&limit=20`` (the public list a
visitor filters) against ``GET /health``. Targets: requests/s ratio >= 0.15, p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import random
import re
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks import emit, note
from benchmarks._server import (
    add_load_arguments,
    compare_with_health,
    environment,
    procurement,
)

BENCH = "tender_search"
TARGET_RATIO = 0.15
TARGET_P99_MS = 50.0
SEARCH_ROUTE = "/api/tenders?region=460106&track=government&limit=20"
REGIONS = ("460100", "460105", "460106", "460107", "460108", "469001")
METHODS = {"works": ("open", "invited"), "government": ("open", "invited", "negotiation", "consultation", "quotation")}
WORDS = ("学校", "医院", "道路", "设备", "物业", "信息系统", "绿化", "供水", "办公家具", "车辆")


TENDER_COLUMNS = (
    "id", "code", "title", "track", "category", "method", "region", "budget_fen", "purchaser_organisation_id",
    "owner_organisation_id", "status", "green_channel", "documents_from", "documents_until", "bid_deadline", "opening_place",
    "contact_name", "contact_phone", "qualifications", "published_at", "closed_reason", "created_at", "updated_at",
)
LOT_COLUMNS = ("tender_id", "number", "title", "budget_fen", "bid_security_fen", "evaluation_method")


def _rows(count: int, first_id: int, purchaser: int) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """``count`` published tenders with a lot each: the same data on both databases."""
    rng = random.Random(20261127)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    tenders, lots = [], []
    for n in range(count):
        track = rng.choice(("works", "government"))
        published = start + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        budget = rng.randrange(100_000, 50_000_000) * 100
        tender_id = first_id + n
        tenders.append((
            tender_id, f"BENCH-{n:07d}", f"海口市{rng.choice(WORDS)}采购项目{n}", track,
            "works" if track == "works" else rng.choice(("goods", "services")), rng.choice(METHODS[track]),
            rng.choice(REGIONS), budget, purchaser, purchaser, "published", False,
            published, published + timedelta(days=10), published + timedelta(days=25), "online", "", "", "",
            published, "", published, published,
        ))
        lots.append((tender_id, 1, "第一包", budget, budget // 50, "comprehensive_scoring"))
    return tenders, lots


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")  # how SQLAlchemy stores a datetime in SQLite


def _fill_sqlite(database: Path, count: int) -> None:
    db = sqlite3.connect(database)
    try:
        purchaser = db.execute("SELECT id FROM organisation WHERE kind = 'purchaser' ORDER BY id LIMIT 1").fetchone()[0]
        first_id = (db.execute("SELECT COALESCE(MAX(id), 0) FROM tender").fetchone()[0]) + 1
        tenders, lots = _rows(count, first_id, purchaser)
        stored = [tuple(_stamp(v) if isinstance(v, datetime) else int(v) if isinstance(v, bool) else v for v in row) for row in tenders]
        db.executemany(f"INSERT INTO tender ({', '.join(TENDER_COLUMNS)}) VALUES ({', '.join('?' * len(TENDER_COLUMNS))})", stored)
        db.executemany(f"INSERT INTO tender_lot ({', '.join(LOT_COLUMNS)}) VALUES ({', '.join('?' * len(LOT_COLUMNS))})", lots)
        db.commit()
        db.execute("ANALYZE")
    finally:
        db.close()


def _fill_postgres(url: str, count: int) -> None:
    import psycopg  # only the PostgreSQL run needs it

    with psycopg.connect(_libpq(url), autocommit=True) as db:
        purchaser = db.execute("SELECT id FROM organisation WHERE kind = 'purchaser' ORDER BY id LIMIT 1").fetchone()[0]  # type: ignore[index]
        first_id = db.execute("SELECT COALESCE(MAX(id), 0) FROM tender").fetchone()[0] + 1  # type: ignore[index]
        tenders, lots = _rows(count, first_id, purchaser)
        with db.transaction(), db.cursor() as cur:
            with cur.copy(f"COPY tender ({', '.join(TENDER_COLUMNS)}) FROM STDIN") as copy:
                for row in tenders:
                    copy.write_row(row)
            with cur.copy(f"COPY tender_lot ({', '.join(LOT_COLUMNS)}) FROM STDIN") as copy:
                for row in lots:
                    copy.write_row(row)
            cur.execute("SELECT setval(pg_get_serial_sequence('tender', 'id'), (SELECT MAX(id) FROM tender))")
        db.execute("VACUUM ANALYZE")


def _libpq(url: str) -> str:
    """A SQLAlchemy URL as psycopg takes it."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def _postgres_database(server_url: str, name: str) -> Iterator[str]:
    """A new, empty database ``name`` on the server of ``server_url``, dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise SystemExit(f"--database-name {name!r}: use lower-case letters, digits and _")
    with psycopg.connect(_libpq(server_url), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(server_url), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenders", type=int, default=100_000, help="published tenders to search (default 100000)")
    parser.add_argument(
        "--database-url", default="",
        help="a PostgreSQL server to measure on, e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres (default: SQLite)",
    )
    parser.add_argument("--database-name", default="bench_tender_search", help="the database created (and dropped) on that server")
    add_load_arguments(parser)


def run(args: argparse.Namespace) -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp, ExitStack() as stack:
        data_dir = Path(tmp) / "var"
        env = environment(data_dir)
        if args.database_url:
            url = stack.enter_context(_postgres_database(args.database_url, args.database_name))
            env["PROCUREMENT_DATABASE_URL"] = url
        where = f"PostgreSQL database {args.database_name}" if args.database_url else f"{data_dir} (SQLite)"
        note(f"setting up {where} with {args.tenders:,} published tenders…")
        procurement(env, "db", "upgrade")
        procurement(env, "demo")
        if args.database_url:
            _fill_postgres(url, args.tenders)
        else:
            _fill_sqlite(data_dir / "procurement.db", args.tenders)
        what = f" over {args.tenders:,} tenders" + (" on PostgreSQL" if args.database_url else " on SQLite")
        results = compare_with_health(BENCH, env, Path(tmp) / "server.log", SEARCH_ROUTE, args, what, note, emit)
    ratio, p99 = results[0]["ratio"], results[1]["value"]
    note(f"ratio {ratio:.3f} (target {TARGET_RATIO}), p99 {p99:.1f} ms (target < {TARGET_P99_MS} ms): "
         f"{'met' if ratio >= TARGET_RATIO and p99 < TARGET_P99_MS else 'NOT met'}")
    return results
