"""Expert pool API input and output."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from expert_pool.models import ExpertStatus, RelationshipKind

SPECIALTY_CODE = r"^[A-Z][0-9]{2}(\.[0-9]{2}){0,3}$"


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SpecialtyIn(_Input):
    code: str = Field(pattern=SPECIALTY_CODE, examples=["A01.02"], description="its parent is the code less its last `.NN`")
    name: str = Field(min_length=1, max_length=100, examples=["房屋建筑工程施工"])


class SpecialtyOut(BaseModel):
    code: str
    name: str
    parent_code: str | None


class RelationshipIn(_Input):
    kind: RelationshipKind
    organisation_uscc: str = Field(min_length=18, max_length=18, examples=["91460100MA5T000011"])
    from_date: date | None = None
    to_date: date | None = Field(default=None, description="omit while it still holds")


class UnavailabilityIn(_Input):
    from_date: date
    to_date: date
    reason: str = Field(default="", max_length=200)


class ExpertIn(_Input):
    """One expert as an import row carries it, checked further by the service."""

    name: str = Field(min_length=2, max_length=50)
    national_id: str = Field(min_length=1, max_length=18)
    employer_uscc: str = Field(min_length=1, max_length=18)
    title: str = Field(default="", max_length=50)
    years: int = Field(default=0, ge=0, le=80)
    region: str = Field(pattern=r"^[0-9]{6}$")
    phone: str = Field(default="", max_length=40)
    status: ExpertStatus = ExpertStatus.active
    suspension_reason: str = Field(default="", max_length=500)
    suspended_until: date | None = None
    qualification_expires: date | None = None
    username: str = Field(default="", max_length=64, description="the expert's platform account, with the expert role")
    specialties: list[str] = Field(min_length=1, max_length=20)
    relationships: list[RelationshipIn] = Field(default=[], max_length=50)
    unavailable: list[UnavailabilityIn] = Field(default=[], max_length=50)


class ProfileIn(_Input):
    """What an expert keeps current themselves; the lists replace the ones on file."""

    phone: str = Field(min_length=5, max_length=40, examples=["13800000000"])
    relationships: list[RelationshipIn] = Field(default=[], max_length=50)
    unavailable: list[UnavailabilityIn] = Field(default=[], max_length=50)


class RelationshipOut(BaseModel):
    kind: str
    organisation_uscc: str
    from_date: date | None
    to_date: date | None


class UnavailabilityOut(BaseModel):
    from_date: date
    to_date: date
    reason: str


class ExpertOut(BaseModel):
    id: int
    name: str
    national_id: str = Field(description="whole for supervisors and the expert; masked (`110101********1234`) for everyone else")
    employer_uscc: str
    title: str
    years: int
    region: str
    phone: str
    status: str
    suspension_reason: str
    suspended_until: date | None
    qualification_expires: date | None
    user_id: int | None
    specialties: list[str]
    relationships: list[RelationshipOut]
    unavailable: list[UnavailabilityOut]


class ImportRowError(BaseModel):
    field: str
    rule: str


class ImportRow(BaseModel):
    row: int
    ok: bool
    expert_id: int | None = None
    errors: list[ImportRowError] = []


class ImportReport(BaseModel):
    created: int
    rows: list[ImportRow]
