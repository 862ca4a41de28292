"""``bidding.stored.streamed``: a blocking producer's chunks as an async stream, bounded, stoppable."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from bidding.stored import streamed


async def test_every_chunk_arrives_in_order_with_only_a_few_ahead() -> None:
    made: list[int] = []

    def produce() -> Iterator[bytes]:
        for n in range(200):
            made.append(n)
            yield n.to_bytes(2, "big")

    received = []
    async for chunk in streamed(produce, ahead=3):
        received.append(int.from_bytes(chunk, "big"))
        # The producer runs at most the queue's size (plus the one it is handing over) ahead.
        assert len(made) - len(received) <= 5
    assert received == list(range(200))


async def test_a_consumer_that_stops_early_leaves_no_thread_blocked() -> None:
    finished = threading.Event()

    def produce() -> Iterator[bytes]:
        try:
            for _ in range(10_000):
                yield b"x" * 1024
        finally:
            finished.set()

    stream = streamed(produce, ahead=2)
    async for _ in stream:
        break
    await stream.aclose()
    assert finished.is_set()


async def test_a_failure_in_the_producer_reaches_the_consumer() -> None:
    def produce() -> Iterator[bytes]:
        yield b"first"
        raise ValueError("segment 2 does not authenticate")

    received = []
    with pytest.raises(ValueError, match="segment 2"):
        async for chunk in streamed(produce):
            received.append(chunk)
    assert received == [b"first"]
