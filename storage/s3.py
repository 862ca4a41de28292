"""Object store on S3 or MinIO, through the (blocking) ``minio`` SDK run in worker threads.

Why it is shaped this way:

* Streaming upload. The caller's async stream is bridged to ``Minio.put_object(...,
  length=-1)``, which reads it in a worker thread through a file-like object fed by a
  small bounded queue; minio uploads it part by part (multipart). Memory per upload is a
  few parts (``part_size``, 16 MiB by default), never the whole object.
* The SHA-256 is known only at the end of the stream, but S3 metadata is fixed when an
  object is created, and an object must never be visible without its digest. So:
  an object that fits in one part is buffered (at most ``part_size``), hashed, and sent
  in a single PUT with ``x-amz-meta-sha256``; a larger one is uploaded under the reserved
  prefix ``.storage-tmp/`` (never listed; ``validate_key`` refuses it) and then copied
  server-side to its key with the digest as metadata (CopyObject with the REPLACE
  directive, atomic; minio switches to a multipart copy above 5 GiB), and the temporary
  object is deleted. A crash leaves at worst an incomplete multipart upload or a
  temporary object: set a bucket lifecycle rule that aborts incomplete multipart
  uploads and expires ``.storage-tmp/`` after a day.
* ``list`` needs the digest of each object, which ListObjects does not return, so it
  issues one HEAD per object (a few at a time).
* Times are whole seconds: HEAD returns ``Last-Modified`` to the second.
* Failures of the SDK or the network become ``StorageError``; ``check`` uses a client
  without retries and with short timeouts, so a readiness probe answers quickly.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import logging
import os
import uuid
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from itertools import islice
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread
import urllib3
from minio import Minio
from minio.commonconfig import REPLACE, CopySource
from minio.error import MinioException, S3Error
from minio.helpers import MAX_PART_SIZE, MIN_PART_SIZE, check_bucket_name
from urllib3.util import Retry, Timeout

from storage.base import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    ObjectInfo,
    ObjectReader,
    as_bytes,
    check_chunk_size,
    stream_object,
    validate_content_type,
    validate_expiry,
)
from storage.errors import InvalidKey, ObjectNotFound, StorageError
from storage.keys import RESERVED_PREFIX, validate_key, validate_prefix

__all__ = ["DEFAULT_PART_SIZE", "S3ObjectStore"]

log = logging.getLogger(__name__)

DEFAULT_PART_SIZE = 16 * 1024 * 1024
SHA256_HEADER = "x-amz-meta-sha256"
_SHA256_METADATA = "sha256"  # minio sends it as x-amz-meta-sha256
_BRIDGE_DEPTH = 2  # chunks queued between the event loop and the upload thread
_LIST_BATCH = 100
_STAT_CONCURRENCY = 8
_HEX = frozenset("0123456789abcdef")

T = TypeVar("T")


def _http_pool(timeout: Timeout, retries: Retry | bool) -> urllib3.PoolManager:
    # As minio builds its own, with our timeouts and retries. Without SSL_CERT_FILE the
    # system's certificate store is used.
    return urllib3.PoolManager(
        timeout=timeout,
        maxsize=10,
        cert_reqs="CERT_REQUIRED",
        ca_certs=os.environ.get("SSL_CERT_FILE"),
        retries=retries,
    )


def _utc_seconds(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def _info_from_headers(
    key: str,
    *,
    size: int | str | None,
    content_type: str | None,
    last_modified: datetime | str | None,
    headers: Mapping[str, str],
) -> ObjectInfo:
    digest = (headers.get(SHA256_HEADER) or "").lower()
    if len(digest) != 64 or not set(digest) <= _HEX:
        raise StorageError(
            f"object {key!r} has no valid {SHA256_HEADER} metadata; was it written by another tool?"
        )
    if size is None or last_modified is None:
        raise StorageError(f"the S3 response for {key!r} lacks its size or time")
    if isinstance(last_modified, str):
        last_modified = parsedate_to_datetime(last_modified)
    return ObjectInfo(
        key=key,
        size=int(size),
        sha256=digest,
        content_type=content_type or DEFAULT_CONTENT_TYPE,
        last_modified=_utc_seconds(last_modified),
    )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, S3Error):
        return f"{exc.code}: {exc.message}"
    return f"{type(exc).__name__}: {exc}"


def _listable(name: str) -> bool:
    try:
        validate_key(name)
    except InvalidKey:
        return False  # a temporary upload, or an object this store could not have written
    return True


def _take(iterator: Any, count: int) -> builtins.list[Any]:
    return builtins.list(islice(iterator, count))


class _UploadAborted(Exception):
    """Raised inside minio's read loop so that it aborts the multipart upload."""


