"""The ObjectStore contract, run on both backends (``store`` is parametrized in conftest)."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import AsyncIterator
from datetime import UTC, timedelta
from pathlib import Path

import anyio
import httpx
import pytest
from storage_testlib import (
    TEST_PART_SIZE,
    MotoServer,
    chunked,
    free_port,
    incomplete_uploads,
    pattern,
    remove_bucket,
)

from storage import (
    InvalidKey,
    LocalObjectStore,
    ObjectInfo,
    ObjectNotFound,
    ObjectStore,
    S3ObjectStore,
    StorageError,
    put_bytes,
    read_bytes,
)


async def collect(store: ObjectStore, key: str, **kwargs: int) -> bytes:
    return b"".join([chunk async for chunk in store.get(key, **kwargs)])


async def keys(store: ObjectStore, prefix: str = "") -> list[str]:
    return [info.key async for info in store.list(prefix)]


def is_s3(store: ObjectStore) -> bool:
    return isinstance(store, S3ObjectStore)


def assert_no_incomplete_upload(store: ObjectStore) -> None:
    """On S3, a failed put must abort its multipart upload (else parts pile up, billed)."""
    if isinstance(store, S3ObjectStore):
        assert incomplete_uploads(store.endpoint, store.bucket) == []


# -- round trips ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "size",
    [0, 1, 1000, TEST_PART_SIZE, TEST_PART_SIZE + 1, 2 * TEST_PART_SIZE + 12345],
    ids=["empty", "one-byte", "small", "exactly-one-part", "one-part-plus-one", "three-parts"],
)
async def test_put_get_round_trip(store: ObjectStore, size: int) -> None:
    data = pattern(size, seed=size)
    info = await store.put("docs/file.bin", chunked(data, 77_777), content_type="application/pdf")
    assert info.key == "docs/file.bin"
    assert info.size == size
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.content_type == "application/pdf"
    assert info.last_modified.tzinfo is not None
    assert info.last_modified.utcoffset() == timedelta(0)
    assert await collect(store, "docs/file.bin") == data
    assert await store.stat("docs/file.bin") == info


async def test_put_returns_what_stat_list_and_open_report(store: ObjectStore) -> None:
    info = await put_bytes(store, "a/b/c.txt", b"hello world", content_type="text/plain")
    assert info == await store.stat("a/b/c.txt")
    assert [found async for found in store.list("a/")] == [info]
    async with await store.open("a/b/c.txt") as reader:
        assert reader.info == info
        assert b"".join([chunk async for chunk in reader]) == b"hello world"


async def test_an_open_reader_keeps_its_version(store: ObjectStore) -> None:
    first = pattern(300_000, seed=1)
    await put_bytes(store, "doc", first)
    async with await store.open("doc", chunk_size=65_536) as reader:
        stream = aiter(reader)
        received = [await anext(stream)]
        await put_bytes(store, "doc", b"second version")  # overwritten mid-read
        received += [chunk async for chunk in stream]
    assert b"".join(received) == first
    assert await read_bytes(store, "doc") == b"second version"


async def test_a_reader_is_single_pass_and_closable(store: ObjectStore) -> None:
    await put_bytes(store, "doc", pattern(200_000))
    reader = await store.open("doc", chunk_size=10_000)
    stream = aiter(reader)
    await anext(stream)
    with pytest.raises(StorageError, match="only once"):
        aiter(reader)
    await reader.aclose()
    with pytest.raises(StorageError, match="closed"):
        await anext(stream)
    await reader.aclose()  # twice is fine


async def test_get_honours_chunk_size(store: ObjectStore) -> None:
    data = pattern(100_000)
    await put_bytes(store, "k", data)
    chunks = [chunk async for chunk in store.get("k", chunk_size=4096)]
    assert b"".join(chunks) == data
    assert max(len(chunk) for chunk in chunks) <= 4096
    assert len(chunks) >= 100_000 // 4096


async def test_empty_chunks_and_bytes_like_chunks_are_accepted(store: ObjectStore) -> None:
    async def source() -> AsyncIterator[bytes]:
        yield b""
        yield bytearray(b"abc")
        yield memoryview(b"def")  # type: ignore[misc]
        yield b""

    info = await store.put("mixed", source())
    assert (info.size, await read_bytes(store, "mixed")) == (6, b"abcdef")


async def test_non_bytes_chunk_is_refused_and_nothing_stored(store: ObjectStore) -> None:
    async def source() -> AsyncIterator[bytes]:
        yield b"abc"
        yield "text"  # type: ignore[misc]

    with pytest.raises(TypeError):
        await store.put("typed", source())
    with pytest.raises(ObjectNotFound):
        await store.stat("typed")


async def test_helpers_round_trip(store: ObjectStore) -> None:
    info = await put_bytes(store, "small.json", b'{"a": 1}', content_type="application/json")
    assert info.content_type == "application/json"
    assert await read_bytes(store, "small.json") == b'{"a": 1}'
    empty = await put_bytes(store, "empty", b"")
    assert empty.size == 0
    assert empty.sha256 == hashlib.sha256(b"").hexdigest()
    assert await read_bytes(store, "empty") == b""


async def test_unusual_but_valid_keys_round_trip(store: ObjectStore) -> None:
    names = [
        "招标文件/第一包/投标书.pdf",
        "spaces and+plus %20 ?query #hash &amp='quote\"",
        "a",
        "a/b",  # an object and a folder of the same name coexist
        "a/b/c",
        "dots/.hidden/..x/x..",
        "long/" + "x" * 300,  # a segment longer than any file name
        "中" * 341,  # 1023 bytes in one segment
        "k/" + "é" * 511,  # exactly 1024 bytes
        "d",
        "f",
        "dfoo/ffoo",  # look like the local backend's on-disk names
    ]
    for index, name in enumerate(names):
        await put_bytes(store, name, f"content {index}".encode())
    for index, name in enumerate(names):
        assert await read_bytes(store, name) == f"content {index}".encode(), name
        assert (await store.stat(name)).key == name
    assert await keys(store) == sorted(names)


# -- overwrite, delete, not found ------------------------------------------------------


@pytest.mark.parametrize("second_size", [10, TEST_PART_SIZE + 100], ids=["small", "multipart"])
async def test_overwrite_replaces_content_and_metadata(
    store: ObjectStore, second_size: int
) -> None:
    await put_bytes(store, "doc", b"first version", content_type="text/plain")
    second = pattern(second_size, seed=2)
    info = await store.put("doc", chunked(second, 1 << 20), content_type="application/pdf")
    assert await store.stat("doc") == info
    assert info.sha256 == hashlib.sha256(second).hexdigest()
    assert info.content_type == "application/pdf"
    assert await collect(store, "doc") == second
    assert await keys(store) == ["doc"]


async def test_delete(store: ObjectStore) -> None:
    await put_bytes(store, "x/y/z", b"1")
    await put_bytes(store, "x/keep", b"2")
    await store.delete("x/y/z")
    with pytest.raises(ObjectNotFound):
        await store.stat("x/y/z")
    assert await keys(store) == ["x/keep"]
    await store.delete("x/y/z")  # missing: not an error
    await store.delete("never/existed")
    await put_bytes(store, "x/y/z", b"again")  # the emptied folder can be used again
    assert await read_bytes(store, "x/y/z") == b"again"


async def test_not_found(store: ObjectStore) -> None:
    await put_bytes(store, "folder/inner", b"1")
    for key in ["missing", "folder", "folder/inner/deeper", "folder/other"]:
        with pytest.raises(ObjectNotFound) as raised:
            await store.stat(key)
        assert raised.value.key == key
        with pytest.raises(ObjectNotFound):
            await store.open(key)
        stream = store.get(key)  # the call succeeds; the first iteration raises
        with pytest.raises(ObjectNotFound):
            await anext(stream)
        with pytest.raises(ObjectNotFound):
            await read_bytes(store, key)


async def test_object_not_found_is_a_storage_error() -> None:
    assert issubclass(ObjectNotFound, StorageError)
    assert issubclass(InvalidKey, StorageError)


# -- list --------------------------------------------------------------------------------


async def test_list_by_prefix_sorted(store: ObjectStore) -> None:
    names = ["b", "a/x", "a/y/z", "a-b", "a0", "ab/c", "a", "a/y/a", "é", "z", "A"]
    for name in names:
        await put_bytes(store, name, name.encode())
    everything = [info async for info in store.list()]
    assert [info.key for info in everything] == sorted(names)
    for info in everything:
        assert info == await store.stat(info.key)
    assert await keys(store, "a/") == ["a/x", "a/y/a", "a/y/z"]
    assert await keys(store, "a/y/") == ["a/y/a", "a/y/z"]
    assert await keys(store, "ab/") == ["ab/c"]
    assert await keys(store, "nothing/") == []
    assert await keys(store, "b/") == []  # "b" is an object, not a folder


async def test_list_is_empty_on_a_new_store(store: ObjectStore) -> None:
    assert await keys(store) == []


@pytest.mark.parametrize(
    "prefix", ["a", "/a/", "a//", "../", "./", "a\\b/", "x\n/", ".storage-tmp/"]
)
async def test_list_refuses_bad_prefixes(store: ObjectStore, prefix: str) -> None:
    with pytest.raises(InvalidKey):
        store.list(prefix)


async def test_list_pages_through_many_objects(store: ObjectStore) -> None:
    names = [f"many/{index:04d}" for index in range(250)]
    async with anyio.create_task_group() as group:
        for name in names:
            group.start_soon(put_bytes, store, name, name.encode())
    assert await keys(store, "many/") == names


# -- failures while writing ------------------------------------------------------------


class SourceFailed(Exception):
    pass


@pytest.mark.parametrize("fail_after", [1000, 2 * TEST_PART_SIZE + 7], ids=["early", "after-parts"])
@pytest.mark.parametrize(
    "error",
    # anyio.BrokenResourceError is what a broken client connection raises in an anyio
    # stream; the S3 bridge must not mistake it for its own queue breaking.
    [SourceFailed, ConnectionResetError, anyio.BrokenResourceError],
    ids=["app-error", "connection-reset", "broken-resource"],
)
async def test_failing_stream_stores_nothing_and_keeps_the_old_object(
    store: ObjectStore, fail_after: int, error: type[Exception]
) -> None:
    await put_bytes(store, "victim", b"old")

    async def failing() -> AsyncIterator[bytes]:
        sent = 0
        while sent < fail_after:
            yield b"n" * min(1 << 20, fail_after - sent)
            sent += min(1 << 20, fail_after - sent)
        raise error

    with pytest.raises(error):
        await store.put("victim", failing())
    with pytest.raises(error):
        await store.put("fresh", failing())
    assert await read_bytes(store, "victim") == b"old"
    assert await keys(store) == ["victim"]
    with pytest.raises(ObjectNotFound):
        await store.stat("fresh")
    assert_no_incomplete_upload(store)


@pytest.mark.parametrize("before_pause", [1000, TEST_PART_SIZE + 5], ids=["early", "after-a-part"])
async def test_cancelled_put_stores_nothing(store: ObjectStore, before_pause: int) -> None:
    paused = anyio.Event()

    async def stalls() -> AsyncIterator[bytes]:
        yield b"s" * before_pause
        paused.set()
        await anyio.sleep_forever()
        yield b""  # pragma: no cover

    async with anyio.create_task_group() as group:
        group.start_soon(store.put, "stalled", stalls())
        with anyio.fail_after(30):
            await paused.wait()
        group.cancel_scope.cancel()
    with pytest.raises(ObjectNotFound):
        await store.stat("stalled")
    assert await keys(store) == []
    assert_no_incomplete_upload(store)
    await put_bytes(store, "stalled", b"later")
    assert await read_bytes(store, "stalled") == b"later"


async def test_object_is_invisible_until_the_stream_ends(store: ObjectStore) -> None:
    release = anyio.Event()
    halfway = anyio.Event()
    first = pattern(TEST_PART_SIZE + 10)

    async def slow() -> AsyncIterator[bytes]:
        yield first
        halfway.set()
        await release.wait()
        yield b"end"

    result: list[ObjectInfo] = []

    async def writer() -> None:
        result.append(await store.put("slow", slow()))

    async with anyio.create_task_group() as group:
        group.start_soon(writer)
        with anyio.fail_after(30):
            await halfway.wait()
        with pytest.raises(ObjectNotFound):
            await store.stat("slow")
        assert await keys(store) == []
        release.set()
    assert await store.stat("slow") == result[0]
    assert await read_bytes(store, "slow") == first + b"end"


async def test_concurrent_overwrites_leave_one_whole_version(store: ObjectStore) -> None:
    versions = [pattern(200_000 + index * 1000, seed=index) for index in range(6)]
    async with anyio.create_task_group() as group:
        for version in versions:
            group.start_soon(lambda v: store.put("race", chunked(v, 50_000)), version)
    content = await read_bytes(store, "race")
    info = await store.stat("race")
    assert content in versions
    assert info.sha256 == hashlib.sha256(content).hexdigest()
    assert info.size == len(content)


# -- validation before I/O ------------------------------------------------------------------


BAD_KEYS = [
    "",
    "/abs",
    "a/../b",
    "a/./b",
    "a//b",
    "a\\b",
    "a\x00b",
    "a\x7fb",
    "dir/",
    ".storage-tmp/x",
]


async def never_iterated() -> AsyncIterator[bytes]:
    raise AssertionError("the data was read although the key is invalid")
    yield b""  # pragma: no cover


async def _assert_refused_without_io(store: ObjectStore) -> None:
    for key in BAD_KEYS:
        with pytest.raises(InvalidKey):
            await store.put(key, never_iterated())
        with pytest.raises(InvalidKey):
            store.get(key)
        with pytest.raises(InvalidKey):
            await store.open(key)
        with pytest.raises(InvalidKey):
            await store.stat(key)
        with pytest.raises(InvalidKey):
            await store.delete(key)
        with pytest.raises(InvalidKey):
            await store.presigned_url(key, timedelta(minutes=5))
    with pytest.raises(ValueError):
        await store.put("ok", never_iterated(), content_type="bad\nheader")
    with pytest.raises(ValueError):
        await store.put("ok", never_iterated(), content_type="")


async def test_invalid_keys_refused_before_any_io_local(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "root")
    shutil.rmtree(tmp_path / "root")  # any I/O would now fail with StorageError
    await _assert_refused_without_io(store)
    assert not (tmp_path / "root").exists()


async def test_invalid_keys_refused_before_any_io_s3() -> None:
    # Nothing listens there: any request would fail with StorageError, after retries.
    store = S3ObjectStore(
        f"127.0.0.1:{free_port()}", "k", "s", "unreachable", secure=False, region="us-east-1"
    )
    started = time.monotonic()
    await _assert_refused_without_io(store)
    assert time.monotonic() - started < 2


# -- presigned URLs and readiness ---------------------------------------------------------


async def test_presigned_url(store: ObjectStore) -> None:
    data = pattern(300_000)
    await put_bytes(store, "shared/文件 1.pdf", data)
    url = await store.presigned_url("shared/文件 1.pdf", timedelta(minutes=10))
    if not is_s3(store):
        assert url is None
        return
    assert url is not None and "X-Amz-Signature" in url
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    assert response.status_code == 200
    assert response.content == data


@pytest.mark.parametrize("expires", [timedelta(0), timedelta(days=8), timedelta(seconds=-1)])
async def test_presigned_url_expiry_bounds(store: ObjectStore, expires: timedelta) -> None:
    with pytest.raises(ValueError):
        await store.presigned_url("k", expires)


async def test_check_passes(store: ObjectStore) -> None:
    await store.check()


async def test_check_fails_on_a_closed_port() -> None:
    store = S3ObjectStore(
        f"127.0.0.1:{free_port()}", "k", "s", "some-bucket", secure=False, region="us-east-1"
    )
    started = time.monotonic()
    with pytest.raises(StorageError):
        await store.check()
    assert time.monotonic() - started < 5  # a probe must answer fast
    with pytest.raises(StorageError):
        await store.stat("k")


async def test_check_fails_when_the_local_root_is_gone(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "root")
    await store.check()
    shutil.rmtree(tmp_path / "root")
    with pytest.raises(StorageError):
        await store.check()
    with pytest.raises(StorageError):
        await put_bytes(store, "k", b"1")


async def test_s3_bucket_is_created_on_first_use(moto_server: MotoServer, bucket_name: str) -> None:
    client = moto_server.client()
    assert not client.bucket_exists(bucket_name)
    store = moto_server.store(bucket_name)
    try:
        await put_bytes(store, "k", b"1")
        assert client.bucket_exists(bucket_name)
        # A second store on the same, existing bucket sees the object.
        assert await read_bytes(moto_server.store(bucket_name), "k") == b"1"
    finally:
        remove_bucket(moto_server, bucket_name)


async def test_s3_leaves_no_temporary_objects(moto_server: MotoServer, bucket_name: str) -> None:
    store = moto_server.store(bucket_name)
    client = moto_server.client()
    try:
        data = pattern(2 * TEST_PART_SIZE + 1)
        info = await store.put("big", chunked(data, 1 << 20))
        raw = [obj.object_name for obj in client.list_objects(bucket_name, recursive=True)]
        assert raw == ["big"]
        stat = client.stat_object(bucket_name, "big")
        assert stat.metadata["x-amz-meta-sha256"] == info.sha256
    finally:
        remove_bucket(moto_server, bucket_name)


async def test_s3_foreign_objects(moto_server: MotoServer, bucket_name: str) -> None:
    """Objects another tool wrote: invalid keys are not listed, a missing digest is an error."""
    import io

    store = moto_server.store(bucket_name)
    client = moto_server.client()
    try:
        await store.ensure_bucket()
        client.put_object(bucket_name, "folder/", io.BytesIO(b""), 0)
        client.put_object(bucket_name, ".storage-tmp/leftover", io.BytesIO(b"x"), 1)
        client.put_object(bucket_name, "nodigest", io.BytesIO(b"x"), 1)
        await put_bytes(store, "ours", b"1")
        with pytest.raises(StorageError, match="sha256"):
            await store.stat("nodigest")
        with pytest.raises(StorageError, match="sha256"):
            await store.open("nodigest")
        await store.delete("nodigest")
        assert await keys(store) == ["ours"]
    finally:
        remove_bucket(moto_server, bucket_name)


# -- the local backend's file system ------------------------------------------------------


async def test_local_permissions_are_owner_only(tmp_path: Path) -> None:
    root = tmp_path / "fresh-root"
    store = LocalObjectStore(root)
    await put_bytes(store, "sealed/bids/1.pdf", b"secret")
    await put_bytes(store, "sealed/bids/" + "n" * 250, b"secret")
    assert os.stat(root).st_mode & 0o777 == 0o700
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            assert os.stat(Path(folder) / name).st_mode & 0o777 == 0o700, name
        for name in files:
            assert os.stat(Path(folder) / name).st_mode & 0o777 == 0o600, name


async def test_local_delete_prunes_empty_folders(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "root")
    await put_bytes(store, "p/q/r/s", b"1")
    await store.delete("p/q/r/s")
    assert os.listdir(tmp_path / "root" / "objects") == []


async def test_local_temp_files_are_never_listed(tmp_path: Path) -> None:
    root = tmp_path / "root"
    store = LocalObjectStore(root)
    await put_bytes(store, "real", b"1")
    # What a crash leaves behind: half-written files in the store's own scratch space.
    for folder, _dirs, _files in os.walk(root):
        if Path(folder).name == ".tmp":
            (Path(folder) / "crashed.part").write_bytes(b"\0" * 5000)
    assert await keys(store) == ["real"]


async def test_local_two_stores_share_a_root(tmp_path: Path) -> None:
    first = LocalObjectStore(tmp_path / "root")
    second = LocalObjectStore(tmp_path / "root")
    info = await put_bytes(first, "shared", b"1")
    assert await second.stat("shared") == info


async def test_local_last_modified_is_utc(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "root")
    info = await put_bytes(store, "k", b"1")
    assert info.last_modified.tzinfo is not None
    assert info.last_modified.astimezone(UTC) == info.last_modified
