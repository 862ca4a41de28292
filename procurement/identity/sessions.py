"""Logins and sessions: passwords checked, failures slowed and locked, tokens resolved.

A token (random, 256 bits) is shown to its holder once; only its SHA-256 is stored. The
same table serves browser sessions (cookie) and API tokens (bearer); logging out or changing
the password revokes them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.clock import as_utc
from procurement.errors import AccountLocked, DomainError, TooManyAttempts
from procurement.identity import schemas
from procurement.identity.models import AuthSession, Organisation, User, UserRole
from procurement.platform import Platform

SESSION_COOKIE = "procurement_session"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token_for(platform: Platform, session_token: str) -> str:
    """The CSRF token is derived from the session, so it needs no storage of its own."""
    return hmac.new(platform.keys.session_secret, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


async def roles_of(session: AsyncSession, user_id: int) -> list[str]:
    return list((await session.execute(select(UserRole.role).where(UserRole.user_id == user_id).order_by(UserRole.role))).scalars())


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


async def revoke_sessions(session: AsyncSession, platform: Platform, user_id: int, keep: int | None = None) -> None:
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


