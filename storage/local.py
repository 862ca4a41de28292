"""Object store on the local file system, for development and single-host installs.

Why it is shaped this way:

* Atomicity. An object is one file: a fixed 4 KiB header (JSON: key, size, SHA-256,
  content type, time) followed by the content. ``put`` streams into a temporary file in
  ``ROOT/.tmp/`` (same file system), writes the header last, fsyncs the file, renames it
  into place with ``os.replace`` and fsyncs the folder. The rename is the commit, so the
  content and its metadata appear together or not at all; a crash mid-write leaves only
  a temporary file, which is never listed. (Leftovers in ``.tmp/`` are garbage from
  crashes and can be removed while no upload runs.)
* Layout. ``ROOT/objects/`` mirrors the key's folders, but every name on disk carries a
  one-letter prefix: ``d<segment>`` for a folder, ``f<segment>`` for an object. So the
  keys ``a`` and ``a/b`` can both exist (as in S3), and no segment can collide with
  another or be special to the file system. A segment longer than 200 bytes in UTF-8
  (file names are limited to 255) is stored as ``D``/``F`` plus its SHA-256 instead;
  the real key is always in the header.
* Privacy. Folders are created 0700 and files 0600: bids must stay sealed until opening.
* The event loop never blocks on the disk: file I/O runs in worker threads, in batches of
  about 1 MiB.

Listing reads the header of every object under the prefix and sorts them in memory:
fine for a single host, not meant for millions of objects.
"""

from __future__ import annotations

import builtins
import errno
import hashlib
import json
import os
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO, TypeVar

import anyio.to_thread

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
from storage.errors import ObjectNotFound, StorageError
from storage.keys import validate_key, validate_prefix

__all__ = ["LocalObjectStore"]

HEADER_SIZE = 4096
_MAGIC = b"storage-object v1\n"
_WRITE_BATCH = 1 << 20
_PLAIN_NAME_LIMIT = 200
# A concurrent delete may remove an empty folder between our mkdir and our rename.
_REPLACE_ATTEMPTS = 8

T = TypeVar("T")


def _fs_name(segment: str, *, folder: bool) -> str:
    raw = segment.encode("utf-8")
    if len(raw) <= _PLAIN_NAME_LIMIT:
        return ("d" if folder else "f") + segment
    return ("D" if folder else "F") + hashlib.sha256(raw).hexdigest()


