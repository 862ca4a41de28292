"""A stored envelope read from a worker thread: the synchronous envelope code runs off the event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator

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


async def streamed(produce: Callable[[], Iterator[bytes]], ahead: int = 4) -> AsyncIterator[bytes]:
    """The chunks of a blocking ``produce()`` (decryption: CPU work), run in a worker thread, as an
    async stream: at most ``ahead`` chunks wait in memory, so a large file never sits there whole.

    When the consumer stops early (the client went away), the worker is told to stop and the
    queue is drained until it has, so no thread is left blocked on a full queue.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue(maxsize=ahead)
    stop = threading.Event()

    def put(item: bytes | BaseException | None) -> None:
        asyncio.run_coroutine_threadsafe(queue.put(item), loop).result()

    def work() -> None:
        try:
            for chunk in produce():
                if stop.is_set():
                    return
                put(chunk)
            put(None)
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, which raises it
            if not stop.is_set():
                put(error)

    worker = loop.run_in_executor(None, work)
    try:
        while (item := await queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while not worker.done():
            try:
                queue.get_nowait()
            except asyncio.QueueEmpty:
                await asyncio.sleep(0.01)
        await worker
