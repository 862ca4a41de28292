"""Tender documents (招标文件) and attachments in object storage, their versions, and who obtained them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, UniqueConstraint
from sqlmodel import Field, SQLModel

from procurement.models_base import timestamp


class TenderDocument(SQLModel, table=True):
    """One named document of a tender; its content lives in versions."""

    __tablename__ = "tender_document"
    __table_args__ = (UniqueConstraint("tender_id", "name", name="uq_tender_document_name"),)

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    name: str = Field(max_length=200)  # e.g. 招标文件.pdf
    kind: str = Field(max_length=16)  # tender_documents | attachment
    created_at: datetime = timestamp()


class TenderDocumentVersion(SQLModel, table=True):
    """An immutable upload of a document. An amendment adds a version; earlier ones stay readable."""

    __tablename__ = "tender_document_version"
    __table_args__ = (UniqueConstraint("document_id", "version", name="uq_tender_document_version"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="tender_document.id", index=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    version: int
    amendment_id: int | None = Field(default=None, foreign_key="tender_amendment.id")
    object_key: str = Field(max_length=300, unique=True)
    sha256: str = Field(max_length=64)
    size: int = Field(sa_type=BigInteger)
    content_type: str = Field(max_length=100)
    uploaded_at: datetime = timestamp()
    uploaded_by: int = Field(foreign_key="user_account.id")


class DocumentObtained(SQLModel, table=True):
    """A supplier obtained a tender's documents (获取招标文件): the record the law asks for."""

    __tablename__ = "tender_document_obtained"
    __table_args__ = (UniqueConstraint("tender_id", "organisation_id", name="uq_tender_document_obtained"),)

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    user_id: int = Field(foreign_key="user_account.id")
    obtained_at: datetime = timestamp()


class DocumentDownload(SQLModel, table=True):
    """Each download of a document version: who, which, when."""

    __tablename__ = "tender_document_download"

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="tender_document_version.id", index=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    downloaded_at: datetime = timestamp()
