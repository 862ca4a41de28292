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
    organisation_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="Defaults to the admin's own organisation")
    username: Username
    display_name: str = Field(min_length=1, max_length=100, examples=["李四"])
    email: str = Field(default="", max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$", examples=["lisi@example.cn"])
    password: Password
    roles: list[Role] = Field(min_length=1, max_length=7, examples=[["purchaser"]])


class UserUpdate(_Input):
    active: bool | None = Field(default=None, examples=[False])
    roles: list[Role] | None = Field(default=None, min_length=1, max_length=7, examples=[["purchaser", "admin"]])


class LoginRequest(_Input):
    username: str = Field(min_length=1, max_length=64, examples=["supplier"])
    password: Password


class PasswordChange(_Input):
    current_password: Password
    new_password: Password


class PublicKeyCreate(_Input):
    algorithm: Literal["x25519", "ed25519"]
    public_key: str = Field(
        min_length=40, max_length=64, description="base64 of the 32 raw public-key bytes", examples=["3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08="]
    )
    label: str = Field(default="", max_length=100, examples=["投标加密密钥"])


class OrganisationPublic(BaseModel):
    id: int = Field(examples=[3])
    uscc: str = Field(examples=["12460100MB0000003D"])
    name: str = Field(examples=["海口市人民医院"])
    kind: str = Field(examples=["purchaser"])
    region: str = Field(examples=["460100"])
    active: bool = Field(examples=[True])


class UserPublic(BaseModel):
    id: int = Field(examples=[4])
    organisation_id: int = Field(examples=[3])
    username: str = Field(examples=["purchaser"])
    display_name: str = Field(examples=["采购人经办人"])
    email: str = Field(examples=["buyer@example.cn"])
    active: bool = Field(examples=[True])
    roles: list[str] = Field(examples=[["purchaser"]])
    locked_until: datetime | None = Field(default=None, examples=[None])


class TokenResponse(BaseModel):
    token: str = Field(description="Send as `Authorization: Bearer <token>`", examples=["q3x1Yd0-8mTqv2k9ZyJ4Qe6n1fV0sWcRh7uLp5aBgKo"])
    expires_at: datetime = Field(examples=["2026-11-27T20:00:00Z"])
    user: UserPublic


class PublicKeyPublic(BaseModel):
    id: int = Field(examples=[1])
    user_id: int = Field(examples=[6])
    algorithm: str = Field(examples=["x25519"])
    public_key: str = Field(examples=["3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08="])
    fingerprint: str = Field(examples=["9c1185a5c5e9fc54612808977ee8f548b2258d31b1e1f7a8c9f2b7a9f6d1e0c3"])
    label: str = Field(examples=["投标加密密钥"])
    created_at: datetime = Field(examples=["2026-11-27T08:00:00Z"])
    revoked_at: datetime | None = Field(default=None, examples=[None])