class _StreamBridge:
    """The file-like object ``Minio.put_object`` reads, in a worker thread.

    It hands out first the chunks already buffered by ``put``, then chunks received from
    the event loop through a bounded memory stream, hashing each as it arrives. When the
    stream closes it reports end of file, unless the producer failed, in which case
    ``read`` raises so that minio aborts the upload instead of completing a truncated one.
    """

    def __init__(self, head: builtins.list[bytes], receive: Any) -> None:
        self._pending = deque(head)
        self._receive = receive
        self._current = memoryview(b"")
        self._eof = False
        self._aborted = False
        self._hasher = hashlib.sha256()
        self.size = 0

    def abort(self) -> None:
        self._aborted = True

    def hexdigest(self) -> str:
        return self._hasher.hexdigest()

    def _next_chunk(self) -> bytes | None:
        if self._pending:
            chunk = self._pending.popleft()
        elif self._eof:
            return None
        else:
            try:
                chunk = anyio.from_thread.run(self._receive.receive)
            except (anyio.EndOfStream, anyio.ClosedResourceError):
                if self._aborted:
                    raise _UploadAborted("the object's data stream failed") from None
                self._eof = True
                return None
        self._hasher.update(chunk)
        self.size += len(chunk)
        return chunk

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            raise ValueError("read() needs a size")  # minio always passes one
        parts = []
        while size > 0:
            if not self._current:
                chunk = self._next_chunk()
                if chunk is None:
                    break
                self._current = memoryview(chunk)
            part = self._current[:size]
            parts.append(part)
            size -= len(part)
            self._current = self._current[len(part) :]
        # One join per part: minio's own loop would concatenate small reads quadratically.
        return b"".join(parts)


