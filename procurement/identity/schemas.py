"""API input and output for identity: what comes in is checked here, before any service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from procurement.identity.models import OrganisationKind, Role
from procurement.identity.uscc import validate_uscc

Username = Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$", examples=["supplier-admin"])]
Password = Annotated[str, Field(min_length=1, max_length=128, examples=["Correct-horse-42"])]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _UsccField(_Input):
    uscc: str = Field(min_length=1, max_length=32, description="统一社会信用代码 (GB 32100-2015)", examples=["91350100M000100Y43"])

    @field_validator("uscc")
    @classmethod
    def _check_uscc(cls, value: str) -> str:
        return validate_uscc(value)


class OrganisationCreate(_UsccField):
    name: str = Field(min_length=2, max_length=200, examples=["海口市某某建设有限公司"])
    kind: OrganisationKind
    region: str = Field(default="", max_length=64, examples=["460100"])
    address: str = Field(default="", max_length=300)


class SupplierRegistration(_UsccField):
    """A supplier registers its organisation and its first (admin) user in one step."""

    organisation_name: str = Field(min_length=2, max_length=200, examples=["海南示例科技有限公司"])
    region: str = Field(default="", max_length=64, examples=["460100"])
    address: str = Field(default="", max_length=300)
    username: Username
    display_name: str = Field(min_length=1, max_length=100, examples=["张三"])
    email: str = Field(default="", max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
    password: Password


class UserCreate(_Input):
    organisation_id: int | None = Field(default=None, description="Defaults to the admin's own organisation")
    username: Username
    display_name: str = Field(min_length=1, max_length=100)
    email: str = Field(default="", max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
    password: Password
    roles: list[Role] = Field(min_length=1, max_length=7)


class UserUpdate(_Input):
    active: bool | None = None
    roles: list[Role] | None = Field(default=None, min_length=1, max_length=7)


class LoginRequest(_Input):
    username: str = Field(min_length=1, max_length=64, examples=["supplier"])
    password: Password


class PasswordChange(_Input):
    current_password: Password
    new_password: Password


class PublicKeyCreate(_Input):
    algorithm: Literal["x25519", "ed25519"]
    public_key: str = Field(min_length=40, max_length=64, description="base64 of the 32 raw public-key bytes")
    label: str = Field(default="", max_length=100)


class OrganisationPublic(BaseModel):
    id: int
    uscc: str
    name: str
    kind: str
    region: str
    active: bool


class UserPublic(BaseModel):
    id: int
    organisation_id: int
    username: str
    display_name: str
    email: str
    active: bool
    roles: list[str]
    locked_until: datetime | None = None


class TokenResponse(BaseModel):
    token: str = Field(description="Send as `Authorization: Bearer <token>`")
    expires_at: datetime
    user: UserPublic


class PublicKeyPublic(BaseModel):
    id: int
    user_id: int
    algorithm: str
    public_key: str
    fingerprint: str
    label: str
    created_at: datetime
    revoked_at: datetime | None = None
