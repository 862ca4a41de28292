"""Benchmarks: ``python -m benchmarks NAME`` measures one thing and its baseline in one run.

Each benchmark prints one JSON object per line on stdout:
``{"bench": NAME, "metric": ..., "value": ..., "baseline": ..., "ratio": ..., "unit": ...}``
and its progress on stderr. Absolute figures on shared machines drift; the ratio against a
baseline measured alongside, on the same machine in the same run, is what to compare.
"""

from __future__ import annotations

import json
import sys

# name -> (module, what it measures)
BENCHMARKS: dict[str, tuple[str, str]] = {
    "api": (
        "benchmarks.api",
        (
            "a public JSON route that reads the database vs. the hello-world /health route of the same app "
            "(uvicorn, one worker, SQLite); requests/s and p99 latency; target ratio >= 0.25"
        ),
    ),
    "tender_search": (
        "benchmarks.tender_search",
        "the public tender search with filters over 100,000 tenders vs. /health; target ratio >= 0.15, p99 < 50 ms",
    ),
    "catalogue_search": (
        "benchmarks.catalogue_search",
        "the public mall search (Chinese keyword, category, price sort) over 100,000 products vs. /health; target ratio >= 0.15",
    ),
    "notice_pdf": (
        "benchmarks.notice_pdf",
        "a two-page notice's PDF through the app vs. WeasyPrint rendering the same HTML directly; target ratio >= 0.8",
    ),
    "audit": (
        "benchmarks.audit",
        (
            "audit entries verified per second (chain, Merkle tree, signed checkpoints) vs. plain SHA-256 "
            "over the same entry bytes; target ratio >= 0.25"
        ),
    ),
    "bid_upload": (
        "benchmarks.bid_upload",
        (
            "a sealed bid uploaded through the API (start, parts, complete) vs. store.put of the same bytes, local store and S3 "
            "(moto); target ratio >= 0.6 on both, and server peak memory growth < 64 MiB for a 1 GiB bid"
        ),
    ),
    "bid_open": (
        "benchmarks.bid_open",
        "opening N released bids (bidding.opening.release) vs. reading and AES-GCM-decrypting the same envelopes directly; target ratio >= 0.5",
    ),
    "deadline_surge": (
        "benchmarks.deadline_surge",
        (
            "hundreds of bidders submitting concurrently just before the deadline: none lost (a receipt or a clear 409), "
            "p99 of the completion; target aggregate bids/s >= 0.5 x one bidder's sequential bids/s"
        ),
    ),
    "stats_report": ("benchmarks.stats_report", "the yearly statistics report over 100,000 tenders vs. one aggregate SQL query over the same rows; target ratio >= 0.2"),
    "mall_orders": ("benchmarks.mall_orders", "concurrent mall orders against a small stock vs. a plain insert of the same rows; zero oversell; target ratio >= 0.2"),
    "credit_check": ("benchmarks.credit_check", "the credit check as used at bid submission (stored) vs. a primary-key read of the blacklist table; target ratio >= 0.5"),
    "expert_draw": (
        "benchmarks.expert_draw",
        "an expert draw (pool snapshot, the library draw, storing it) over 100,000 experts vs. one query reading the eligible rows; target ratio >= 0.33",
    ),
}


def emit(bench: str, metric: str, value: float, baseline: float, ratio: float, unit: str) -> dict[str, object]:
    """Print one result line (stdout, JSON) and return it."""
    line = {
        "bench": bench,
        "metric": metric,
        "value": round(value, 3),
        "baseline": round(baseline, 3),
        "ratio": round(ratio, 4),
        "unit": unit,
    }
    print(json.dumps(line, ensure_ascii=False), flush=True)
    return line


def note(message: str) -> None:
    """Progress and context, on stderr so stdout stays one JSON object per line."""
    print(message, file=sys.stderr, flush=True)
