"""Tender documents (招标文件) and attachments: upload, versions, obtaining, downloads.

Files live in the object store, rows in the database. Uploads stream: the body goes into
the store while its SHA-256 and size are computed, never whole into memory. Because that
can take minutes, an upload does not hold a transaction open meanwhile (on SQLite a write
transaction holds the whole database): it checks in a short read, streams the object, then
records the version in a short write that checks again under the tender's row lock. The
object is written first and its row after; if the row cannot be written the object is
deleted, so a version is either fully there or not at all. Every upload gets a fresh key,
so a failed or racing upload can never overwrite or delete another's object.

Who obtained the documents is kept from other suppliers and the public: the tenderer must
not disclose the potential bidders who obtained them (招标投标法 第二十二条).
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

import anyio
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.clock import as_utc, to_display
from procurement.credit import service as credit
from procurement.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from procurement.identity.models import Organisation, OrganisationKind, Role, User
from procurement.platform import Platform
from procurement.tenders import service
from procurement.tenders.document_models import (
    DocumentDownload,
    DocumentObtained,
    TenderDocument,
    TenderDocumentVersion,
)
from procurement.tenders.models import Amendment, Tender, TenderStatus
from storage import ObjectReader, StorageError

MAX_NAME_LENGTH = 200  # the column's length
MAX_CONTENT_TYPE_LENGTH = 100
DEFAULT_CONTENT_TYPE = "application/octet-stream"
# type/subtype with optional parameters, printable ASCII only (it goes back out as a header).
MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\s*;[ -~]*)?$")
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
FORBIDDEN_NAME_CHARACTERS = re.compile(r"[/\\\x00-\x1f\x7f]")


class DocumentKind(StrEnum):
    tender_documents = "tender_documents"  # 招标文件 itself
    attachment = "attachment"  # drawings, bills of quantities, forms


class TooLarge(DomainError):
    status = 413
    slug = "too-large"
    title = "Request body too large"


# --- What the API and the public page show -----------------------------------------------------------


@dataclass(frozen=True)
class VersionView:
    tender_id: int
    document_id: int
    version: int
    sha256: str
    size: int
    content_type: str
    uploaded_at: datetime
    amendment_number: int | None

    @property
    def download_path(self) -> str:
        return f"/api/tenders/{self.tender_id}/documents/{self.document_id}/versions/{self.version}"

    @property
    def size_text(self) -> str:
        """980 B, 12.3 KiB, 30.0 MiB: a size as people read it."""
        if self.size < 1024:
            return f"{self.size} B"
        amount = float(self.size)
        for unit in ("KiB", "MiB", "GiB"):
            amount /= 1024
            if amount < 1024 or unit == "GiB":
                break
        return f"{amount:.1f} {unit}"


@dataclass(frozen=True)
class DocumentView:
    id: int
    tender_id: int
    name: str
    kind: str
    created_at: datetime
    versions: list[VersionView] = field(default_factory=list)  # oldest first

    @property
    def latest(self) -> VersionView | None:
        return self.versions[-1] if self.versions else None


@dataclass(frozen=True)
class ObtainedView:
    organisation_id: int
    organisation_name: str
    organisation_uscc: str
    user_id: int
    user_name: str
    obtained_at: datetime
    downloads: int


async def public_documents(session: AsyncSession, tender_id: int) -> list[DocumentView]:
    """Every document of the tender with every version, in two queries.

    The caller has already decided the tender may be seen (``service.get_tender``).
    """
    documents = (
        await session.execute(select(TenderDocument).where(TenderDocument.tender_id == tender_id).order_by(TenderDocument.id))
    ).scalars().all()
    rows = await session.execute(
        select(TenderDocumentVersion, Amendment.number)
        .outerjoin(Amendment, Amendment.id == TenderDocumentVersion.amendment_id)
        .where(TenderDocumentVersion.tender_id == tender_id)
        .order_by(TenderDocumentVersion.document_id, TenderDocumentVersion.version)
    )
    versions: dict[int, list[VersionView]] = {}
    for version, amendment_number in rows:
        versions.setdefault(version.document_id, []).append(_version_view(version, amendment_number))
    return [_document_view(d, versions.get(d.id, [])) for d in documents]  # type: ignore[arg-type]


async def list_documents(session: AsyncSession, actor: Actor | None, tender_id: int) -> list[DocumentView]:
    await service.get_tender(session, actor, tender_id)
    return await public_documents(session, tender_id)


def _version_view(version: TenderDocumentVersion, amendment_number: int | None) -> VersionView:
    return VersionView(
        tender_id=version.tender_id, document_id=version.document_id, version=version.version, sha256=version.sha256,
        size=version.size, content_type=version.content_type, uploaded_at=as_utc(version.uploaded_at), amendment_number=amendment_number,
    )


def _document_view(document: TenderDocument, versions: list[VersionView]) -> DocumentView:
    return DocumentView(
        id=document.id, tender_id=document.tender_id, name=document.name, kind=document.kind,  # type: ignore[arg-type]
        created_at=as_utc(document.created_at), versions=versions,
    )


# --- Upload ---------------------------------------------------------------------------------------


def check_name(name: str, field_path: str = "query.name") -> str:
    """A file name as people see it (招标文件.pdf): one path segment, printable, not too long."""
    name = name.strip()
    if not name:
        raise InvalidInput.for_field(field_path, "must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput.for_field(field_path, "must be at most %(n)s characters", n=MAX_NAME_LENGTH)
    if FORBIDDEN_NAME_CHARACTERS.search(name):
        raise InvalidInput.for_field(field_path, "a file name must not contain / or \\ or control characters")
    if name in (".", ".."):
        raise InvalidInput.for_field(field_path, "a file name must not be . or ..")
    return name


def check_content_type(content_type: str | None) -> str:
    content_type = (content_type or "").strip() or DEFAULT_CONTENT_TYPE
    if len(content_type) > MAX_CONTENT_TYPE_LENGTH:
        raise InvalidInput.for_field("header.content-type", "must be at most %(n)s characters", n=MAX_CONTENT_TYPE_LENGTH)
    if not MEDIA_TYPE.match(content_type):
        raise InvalidInput.for_field("header.content-type", "is not a media type such as application/pdf")
    return content_type


def object_key(tender_id: int) -> str:
    """A fresh key per upload: never reused, so no upload can replace or delete another's object."""
    return f"tenders/{tender_id}/documents/{uuid.uuid4().hex}"


