"""A sealed bid uploaded end to end through the API vs. the same bytes written straight to the same store.

Set-up, per store: a fresh data directory, ``procurement db upgrade``, then (in this process,
see ``benchmarks._bids``) a published one-lot tender whose deadline is weeks away, and
bidders with registered keys that obtained its documents. The store is the server's default
(a local folder) or S3: moto's server on loopback (``python -m moto.server``, installed with
the test extra) with a bucket created for the run, handed to the server as
``PROCUREMENT_STORAGE_URL``. The server is ``procurement serve`` (uvicorn, one worker).

Envelopes are sealed beforehand (not timed) from random content, streamed to temporary
files; the tender and the bidders get the same ids in every data directory, so the same
envelopes serve both stores.

Measured, alternating in rounds so drift falls on both alike:
- the API: ``POST …/bid-uploads``, then ``PUT …/parts/{n}`` of 8 MiB each (``httpx``, the
  body streamed from the file), then ``POST …/complete`` (which reads every part back to
  check the envelope and its signature, and signs the receipt): the whole submission;
- the baseline: ``store.put`` of the same parts (same sizes, same store) from this process.
Printed: MiB/s (ratio = API / store), target >= 0.6 on both stores. Dirty pages (the sealed
envelopes, the memory run) are flushed (``os.sync``) before the rounds: otherwise their
write-back lands on whichever side happens to run then; likewise before each side of
each round. On stderr, per API round, the
completion's share of the time and the CPU seconds of server and client.

Memory: one 1 GiB bid through the API while the server's resident set is sampled every
20 ms (``/proc/<pid>/status``; its peak mark is also reset before, via ``clear_refs``, and
read after). Printed: the peak growth in MiB; target < 64 MiB, i.e. flat, not the bid's size.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx

from benchmarks import _bids, emit, note
from benchmarks._server import HOST, environment, free_port, procurement, serving
from bidding import envelope
from procurement.clock import FrozenClock
from procurement.platform import Platform
from storage import ObjectStore, open_store

BENCH = "bid_upload"
TARGET_RATIO = 0.6
TARGET_GROWTH_MIB = 64
MIB = 1024 * 1024
# The completion's share of each API upload's time (it reads every part back): where the time goes.
COMPLETION_SHARE: list[float] = []
MOTO_KEY, MOTO_SECRET, MOTO_REGION = "bench-access", "bench-secret-key", "us-east-1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size-mib", type=int, default=256, help="envelope payload for the throughput runs (default 256)")
    parser.add_argument("--memory-size-mib", type=int, default=1024, help="envelope payload for the memory run (default 1024; 0 skips it)")
    parser.add_argument("--part-mib", type=int, default=8, help="upload part size (default 8)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each side (default 3)")
    parser.add_argument("--stores", default="local,s3", help="comma-separated: local, s3 (default both)")


@dataclass
class Envelope:
    path: Path
    signature: str
    bidder: int  # index into the prepared bidders

    @property
    def size(self) -> int:
        return self.path.stat().st_size


# --- the stores ------------------------------------------------------------------------------------


@contextmanager
def moto(log: Path) -> Iterator[str]:
    """moto's S3 server on a loopback port; yields its endpoint host:port."""
    port = free_port()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": MOTO_KEY, "AWS_SECRET_ACCESS_KEY": MOTO_SECRET}
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)], stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"moto exited with {process.returncode}:\n{log.read_text(errors='replace')[-2000:]}")
            try:
                httpx.get(f"http://{HOST}:{port}/", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise SystemExit("moto did not answer within 60 s") from None
                time.sleep(0.1)  # polling another process until it serves
        yield f"{HOST}:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def store_of(env: dict[str, str]) -> ObjectStore:
    settings = _bids.prep_settings(env)
    return open_store(settings.resolved_storage_url, access_key=settings.storage_access_key, secret_key=settings.storage_secret_key)


# --- the two sides -----------------------------------------------------------------------------------


def parts_of(size: int, part: int) -> list[tuple[int, int]]:
    return [(offset, min(part, size - offset)) for offset in range(0, size, part)]


def api_upload(client: httpx.Client, who: _bids.BidderSetup, tender_id: int, version: int, sealed: Envelope, part: int) -> float:
    """The whole submission through the API; seconds."""
    size = sealed.size
    start = time.perf_counter()
    started = client.post(f"/api/tenders/{tender_id}/lots/{_bids.LOT}/bid-uploads", headers=who.headers, json={"bid_version": version, "size": size})
    if started.status_code != 201:
        raise SystemExit(f"starting the upload answered {started.status_code}: {started.text[:500]}")
    upload_id = started.json()["id"]
    for number, (offset, length) in enumerate(parts_of(size, part), start=1):
        sent = client.put(f"/api/bid-uploads/{upload_id}/parts/{number}", content=_bids.file_pieces(sealed.path, offset, length),
                          headers={**who.headers, "Content-Length": str(length), "Content-Type": "application/octet-stream"})
        if sent.status_code != 200:
            raise SystemExit(f"part {number} answered {sent.status_code}: {sent.text[:500]}")
    completing = time.perf_counter()
    done = client.post(f"/api/bid-uploads/{upload_id}/complete", headers=who.headers, json={"signature": sealed.signature})
    elapsed = time.perf_counter() - start
    if done.status_code != 201:
        raise SystemExit(f"completing the upload answered {done.status_code}: {done.text[:500]}")
    COMPLETION_SHARE.append((time.perf_counter() - completing) / elapsed)
    return elapsed


async def _pieces(path: Path, offset: int, length: int) -> AsyncIterator[bytes]:
    for piece in _bids.file_pieces(path, offset, length):
        yield piece


async def store_put(store: ObjectStore, sealed: Envelope, part: int) -> float:
    """The same parts written straight to the store, then removed; seconds (the writes only)."""
    prefix = f"bench-baseline/{uuid.uuid4().hex}"
    start = time.perf_counter()
    keys = []
    for number, (offset, length) in enumerate(parts_of(sealed.size, part), start=1):
        key = f"{prefix}/{number}"
        await store.put(key, _pieces(sealed.path, offset, length), content_type="application/octet-stream")
        keys.append(key)
    elapsed = time.perf_counter() - start
    for key in keys:
        await store.delete(key)
    return elapsed


# --- memory of the server ------------------------------------------------------------------------------


def server_pid(port: int) -> int:
    """The process listening on ``port``: a descendant of this one whose command line names it."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"serve" in cmdline and str(port).encode() in cmdline:
                found.append(int(entry.name))
    if len(found) != 1:
        raise SystemExit(f"expected one server process on port {port}, found {found}")
    return found[0]


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise SystemExit(f"/proc/{pid}/status has no {field}")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime, every thread


def memory_run(client: httpx.Client, pid: int, who: _bids.BidderSetup, tender_id: int, sealed: Envelope, part: int) -> tuple[float, float, float]:
    """(peak RSS growth MiB from samples, from VmHWM, seconds) for one upload."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        reset = True
    except OSError:
        reset = False
    before = _status_kib(pid, "VmRSS")
    peak = [before]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _status_kib(pid, "VmRSS"))
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        seconds = api_upload(client, who, tender_id, 1, sealed, part)
    finally:
        stop.set()
        sampler.join()
    hwm = _status_kib(pid, "VmHWM")
    note(f"server RSS {before / 1024:.1f} MiB before, sampled peak {peak[0] / 1024:.1f} MiB, VmHWM {hwm / 1024:.1f} MiB"
         f"{'' if reset else ' (VmHWM could not be reset: it includes earlier peaks)'}")
    return (peak[0] - before) / 1024, (hwm - before) / 1024, seconds


