"""The expert pool (评标专家库): experts, the specialty code list, declared relationships, absences.

The national ID is kept whole here (supervisors and the expert see it); every other view
masks it (``identity.mask_national_id``). Dates without a time (qualification expiry,
suspension end, relationship and absence periods) are calendar days in China.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from procurement.models_base import timestamp


class ExpertStatus(StrEnum):
    active = "active"
    suspended = "suspended"  # with a reason and an end date
    retired = "retired"


class RelationshipKind(StrEnum):
    employer = "employer"  # a past (or present) employer, with dates
    shareholding = "shareholding"
    relative = "relative"  # an organisation where a close relative works or holds shares


class Specialty(SQLModel, table=True):
    """One node of the hierarchical specialty code list: ``A01`` is the parent of ``A01.02``."""

    __tablename__ = "expert_specialty_code"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=100)
    # The service checks the parent exists (codes are never deleted); no foreign key, since the
    # referenced column is unique only through an index, which PostgreSQL will not reference.
    parent_code: str | None = Field(default=None, max_length=32)
    created_at: datetime = timestamp()


class Expert(SQLModel, table=True):
    __tablename__ = "expert"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=50)
    national_id: str = Field(max_length=18, unique=True)  # whole; shown masked except to supervisors and the expert
    employer_uscc: str = Field(max_length=18, index=True)
    title: str = Field(default="", max_length=50)  # professional title (职称)
    years: int = Field(default=0)  # years in the field
    region: str = Field(max_length=6, index=True)
    phone: str = Field(default="", max_length=40)
    status: str = Field(default=ExpertStatus.active, max_length=16, index=True)
    suspension_reason: str = Field(default="", max_length=500)
    suspended_until: date | None = Field(default=None)
    qualification_expires: date | None = Field(default=None)
    # The platform account of the expert, with the expert role; None: not yet on the platform.
    user_id: int | None = Field(default=None, foreign_key="user_account.id", unique=True)
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class ExpertSpecialty(SQLModel, table=True):
    __tablename__ = "expert_specialty"

    expert_id: int = Field(foreign_key="expert.id", primary_key=True)
    specialty_id: int = Field(foreign_key="expert_specialty_code.id", primary_key=True, index=True)


class ExpertRelationship(SQLModel, table=True):
    """A declared tie to an organisation: the draw avoids experts tied to a bidder or the purchaser."""

    __tablename__ = "expert_relationship"

    id: int | None = Field(default=None, primary_key=True)
    expert_id: int = Field(foreign_key="expert.id", index=True)
    kind: str = Field(max_length=16)
    organisation_uscc: str = Field(max_length=18, index=True)
    from_date: date | None = Field(default=None)
    to_date: date | None = Field(default=None)  # None: still holds


class ExpertUnavailability(SQLModel, table=True):
    __tablename__ = "expert_unavailability"

    id: int | None = Field(default=None, primary_key=True)
    expert_id: int = Field(foreign_key="expert.id", index=True)
    from_date: date
    to_date: date
    reason: str = Field(default="", max_length=200)