@dataclass(frozen=True)
class UploadRequest:
    """What an upload names: a new document (name and kind) or a new version of one (document_id)."""

    tender_id: int
    content_type: str
    content_length: int | None = None
    name: str | None = None
    kind: DocumentKind | None = None
    document_id: int | None = None
    amendment: int | None = None  # the amendment's number, required once the tender is published
    sha256: str | None = None  # what the client says it sends; checked when given


async def upload(platform: Platform, actor: Actor, request: UploadRequest, chunks: AsyncIterable[bytes]) -> DocumentView:
    """Stream the body into the store, then record it as a version; returns the whole document."""
    content_type = check_content_type(request.content_type)
    name = check_name(request.name or "") if request.document_id is None else None
    if request.document_id is None and request.kind is None:
        raise InvalidInput.for_field("query.kind", "say which kind of document this is: tender_documents or attachment")
    expected = request.sha256.strip().lower() if request.sha256 else None
    if expected is not None and not SHA256_HEX.match(expected):
        raise InvalidInput.for_field("header.x-content-sha256", "must be 64 hexadecimal digits")
    # Refuse before reading a byte: who may upload, in which state, under which amendment.
    async with platform.db.transaction(write=False) as session:
        await _target(session, actor, request, name)
    limit = platform.settings.max_document_bytes
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge("a document may be at most %(limit)s bytes; this one is %(size)s", limit=limit, size=request.content_length)
    key = object_key(request.tender_id)
    info = await platform.store.put(key, _at_most(chunks, limit), content_type=content_type)
    try:
        if info.size == 0:
            raise InvalidInput.for_field("body", "the file is empty")
        if expected is not None and info.sha256 != expected:
            raise InvalidInput.for_field(
                "header.x-content-sha256", "the file received has SHA-256 %(received)s, not the one announced", received=info.sha256
            )
        async with platform.db.transaction() as session:
            return await _record(session, platform, actor, request, name, key, info.sha256, info.size, content_type)
    except BaseException:
        # Also when cancelled (the client went away): the row is not there, so neither is the object.
        with anyio.CancelScope(shield=True):
            await platform.store.delete(key)
        raise


