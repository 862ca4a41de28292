"""The load generator of ``benchmarks.api``, run as its own process.

``python -m benchmarks._load --port P --plan '[["/health", 5.0], ...]'`` runs the plan's
steps one after the other, each for its duration (or until ``--max-requests``), with
``--connections`` keep-alive HTTP/1.1 connections in a closed loop (each sends its next
request when the answer to the last one is in). Prints one JSON object per step on stdout:
path, completed requests, seconds, non-200 answers, latencies in microseconds, and the CPU
this process used (so the report can show the generator was not the bottleneck).

A raw asyncio client, not an HTTP library: per request it costs a few tens of microseconds of
one core, well below what the server spends, so the server is what is measured. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import resource
import sys
import time

TIMEOUT = 10.0


class Step:
    def __init__(self, path: str, seconds: float) -> None:
        self.path = path
        self.seconds = seconds
        self.latencies: list[int] = []
        self.failures = 0
        self.deadline = 0.0


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; (status, whether the server keeps the connection open)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    chunked = False
    keep_alive = True
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection" and value.strip().lower() == b"close":
            keep_alive = False
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, keep_alive


async def _connection(host: str, port: int, step: Step, budget: list[int]) -> None:
    request = f"GET {step.path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\nUser-Agent: bench\r\n\r\n".encode()
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), TIMEOUT)
    clock = time.perf_counter_ns
    try:
        while budget[0] > 0:
            started = clock()
            if started / 1e9 >= step.deadline:
                break
            budget[0] -= 1
            writer.write(request)
            status, keep_alive = await asyncio.wait_for(_read_response(reader), TIMEOUT)
            finished = clock()
            if finished / 1e9 <= step.deadline:  # only answers inside the window count
                step.latencies.append((finished - started) // 1000)
                if status != 200:
                    step.failures += 1
            if not keep_alive:
                writer.close()
                reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), TIMEOUT)
    finally:
        writer.close()


async def _run(host: str, port: int, connections: int, plan: list[Step], max_requests: int) -> None:
    for step in plan:
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        step.deadline = started + step.seconds
        budget = [max_requests]
        await asyncio.gather(*(_connection(host, port, step, budget) for _ in range(connections)))
        elapsed = min(time.perf_counter(), step.deadline) - started
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
        print(
            json.dumps(
                {
                    "path": step.path,
                    "requests": len(step.latencies),
                    "seconds": elapsed,
                    "failures": step.failures,
                    "latencies_us": step.latencies,
                    "cpu_seconds": cpu,
                    "hit_request_limit": budget[0] <= 0,
                }
            ),
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._load")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--max-requests", type=int, default=500_000, help="per step, whatever the duration")
    parser.add_argument("--plan", required=True, help='JSON list of [path, seconds]')
    args = parser.parse_args(argv)
    if not ipaddress.ip_address(args.host).is_loopback:
        print("the load generator only targets loopback addresses", file=sys.stderr)
        return 2
    plan = [Step(path, float(seconds)) for path, seconds in json.loads(args.plan)]
    if any(step.seconds > 120 for step in plan):
        print("a step lasts at most 120 s", file=sys.stderr)
        return 2
    asyncio.run(_run(args.host, args.port, args.connections, plan, args.max_requests))
    return 0


if __name__ == "__main__":
    sys.exit(main())