def _encode_header(info: ObjectInfo) -> bytes:
    body = json.dumps(
        {
            "key": info.key,
            "size": info.size,
            "sha256": info.sha256,
            "content_type": info.content_type,
            "last_modified": info.last_modified.isoformat(),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    header = _MAGIC + body + b"\n"
    # key <= 1024 bytes and content type <= 255 chars: even fully escaped this fits.
    assert len(header) <= HEADER_SIZE, "object header overflow"
    return header.ljust(HEADER_SIZE, b"\0")


def _decode_header(header: bytes, path: str) -> ObjectInfo:
    if len(header) != HEADER_SIZE or not header.startswith(_MAGIC):
        raise StorageError(f"{path} is not a stored object (bad header)")
    body = header[len(_MAGIC) :].split(b"\n", 1)[0]
    try:
        fields = json.loads(body)
        return ObjectInfo(
            key=fields["key"],
            size=int(fields["size"]),
            sha256=fields["sha256"],
            content_type=fields["content_type"],
            last_modified=datetime.fromisoformat(fields["last_modified"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise StorageError(f"{path} has a corrupt header") from exc


def _read_exact(file: BinaryIO, size: int) -> bytes:
    parts = []
    remaining = size
    while remaining:
        part = file.read(remaining)
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _TempFile:
    """A temporary object file being written; discarded unless committed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.committed = False
        self.fd: int | None = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600
        )
        try:
            # Room for the header, written once the size and digest are known.
            _write_all(self.fd, b"\0" * HEADER_SIZE)
        except BaseException:
            self.discard()
            raise

    def write(self, hasher: hashlib._Hash, chunks: builtins.list[bytes]) -> None:
        assert self.fd is not None
        for chunk in chunks:
            hasher.update(chunk)
            _write_all(self.fd, chunk)

    def finish(self, header: bytes) -> None:
        assert self.fd is not None
        os.pwrite(self.fd, header, 0)
        os.fsync(self.fd)
        fd, self.fd = self.fd, None
        os.close(fd)

    def discard(self) -> None:
        """Quick and synchronous, so it also runs while the task is being cancelled."""
        if self.committed:
            return
        if self.fd is not None:
            fd, self.fd = self.fd, None
            os.close(fd)
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


class LocalObjectStore:
    """``ObjectStore`` in a folder; see the module docstring for the layout."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).absolute()
        self._objects = self.root / "objects"
        self._tmp = self.root / ".tmp"
        try:
            if not self.root.exists():
                self.root.mkdir(mode=0o700, parents=True)
            for folder in (self._objects, self._tmp):
                folder.mkdir(mode=0o700, exist_ok=True)
                os.chmod(folder, 0o700)
        except OSError as exc:
            raise StorageError(f"cannot prepare the object store in {self.root}: {exc}") from exc

    def __repr__(self) -> str:
        return f"LocalObjectStore({str(self.root)!r})"

    # -- paths ------------------------------------------------------------------------

    def _object_path(self, key: str) -> Path:
        *folders, name = key.split("/")
        path = self._objects
        for segment in folders:
            path = path / _fs_name(segment, folder=True)
        return path / _fs_name(name, folder=False)

    def _folder_path(self, prefix: str) -> Path:
        path = self._objects
        if prefix:
            for segment in prefix[:-1].split("/"):
                path = path / _fs_name(segment, folder=True)
        return path

    # -- blocking helpers, run in worker threads ------------------------------------

    async def _run(self, func: Callable[..., T], *args: object) -> T:
        try:
            return await anyio.to_thread.run_sync(func, *args)
        except StorageError:
            raise
        except OSError as exc:
            raise StorageError(f"local object store {self.root}: {exc}") from exc

    def _new_temp(self) -> _TempFile:
        return _TempFile(self._tmp / f"{uuid.uuid4().hex}.part")

    def _make_folders(self, folder: Path) -> None:
        current = self._objects
        for part in folder.relative_to(self._objects).parts:
            current = current / part
            try:
                os.mkdir(current, 0o700)
            except FileExistsError:
                continue
            _fsync_dir(current.parent)

    def _commit(
        self,
        temp: _TempFile,
        target: Path,
        key: str,
        size: int,
        hasher: hashlib._Hash,
        content_type: str,
    ) -> ObjectInfo:
        info = ObjectInfo(
            key=key,
            size=size,
            sha256=hasher.hexdigest(),
            content_type=content_type,
            last_modified=datetime.now(UTC),
        )
        temp.finish(_encode_header(info))
        for attempt in range(_REPLACE_ATTEMPTS):
            self._make_folders(target.parent)
            try:
                os.replace(temp.path, target)
                temp.committed = True
                break
            except FileNotFoundError:
                if attempt == _REPLACE_ATTEMPTS - 1:
                    raise
        _fsync_dir(target.parent)
        return info

    def _read_info(self, path: Path, key: str | None) -> ObjectInfo:
        try:
            with open(path, "rb", buffering=0) as file:
                info = _decode_header(_read_exact(file, HEADER_SIZE), str(path))
        except (FileNotFoundError, NotADirectoryError):
            raise ObjectNotFound(key or str(path)) from None
        self._check_placement(info, path, key)
        return info

    def _check_placement(self, info: ObjectInfo, path: Path, key: str | None) -> None:
        if (key is not None and info.key != key) or self._object_path(info.key) != path:
            raise StorageError(f"{path} holds the object {info.key!r}, which belongs elsewhere")

    def _open(self, path: Path, key: str) -> tuple[ObjectInfo, BinaryIO]:
        try:
            file = open(path, "rb", buffering=0)  # noqa: SIM115 - the reader closes it
        except (FileNotFoundError, NotADirectoryError):
            raise ObjectNotFound(key) from None
        try:
            info = _decode_header(_read_exact(file, HEADER_SIZE), str(path))
            self._check_placement(info, path, key)
        except BaseException:
            file.close()
            raise
        return info, file

    def _delete(self, path: Path) -> None:
        try:
            os.unlink(path)
        except (FileNotFoundError, NotADirectoryError):
            return
        _fsync_dir(path.parent)
        # Prune folders left empty, so deleted keys leave nothing behind.
        folder = path.parent
        while folder != self._objects:
            try:
                os.rmdir(folder)
            except OSError as exc:
                if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT):
                    break
                raise
            folder = folder.parent

    def _scan(self, folder: Path, prefix: str) -> builtins.list[ObjectInfo]:
        found: builtins.list[ObjectInfo] = []
        pending = [folder]
        while pending:
            current = pending.pop()
            try:
                with os.scandir(current) as entries:
                    names = [(entry.name, Path(entry.path)) for entry in entries]
            except (FileNotFoundError, NotADirectoryError):
                continue  # removed by a concurrent delete
            for name, path in names:
                if name[0] in "dD":
                    pending.append(path)
                elif name[0] in "fF":
                    try:
                        info = self._read_info(path, None)
                    except ObjectNotFound:
                        continue
                    if not info.key.startswith(prefix):
                        raise StorageError(f"{path} holds {info.key!r}, outside {prefix!r}")
                    found.append(info)
        found.sort(key=lambda info: info.key)
        return found

    def _probe(self) -> None:
        for folder in (self._objects, self._tmp):
            if not folder.is_dir():
                raise StorageError(f"the object store folder {folder} is missing")
        self._new_temp().discard()

    # -- the ObjectStore protocol -----------------------------------------------------

    async def put(
        self,
        key: str,
        data: AsyncIterable[bytes],
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
    ) -> ObjectInfo:
        validate_key(key)
        validate_content_type(content_type)
        target = self._object_path(key)
        temp = await self._run(self._new_temp)
        try:
            hasher = hashlib.sha256()
            size = 0
            batch: builtins.list[bytes] = []
            batched = 0
            async for chunk in data:
                chunk = as_bytes(chunk)
                if not chunk:
                    continue
                batch.append(chunk)
                batched += len(chunk)
                size += len(chunk)
                if batched >= _WRITE_BATCH:
                    await self._run(temp.write, hasher, batch)
                    batch, batched = [], 0
            if batch:
                await self._run(temp.write, hasher, batch)
            return await self._run(self._commit, temp, target, key, size, hasher, content_type)
        finally:
            temp.discard()  # a no-op once committed

    async def open(self, key: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> ObjectReader:
        validate_key(key)
        check_chunk_size(chunk_size)
        info, file = await self._run(self._open, self._object_path(key), key)
        return ObjectReader(info, file.read, file.close, chunk_size=chunk_size)

    def get(self, key: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:
        validate_key(key)
        check_chunk_size(chunk_size)
        return stream_object(self, key, chunk_size)

    async def stat(self, key: str) -> ObjectInfo:
        validate_key(key)
        return await self._run(self._read_info, self._object_path(key), key)

    async def delete(self, key: str) -> None:
        validate_key(key)
        await self._run(self._delete, self._object_path(key))

    def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        validate_prefix(prefix)
        return self._list(prefix)

    async def _list(self, prefix: str) -> AsyncIterator[ObjectInfo]:
        for info in await self._run(self._scan, self._folder_path(prefix), prefix):
            yield info

    async def presigned_url(self, key: str, expires: timedelta) -> str | None:
        validate_key(key)
        validate_expiry(expires)
        return None

    async def check(self) -> None:
        await self._run(self._probe)
