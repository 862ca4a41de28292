"""Helpers shared by the storage tests (a uniquely named module: conftest is not importable
reliably when several test folders have one)."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from minio import Minio

from storage import S3ObjectStore

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
            self.endpoint,
            ACCESS_KEY,
            SECRET_KEY,
            bucket,
            secure=False,
            region=REGION,
            part_size=part_size,
        )


def answers(url: str, process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"moto server exited with {process.returncode}")
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means it is serving
    except OSError:
        return False


def remove_bucket(server: MotoServer, bucket: str) -> None:
    """Delete everything, temporary uploads included, then the bucket (frees moto's memory)."""
    client = server.client()
    if not client.bucket_exists(bucket):
        return
    for obj in client.list_objects(bucket, recursive=True):
        client.remove_object(bucket, obj.object_name)
    client.remove_bucket(bucket)


def pattern(size: int, seed: int = 0) -> bytes:
    """Deterministic bytes that differ at every 4 KiB, so misplaced chunks are caught."""
    block = hashlib.sha256(seed.to_bytes(8, "big")).digest() * 2048  # 64 KiB
    data = bytearray((block * (size // len(block) + 1))[:size])
    for offset in range(0, size - 8, 4096):
        data[offset : offset + 8] = offset.to_bytes(8, "big")
    return bytes(data)


async def chunked(data: bytes, chunk: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), chunk):
        yield data[start : start + chunk]


def incomplete_uploads(endpoint: str, bucket: str) -> list[str]:
    """Keys of the multipart uploads begun and neither completed nor aborted."""
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://{endpoint}",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )
    return [upload["Key"] for upload in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]
