"""The object-store contract shared by the local and S3 backends.

Documents (bids, tender files, reports) can be large, so the contract streams both ways:
``put`` takes an async iterable and hashes while it writes, ``get``/``open`` yield chunks.
Every object carries its SHA-256, stored with the object and returned by ``stat``, so
the platform can prove later that a file is the one that was submitted.

Reading: ``open(key)`` fetches the metadata first and raises ``ObjectNotFound`` at once;
the returned ``ObjectReader`` then streams the content and must be closed (use
``async with``). ``get(key)`` is the convenient form: an async generator over the same
stream that raises ``ObjectNotFound`` on its first iteration (``InvalidKey`` is raised by
the call itself).
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

import anyio.to_thread

from storage.errors import StorageError

DEFAULT_CONTENT_TYPE = "application/octet-stream"
DEFAULT_CHUNK_SIZE = 1 << 20
MAX_CONTENT_TYPE_LENGTH = 255
# S3 presigned URLs (signature v4) are valid for at most seven days.
MAX_PRESIGN_EXPIRY = timedelta(days=7)

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_CONTENT_TYPE",
    "ObjectInfo",
    "ObjectReader",
    "ObjectStore",
    "put_bytes",
    "read_bytes",
]


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    sha256: str  # lowercase hex
    content_type: str
    last_modified: datetime  # tz-aware UTC


class ObjectReader:
    """An opened object: ``info`` is known, the content streams on iteration.

    Single pass: iterate once, then close (``async with`` does it). The stream is checked
    against ``info.size`` at its end, so a truncated read raises ``StorageError`` instead
    of returning short data. The blocking ``read``/``close`` callables come from the
    backend; reads run in a worker thread, the close is quick and runs inline so that it
    also happens when the task is being cancelled.
    """

    def __init__(
        self,
        info: ObjectInfo,
        read: Callable[[int], bytes],
        close: Callable[[], None],
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        check_chunk_size(chunk_size)
        self.info = info
        self._read = read
        self._close = close
        self._chunk_size = chunk_size
        self._closed = False
        self._started = False

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncIterator[bytes]:
        if self._started:
            raise StorageError(f"the reader of {self.info.key!r} can be iterated only once")
        self._started = True
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        received = 0
        while True:
            if self._closed:
                raise StorageError(f"the reader of {self.info.key!r} is closed")
            chunk = await anyio.to_thread.run_sync(self._read, self._chunk_size)
            if not chunk:
                break
            received += len(chunk)
            if received > self.info.size:
                break
            yield chunk
        if received != self.info.size:
            raise StorageError(
                f"object {self.info.key!r} should have {self.info.size} bytes "
                f"but its stream had {received}"
            )

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self._close()


@runtime_checkable
class ObjectStore(Protocol):
    """What the platform needs from an object store; see the module docstring."""

    async def put(
        self,
        key: str,
        data: AsyncIterable[bytes],
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
    ) -> ObjectInfo:
        """Store the stream under ``key``, replacing any object atomically.

        Size and SHA-256 are computed while streaming; the object becomes visible (with
        its metadata) only once the stream has ended and been stored in full. If the
        stream raises, or the task is cancelled, nothing is stored and an earlier object
        under the key is kept.
        """
        ...

    async def open(self, key: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> ObjectReader:
        """Open the object for streaming; raises ``ObjectNotFound`` at once if missing."""
        ...

    def get(self, key: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:
        """Stream the content; ``ObjectNotFound`` comes on the first iteration."""
        ...

    async def stat(self, key: str) -> ObjectInfo:
        """Metadata of the object; raises ``ObjectNotFound``."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; removing a missing object is not an error."""
        ...

    def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        """Objects under ``prefix`` (empty, or ending with ``/``), sorted by key."""
        ...

    async def presigned_url(self, key: str, expires: timedelta) -> str | None:
        """A time-limited GET URL, or None where the backend has none (local)."""
        ...

    async def check(self) -> None:
        """Raise ``StorageError`` if the backend cannot be used (readiness probe)."""
        ...


async def put_bytes(
    store: ObjectStore,
    key: str,
    data: bytes,
    *,
    content_type: str = DEFAULT_CONTENT_TYPE,
) -> ObjectInfo:
    """Store a small in-memory object."""
    payload = as_bytes(data)

    async def one_chunk() -> AsyncIterator[bytes]:
        if payload:
            yield payload

    return await store.put(key, one_chunk(), content_type=content_type)


async def read_bytes(store: ObjectStore, key: str) -> bytes:
    """Read a whole (small) object into memory."""
    chunks: builtins.list[bytes] = []
    async with await store.open(key) as reader:
        async for chunk in reader:
            chunks.append(chunk)
    return b"".join(chunks)


async def stream_object(store: ObjectStore, key: str, chunk_size: int) -> AsyncIterator[bytes]:
    """The body of every backend's ``get``: ``open`` then yield, closing at the end."""
    async with await store.open(key, chunk_size=chunk_size) as reader:
        async for chunk in reader:
            yield chunk


def validate_content_type(content_type: str) -> str:
    """Content types travel as HTTP header values: printable ASCII, at most 255 chars."""
    if not isinstance(content_type, str):
        raise TypeError(f"content_type must be a str, not {type(content_type).__name__}")
    if not content_type:
        raise ValueError("content_type must not be empty")
    if len(content_type) > MAX_CONTENT_TYPE_LENGTH:
        raise ValueError(f"content_type must be at most {MAX_CONTENT_TYPE_LENGTH} characters")
    if not all(" " <= char <= "~" for char in content_type):
        raise ValueError(f"content_type {content_type!r} must be printable ASCII")
    return content_type


def validate_expiry(expires: timedelta) -> timedelta:
    if not isinstance(expires, timedelta):
        raise TypeError("expires must be a timedelta")
    if not timedelta(seconds=1) <= expires <= MAX_PRESIGN_EXPIRY:
        raise ValueError("expires must be between one second and seven days")
    return expires


def check_chunk_size(chunk_size: int) -> int:
    if not isinstance(chunk_size, int):
        raise TypeError(f"chunk_size must be an int, not {type(chunk_size).__name__}")
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    return chunk_size


def as_bytes(chunk: object) -> bytes:
    """Accept bytes-like chunks; copy mutable ones so the producer may reuse its buffer."""
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, (bytearray, memoryview)):
        return bytes(chunk)
    raise TypeError(f"object data must be bytes chunks, not {type(chunk).__name__}")
