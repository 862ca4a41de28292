"""What the HTTP benchmarks share: a real server on a fresh data directory, and the load.

The server is ``procurement serve`` (uvicorn, one worker) in a subprocess; the load comes
from another subprocess (``benchmarks._load``) with keep-alive connections, so the process
being measured does nothing but serve.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
HEALTH = "/health"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCUREMENT_")}
    env.update(
        {
            "PROCUREMENT_DATA_DIR": str(data_dir),
            "PROCUREMENT_LOG_LEVEL": "WARNING",
            # No periodic job may run during a measurement.
            "PROCUREMENT_SCHEDULER_ENABLED": "false",
            "PROCUREMENT_BASE_URL": "http://127.0.0.1",
        }
    )
    return env


def procurement(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "procurement", *args], env=env, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise SystemExit(f"`procurement {' '.join(args)}` failed:\n{done.stderr}")


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        conn.request("GET", path, headers={"Accept": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[int]:
    """Start the server, wait until /health answers, yield its port, stop it."""
    port = free_port()
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "procurement", "serve", "--host", HOST, "--port", str(port), "--no-migrate"],
            env=env, stdout=log_file, stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if server.poll() is not None:
                    raise SystemExit(f"the server exited with {server.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
                try:
                    if get(port, HEALTH)[0] == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not answer /health within 60 s")
                time.sleep(0.2)  # polling another process until it serves
            yield port
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def load(port: int, connections: int, plan: list[tuple[str, float]]) -> list[dict[str, Any]]:
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


def p99_ms(latencies_us: list[int]) -> float:
    ordered = sorted(latencies_us)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] / 1000


def per_route(steps: list[dict[str, Any]], note: Any) -> dict[str, dict[str, Any]]:
    """Add up the measured runs of each route; refuse a run with failed answers."""
    totals: dict[str, dict[str, Any]] = {}
    for step in steps:
        agg = totals.setdefault(step["path"], {"requests": 0, "seconds": 0.0, "failures": 0, "latencies": [], "cpu": 0.0, "runs": []})
        agg["requests"] += step["requests"]
        agg["seconds"] += step["seconds"]
        agg["failures"] += step["failures"]
        agg["latencies"] += step["latencies_us"]
        agg["cpu"] += step["cpu_seconds"]
        agg["runs"].append(step["requests"] / step["seconds"])
        if step["hit_request_limit"]:
            note(f"warning: a run of {step['path']} hit the generator's request limit before its time was up")
    for path, agg in totals.items():
        note(f"{path}: {agg['requests']} requests in {agg['seconds']:.1f} s, runs at {', '.join(f'{r:,.0f}' for r in agg['runs'])} req/s; "
             f"generator used {agg['cpu'] / agg['seconds']:.0%} of a core")
        if agg["failures"]:
            raise SystemExit(f"{path}: {agg['failures']} answers were not 200")
    return totals


def add_load_arguments(parser: Any) -> None:
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measured run (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each route (default 3)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per route (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections of the generator (default 16)")


def compare_with_health(bench: str, env: dict[str, str], log: Path, route: str, args: Any, what: str, note: Any, emit: Any) -> list[dict[str, object]]:
    """Serve, check ``route`` answers, load it and /health alternately, emit req/s and p99 lines.

    Returns the emitted lines; the requests/s ratio is ``lines[0]["ratio"]``.
    """
    with serving(env, log) as port:
        status, body = get(port, route)
        if status != 200:
            raise SystemExit(f"{route} answered {status}: {body[:300]!r}")
        note(f"serving on {HOST}:{port}; {route} answers {len(body):,} bytes, {HEALTH} {len(get(port, HEALTH)[1])}")
        plan = [(HEALTH, args.warmup), (route, args.warmup)]
        plan += [(r, args.duration) for _ in range(args.rounds) for r in (HEALTH, route)]
        note(f"load: 1 process, {args.connections} keep-alive connections; warm-up {args.warmup} s per route, "
             f"then {args.rounds} alternating runs of {args.duration} s per route…")
        steps = load(port, args.connections, plan)[2:]
    totals = per_route(steps, note)
    measured, base = totals[route], totals[HEALTH]
    rps, base_rps = measured["requests"] / measured["seconds"], base["requests"] / base["seconds"]
    p99, base_p99 = p99_ms(measured["latencies"]), p99_ms(base["latencies"])
    return [
        emit(bench, "requests_per_second", rps, base_rps, rps / base_rps, f"req/s, GET {route}{what} vs GET {HEALTH}, {args.connections} connections"),
        emit(bench, "p99_latency", p99, base_p99, base_p99 / p99, f"ms, GET {route} vs GET {HEALTH}; ratio = baseline / value (higher is better)"),
    ]