async def _at_most(chunks: AsyncIterable[bytes], limit: int) -> AsyncIterator[bytes]:
    received = 0
    async for chunk in chunks:
        received += len(chunk)
        if received > limit:
            raise TooLarge("a document may be at most %(limit)s bytes; this one is larger", limit=limit)
        yield chunk


async def _target(
    session: AsyncSession, actor: Actor, request: UploadRequest, name: str | None, *, for_update: bool = False
) -> tuple[Tender, TenderDocument | None, Amendment | None]:
    """The tender, the document (None for a new one) and the amendment an upload goes to, or the refusal."""
    tender = await service.get_tender(session, actor, request.tender_id, for_update=for_update)
    if not service._owns(actor, tender):
        raise Forbidden("only the organisation that runs this tender may change it")
    amendment = await _amendment_for(session, tender, request.amendment)
    if request.document_id is not None:
        document = await session.get(TenderDocument, request.document_id)
        if document is None or document.tender_id != tender.id:
            raise NotFound("tender %(tender)s has no document %(document)s", tender=tender.id, document=request.document_id)
        return tender, document, amendment
    existing = (
        await session.execute(select(TenderDocument).where(TenderDocument.tender_id == tender.id, TenderDocument.name == name))
    ).scalar_one_or_none()
    if existing is not None:
        raise Conflict(
            "the tender already has a document named %(name)s (id %(id)s): upload a new version of it instead", name=name, id=existing.id
        )
    return tender, None, amendment


async def _amendment_for(session: AsyncSession, tender: Tender, number: int | None) -> Amendment | None:
    if tender.status == TenderStatus.draft:
        if number is not None:
            raise InvalidInput.for_field("query.amendment", "a draft's documents change freely; amendments belong to published tenders")
        return None
    if tender.status != TenderStatus.published:
        raise Conflict(
            "documents are uploaded while the tender is a draft, or with an amendment while it is published; this tender is %(state)s",
            state=tender.status,
        )
    if number is None:
        raise InvalidInput.for_field(
            "query.amendment",
            "a published tender's documents change only through an amendment (招标投标法 第二十三条; 政府采购法实施条例 第三十一条): "
            "create the amendment, then give its number",
        )
    amendment = (
        await session.execute(select(Amendment).where(Amendment.tender_id == tender.id, Amendment.number == number))
    ).scalar_one_or_none()
    if amendment is None:
        raise InvalidInput.for_field("query.amendment", "this tender has no amendment %(number)s", number=number)
    return amendment


async def _record(
    session: AsyncSession, platform: Platform, actor: Actor, request: UploadRequest, name: str | None,
    key: str, sha256: str, size: int, content_type: str,
) -> DocumentView:
    # Checked again under the tender's row lock: the state may have moved while the file streamed.
    tender, document, amendment = await _target(session, actor, request, name, for_update=True)
    now = platform.clock.now()
    if document is None:
        document = TenderDocument(tender_id=tender.id, name=name, kind=request.kind, created_at=now)  # type: ignore[arg-type]
        session.add(document)
        await session.flush()
        number = 1
    else:
        latest = (
            await session.execute(select(func.max(TenderDocumentVersion.version)).where(TenderDocumentVersion.document_id == document.id))
        ).scalar_one()
        number = (latest or 0) + 1
    session.add(
        TenderDocumentVersion(
            document_id=document.id, tender_id=tender.id, version=number,  # type: ignore[arg-type]
            amendment_id=amendment.id if amendment else None, object_key=key, sha256=sha256, size=size,
            content_type=content_type, uploaded_at=now, uploaded_by=actor.user_id,
        )
    )
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "tender.document_uploaded", subject_type="tender", subject_id=tender.id,
        details={
            "document_id": document.id, "name": document.name, "kind": document.kind, "version": number, "sha256": sha256,
            "size": size, "content_type": content_type, "amendment": amendment.number if amendment else None,
        },
    )
    return next(d for d in await public_documents(session, tender.id) if d.id == document.id)  # type: ignore[union-attr]


