"""Searching 100,000 published tenders with filters vs. the hello-world route of the same app.

Set-up: a fresh data directory (SQLite), ``procurement db upgrade`` and ``demo``, then
100,000 published tenders with a lot each written straight into the database (test data:
six regions, both tracks, every method, two years of publication dates). The server is
``procurement serve`` (one worker, scheduler off); the load is a separate process with
keep-alive connections; the routes alternate to share the machine's drift.

Measured: ``GET /api/tenders?region=460106&track=government&limit=20`` (the public list a
visitor filters) against ``GET /health``. Targets: requests/s ratio >= 0.15, p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
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


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")  # how SQLAlchemy stores a datetime in SQLite


def _fill(database: Path, count: int) -> None:
    rng = random.Random(20261127)
    db = sqlite3.connect(database)
    try:
        purchaser = db.execute("SELECT id FROM organisation WHERE kind = 'purchaser' ORDER BY id LIMIT 1").fetchone()[0]
        start = datetime(2025, 1, 1, tzinfo=UTC)
        tenders, lots = [], []
        first_id = (db.execute("SELECT COALESCE(MAX(id), 0) FROM tender").fetchone()[0]) + 1
        for n in range(count):
            track = rng.choice(("works", "government"))
            published = start + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
            deadline = published + timedelta(days=25)
            budget = rng.randrange(100_000, 50_000_000) * 100
            tender_id = first_id + n
            tenders.append((
                tender_id, f"BENCH-{n:07d}", f"海口市{rng.choice(WORDS)}采购项目{n}", track,
                "works" if track == "works" else rng.choice(("goods", "services")), rng.choice(METHODS[track]),
                rng.choice(REGIONS), budget, purchaser, purchaser, "published", 0,
                _stamp(published), _stamp(published + timedelta(days=10)), _stamp(deadline), "online", "", "", "",
                _stamp(published), "", _stamp(published), _stamp(published),
            ))
            lots.append((tender_id, 1, "第一包", budget, budget // 50, "comprehensive_scoring"))
        db.executemany(
            "INSERT INTO tender (id, code, title, track, category, method, region, budget_fen, purchaser_organisation_id, "
            "owner_organisation_id, status, green_channel, documents_from, documents_until, bid_deadline, opening_place, "
            "contact_name, contact_phone, qualifications, published_at, closed_reason, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            tenders,
        )
        db.executemany(
            "INSERT INTO tender_lot (tender_id, number, title, budget_fen, bid_security_fen, evaluation_method) VALUES (?, ?, ?, ?, ?, ?)",
            lots,
        )
        db.commit()
        db.execute("ANALYZE")
    finally:
        db.close()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenders", type=int, default=100_000, help="published tenders to search (default 100000)")
    add_load_arguments(parser)


def run(args: argparse.Namespace) -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        data_dir = Path(tmp) / "var"
        env = environment(data_dir)
        note(f"setting up {data_dir} with {args.tenders:,} published tenders…")
        procurement(env, "db", "upgrade")
        procurement(env, "demo")
        _fill(data_dir / "procurement.db", args.tenders)
        results = compare_with_health(
            BENCH, env, Path(tmp) / "server.log", SEARCH_ROUTE, args, f" over {args.tenders:,} tenders", note, emit
        )
    ratio, p99 = results[0]["ratio"], results[1]["value"]
    note(f"ratio {ratio:.3f} (target {TARGET_RATIO}), p99 {p99:.1f} ms (target < {TARGET_P99_MS} ms): "
         f"{'met' if ratio >= TARGET_RATIO and p99 < TARGET_P99_MS else 'NOT met'}")
    return results
