"""A stored envelope read from a worker thread: the synchronous envelope code runs off the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from procurement.platform import Platform

READ_CHUNK = 1 << 20  # each chunk crosses from the event loop to the worker thread: few, large ones


def blocking_chunks(platform: Platform, keys: list[str], loop: asyncio.AbstractEventLoop) -> Iterator[bytes]:
    """The bytes of the objects ``keys``, in order, for a thread; each read runs on ``loop``."""
    for key in keys:
        stream = platform.store.get(key, chunk_size=READ_CHUNK).__aiter__()
        while True:
            try:
                yield asyncio.run_coroutine_threadsafe(stream.__anext__(), loop).result()
            except StopAsyncIteration:
                break
