"""Files of the mall (product images and documents, onboarding documents) in object storage.

As tender documents: the caller checks in a short read, the body streams into storage with
no transaction open (its SHA-256 and size computed on the way), then the caller records
the row in a short write; ``stored`` removes the object when that write fails.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import asynccontextmanager

import anyio

from procurement.credit.workflow import TooLarge
from procurement.errors import N_, InvalidInput
from procurement.platform import Platform
from storage import ObjectInfo

MAX_FILE_BYTES = 20 * 1024 * 1024
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})


def check_declared(content_type: str, content_length: int | None, *, image: bool) -> None:
    if image and content_type not in IMAGE_TYPES:
        raise InvalidInput.for_field(
            "header.content-type", N_("an image must be one of %(types)s"), types=", ".join(sorted(IMAGE_TYPES)),
        )
    if content_length is not None and content_length > MAX_FILE_BYTES:
        raise TooLarge("a file may be at most %(limit)s bytes; this one is %(size)s", limit=MAX_FILE_BYTES, size=content_length)


async def _at_most(chunks: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    received = 0
    async for chunk in chunks:
        received += len(chunk)
        if received > MAX_FILE_BYTES:
            raise TooLarge("a file may be at most %(limit)s bytes; this one is larger", limit=MAX_FILE_BYTES)
        yield chunk


@asynccontextmanager
async def stored(platform: Platform, prefix: str, chunks: AsyncIterable[bytes], content_type: str) -> AsyncIterator[ObjectInfo]:
    """Stream ``chunks`` to a fresh key under ``prefix``; the object is deleted if the block raises."""
    key = f"{prefix}/{uuid.uuid4().hex}"
    info = await platform.store.put(key, _at_most(chunks), content_type=content_type)
    try:
        if info.size == 0:
            raise InvalidInput.for_field("body", N_("the file is empty"))
        yield info
    except BaseException:
        with anyio.CancelScope(shield=True):
            await platform.store.delete(key)
        raise
