"""The one canonical encoding every digest in the draw is taken over (docs/expert-draw.md §2).

JSON with no whitespace (separators ``,`` and ``:``), object keys sorted, non-ASCII characters
as UTF-8 (not ``\\u`` escapes), then UTF-8 bytes. Values are only strings, integers, null,
booleans and arrays: dates are ISO ``YYYY-MM-DD`` strings, sets are sorted arrays, and no float
ever appears, so any JSON library reproduces the bytes.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

import msgspec

# msgspec rather than the standard library's json: it encodes the records of the pool
# (msgspec structs, as arrays) in C, dates as YYYY-MM-DD and sets sorted. The bytes are the
# ones json.dumps(v, ensure_ascii=False, separators=(",", ":"), sort_keys=True) gives for the
# same values (tests/experts/test_draw_snapshot.py checks it): "deterministic" sorts object
# keys and set members by code point, as Python sorts strings.
_ENCODER = msgspec.json.Encoder(order="deterministic")


def canonical_json(value: object) -> bytes:
    return _ENCODER.encode(value)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