# --- one store -------------------------------------------------------------------------------------------


async def _prepare(env: dict[str, str], bidders: int, keys: list[envelope.BidderKeys] | None) -> _bids.Prepared:
    clock = FrozenClock()
    platform = Platform.build(_bids.prep_settings(env), clock=clock)
    try:
        # Open for weeks: the deadline plays no part in this benchmark.
        return await _bids.prepare(platform, clock, bidders=bidders, deadline=_bids.now() + timedelta(days=21), keys=keys)
    finally:
        await platform.close()


def measure_store(name: str, env: dict[str, str], tmp: Path, envelopes: dict[str, list[Envelope]], args: argparse.Namespace,
                  prepared: _bids.Prepared) -> list[dict[str, object]]:
    part = args.part_mib * MIB
    results: list[dict[str, object]] = []
    store = store_of(env)
    api_seconds: list[float] = []
    put_seconds: list[float] = []
    with serving(env, tmp / f"server-{name}.log") as port, httpx.Client(base_url=f"http://{HOST}:{port}", timeout=600) as client:
        pid = server_pid(port)
        warm = envelopes["warm"][0]
        note(f"[{name}] warm-up: a {warm.size / MIB:.0f} MiB bid through the API and into the store…")
        api_upload(client, prepared.bidders[warm.bidder], prepared.tender_id, 1, warm, part)
        asyncio.run(store_put(store, warm, part))
        if envelopes["memory"]:
            big = envelopes["memory"][0]
            note(f"[{name}] memory: one {big.size / MIB:,.0f} MiB bid through the API…")
            growth, hwm_growth, seconds = memory_run(client, pid, prepared.bidders[big.bidder], prepared.tender_id, big, part)
            note(f"[{name}] the {big.size / MIB:,.0f} MiB bid took {seconds:.1f} s ({big.size / MIB / seconds:.0f} MiB/s)")
            results.append(emit(BENCH, f"peak_memory_growth_{name}", max(growth, hwm_growth), big.size / MIB, max(growth, hwm_growth) / (big.size / MIB),
                                f"MiB peak RSS growth of the server during one {big.size / MIB:,.0f} MiB bid ({name} store) vs the bid's size; "
                                f"target < {TARGET_GROWTH_MIB} MiB"))
        os.sync()  # what the warm-up and the memory run wrote, on disk before the rounds
        note(f"[{name}] {args.rounds} alternating rounds of a {envelopes['rounds'][0].size / MIB:.0f} MiB bid, parts of {args.part_mib} MiB…")
        for sealed in envelopes["rounds"]:
            # Each side starts with no dirty pages of the other's to write back (local objects are fsynced).
            os.sync()
            put_seconds.append(asyncio.run(store_put(store, sealed, part)))
            os.sync()
            # CPU seconds of the server and of this process (the client) per API upload: the machine has few cores.
            server_cpu, client_cpu = _cpu_seconds(pid), time.process_time()
            api_seconds.append(api_upload(client, prepared.bidders[sealed.bidder], prepared.tender_id, 1, sealed, part))
            server_cpu, client_cpu = _cpu_seconds(pid) - server_cpu, time.process_time() - client_cpu
            note(f"[{name}]   store.put {sealed.size / MIB / put_seconds[-1]:,.0f} MiB/s, API {sealed.size / MIB / api_seconds[-1]:,.0f} MiB/s "
                 f"(the completion took {COMPLETION_SHARE[-1]:.0%} of it; CPU: server {server_cpu:.2f} s, client {client_cpu:.2f} s "
                 f"in {api_seconds[-1]:.2f} s)")
    total = sum(e.size for e in envelopes["rounds"]) / MIB
    api_rate, put_rate = total / sum(api_seconds), total / sum(put_seconds)
    results.insert(0, emit(BENCH, f"throughput_{name}", api_rate, put_rate, api_rate / put_rate,
                           f"MiB/s, a {envelopes['rounds'][0].size / MIB:.0f} MiB bid through the API (start, {args.part_mib} MiB parts, complete) "
                           f"vs store.put of the same parts ({name} store)"))
    return results


