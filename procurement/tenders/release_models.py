"""OCDS releases: one immutable release per public change of a tender."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from procurement.models_base import timestamp


class Release(SQLModel, table=True):
    __tablename__ = "tender_release"
    __table_args__ = (
        UniqueConstraint("release_id", name="uq_tender_release_id"),
        Index("ix_tender_release_date", "date", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    ocid: str = Field(max_length=100)
    release_id: str = Field(max_length=120)
    date: datetime = timestamp()
    tags: str = Field(max_length=200)  # JSON list of OCDS release tags
    data: str = Field(sa_column=Column(Text, nullable=False))  # the release as canonical JSON
