"""Identity rules: organisations, users and roles, logins, sessions and public keys.

Every change is authorised against the acting user here (guards only check the role) and
audited in the same transaction.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.clock import as_utc
from procurement.errors import (
    AccountLocked,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyAttempts,
)
from procurement.identity import schemas
from procurement.identity.models import (
    AuthSession,
    Organisation,
    OrganisationKind,
    Role,
    User,
    UserPublicKey,
    UserRole,
)
from procurement.identity.passwords import password_problem
from procurement.platform import Platform

# Which roles a user of each kind of organisation may hold: a supplier's admin cannot make
# anyone a supervisor.
ALLOWED_ROLES: dict[str, frozenset[str]] = {
    OrganisationKind.supplier: frozenset({Role.supplier, Role.admin}),
    OrganisationKind.purchaser: frozenset({Role.purchaser, Role.admin}),
    OrganisationKind.agency: frozenset({Role.agency, Role.admin}),
    OrganisationKind.expert_employer: frozenset({Role.expert}),
    OrganisationKind.supervisor_body: frozenset({Role.supervisor, Role.admin}),
    OrganisationKind.operator: frozenset({Role.operator, Role.admin}),
}

SESSION_COOKIE = "procurement_session"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token_for(platform: Platform, session_token: str) -> str:
    """The CSRF token is derived from the session, so it needs no storage of its own."""
    return hmac.new(platform.keys.session_secret, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def is_platform_admin(actor: Actor) -> bool:
    return actor.has(Role.admin) and actor.organisation_kind == OrganisationKind.operator


# --- Organisations ----------------------------------------------------------------------


async def _insert_organisation(session: AsyncSession, platform: Platform, data: schemas.OrganisationCreate) -> Organisation:
    existing = (await session.execute(select(Organisation.id).where(Organisation.uscc == data.uscc))).first()
    if existing:
        raise Conflict("an organisation with unified social credit code %(uscc)s is already registered", uscc=data.uscc)
    org = Organisation(
        uscc=data.uscc, name=data.name, kind=data.kind, region=data.region, address=data.address, created_at=platform.clock.now()
    )
    session.add(org)
    await session.flush()
    return org


async def create_organisation(session: AsyncSession, platform: Platform, actor: Actor, data: schemas.OrganisationCreate) -> Organisation:
    if not is_platform_admin(actor):
        raise Forbidden("only the trading centre's administrators register organisations other than suppliers")
    org = await _insert_organisation(session, platform, data)
    await audit.record(
        session, platform.clock, actor, "identity.organisation_created", subject_type="organisation", subject_id=org.id,
        details={"uscc": org.uscc, "name": org.name, "kind": org.kind},
    )
    return org


async def list_organisations(session: AsyncSession, kind: str | None = None) -> list[Organisation]:
    query = select(Organisation).order_by(Organisation.id)
    if kind:
        query = query.where(Organisation.kind == kind)
    return list((await session.execute(query)).scalars().all())


async def register_supplier(session: AsyncSession, platform: Platform, data: schemas.SupplierRegistration) -> tuple[Organisation, User]:
    org = await _insert_organisation(
        session,
        platform,
        schemas.OrganisationCreate(uscc=data.uscc, name=data.organisation_name, kind=OrganisationKind.supplier, region=data.region, address=data.address),
    )
    user = await _insert_user(
        session, platform, org, data.username, data.display_name, data.email, data.password, [Role.supplier, Role.admin]
    )
    await audit.record(
        session, platform.clock, None, "identity.supplier_registered", subject_type="organisation", subject_id=org.id,
        organisation_id=org.id, details={"uscc": org.uscc, "name": org.name, "admin_user": user.username},
    )
    return org, user


# --- Users ------------------------------------------------------------------------------


async def _insert_user(
    session: AsyncSession,
    platform: Platform,
    org: Organisation,
    username: str,
    display_name: str,
    email: str,
    password: str,
    roles: list[str],
) -> User:
    problem = password_problem(password, username)
    if problem:
        raise InvalidInput.for_field("body.password", problem.template, **problem.params)
    not_allowed = sorted(set(roles) - ALLOWED_ROLES[org.kind])
    if not_allowed:
        raise InvalidInput.for_field(
            "body.roles", "a user of a %(kind)s organisation cannot hold the role(s) %(roles)s", kind=org.kind, roles=", ".join(not_allowed)
        )
    if (await session.execute(select(User.id).where(User.username == username))).first():
        raise Conflict("the user name %(username)s is taken", username=username)
    now = platform.clock.now()
    user = User(
        organisation_id=org.id,  # type: ignore[arg-type]
        username=username,
        display_name=display_name,
        email=email,
        password_hash=platform.hasher.hash(password),
        password_changed_at=now,
        created_at=now,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent registration took the name first
        raise Conflict("the user name %(username)s is taken", username=username) from exc
    session.add_all(UserRole(user_id=user.id, role=r) for r in sorted(set(roles)))  # type: ignore[arg-type]
    await session.flush()
    return user


async def roles_of(session: AsyncSession, user_id: int) -> list[str]:
    return list((await session.execute(select(UserRole.role).where(UserRole.user_id == user_id).order_by(UserRole.role))).scalars())


async def _manageable_user(session: AsyncSession, actor: Actor, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None or not (is_platform_admin(actor) or (actor.has(Role.admin) and user.organisation_id == actor.organisation_id)):
        # Not found and not yours look the same: an admin learns nothing about other organisations.
        raise NotFound("no user %(user_id)s in your organisation", user_id=user_id)
    return user


async def create_user(session: AsyncSession, platform: Platform, actor: Actor, data: schemas.UserCreate) -> User:
    org_id = data.organisation_id or actor.organisation_id
    if org_id != actor.organisation_id and not is_platform_admin(actor):
        raise Forbidden("an organisation's administrator manages the users of that organisation only")
    if not actor.has(Role.admin):
        raise Forbidden("only an administrator creates users")
    org = await session.get(Organisation, org_id)
    if org is None:
        raise InvalidInput.for_field("body.organisation_id", "no organisation %(id)s", id=org_id)
    user = await _insert_user(session, platform, org, data.username, data.display_name, data.email, data.password, list(data.roles))
    await audit.record(
        session, platform.clock, actor, "identity.user_created", subject_type="user", subject_id=user.id,
        organisation_id=org.id, details={"username": user.username, "roles": sorted(set(data.roles))},
    )
    return user


async def update_user(session: AsyncSession, platform: Platform, actor: Actor, user_id: int, data: schemas.UserUpdate) -> User:
    user = await _manageable_user(session, actor, user_id)
    org = await session.get(Organisation, user.organisation_id)
    assert org is not None
    changes: dict[str, object] = {}
    if data.active is not None and data.active != user.active:
        if user.id == actor.user_id and not data.active:
            raise InvalidInput.for_field("body.active", "you cannot deactivate your own account")
        user.active = data.active
        changes["active"] = data.active
        if not data.active:
            await _revoke_sessions(session, platform, user.id)  # type: ignore[arg-type]
    if data.roles is not None:
        wanted = sorted(set(data.roles))
        not_allowed = sorted(set(wanted) - ALLOWED_ROLES[org.kind])
        if not_allowed:
            raise InvalidInput.for_field(
                "body.roles", "a user of a %(kind)s organisation cannot hold the role(s) %(roles)s", kind=org.kind, roles=", ".join(not_allowed)
            )
        if user.id == actor.user_id and Role.admin not in wanted:
            raise InvalidInput.for_field("body.roles", "you cannot remove your own administrator role")
        if wanted != await roles_of(session, user.id):  # type: ignore[arg-type]
            await session.execute(delete(UserRole).where(UserRole.user_id == user.id))
            session.add_all(UserRole(user_id=user.id, role=r) for r in wanted)  # type: ignore[arg-type]
            changes["roles"] = wanted
    if changes:
        await session.flush()
        await audit.record(
            session, platform.clock, actor, "identity.user_updated", subject_type="user", subject_id=user.id,
            organisation_id=user.organisation_id, details=changes,
        )
    return user


async def list_users(session: AsyncSession, actor: Actor) -> list[User]:
    query = select(User).order_by(User.id)
    if not is_platform_admin(actor):
        query = query.where(User.organisation_id == actor.organisation_id)
    return list((await session.execute(query)).scalars().all())


async def user_public(session: AsyncSession, user: User) -> schemas.UserPublic:
    return schemas.UserPublic(
        id=user.id,  # type: ignore[arg-type]
        organisation_id=user.organisation_id,
        username=user.username,
        display_name=user.display_name,
        email=user.email,
        active=user.active,
        roles=await roles_of(session, user.id),  # type: ignore[arg-type]
        locked_until=as_utc(user.locked_until) if user.locked_until else None,
    )


async def change_password(session: AsyncSession, platform: Platform, actor: Actor, data: schemas.PasswordChange) -> None:
    user = await session.get(User, actor.user_id)
    assert user is not None
    if not platform.hasher.verify(data.current_password, user.password_hash):
        raise InvalidInput.for_field("body.current_password", "is not your current password")
    problem = password_problem(data.new_password, user.username)
    if problem:
        raise InvalidInput.for_field("body.new_password", problem.template, **problem.params)
    if data.new_password == data.current_password:
        raise InvalidInput.for_field("body.new_password", "must differ from the current password")
    user.password_hash = platform.hasher.hash(data.new_password)
    user.password_changed_at = platform.clock.now()
    # Every other login of this user ends: a changed password should lock out whoever had the old one.
    await _revoke_sessions(session, platform, user.id, keep=actor.session_id)  # type: ignore[arg-type]
    await session.flush()
    await audit.record(session, platform.clock, actor, "identity.password_changed", subject_type="user", subject_id=user.id)


# --- Login, sessions ---------------------------------------------------------------------


class LoginFailed(DomainError):
    status = 401
    slug = "login-failed"
    title = "Login failed"


@dataclass(frozen=True)
class LoginResult:
    token: str
    session: AuthSession
    user: User


async def login(session: AsyncSession, platform: Platform, data: schemas.LoginRequest, kind: str) -> LoginResult:
    """Check the password; slow down and then lock an account under repeated failures.

    A failure is counted before ``LoginFailed`` is raised: the caller must commit the
    session even then, or the count (and the lock) would be rolled back with the error.
    """
    now = platform.clock.now()
    settings = platform.settings
    user = (await session.execute(select(User).where(User.username == data.username))).scalar_one_or_none()
    if user is None or not user.active:
        platform.hasher.hash(data.password)  # same work as a real check: no timing hint that the name is unknown
        raise LoginFailed("user name or password is wrong")
    if user.locked_until and as_utc(user.locked_until) > now:
        raise AccountLocked(
            "this account is locked after %(failures)s failed logins until %(until)s",
            failures=settings.login_lock_after,
            until=as_utc(user.locked_until).isoformat(timespec="seconds"),
        )
    if user.next_attempt_at and as_utc(user.next_attempt_at) > now:
        wait = int((as_utc(user.next_attempt_at) - now).total_seconds()) + 1
        raise TooManyAttempts("too many failed logins: wait %(seconds)s s before the next attempt", retry_after_seconds=wait, seconds=wait)
    if not platform.hasher.verify(data.password, user.password_hash):
        await _count_failure(session, platform, user, now)
        raise LoginFailed("user name or password is wrong")
    if platform.hasher.needs_rehash(user.password_hash):
        user.password_hash = platform.hasher.hash(data.password)
    user.failed_logins = 0
    user.next_attempt_at = None
    user.locked_until = None
    token = secrets.token_urlsafe(32)
    auth = AuthSession(
        token_digest=token_digest(token),
        user_id=user.id,  # type: ignore[arg-type]
        kind=kind,
        created_at=now,
        expires_at=now + timedelta(hours=settings.session_hours),
    )
    session.add(auth)
    await session.flush()
    actor = await actor_for(session, user, via=kind, session_id=auth.id)
    await audit.record(session, platform.clock, actor, "identity.login", subject_type="user", subject_id=user.id, details={"kind": kind})
    return LoginResult(token, auth, user)


async def _count_failure(session: AsyncSession, platform: Platform, user: User, now: datetime) -> None:
    settings = platform.settings
    user.failed_logins += 1
    if user.failed_logins >= settings.login_lock_after:
        user.locked_until = now + timedelta(minutes=settings.login_lock_minutes)
        user.next_attempt_at = None
        user.failed_logins = 0
        await session.flush()
        await audit.record(
            session, platform.clock, None, "identity.account_locked", subject_type="user", subject_id=user.id,
            organisation_id=user.organisation_id,
            details={"until": as_utc(user.locked_until).isoformat(), "after_failures": settings.login_lock_after},
        )
        return
    if user.failed_logins >= settings.login_slowdown_after:
        user.next_attempt_at = now + timedelta(seconds=2 ** (user.failed_logins - settings.login_slowdown_after))
    await session.flush()


async def actor_for(session: AsyncSession, user: User, *, via: str, session_id: int | None) -> Actor:
    org = await session.get(Organisation, user.organisation_id)
    assert org is not None
    return Actor(
        user_id=user.id,  # type: ignore[arg-type]
        username=user.username,
        organisation_id=user.organisation_id,
        organisation_kind=org.kind,
        roles=frozenset(await roles_of(session, user.id)),  # type: ignore[arg-type]
        via=via,
        session_id=session_id,
    )


async def resolve_token(session: AsyncSession, platform: Platform, token: str) -> Actor | None:
    now = platform.clock.now()
    row = (
        await session.execute(
            select(AuthSession, User, Organisation)
            .join(User, User.id == AuthSession.user_id)
            .join(Organisation, Organisation.id == User.organisation_id)
            .where(AuthSession.token_digest == token_digest(token), AuthSession.revoked_at.is_(None))
        )
    ).first()
    if row is None:
        return None
    auth, user, org = row
    if as_utc(auth.expires_at) <= now or not user.active or not org.active:
        return None
    return Actor(
        user_id=user.id,
        username=user.username,
        organisation_id=user.organisation_id,
        organisation_kind=org.kind,
        roles=frozenset(await roles_of(session, user.id)),
        via=auth.kind,
        session_id=auth.id,
    )


async def logout(session: AsyncSession, platform: Platform, actor: Actor) -> None:
    if actor.session_id is None:
        return
    await session.execute(
        update(AuthSession).where(AuthSession.id == actor.session_id, AuthSession.revoked_at.is_(None)).values(revoked_at=platform.clock.now())
    )
    await audit.record(session, platform.clock, actor, "identity.logout", subject_type="user", subject_id=actor.user_id)


async def _revoke_sessions(session: AsyncSession, platform: Platform, user_id: int, keep: int | None = None) -> None:
    query = update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    await session.execute(query.values(revoked_at=platform.clock.now()))


# --- Account locks end by themselves (a scheduled transition) ---------------------------


async def unlock_expired_account(session: AsyncSession, platform: Platform, user_id: int) -> bool:
    """End a lock whose time is up; idempotent (a second call finds nothing to do)."""
    user = await session.get(User, user_id, with_for_update=True)
    now = platform.clock.now()
    if user is None or user.locked_until is None or as_utc(user.locked_until) > now:
        return False
    user.locked_until = None
    await session.flush()
    await audit.record(
        session, platform.clock, None, "identity.account_unlocked", subject_type="user", subject_id=user.id,
        organisation_id=user.organisation_id, details={"reason": "lock period ended"},
    )
    return True


# --- Public keys for sealed bids ----------------------------------------------------------


def _parse_public_key(algorithm: str, encoded: str) -> bytes:
    try:
        raw = base64.b64decode(encoded, validate=True)
    except ValueError as exc:
        raise InvalidInput.for_field("body.public_key", "is not valid base64") from exc
    if len(raw) != 32:
        raise InvalidInput.for_field(
            "body.public_key", "an %(algorithm)s public key has 32 bytes, this one has %(length)s", algorithm=algorithm, length=len(raw)
        )
    try:
        (X25519PublicKey if algorithm == "x25519" else Ed25519PublicKey).from_public_bytes(raw)
    except ValueError as exc:
        raise InvalidInput.for_field("body.public_key", "is not a valid %(algorithm)s public key", algorithm=algorithm) from exc
    return raw


async def register_public_key(session: AsyncSession, platform: Platform, actor: Actor, data: schemas.PublicKeyCreate) -> UserPublicKey:
    raw = _parse_public_key(data.algorithm, data.public_key)
    fingerprint = hashlib.sha256(raw).hexdigest()
    if (await session.execute(select(UserPublicKey.id).where(UserPublicKey.fingerprint == fingerprint))).first():
        raise Conflict("this public key is already registered")
    key = UserPublicKey(
        user_id=actor.user_id,
        algorithm=data.algorithm,
        public_key=base64.b64encode(raw).decode(),
        fingerprint=fingerprint,
        label=data.label,
        created_at=platform.clock.now(),
    )
    session.add(key)
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "identity.public_key_registered", subject_type="user_public_key", subject_id=key.id,
        details={"algorithm": key.algorithm, "fingerprint": fingerprint},
    )
    return key


async def list_public_keys(session: AsyncSession, actor: Actor) -> list[UserPublicKey]:
    return list(
        (await session.execute(select(UserPublicKey).where(UserPublicKey.user_id == actor.user_id).order_by(UserPublicKey.id))).scalars()
    )


async def revoke_public_key(session: AsyncSession, platform: Platform, actor: Actor, key_id: int) -> UserPublicKey:
    key = await session.get(UserPublicKey, key_id)
    if key is None or key.user_id != actor.user_id:
        raise NotFound("you have no public key %(key_id)s", key_id=key_id)
    if key.revoked_at is None:
        key.revoked_at = platform.clock.now()
        await session.flush()
        await audit.record(
            session, platform.clock, actor, "identity.public_key_revoked", subject_type="user_public_key", subject_id=key.id,
            details={"fingerprint": key.fingerprint},
        )
    return key


# --- Set-up from the command line (no acting user: audited as "system") -----------------


async def find_organisation(session: AsyncSession, uscc: str) -> Organisation | None:
    return (await session.execute(select(Organisation).where(Organisation.uscc == uscc))).scalar_one_or_none()


async def system_create_organisation(session: AsyncSession, platform: Platform, data: schemas.OrganisationCreate, *, via: str) -> Organisation:
    org = await _insert_organisation(session, platform, data)
    await audit.record(
        session, platform.clock, None, "identity.organisation_created", subject_type="organisation", subject_id=org.id,
        organisation_id=org.id, details={"uscc": org.uscc, "name": org.name, "kind": org.kind, "via": via},
    )
    return org


async def system_create_user(
    session: AsyncSession, platform: Platform, org: Organisation, data: schemas.UserCreate, *, via: str
) -> User:
    user = await _insert_user(session, platform, org, data.username, data.display_name, data.email, data.password, list(data.roles))
    await audit.record(
        session, platform.clock, None, "identity.user_created", subject_type="user", subject_id=user.id,
        organisation_id=org.id, details={"username": user.username, "roles": sorted(set(data.roles)), "via": via},
    )
    return user


async def list_organisation_users(session: AsyncSession, organisation_id: int) -> list[User]:
    return list((await session.execute(select(User).where(User.organisation_id == organisation_id))).scalars())
