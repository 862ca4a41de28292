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
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import emit, note

BENCH = "api"
TARGET = 0.25
HOST = "127.0.0.1"
DB_ROUTE = "/api/audit/checkpoints/latest"
BASELINE_ROUTE = "/health"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCUREMENT_")}
    env.update(
        {
            "PROCUREMENT_DATA_DIR": str(data_dir),
            "PROCUREMENT_LOG_LEVEL": "WARNING",
            "PROCUREMENT_SCHEDULER_ENABLED": "false",
            "PROCUREMENT_BASE_URL": "http://127.0.0.1",
        }
    )
    return env


def _procurement(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "procurement", *args], env=env, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise SystemExit(f"`procurement {' '.join(args)}` failed:\n{done.stderr}")


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        conn.request("GET", path, headers={"Accept": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _wait_until_serving(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if _get(port, BASELINE_ROUTE)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not answer /health within 60 s")


def _load(port: int, connections: int, plan: list[tuple[str, float]]) -> list[dict[str, Any]]:
    budget = sum(seconds for _, seconds in plan) + 120
    done = subprocess.run(
        [
            sys.executable, "-m", "benchmarks._load", "--host", HOST, "--port", str(port),
            "--connections", str(connections), "--plan", json.dumps(plan),
        ],
        capture_output=True, text=True, timeout=budget, check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the load generator failed:\n{done.stderr}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def _p99_ms(latencies_us: list[int]) -> float:
    ordered = sorted(latencies_us)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] / 1000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measured run (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each route (default 3)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per route (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections of the generator (default 16)")


def run(args: argparse.Namespace) -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        data_dir = Path(tmp) / "var"
        env = _environment(data_dir)
        note(f"setting up a fresh data directory in {data_dir}…")
        _procurement(env, "db", "upgrade")
        _procurement(env, "demo")
        _procurement(env, "audit", "checkpoint")
        port = _free_port()
        log = Path(tmp) / "server.log"
        with log.open("wb") as log_file:
            server = subprocess.Popen(
                [sys.executable, "-m", "procurement", "serve", "--host", HOST, "--port", str(port), "--no-migrate"],
                env=env, stdout=log_file, stderr=subprocess.STDOUT,
            )
            try:
                _wait_until_serving(server, port, log)
                status, body = _get(port, DB_ROUTE)
                if status != 200:
                    raise SystemExit(f"{DB_ROUTE} answered {status}: {body[:300]!r}")
                note(f"serving on {HOST}:{port} (pid {server.pid}); {DB_ROUTE} answers {len(body)} bytes, {BASELINE_ROUTE} {len(_get(port, BASELINE_ROUTE)[1])}")
                plan = [(BASELINE_ROUTE, args.warmup), (DB_ROUTE, args.warmup)]
                plan += [(route, args.duration) for _ in range(args.rounds) for route in (BASELINE_ROUTE, DB_ROUTE)]
                note(f"load: 1 process, {args.connections} keep-alive connections; warm-up {args.warmup} s per route, "
                     f"then {args.rounds} alternating runs of {args.duration} s per route…")
                steps = _load(port, args.connections, plan)[2:]
            finally:
                server.terminate()
                try:
                    server.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()

    per_route: dict[str, dict[str, Any]] = {}
    for step in steps:
        agg = per_route.setdefault(step["path"], {"requests": 0, "seconds": 0.0, "failures": 0, "latencies": [], "cpu": 0.0, "runs": []})
        agg["requests"] += step["requests"]
        agg["seconds"] += step["seconds"]
        agg["failures"] += step["failures"]
        agg["latencies"] += step["latencies_us"]
        agg["cpu"] += step["cpu_seconds"]
        agg["runs"].append(step["requests"] / step["seconds"])
        if step["hit_request_limit"]:
            note(f"warning: a run of {step['path']} hit the generator's request limit before its time was up")
    for path, agg in per_route.items():
        note(f"{path}: {agg['requests']} requests in {agg['seconds']:.1f} s, runs at {', '.join(f'{r:,.0f}' for r in agg['runs'])} req/s; "
             f"generator used {agg['cpu'] / agg['seconds']:.0%} of a core")
        if agg["failures"]:
            raise SystemExit(f"{path}: {agg['failures']} answers were not 200")
    db, base = per_route[DB_ROUTE], per_route[BASELINE_ROUTE]
    db_rps, base_rps = db["requests"] / db["seconds"], base["requests"] / base["seconds"]
    db_p99, base_p99 = _p99_ms(db["latencies"]), _p99_ms(base["latencies"])
    results = [
        emit(BENCH, "requests_per_second", db_rps, base_rps, db_rps / base_rps,
             f"req/s, GET {DB_ROUTE} vs GET {BASELINE_ROUTE}, {args.connections} connections"),
        emit(BENCH, "p99_latency", db_p99, base_p99, base_p99 / db_p99,
             f"ms, GET {DB_ROUTE} vs GET {BASELINE_ROUTE}; ratio = baseline / value (higher is better)"),
    ]
    ratio = db_rps / base_rps
    note(f"requests/s ratio {ratio:.3f} against a target of {TARGET}: {'met' if ratio >= TARGET else 'NOT met'}")
    return results
