"""The platform runs on the S3 backend too, and its readiness probe tells when storage is down."""

from __future__ import annotations

import uuid

from litestar.testing import AsyncTestClient
from storage_testlib import ACCESS_KEY, SECRET_KEY, free_port

from procurement.app import create_app
from storage import S3ObjectStore, put_bytes, read_bytes


async def test_the_app_is_ready_on_s3(settings, clock, moto_server) -> None:
    bucket = f"app-{uuid.uuid4().hex[:20]}"
    on_s3 = settings.with_overrides(
        storage_url=moto_server.url(bucket), storage_access_key=ACCESS_KEY, storage_secret_key=SECRET_KEY
    )
    app = create_app(on_s3, clock=clock, run_scheduler=False)
    async with AsyncTestClient(app=app) as client:
        ready = await client.get("/ready")
        assert ready.status_code == 200, ready.text
        store = app.state.platform.store
        assert isinstance(store, S3ObjectStore)
        await put_bytes(store, "notices/2026/公告.pdf", "招标公告".encode())
        assert await read_bytes(store, "notices/2026/公告.pdf") == "招标公告".encode()


async def test_readiness_names_unreachable_storage(settings, clock) -> None:
    closed = f"s3://nowhere?endpoint=127.0.0.1:{free_port()}&secure=false&region=us-east-1"
    app = create_app(
        settings.with_overrides(storage_url=closed, storage_access_key=ACCESS_KEY, storage_secret_key=SECRET_KEY),
        clock=clock,
        run_scheduler=False,
    )
    async with AsyncTestClient(app=app) as client:
        ready = await client.get("/ready")
        assert ready.status_code == 503
        body = ready.json()
        assert body["checks"]["database"] == "ok"
        assert body["checks"]["storage"].startswith("unreachable")
        assert (await client.get("/health")).status_code == 200
