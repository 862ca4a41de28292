"""Identity rules: organisations, users and roles (logins: ``sessions``; keys: ``public_keys``).

Every change is authorised against the acting user here (guards only check the role) and
audited in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.clock import as_utc
from procurement.credit import service as credit
from procurement.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
)
from procurement.identity import schemas, sessions
from procurement.identity.models import (
    Organisation,
    OrganisationKind,
    Role,
    User,
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
    # A debarred code is refused, naming the entry; the check is kept by USCC (the organisation
    # does not exist yet) in its own transaction, so a refusal is on record too.
    await credit.require_clear_kept(session, platform, "registration", uscc=data.uscc, subject_type="registration", subject_id=data.uscc)
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
            await sessions.revoke_sessions(session, platform, user.id)  # type: ignore[arg-type]
    if data.roles is not None:
        wanted = sorted(set(data.roles))
        not_allowed = sorted(set(wanted) - ALLOWED_ROLES[org.kind])
        if not_allowed:
            raise InvalidInput.for_field(
                "body.roles", "a user of a %(kind)s organisation cannot hold the role(s) %(roles)s", kind=org.kind, roles=", ".join(not_allowed)
            )
        if user.id == actor.user_id and Role.admin not in wanted:
            raise InvalidInput.for_field("body.roles", "you cannot remove your own administrator role")
        if wanted != await sessions.roles_of(session, user.id):  # type: ignore[arg-type]
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
        roles=await sessions.roles_of(session, user.id),  # type: ignore[arg-type]
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
    await sessions.revoke_sessions(session, platform, user.id, keep=actor.session_id)  # type: ignore[arg-type]
    await session.flush()
    await audit.record(session, platform.clock, actor, "identity.password_changed", subject_type="user", subject_id=user.id)


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
