"""A process killed (SIGKILL) in the middle of a put leaves no visible object.

The child process runs the real store on an endless stream; once it has written data
(checked from outside: bytes on disk, or uploaded parts in S3), it is killed. Then the
key must not be stat-able or listed (or must still hold its earlier version), and a new
put must work.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest
from storage_testlib import (
    ACCESS_KEY,
    REGION,
    SECRET_KEY,
    MotoServer,
    remove_bucket,
    wait_until,
)

from storage import LocalObjectStore, ObjectNotFound, ObjectStore, put_bytes, read_bytes

REPO_ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from storage import open_store

    async def endless():
        block = b"c" * (1 << 20)
        while True:
            yield block
            await asyncio.sleep(0)

    async def main(url, key, access_key, secret_key):
        store = open_store(url, access_key=access_key, secret_key=secret_key)
        await store.put(key, endless())

    asyncio.run(main(*sys.argv[1:]))
    """
)


def run_child_until(url: str, key: str, written: Callable[[], bool]) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, key, ACCESS_KEY, SECRET_KEY],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:

        def child_has_written() -> bool:
            if process.poll() is not None:
                assert process.stderr is not None
                raise AssertionError(f"the child exited early: {process.stderr.read().decode()}")
            return written()

        wait_until(child_has_written, timeout=60, what="the child to write data")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        assert process.stderr is not None
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL


def bytes_under(root: Path) -> int:
    total = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += os.stat(Path(folder, name)).st_size
            except FileNotFoundError:
                pass
    return total


async def assert_after_crash(store: ObjectStore, *, old: bytes | None) -> None:
    if old is None:
        with pytest.raises(ObjectNotFound):
            await store.stat("victim")
        assert [info.key async for info in store.list()] == []
    else:
        assert await read_bytes(store, "victim") == old
        assert [info.key async for info in store.list()] == ["victim"]
    info = await put_bytes(store, "victim", b"after the crash")
    assert await store.stat("victim") == info
    assert await read_bytes(store, "victim") == b"after the crash"


@pytest.mark.parametrize("old", [None, b"the earlier version"], ids=["new-key", "overwrite"])
async def test_local_put_killed_midway(tmp_path: Path, old: bytes | None) -> None:
    root = tmp_path / "root"
    store = LocalObjectStore(root)
    if old is not None:
        await put_bytes(store, "victim", old)
    run_child_until(str(root), "victim", lambda: bytes_under(root) > 8 * (1 << 20))
    assert bytes_under(root) > 8 * (1 << 20)  # the partial data is on disk, only hidden
    await assert_after_crash(LocalObjectStore(root), old=old)


@pytest.mark.parametrize("old", [None, b"the earlier version"], ids=["new-key", "overwrite"])
async def test_s3_put_killed_midway(
    moto_server: MotoServer, bucket_name: str, old: bytes | None
) -> None:
    store = moto_server.store(bucket_name)
    await store.ensure_bucket()
    if old is not None:
        await put_bytes(store, "victim", old)
    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://{moto_server.endpoint}",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )

    def a_part_is_uploaded() -> bool:
        uploads = s3.list_multipart_uploads(Bucket=bucket_name).get("Uploads", [])
        return any(
            s3.list_parts(Bucket=bucket_name, Key=upload["Key"], UploadId=upload["UploadId"]).get(
                "Parts"
            )
            for upload in uploads
        )

    try:
        run_child_until(moto_server.url(bucket_name), "victim", a_part_is_uploaded)
        await assert_after_crash(moto_server.store(bucket_name), old=old)
    finally:
        remove_bucket(moto_server, bucket_name)
