"""Fixtures for the storage tests: a real S3 API (moto's server, in a subprocess) and a
``store`` fixture that runs each contract test on both backends."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from minio import Minio

from storage import LocalObjectStore, ObjectStore, S3ObjectStore

ACCESS_KEY = "storage-tests"
SECRET_KEY = "storage-tests-secret"
REGION = "us-east-1"
TEST_PART_SIZE = 5 * 1024 * 1024  # the S3 minimum, so multipart paths run on small data


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll ``condition`` (an external process's state) until true, or fail at the deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class MotoServer:
    endpoint: str  # host:port

    def client(self) -> Minio:
        return Minio(self.endpoint, ACCESS_KEY, SECRET_KEY, secure=False, region=REGION)

    def url(self, bucket: str) -> str:
        return f"s3://{bucket}?endpoint={self.endpoint}&secure=false&region={REGION}"

    def store(self, bucket: str, *, part_size: int = TEST_PART_SIZE) -> S3ObjectStore:
        return S3ObjectStore(
            self.endpoint, ACCESS_KEY, SECRET_KEY, bucket,
            secure=False, region=REGION, part_size=part_size,
        )


def _answers(url: str, process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"moto server exited with {process.returncode}")
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means it is serving
    except OSError:
        return False


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("moto") / "moto.log"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        wait_until(
            lambda: _answers(f"http://127.0.0.1:{port}/", process),
            timeout=60,
            what="the moto server to answer",
        )
        yield MotoServer(f"127.0.0.1:{port}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def remove_bucket(server: MotoServer, bucket: str) -> None:
    """Delete everything, temporary uploads included, then the bucket (frees moto's memory)."""
    client = server.client()
    if not client.bucket_exists(bucket):
        return
    for obj in client.list_objects(bucket, recursive=True):
        client.remove_object(bucket, obj.object_name)
    client.remove_bucket(bucket)


@pytest.fixture
def bucket_name() -> str:
    return f"test-{uuid.uuid4().hex[:24]}"


@pytest.fixture(params=["local", "s3"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, bucket_name: str
) -> AsyncIterator[ObjectStore]:
    if request.param == "local":
        yield LocalObjectStore(tmp_path / "objects-root")
        return
    server: MotoServer = request.getfixturevalue("moto_server")
    s3 = server.store(bucket_name)
    await s3.ensure_bucket()
    try:
        yield s3
    finally:
        remove_bucket(server, bucket_name)