class S3ObjectStore:
    """``ObjectStore`` in an S3 bucket; see the module docstring.

    The bucket is created if missing, on first use or by ``ensure_bucket``/``check``.
    """

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool,
        region: str | None = None,
        part_size: int = DEFAULT_PART_SIZE,
    ) -> None:
        if not MIN_PART_SIZE <= part_size <= MAX_PART_SIZE:
            raise ValueError(
                f"part_size must be between {MIN_PART_SIZE} (5 MiB) and {MAX_PART_SIZE} (5 GiB)"
            )
        check_bucket_name(bucket, strict=True)  # today's S3 rules: lowercase, digits, '.', '-'
        self.endpoint = endpoint
        self.bucket = bucket
        self.secure = secure
        self.region = region
        self.part_size = part_size
        self._client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=_http_pool(
                Timeout(connect=10, read=120),
                Retry(total=3, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
            ),
        )
        self._probe_client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=_http_pool(Timeout(connect=3, read=10), False),
        )
        self._bucket_ready = False

    def __repr__(self) -> str:
        return f"S3ObjectStore(endpoint={self.endpoint!r}, bucket={self.bucket!r})"

    # -- plumbing ---------------------------------------------------------------------

    def _error(self, exc: BaseException, key: str | None = None) -> StorageError:
        if isinstance(exc, StorageError):
            return exc
        if isinstance(exc, S3Error) and exc.code == "NoSuchKey" and key is not None:
            return ObjectNotFound(key)
        return StorageError(f"S3 {self.endpoint}/{self.bucket}: {_describe(exc)}")

    async def _run(self, func: Callable[..., T], *args: Any, key: str | None = None) -> T:
        try:
            return await anyio.to_thread.run_sync(func, *args)
        except (MinioException, urllib3.exceptions.HTTPError, OSError, StorageError) as exc:
            raise self._error(exc, key) from exc

    def _ensure_bucket_blocking(self, client: Minio) -> None:
        if client.bucket_exists(self.bucket):
            return
        try:
            client.make_bucket(self.bucket, location=self.region)
        except S3Error as exc:
            if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise

    async def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist."""
        await self._run(self._ensure_bucket_blocking, self._client)
        self._bucket_ready = True

    async def _ready(self) -> None:
        if not self._bucket_ready:
            await self.ensure_bucket()

    def _stat_blocking(self, key: str) -> tuple[ObjectInfo, str | None]:
        obj = self._client.stat_object(self.bucket, key)
        info = _info_from_headers(
            key,
            size=obj.size,
            content_type=obj.content_type,
            last_modified=obj.last_modified,
            headers=obj.metadata or {},
        )
        return info, obj.etag

    def _info_after_write(self, expected: ObjectInfo, etag: str | None) -> ObjectInfo:
        """What was written, as ``stat`` will report it (server's time and type)."""
        try:
            info, current_etag = self._stat_blocking(expected.key)
        except (MinioException, urllib3.exceptions.HTTPError, OSError, StorageError) as exc:
            # The write is committed; failing the put now would lie about it.
            log.warning("could not stat %r after writing it: %s", expected.key, _describe(exc))
            return expected
        if current_etag == etag and info.sha256 == expected.sha256:
            return info
        # Replaced by a concurrent writer meanwhile: report our own write.
        return expected

    def _remove_quietly(self, name: str) -> None:
        try:
            self._client.remove_object(self.bucket, name)
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
            log.warning("could not delete the temporary upload %s: %s", name, _describe(exc))

    # -- put --------------------------------------------------------------------------

    def _put_small(self, key: str, head: builtins.list[bytes], content_type: str) -> ObjectInfo:
        body = b"".join(head)
        head.clear()
        digest = hashlib.sha256(body).hexdigest()
        result = self._client.put_object(
            self.bucket,
            key,
            io.BytesIO(body),
            len(body),
            content_type=content_type,
            metadata={_SHA256_METADATA: digest},
            part_size=self.part_size,
        )
        expected = ObjectInfo(key, len(body), digest, content_type, _utc_seconds(datetime.now(UTC)))
        return self._info_after_write(expected, result.etag)

    def _put_via_temporary(self, key: str, bridge: _StreamBridge, content_type: str) -> ObjectInfo:
        temporary = f"{RESERVED_PREFIX}{uuid.uuid4().hex}"
        # If this fails, minio has aborted the multipart upload: nothing to clean up.
        self._client.put_object(
            self.bucket,
            temporary,
            bridge,  # type: ignore[arg-type]
            length=-1,
            content_type=content_type,
            part_size=self.part_size,
            num_parallel_uploads=1,  # fail fast, and bound memory to about 3 parts
        )
        digest = bridge.hexdigest()
        try:
            result = self._client.copy_object(
                self.bucket,
                key,
                CopySource(self.bucket, temporary),
                metadata={"Content-Type": content_type, _SHA256_METADATA: digest},
                metadata_directive=REPLACE,
            )
        finally:
            self._remove_quietly(temporary)
        moment = result.last_modified or datetime.now(UTC)
        expected = ObjectInfo(key, bridge.size, digest, content_type, _utc_seconds(moment))
        return self._info_after_write(expected, result.etag)

    async def put(
        self,
        key: str,
        data: AsyncIterable[bytes],
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
    ) -> ObjectInfo:
        validate_key(key)
        validate_content_type(content_type)
        await self._ready()
        chunks = aiter(data)
        head: builtins.list[bytes] = []
        buffered = 0
        while buffered <= self.part_size:
            try:
                chunk = as_bytes(await anext(chunks))
            except StopAsyncIteration:
                return await self._run(self._put_small, key, head, content_type)
            if chunk:
                head.append(chunk)
                buffered += len(chunk)
        return await self._put_large(key, head, chunks, content_type)

    async def _put_large(
        self,
        key: str,
        head: builtins.list[bytes],
        chunks: AsyncIterator[bytes],
        content_type: str,
    ) -> ObjectInfo:
        send, receive = anyio.create_memory_object_stream[bytes](_BRIDGE_DEPTH)
        bridge = _StreamBridge(head, receive)
        head.clear()  # the bridge owns the buffered chunks now, and frees them as they go
        outcome: dict[str, Any] = {}

        async def upload() -> None:
            try:
                outcome["info"] = await anyio.to_thread.run_sync(
                    self._put_via_temporary, key, bridge, content_type
                )
            except Exception as exc:  # noqa: BLE001 - re-raised after the task group, unwrapped
                outcome["error"] = exc
            finally:
                receive.close()  # wakes a producer blocked on a full queue

        failure: BaseException | None = None
        async with anyio.create_task_group() as group:
            group.start_soon(upload)
            try:
                async for chunk in chunks:
                    chunk = as_bytes(chunk)
                    if not chunk:
                        continue
                    try:
                        await send.send(chunk)
                    except anyio.BrokenResourceError:
                        bridge.abort()
                        break  # the upload stopped reading: its error is in outcome
            # The stream failed, or we are cancelled: abort the upload, re-raise below.
            except BaseException as exc:  # noqa: BLE001
                bridge.abort()
                failure = exc
            finally:
                send.close()  # end of file for the upload, or abort if flagged
        if failure is not None:
            raise failure
        if "error" in outcome:
            error = outcome["error"]
            raise self._error(error) from error
        if "info" not in outcome:  # pragma: no cover - the upload ends only by error or EOF
            raise StorageError(f"the upload of {key!r} stopped without a result")
        return outcome["info"]  # type: ignore[no-any-return]

    # -- reading ----------------------------------------------------------------------

    async def open(self, key: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> ObjectReader:
        validate_key(key)
        check_chunk_size(chunk_size)
        await self._ready()
        response = await self._run(self._client.get_object, self.bucket, key, key=key)

        def close() -> None:
            response.close()
            response.release_conn()

        def read(size: int) -> bytes:
            try:
                return response.read(size, decode_content=False)  # type: ignore[no-any-return]
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise StorageError(f"reading {key!r} from S3 failed: {_describe(exc)}") from exc

        try:
            headers = response.headers
            info = _info_from_headers(
                key,
                size=headers.get("Content-Length"),
                content_type=headers.get("Content-Type"),
                last_modified=headers.get("Last-Modified"),
                headers=headers,
            )
        except BaseException:
            close()
            raise
        return ObjectReader(info, read, close, chunk_size=chunk_size)

    def get(self, key: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:
        validate_key(key)
        check_chunk_size(chunk_size)
        return stream_object(self, key, chunk_size)

    async def stat(self, key: str) -> ObjectInfo:
        validate_key(key)
        await self._ready()
        info, _etag = await self._run(self._stat_blocking, key, key=key)
        return info

    async def delete(self, key: str) -> None:
        validate_key(key)
        await self._ready()
        await self._run(self._client.remove_object, self.bucket, key, key=key)

    def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        validate_prefix(prefix)
        return self._list(prefix)

    async def _list(self, prefix: str) -> AsyncIterator[ObjectInfo]:
        await self._ready()
        # Lazy: each batch below fetches pages as needed (ListObjectsV2, sorted by key).
        listing = self._client.list_objects(self.bucket, prefix=prefix or None, recursive=True)
        while True:
            batch = await self._run(_take, listing, _LIST_BATCH)
            if not batch:
                return
            keys = [obj.object_name for obj in batch if _listable(obj.object_name)]
            for info in await self._stat_many(keys):
                yield info

    async def _stat_many(self, keys: builtins.list[str]) -> builtins.list[ObjectInfo]:
        found: builtins.list[ObjectInfo | None] = [None] * len(keys)
        errors: builtins.list[BaseException] = []
        limiter = anyio.CapacityLimiter(_STAT_CONCURRENCY)

        async def stat_one(index: int, key: str) -> None:
            try:
                found[index], _etag = await anyio.to_thread.run_sync(
                    self._stat_blocking, key, limiter=limiter
                )
            except S3Error as exc:
                if exc.code != "NoSuchKey":  # else deleted since it was listed: skip it
                    errors.append(exc)
            except (MinioException, urllib3.exceptions.HTTPError, OSError, StorageError) as exc:
                errors.append(exc)

        async with anyio.create_task_group() as group:
            for index, key in enumerate(keys):
                group.start_soon(stat_one, index, key)
        if errors:
            raise self._error(errors[0]) from errors[0]
        return [info for info in found if info is not None]

    # -- the rest ---------------------------------------------------------------------

    async def presigned_url(self, key: str, expires: timedelta) -> str | None:
        validate_key(key)
        validate_expiry(expires)
        await self._ready()
        return await self._run(
            self._client.presigned_get_object, self.bucket, key, expires, key=key
        )

    async def check(self) -> None:
        """Reach the endpoint (no retries, short timeouts) and make sure the bucket exists."""
        await self._run(self._ensure_bucket_blocking, self._probe_client)
        self._bucket_ready = True
