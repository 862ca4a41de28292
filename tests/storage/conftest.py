"""Fixtures for the storage tests: a real S3 API (moto's server, in a subprocess) and a
``store`` fixture that runs each contract test on both backends."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from storage_testlib import (
    ACCESS_KEY,
    SECRET_KEY,
    MotoServer,
    answers,
    free_port,
    remove_bucket,
    wait_until,
)

from storage import LocalObjectStore, ObjectStore


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
            lambda: answers(f"http://127.0.0.1:{port}/", process),
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
