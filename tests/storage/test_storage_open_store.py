"""``open_store`` URLs, and the package's place as a leaf."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from storage_testlib import ACCESS_KEY, SECRET_KEY, MotoServer, remove_bucket

from storage import (
    LocalObjectStore,
    ObjectStore,
    S3ObjectStore,
    open_store,
    put_bytes,
    read_bytes,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_plain_path_and_file_url_open_a_local_store(tmp_path: Path) -> None:
    plain = open_store(str(tmp_path / "plain"))
    assert isinstance(plain, LocalObjectStore)
    assert plain.root == tmp_path / "plain"
    from_url = open_store(f"file://{tmp_path}/with%20space", access_key="ignored")
    assert isinstance(from_url, LocalObjectStore)
    assert from_url.root == tmp_path / "with space"
    assert isinstance(open_store(f"file://localhost{tmp_path}/h"), LocalObjectStore)
    assert isinstance(plain, ObjectStore)


async def test_s3_url_opens_a_working_store(moto_server: MotoServer, bucket_name: str) -> None:
    store = open_store(moto_server.url(bucket_name), access_key=ACCESS_KEY, secret_key=SECRET_KEY)
    assert isinstance(store, S3ObjectStore)
    assert store.bucket == bucket_name
    assert store.endpoint == moto_server.endpoint
    try:
        await store.check()
        await put_bytes(store, "k", b"v")
        assert await read_bytes(store, "k") == b"v"
    finally:
        remove_bucket(moto_server, bucket_name)


def test_s3_url_defaults_to_tls() -> None:
    store = open_store(
        "s3://bucket-name?endpoint=minio.internal:9000", access_key="a", secret_key="b"
    )
    assert isinstance(store, S3ObjectStore)
    assert store.secure is True
    assert store.region is None
    explicit = open_store(
        "s3://bucket-name?endpoint=h:1&secure=false&region=cn-north-1",
        access_key="a",
        secret_key="b",
    )
    assert isinstance(explicit, S3ObjectStore)
    assert (explicit.secure, explicit.region) == (False, "cn-north-1")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty"),
        ("ftp://host/path", "unsupported storage URL"),
        ("http://bucket", "unsupported storage URL"),
        ("file://otherhost/path", "names a host"),
        ("file://relative", "names a host"),
        ("file:///abs?x=1", "no query"),
        ("s3://?endpoint=h:1", "must name a bucket"),
        ("s3://bucket", "needs endpoint"),
        ("s3://bucket?endpoint=http://h:1", "needs endpoint"),
        ("s3://bucket/prefix?endpoint=h:1", "no path"),
        ("s3://bucket?endpoint=h:1&secure=maybe", "secure must be true or false"),
        ("s3://bucket?endpoint=h:1&regoin=x", "unknown parameter 'regoin'"),
        ("s3://bucket?endpoint=h:1&endpoint=h:2", "given twice"),
        ("s3://key:secret@bucket?endpoint=h:1", "credentials"),
        ("s3://Bad_Bucket?endpoint=h:1", "bucket name"),
    ],
)
def test_bad_urls_are_refused_clearly(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        open_store(url, access_key="a", secret_key="b")


def test_s3_url_needs_both_credentials() -> None:
    with pytest.raises(ValueError, match="access_key and secret_key"):
        open_store("s3://bucket?endpoint=h:1", access_key="only")


def test_s3_part_size_is_bounded() -> None:
    for part_size in (5 * 1024 * 1024 - 1, 5 * 1024**3 + 1):
        with pytest.raises(ValueError, match="part_size"):
            S3ObjectStore("h:1", "a", "b", "bucket", secure=False, part_size=part_size)


def test_storage_is_a_leaf_package() -> None:
    code = (
        "import sys, storage, storage.local, storage.s3, storage.keys, storage.base;"
        "ours = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('procurement', 'bidding', 'expert_pool'));"
        "print(ours); sys.exit(1 if ours else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
