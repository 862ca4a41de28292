"""A 1 GiB object streams through put and get in flat memory, on both backends."""

from __future__ import annotations

import hashlib
import os
import time
import tracemalloc
from collections.abc import AsyncIterator

import pytest

from storage import ObjectStore

GIB = 1 << 30
BLOCK = 1 << 20
PEAK_LIMIT = 64 * (1 << 20)


@pytest.mark.slow
async def test_one_gib_round_trip_in_flat_memory(store: ObjectStore) -> None:
    base = os.urandom(BLOCK)
    sent = hashlib.sha256()

    async def source() -> AsyncIterator[bytes]:
        for index in range(GIB // BLOCK):
            chunk = index.to_bytes(8, "big") + base[8:]  # every block differs
            sent.update(chunk)
            yield chunk

    started = time.monotonic()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        info = await store.put("big/one-gib.bin", source())
        _, put_peak = tracemalloc.get_traced_memory()
        uploaded = time.monotonic()

        tracemalloc.reset_peak()
        received = hashlib.sha256()
        size = 0
        async for chunk in store.get("big/one-gib.bin"):
            received.update(chunk)
            size += len(chunk)
        _, get_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    finished = time.monotonic()
    print(
        f"\n{type(store).__name__}: put {uploaded - started:.1f}s "
        f"(peak {put_peak / BLOCK:.1f} MiB), get {finished - uploaded:.1f}s "
        f"(peak {get_peak / BLOCK:.1f} MiB)"
    )

    assert info.size == size == GIB
    assert info.sha256 == sent.hexdigest() == received.hexdigest()
    assert (await store.stat("big/one-gib.bin")).sha256 == info.sha256
    assert put_peak < PEAK_LIMIT
    assert get_peak < PEAK_LIMIT