def run(args: argparse.Namespace) -> list[dict[str, object]]:
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    if not stores or set(stores) - {"local", "s3"}:
        raise SystemExit("--stores: local, s3 or both")
    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="bench-bid-upload-") as tmp_name, ExitStack() as stack:
        tmp = Path(tmp_name)
        # Bidder 0 warms up, 1..rounds are measured, the last one sends the big bid: each version 1.
        bidders = 2 + args.rounds
        envelopes: dict[str, list[Envelope]] = {"warm": [], "rounds": [], "memory": []}
        prepared_first: _bids.Prepared | None = None
        for name in stores:
            data_dir = tmp / f"var-{name}"
            env = environment(data_dir)
            if name == "s3":
                endpoint = stack.enter_context(moto(tmp / "moto.log"))
                bucket = f"bench-{uuid.uuid4().hex[:20]}"
                env.update({
                    "PROCUREMENT_STORAGE_URL": f"s3://{bucket}?endpoint={endpoint}&secure=false&region={MOTO_REGION}",
                    "PROCUREMENT_STORAGE_ACCESS_KEY": MOTO_KEY, "PROCUREMENT_STORAGE_SECRET_KEY": MOTO_SECRET,
                })
                asyncio.run(store_of(env).ensure_bucket())  # type: ignore[attr-defined]
            note(f"[{name}] setting up {data_dir}…")
            procurement(env, "db", "upgrade")
            prepared = asyncio.run(_prepare(env, bidders, [b.keys for b in prepared_first.bidders] if prepared_first else None))
            if prepared_first is None:
                prepared_first = prepared
                note(f"sealing envelopes: {args.rounds} of {args.size_mib} MiB"
                     + (f", one of {args.memory_size_mib:,} MiB" if args.memory_size_mib else "") + " (not timed)…")
                envelopes = _seal_all(tmp, prepared, args)
                os.sync()  # the envelopes' dirty pages, written back now rather than during a measured write
            elif (prepared.tender_id, [b.organisation_id for b in prepared.bidders]) != (
                    prepared_first.tender_id, [b.organisation_id for b in prepared_first.bidders]):
                raise SystemExit("the second data directory gave other ids; the envelopes do not fit it")
            results += measure_store(name, env, tmp, envelopes, args, prepared)
    for line in results:
        metric = str(line["metric"])
        ok = float(line["ratio"]) >= TARGET_RATIO if metric.startswith("throughput") else float(line["value"]) < TARGET_GROWTH_MIB
        target = f"ratio >= {TARGET_RATIO}" if metric.startswith("throughput") else f"growth < {TARGET_GROWTH_MIB} MiB"
        note(f"{metric}: {'met' if ok else 'NOT met'} ({target})")
    return results


def _seal_all(tmp: Path, prepared: _bids.Prepared, args: argparse.Namespace) -> dict[str, list[Envelope]]:
    tender = prepared.tender_id

    def one(index: int, mib: int, label: str) -> Envelope:
        content = _bids.random_file(tmp / f"content-{label}.bin", mib * MIB)
        path = tmp / f"envelope-{label}.bin"
        signature = _bids.seal_file(prepared.bidders[index], tender, 1, content, path)
        content.unlink()
        return Envelope(path, signature, index)

    return {
        "warm": [one(0, 16, "warm")],
        "rounds": [one(n, args.size_mib, f"round{n}") for n in range(1, args.rounds + 1)],
        "memory": [one(args.rounds + 1, args.memory_size_mib, "memory")] if args.memory_size_mib else [],
    }
