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
    add_load_arguments,
    compare_with_health,
    environment,
    procurement,
)

BENCH = "api"
TARGET = 0.25
DB_ROUTE = "/api/audit/checkpoints/latest"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_load_arguments(parser)


def run(args: argparse.Namespace) -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        data_dir = Path(tmp) / "var"
        env = environment(data_dir)
        note(f"setting up a fresh data directory in {data_dir}…")
        procurement(env, "db", "upgrade")
        procurement(env, "demo")
        procurement(env, "audit", "checkpoint")
        results = compare_with_health(BENCH, env, Path(tmp) / "server.log", DB_ROUTE, args, "", note, emit)
    ratio = results[0]["ratio"]
    note(f"requests/s ratio {ratio:.3f} against a target of {TARGET}: {'met' if ratio >= TARGET else 'NOT met'}")
    return results