# --- Obtaining (获取招标文件) ----------------------------------------------------------------------------


def _beijing(moment: datetime) -> str:
    return to_display(moment).strftime("%Y-%m-%d %H:%M")


async def obtain(session: AsyncSession, platform: Platform, actor: Actor, tender_id: int) -> tuple[DocumentObtained, bool]:
    """Record that the actor's supplier organisation obtained the documents; once per organisation.

    Returns (record, created). A repeat returns the first record, also after the offer closed.
    A debarred supplier is refused; the credit check is kept either way, in its own transaction.
    """
    if not actor.has(Role.supplier) or actor.organisation_kind != OrganisationKind.supplier:
        raise Forbidden("tender documents are obtained by suppliers, for their organisation")
    await credit.require_clear_kept(
        session, platform, "documents", organisation_ids=[actor.organisation_id], subject_type="tender", subject_id=tender_id
    )
    tender = await service.get_tender(session, actor, tender_id)
    existing = await _obtained_by(session, tender_id, actor.organisation_id)
    if existing is not None:
        return existing, False
    if tender.status != TenderStatus.published:
        raise Conflict("tender documents are obtained while the tender is published and open for bids; this one is %(state)s", state=tender.status)
    now = platform.clock.now()
    opens, closes = as_utc(tender.documents_from), as_utc(tender.documents_until)
    if now < opens:
        raise Conflict("the tender documents are on offer from %(opens)s (Beijing time); they cannot be obtained before", opens=_beijing(opens))
    if now > closes:
        raise Conflict("the tender documents were on offer until %(closes)s (Beijing time); the offer has closed", closes=_beijing(closes))
    has_documents = (
        await session.execute(select(TenderDocumentVersion.id).where(TenderDocumentVersion.tender_id == tender_id).limit(1))
    ).scalar_one_or_none()
    if has_documents is None:
        raise Conflict("this tender has no documents to obtain yet")
    record = DocumentObtained(tender_id=tender_id, organisation_id=actor.organisation_id, user_id=actor.user_id, obtained_at=now)
    try:
        async with session.begin_nested():
            session.add(record)
    except IntegrityError:  # a colleague obtained them at the same moment: theirs is the record
        found = await _obtained_by(session, tender_id, actor.organisation_id)
        if found is None:
            raise
        return found, False
    await audit.record(
        session, platform.clock, actor, "tender.documents_obtained", subject_type="tender", subject_id=tender_id,
        details={"organisation_id": actor.organisation_id, "user_id": actor.user_id},
    )
    return record, True


async def _obtained_by(session: AsyncSession, tender_id: int, organisation_id: int) -> DocumentObtained | None:
    query = select(DocumentObtained).where(DocumentObtained.tender_id == tender_id, DocumentObtained.organisation_id == organisation_id)
    return (await session.execute(query)).scalar_one_or_none()


def _runs_or_oversees(actor: Actor, tender: Tender) -> bool:
    """The organisations running the tender, the trading centre and the supervisors."""
    in_tender = actor.organisation_id in (tender.owner_organisation_id, tender.purchaser_organisation_id)
    return in_tender or actor.has(Role.operator, Role.supervisor)


