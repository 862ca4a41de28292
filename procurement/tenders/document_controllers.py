"""Tender documents API: upload (streaming), the public list, obtaining (获取招标文件), downloads."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.params import HeaderParameter, PathParameter, QueryParameter
from litestar.response import Stream
from pydantic import BaseModel

from procurement.identity.models import Role
from procurement.tenders import documents
from procurement.tenders.controllers import TenderIdPath
from procurement.tenders.documents import DocumentKind, DocumentView, ObtainedView
from procurement.web.deps import (
    MAX_ID,
    CurrentActor,
    DbSession,
    OptionalActor,
    PlatformDep,
)
from procurement.web.guards import requires_roles

DocumentId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the document's id")]
VersionNumber = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the version number, from 1")]
FileName = Annotated[str, QueryParameter(max_length=1000, description="the file name people see, e.g. 招标文件.pdf")]
Kind = Annotated[DocumentKind, QueryParameter(description="tender_documents (招标文件) or attachment")]
AmendmentNumber = Annotated[int | None, QueryParameter(
    ge=1, le=MAX_ID, description="the number of the amendment this upload belongs to: required once the tender is published"
)]
ContentSha256 = Annotated[str | None, HeaderParameter(
    name="X-Content-SHA256", max_length=64,
    description="optional: the SHA-256 (hex) of the file; if the body received differs, nothing is kept",
)]
UPLOAD_DESCRIPTION = (
    "Send the file itself as the request body (not a form), with its `Content-Type`; it streams into storage "
    "while its SHA-256 and size are computed. Bodies up to `PROCUREMENT_MAX_DOCUMENT_BYTES` (default 200 MiB; larger: 413). "
    "A draft's documents change freely; once the tender is published an upload must name its `amendment`. "
    "Cookie sessions send the CSRF token in `X-CSRF-Token`."
)
# The routes that run the tender, and those that oversee it.
OWNERS = requires_roles(Role.purchaser, Role.agency)
OVERSEERS = requires_roles(Role.purchaser, Role.agency, Role.operator, Role.supervisor)


class VersionOut(BaseModel):
    version: int
    sha256: str
    size: int
    content_type: str
    uploaded_at: datetime
    amendment_number: int | None
    download_url: str


class DocumentOut(BaseModel):
    id: int
    name: str
    kind: DocumentKind
    created_at: datetime
    versions: list[VersionOut]


class ObtainedOut(BaseModel):
    tender_id: int
    organisation_id: int
    user_id: int
    obtained_at: datetime


class ObtainedByOut(BaseModel):
    organisation_id: int
    organisation_name: str
    organisation_uscc: str
    user_id: int
    user_name: str
    obtained_at: datetime
    downloads: int


def document_out(view: DocumentView) -> DocumentOut:
    return DocumentOut(
        id=view.id, name=view.name, kind=DocumentKind(view.kind), created_at=view.created_at,
        versions=[
            VersionOut(
                version=v.version, sha256=v.sha256, size=v.size, content_type=v.content_type, uploaded_at=v.uploaded_at,
                amendment_number=v.amendment_number, download_url=v.download_path,
            )
            for v in view.versions
        ],
    )


def obtained_by_out(view: ObtainedView) -> ObtainedByOut:
    return ObtainedByOut(**view.__dict__)


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII fallback and the UTF-8 name (RFC 6266, RFC 5987)."""
    fallback = re.sub(r'[^\x20-\x7e]|["\\%]', "_", name) or "document"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _content_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    return int(value) if value and value.isdigit() else None


