"""The one canonical encoding every digest in the draw is taken over (docs/expert-draw.md §2).

JSON with no whitespace (separators ``,`` and ``:``), object keys sorted, non-ASCII characters
as UTF-8 (not ``\\u`` escapes), then UTF-8 bytes. Values are only strings, integers, null,
booleans and arrays: dates are ISO ``YYYY-MM-DD`` strings, sets are sorted arrays, and no float
ever appears, so any JSON library reproduces the bytes.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

# One encoder built once, since building one per call costs more than encoding. Without the
# circular-reference check (a dictionary update per array, and a pool snapshot has some
# 100,000 arrays): the values encoded here are built by this library and never contain
# themselves, and the output is the same either way.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False, check_circular=False)


def canonical_json(value: object) -> bytes:
    return _ENCODER.encode(value).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pauses CPython's cyclic garbage collector for one bulk pass over the pool.

    A draw keeps some 100,000 small containers alive at once; each threshold crossed sets off a
    collection that rescans them all, which doubled the draw's time (measured). Nothing here
    makes reference cycles, so plain reference counting frees everything; the collector is
    switched back on at the end (only if it was on).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