async def obtained_list(session: AsyncSession, actor: Actor, tender_id: int) -> list[ObtainedView]:
    """Who obtained the documents, when, and how often they downloaded: never for other suppliers."""
    tender = await service.get_tender(session, actor, tender_id)
    if not _runs_or_oversees(actor, tender):
        raise Forbidden(
            "who obtained the documents is shown only to the organisations running the tender, the trading centre and supervisors "
            "(招标投标法 第二十二条)"
        )
    downloads = (
        select(DocumentDownload.organisation_id, func.count().label("n"))
        .where(DocumentDownload.tender_id == tender_id)
        .group_by(DocumentDownload.organisation_id)
        .subquery()
    )
    rows = await session.execute(
        select(DocumentObtained, Organisation.name, Organisation.uscc, User.display_name, downloads.c.n)
        .join(Organisation, Organisation.id == DocumentObtained.organisation_id)
        .join(User, User.id == DocumentObtained.user_id)
        .outerjoin(downloads, downloads.c.organisation_id == DocumentObtained.organisation_id)
        .where(DocumentObtained.tender_id == tender_id)
        .order_by(DocumentObtained.obtained_at, DocumentObtained.id)
    )
    return [
        ObtainedView(
            organisation_id=record.organisation_id, organisation_name=name, organisation_uscc=uscc, user_id=record.user_id,
            user_name=user_name, obtained_at=as_utc(record.obtained_at), downloads=n or 0,
        )
        for record, name, uscc, user_name, n in rows
    ]


# --- Download --------------------------------------------------------------------------------------


@dataclass
class Download:
    """An opened version: the row says what it must be, the reader streams it and checks it did."""

    name: str
    version: TenderDocumentVersion
    reader: ObjectReader

    @property
    def sha256_base64(self) -> str:
        return base64.b64encode(bytes.fromhex(self.version.sha256)).decode()

    async def chunks(self) -> AsyncIterator[bytes]:
        """The content; a stream that differs from its recorded SHA-256 is cut off, not completed."""
        hasher = hashlib.sha256()
        async with self.reader:
            async for chunk in self.reader:
                hasher.update(chunk)
                yield chunk
        if hasher.hexdigest() != self.version.sha256:
            raise StorageError(f"object {self.version.object_key!r} no longer matches its recorded SHA-256")

    async def aclose(self) -> None:
        await self.reader.aclose()


async def open_download(platform: Platform, actor: Actor | None, tender_id: int, document_id: int, version: int) -> Download:
    """Check the caller may download, record the download, open the object.

    Its own short write transaction: a download is a GET, yet it is recorded; the content then
    streams after the commit, with no transaction open.
    """
    reader: ObjectReader | None = None
    try:
        async with platform.db.transaction() as session:
            row, name = await _downloadable(session, actor, tender_id, document_id, version)
            reader = await platform.store.open(row.object_key)
            if reader.info.sha256 != row.sha256 or reader.info.size != row.size:
                raise StorageError(f"object {row.object_key!r} does not match its recorded size and SHA-256")
            session.add(
                DocumentDownload(
                    version_id=row.id, tender_id=tender_id, organisation_id=actor.organisation_id if actor else None,
                    user_id=actor.user_id if actor else None,
                    downloaded_at=platform.clock.now(),
                )
            )
            await session.flush()
    except BaseException:
        if reader is not None:
            await reader.aclose()
        raise
    return Download(name=name, version=row, reader=reader)


async def _downloadable(
    session: AsyncSession, actor: Actor | None, tender_id: int, document_id: int, version: int
) -> tuple[TenderDocumentVersion, str]:
    tender = await service.get_tender(session, actor, tender_id)
    query = (
        select(TenderDocumentVersion, TenderDocument.name)
        .join(TenderDocument, TenderDocument.id == TenderDocumentVersion.document_id)
        .where(
            TenderDocumentVersion.tender_id == tender_id,
            TenderDocumentVersion.document_id == document_id,
            TenderDocumentVersion.version == version,
        )
    )
    found = (await session.execute(query)).one_or_none()
    if found is None:
        raise NotFound(
            "tender %(tender)s has no document %(document)s version %(version)s", tender=tender_id, document=document_id, version=version
        )
    _check_download(actor, tender)
    return found[0], found[1]


def _check_download(actor: Actor | None, tender: Tender) -> None:
    """Tender documents are online for the whole life of a public tender, for anyone (招标文件全程挂网).

    Obtaining them (获取) is a different act: the supplier's record that it may bid. Before
    publication only those running or overseeing the tender read the documents (``get_tender``
    has already hidden the tender from everyone else).
    """
    if tender.status in service.PUBLIC_STATES or (actor is not None and _runs_or_oversees(actor, tender)):
        return
    raise Forbidden("before publication, tender documents are read by the organisations running the tender, the trading centre and supervisors")