class TenderDocumentController(Controller):
    path = "/api/tenders"
    tags = ["Tender documents"]  # noqa: RUF012 - Litestar reads it as declared

    @post(
        "/{tender_id:int}/documents", summary="Upload a new document of a tender (its version 1)", description=UPLOAD_DESCRIPTION,
        guards=[OWNERS], status_code=201, request_max_body_size=None,  # the service holds the body to its own limit
    )
    async def upload(
        self,
        request: Request,
        platform: PlatformDep,
        actor: CurrentActor,
        tender_id: TenderIdPath,
        name: FileName,
        kind: Kind,
        amendment: AmendmentNumber = None,
        sha256: ContentSha256 = None,
    ) -> DocumentOut:
        upload = documents.UploadRequest(
            tender_id=tender_id, content_type=request.headers.get("content-type", ""), content_length=_content_length(request),
            name=name, kind=kind, amendment=amendment, sha256=sha256,
        )
        return document_out(await documents.upload(platform, actor, upload, request.stream()))

    @post(
        "/{tender_id:int}/documents/{document_id:int}/versions", summary="Upload a new version of a document",
        description=UPLOAD_DESCRIPTION + " Earlier versions stay readable.",
        guards=[OWNERS], status_code=201, request_max_body_size=None,
    )
    async def new_version(
        self,
        request: Request,
        platform: PlatformDep,
        actor: CurrentActor,
        tender_id: TenderIdPath,
        document_id: DocumentId,
        amendment: AmendmentNumber = None,
        sha256: ContentSha256 = None,
    ) -> DocumentOut:
        upload = documents.UploadRequest(
            tender_id=tender_id, content_type=request.headers.get("content-type", ""), content_length=_content_length(request),
            document_id=document_id, amendment=amendment, sha256=sha256,
        )
        return document_out(await documents.upload(platform, actor, upload, request.stream()))

    @get("/{tender_id:int}/documents", summary="The documents of a tender, every version with its SHA-256 and size")
    async def listing(self, session: DbSession, optional_actor: OptionalActor, tender_id: TenderIdPath) -> list[DocumentOut]:
        return [document_out(d) for d in await documents.list_documents(session, optional_actor, tender_id)]

    @get(
        "/{tender_id:int}/documents/{document_id:int}/versions/{version:int}",
        summary="Download one version of a document (streamed)",
        description="Anyone, once the tender is published (tender documents stay online for the tender's whole life); "
        "before that, the organisations running the tender, the trading centre and supervisors. Every download is "
        "recorded, with the organisation when logged in. `ETag` and `Repr-Digest` carry the SHA-256.",
        opt={"skip_compression": True},  # keep Content-Length; documents are mostly compressed already
    )
    async def download(
        self, platform: PlatformDep, optional_actor: OptionalActor, tender_id: TenderIdPath, document_id: DocumentId,
        version: VersionNumber,
    ) -> Stream:
        opened = await documents.open_download(platform, optional_actor, tender_id, document_id, version)
        row = opened.version
        return Stream(
            opened.chunks(),
            media_type=row.content_type,
            headers={
                "Content-Length": str(row.size),
                "Content-Disposition": content_disposition(opened.name),
                "ETag": f'"{row.sha256}"',
                "Repr-Digest": f"sha-256=:{opened.sha256_base64}:",
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; sandbox",
                "Cache-Control": "private, no-cache",
            },
        )

    @post(
        "/{tender_id:int}/obtained", summary="Obtain the tender documents (获取招标文件) for the caller's supplier organisation",
        description="While the documents are on offer. Once per organisation: a repeat returns the first record (200).",
        guards=[requires_roles(Role.supplier)], status_code=201,
    )
    async def obtain(
        self, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath
    ) -> Response[ObtainedOut]:
        record, created = await documents.obtain(session, platform, actor, tender_id)
        out = ObtainedOut(
            tender_id=record.tender_id, organisation_id=record.organisation_id, user_id=record.user_id, obtained_at=record.obtained_at
        )
        return Response(out, status_code=201 if created else 200)

    @get(
        "/{tender_id:int}/obtained", summary="Who obtained the tender documents, and when",
        description="Only for the organisations running the tender, the trading centre and supervisors (招标投标法 第二十二条).",
        guards=[OVERSEERS],
    )
    async def obtained(self, session: DbSession, actor: CurrentActor, tender_id: TenderIdPath) -> list[ObtainedByOut]:
        return [obtained_by_out(o) for o in await documents.obtained_list(session, actor, tender_id)]
