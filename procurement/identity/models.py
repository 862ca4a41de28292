"""Organisations, users, roles, registered public keys and login sessions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from procurement.models_base import timestamp


class OrganisationKind(StrEnum):
    purchaser = "purchaser"  # 采购人
    agency = "agency"  # 招标代理机构
    supplier = "supplier"  # 供应商 / 投标人
    expert_employer = "expert_employer"  # 专家所在单位
    supervisor_body = "supervisor_body"  # 行政监督部门
    operator = "operator"  # 公共资源交易中心


class Role(StrEnum):
    supplier = "supplier"  # bidder / supplier
    purchaser = "purchaser"
    agency = "agency"
    expert = "expert"
    supervisor = "supervisor"
    operator = "operator"  # trading-centre staff: entry review, opening ceremony
    admin = "admin"  # manages the users of its own organisation (all of them in the operator's)


class Organisation(SQLModel, table=True):
    __tablename__ = "organisation"

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(max_length=18, unique=True, index=True)  # 统一社会信用代码
    name: str = Field(max_length=200)
    kind: str = Field(max_length=32, index=True)
    region: str = Field(default="", max_length=64)
    address: str = Field(default="", max_length=300)
    active: bool = Field(default=True)
    created_at: datetime = timestamp()


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(max_length=100)
    email: str = Field(default="", max_length=254)
    password_hash: str = Field(max_length=255)
    active: bool = Field(default=True)
    failed_logins: int = Field(default=0)
    next_attempt_at: datetime | None = timestamp(nullable=True)
    locked_until: datetime | None = timestamp(nullable=True)
    password_changed_at: datetime = timestamp()
    created_at: datetime = timestamp()


class UserRole(SQLModel, table=True):
    __tablename__ = "user_role"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    role: str = Field(max_length=32, primary_key=True)


class KeyPurpose(StrEnum):
    encryption = "x25519"  # receives wrapped bid content keys
    signing = "ed25519"  # signs bid envelopes and evaluation reports


class UserPublicKey(SQLModel, table=True):
    """A public key a user registered; the private half never reaches the server."""

    __tablename__ = "user_public_key"
    __table_args__ = (UniqueConstraint("fingerprint", name="uq_user_public_key_fingerprint"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    algorithm: str = Field(max_length=16)
    public_key: str = Field(max_length=64)  # base64 of the 32 raw bytes
    fingerprint: str = Field(max_length=64)  # SHA-256 of the raw bytes, hex
    label: str = Field(default="", max_length=100)
    created_at: datetime = timestamp()
    revoked_at: datetime | None = timestamp(nullable=True)


class AuthSession(SQLModel, table=True):
    """A login: a browser session (cookie) or an API bearer token.

    Only a SHA-256 digest of the token is stored, so a copy of the table logs nobody in.
    """

    __tablename__ = "auth_session"

    id: int | None = Field(default=None, primary_key=True)
    token_digest: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    kind: str = Field(max_length=16)  # "cookie" or "bearer"
    created_at: datetime = timestamp()
    expires_at: datetime = timestamp()
    revoked_at: datetime | None = timestamp(nullable=True)
