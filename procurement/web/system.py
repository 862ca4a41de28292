"""Probes for operators: alive, ready, and the public key that checks the audit log."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get
from litestar.datastructures import State
from litestar.response import Response
from sqlalchemy import text

from procurement.keys import public_key_pem
from procurement.web.deps import PlatformDep
from storage import StorageError


class SystemController(Controller):
    tags = ["System"]

    @get("/health", summary="Liveness: the process answers", response_description='{"status": "ok"}')
    async def health(self) -> dict[str, str]:
        return {"status": "ok"}

    @get(
        "/ready",
        summary="Readiness: the database and the object store answer",
        description="200 when both answer, 503 naming what does not. Also says whether this process runs the scheduler.",
    )
    async def ready(self, platform: PlatformDep, state: State) -> Response[dict[str, Any]]:
        checks: dict[str, str] = {}
        try:
            async with platform.db.reader.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # the probe reports, it does not crash
            checks["database"] = f"unreachable: {type(exc).__name__}"
        try:
            await platform.store.check()
            checks["storage"] = "ok"
        except StorageError as exc:
            checks["storage"] = f"unreachable: {exc}"
        ok = all(v == "ok" for v in checks.values())
        return Response(
            {"status": "ok" if ok else "unavailable", "checks": checks, "scheduler": "active" if state.scheduler.active else "standby"},
            status_code=200 if ok else 503,
        )

    @get(
        "/api/audit/public-key",
        summary="The platform's Ed25519 public key (PEM)",
        description="Anyone holding this key can check audit checkpoints, receipts and exports offline.",
        tags=["Audit"],
    )
    async def public_key(self, platform: PlatformDep) -> dict[str, str]:
        return {"key_id": platform.keys.key_id, "algorithm": "Ed25519", "pem": public_key_pem(platform.keys.public_key)}
