"""Audit-log verification speed vs. plain SHA-256 over the same bytes.

What is measured: ``chain.verify_log`` over N in-memory entries built exactly as
``audit.service.record`` builds them (canonical details JSON, change digest, chained entry
hashes) with a few Ed25519-signed checkpoints: the work of ``procurement audit verify`` and
of the standalone verifier, without the database or file reading.

Baseline: one ``hashlib.sha256`` over each entry's ``chain.entry_bytes`` (computed beforehand),
in a plain loop: the least any verifier must do per entry. Target ratio >= 0.25.

A second line compares against serialising and hashing (``sha256(entry_bytes(e))`` inside the
timed loop), which says how much of the gap is the byte layout and how much is the rest.

Runs alternate (verify, baseline, verify, ...) and the best round of each is reported: on a
shared machine other work only ever slows a round down, so the fastest is the least disturbed.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import pstats
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from benchmarks import emit, note
from procurement.audit import chain
from procurement.keys import verifier_for

BENCH = "audit"
TARGET = 0.25

_ACTIONS = [
    ("identity.login", "user", lambda r, i: {"kind": r.choice(["bearer", "cookie"])}),
    ("identity.logout", "user", lambda r, i: {}),
    (
        "identity.user_created",
        "user",
        lambda r, i: {"username": f"user{i}", "roles": sorted(r.sample(["purchaser", "admin", "agency", "supplier"], 2))},
    ),
    (
        "identity.organisation_created",
        "organisation",
        lambda r, i: {"uscc": f"91460100MA{i:07d}X", "name": f"海南示例建设工程有限公司{i}", "kind": "supplier"},
    ),
    (
        "identity.public_key_registered",
        "user_public_key",
        lambda r, i: {"algorithm": "x25519", "fingerprint": hashlib.sha256(str(i).encode()).hexdigest()},
    ),
    (
        "bidding.envelope_received",
        "bid",
        lambda r, i: {
            "tender": f"HKGP-2026-{i % 997:04d}",
            "lot": r.randint(1, 4),
            "digest": hashlib.sha256(b"bid%d" % i).hexdigest(),
            "size": r.randint(20_000, 5_000_000),
            "version": r.randint(1, 3),
        },
    ),
    (
        "tender.published",
        "tender",
        lambda r, i: {"title": f"海口市人民医院医疗设备采购项目（第{i}包）", "budget": f"{r.randint(10_000, 9_000_000)}.00", "method": "公开招标"},
    ),
]


def build_log(count: int, checkpoints: int, seed: int = 2026) -> tuple[list[dict[str, Any]], list[chain.CheckpointRecord], Callable[[bytes, bytes], bool]]:
    """``count`` entries as the service writes them, and ``checkpoints`` signed checkpoints."""
    rng = random.Random(seed)
    key = Ed25519PrivateKey.generate()
    at = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    sizes = {max(1, count * k // checkpoints) for k in range(1, checkpoints + 1)}
    entries: list[dict[str, Any]] = []
    signed: list[chain.CheckpointRecord] = []
    acc = chain.MerkleAccumulator()
    prev = chain.GENESIS_HASH
    for seq in range(1, count + 1):
        at += timedelta(microseconds=rng.randint(1_000, 900_000))
        action, subject_type, make_details = _ACTIONS[rng.randrange(len(_ACTIONS))]
        details_json = chain.canonical_json(make_details(rng, seq))
        system = rng.random() < 0.05
        entry: dict[str, Any] = {
            "seq": seq,
            "recorded_at": at,
            "actor_id": None if system else rng.randint(1, 5000),
            "actor_name": "system" if system else f"user{rng.randint(1, 5000)}",
            "organisation_id": rng.randint(1, 800),
            "action": action,
            "subject_type": subject_type,
            "subject_id": str(rng.randint(1, 100_000)),
            "details": details_json,
            "change_digest": chain.digest_details(details_json),
            "request_id": uuid.UUID(int=rng.getrandbits(128)).hex,
            "prev_hash": prev,
            "entry_hash": "",
        }
        entry["entry_hash"] = prev = chain.entry_hash(entry)
        entries.append(entry)
        acc.append(chain.leaf_hash(prev))
        if seq in sizes:
            root = acc.root()
            signature = key.sign(chain.checkpoint_text(seq, root, at))
            signed.append(chain.CheckpointRecord(seq, root.hex(), at, chain.b64(signature)))
    return entries, signed, verifier_for(key.public_key())


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--entries", type=int, default=50_000, help="entries in the log (default 50000)")
    parser.add_argument("--checkpoints", type=int, default=5, help="signed checkpoints spread over the log (default 5)")
    parser.add_argument("--rounds", type=int, default=7, help="alternating timed rounds of each (default 7)")
    parser.add_argument("--profile", action="store_true", help="also profile one verification (cProfile) and print the top functions on stderr")


def run(args: argparse.Namespace) -> list[dict[str, object]]:
    note(f"building {args.entries} entries with {args.checkpoints} signed checkpoints…")
    entries, checkpoints, verify_signature = build_log(args.entries, args.checkpoints)
    blobs = [chain.entry_bytes(e) for e in entries]
    note(f"mean entry: {sum(map(len, blobs)) / len(blobs):.0f} bytes hashed, details {sum(len(e['details']) for e in entries) / len(entries):.0f} bytes")
    sha256 = hashlib.sha256
    entry_bytes = chain.entry_bytes

    def verify() -> None:
        problem = chain.verify_log(entries, checkpoints, verify_signature, head=(len(entries), entries[-1]["entry_hash"]))
        if problem is not None:
            raise SystemExit(f"the benchmark's own log does not verify: {problem}")

    def hash_bytes() -> None:
        for blob in blobs:
            sha256(blob).digest()

    def serialise_and_hash() -> None:
        for entry in entries:
            sha256(entry_bytes(entry)).digest()

    verify()  # warm-up, and proof the log is sound
    times: dict[str, list[float]] = {"verify": [], "sha256": [], "serialise+sha256": []}
    for _ in range(args.rounds):
        times["verify"].append(_timed(verify))
        times["sha256"].append(_timed(hash_bytes))
        times["serialise+sha256"].append(_timed(serialise_and_hash))
    rate = {name: len(entries) / min(t) for name, t in times.items()}
    note("entries/s per round: " + "; ".join(f"{k}: {', '.join(f'{len(entries) / x:,.0f}' for x in v)}" for k, v in times.items()))
    results = [
        emit(BENCH, "entries_verified_per_second", rate["verify"], rate["sha256"], rate["verify"] / rate["sha256"],
             "entries/s (verify_log vs. sha256 over each entry's bytes)"),
        emit(BENCH, "entries_verified_per_second_vs_serialise_and_hash", rate["verify"], rate["serialise+sha256"],
             rate["verify"] / rate["serialise+sha256"], "entries/s (verify_log vs. sha256(entry_bytes(entry)))"),
    ]
    ratio = rate["verify"] / rate["sha256"]
    note(f"ratio {ratio:.3f} against a target of {TARGET}: {'met' if ratio >= TARGET else 'NOT met'}")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(verify)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
        note(out.getvalue())
    return results
