"""Notice API: a tender's notices, and one notice with its place in the signed audit log."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import PathParameter
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.tenders import notices, schemas, service
from procurement.tenders.controllers import TenderIdPath
from procurement.tenders.models import Notice
from procurement.web.deps import MAX_ID, DbSession, OptionalActor, PlatformDep

NoticeId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the notice's id")]


def page_path(notice_id: int) -> str:
    return f"/notices/{notice_id}"


def pdf_path(notice_id: int) -> str:
    return f"/notices/{notice_id}/pdf"


async def notice_out(session: AsyncSession, notice: Notice, base_url: str) -> schemas.NoticeOut:
    checkpoint = await notices.covering_checkpoint(session, notice)
    return schemas.NoticeOut(
        id=notice.id,  # type: ignore[arg-type]
        tender_id=notice.tender_id,
        number=notice.number,
        kind=notice.kind,
        title=notice.title,
        published_at=notice.published_at,
        corrects_notice_id=notice.corrects_notice_id,
        content=notices.content_of(notice),
        content_sha256=notice.content_sha256,
        audit_seq=notice.audit_seq,
        audit_entry_hash=notice.audit_entry_hash,
        checkpoint=schemas.CheckpointRef(tree_size=checkpoint.tree_size, root_hash=checkpoint.root_hash, signed_at=checkpoint.signed_at)
        if checkpoint
        else None,
        page_url=base_url + page_path(notice.id),  # type: ignore[arg-type]
        pdf_url=base_url + pdf_path(notice.id),  # type: ignore[arg-type]
    )


class NoticeController(Controller):
    tags = ["Notices"]

    @get("/api/tenders/{tender_id:int}/notices", summary="A tender's published notices, oldest first")
    async def of_tender(
        self, session: DbSession, platform: PlatformDep, optional_actor: OptionalActor, tender_id: TenderIdPath
    ) -> list[schemas.NoticeOut]:
        await service.get_tender(session, optional_actor, tender_id)
        return [await notice_out(session, n, platform.settings.base_url) for n in await notices.of_tender(session, tender_id)]

    @get(
        "/api/notices/{notice_id:int}",
        summary="One published notice",
        description="The content as fixed at publication, its SHA-256 (recorded in the publishing audit entry), the "
        "entry's position, and the first signed checkpoint covering it: fetch `/api/audit/proofs/inclusion?seq=...` "
        "to check it against the platform's public key.",
    )
    async def one(self, session: DbSession, platform: PlatformDep, notice_id: NoticeId) -> schemas.NoticeOut:
        return await notice_out(session, await notices.get(session, notice_id), platform.settings.base_url)
