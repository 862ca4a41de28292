"""Public documents as PDF. Later issues add the notices; this one describes the platform."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.datastructures import State

from procurement.audit import service as audit
from procurement.clock import to_display
from procurement.documents import PdfRenderer
from procurement.web.deps import DbSession, PlatformDep


class DocumentController(Controller):
    tags = ["Documents"]

    @get(
        "/platform-information.pdf",
        summary="平台信息 — the platform information sheet (PDF)",
        description="Names the platform, its address and the fingerprint of the key that signs the audit log, so that "
        "anyone can check they hold the right public key.",
        media_type="application/pdf",
    )
    async def platform_information(self, state: State, platform: PlatformDep, session: DbSession) -> Response[bytes]:
        renderer: PdfRenderer = state.pdf
        checkpoint = await audit.latest_checkpoint(session)
        pdf = await renderer.render(
            "pdf/platform_sheet.html",
            {
                "base_url": platform.settings.base_url,
                "audit_key_fingerprint": platform.keys.key_id,
                "generated_at": to_display(platform.clock.now()),
                "rows": [
                    ("审计日志签名算法 Audit-log signature", "Ed25519"),
                    ("公钥下载 Public key", f"{platform.settings.base_url}/api/audit/public-key"),
                    (
                        "最新检查点 Latest checkpoint",
                        f"{checkpoint.tree_size} 条 entries · {checkpoint.root_hash[:16]}…" if checkpoint else "—",
                    ),
                ],
            },
        )
        return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": 'inline; filename="platform-information.pdf"'})
