"""A public JSON route that reads the database vs. the hello-world route of the same app.

Set-up, as an operator would run it: a fresh data directory (SQLite, local objects, keys)
under a temporary folder, ``procurement db upgrade``, ``procurement demo``, ``procurement
audit checkpoint``, then ``procurement serve`` on a free loopback port: uvicorn, one worker
process, log level WARNING (no access log lines), the scheduler off so that no periodic job
runs during a measurement.

Measured: ``GET /api/audit/checkpoints/latest`` (reads the newest signed checkpoint from the
database and renders it as JSON) against ``GET /health`` (no database) of the same server.

Load: one separate process (``benchmarks._load``) with keep-alive HTTP/1.1 connections in a
closed loop. The machine has 2 cores: the server's event loop takes one, the generator the
other (it needs a fraction of it, reported on stderr), so the server is the bottleneck. After
a warm-up of each route, the routes alternate (health, db, health, db, ...) so that drift in
the machine's speed falls on both alike.

Printed: requests/s (ratio = value / baseline) and p99 latency (ratio = baseline / value, so
that for both higher is better). Target: requests/s ratio >= 0.25.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from benchmarks import emit, note
from benchmarks._server import (
    HEALTH,
    HOST,
    environment,
    get,
    load,
    p99_ms,
    per_route,
    procurement,
    serving,
)

BENCH = "api"
TARGET = 0.25
DB_ROUTE = "/api/audit/checkpoints/latest"
BASELINE_ROUTE = HEALTH


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measured run (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each route (default 3)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per route (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections of the generator (default 16)")


def run(args: argparse.Namespace) -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        data_dir = Path(tmp) / "var"
        env = environment(data_dir)
        note(f"setting up a fresh data directory in {data_dir}…")
        procurement(env, "db", "upgrade")
        procurement(env, "demo")
        procurement(env, "audit", "checkpoint")
        with serving(env, Path(tmp) / "server.log") as port:
            status, body = get(port, DB_ROUTE)
            if status != 200:
                raise SystemExit(f"{DB_ROUTE} answered {status}: {body[:300]!r}")
            note(f"serving on {HOST}:{port}; {DB_ROUTE} answers {len(body)} bytes, {BASELINE_ROUTE} {len(get(port, BASELINE_ROUTE)[1])}")
            plan = [(BASELINE_ROUTE, args.warmup), (DB_ROUTE, args.warmup)]
            plan += [(route, args.duration) for _ in range(args.rounds) for route in (BASELINE_ROUTE, DB_ROUTE)]
            note(f"load: 1 process, {args.connections} keep-alive connections; warm-up {args.warmup} s per route, "
                 f"then {args.rounds} alternating runs of {args.duration} s per route…")
            steps = load(port, args.connections, plan)[2:]
    totals = per_route(steps, note)
    db, base = totals[DB_ROUTE], totals[BASELINE_ROUTE]
    db_rps, base_rps = db["requests"] / db["seconds"], base["requests"] / base["seconds"]
    db_p99, base_p99 = p99_ms(db["latencies"]), p99_ms(base["latencies"])
    results = [
        emit(BENCH, "requests_per_second", db_rps, base_rps, db_rps / base_rps,
             f"req/s, GET {DB_ROUTE} vs GET {BASELINE_ROUTE}, {args.connections} connections"),
        emit(BENCH, "p99_latency", db_p99, base_p99, base_p99 / db_p99,
             f"ms, GET {DB_ROUTE} vs GET {BASELINE_ROUTE}; ratio = baseline / value (higher is better)"),
    ]
    ratio = db_rps / base_rps
    note(f"requests/s ratio {ratio:.3f} against a target of {TARGET}: {'met' if ratio >= TARGET else 'NOT met'}")
    return results
