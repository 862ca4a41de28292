"""Dependencies every handler can ask for by name: ``platform``, ``session``, ``actor``."""

from __future__ import annotations

from collections.abc import AsyncIterator

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.errors import NotAuthenticated
from procurement.platform import Platform

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Bounds of the database's integer columns: a larger number is refused (422) before it reaches
# the driver, which would overflow (500). Row ids are INTEGER (32-bit on PostgreSQL), audit
# sequence numbers and tree sizes BIGINT.
MAX_ID = 2**31 - 1
MAX_SEQ = 2**63 - 1


def provide_platform(state: State) -> Platform:
    return state.platform


async def provide_session(state: State, request: Request) -> AsyncIterator[AsyncSession]:
    """The request's one transaction: committed when the handler returns, rolled back if it raises."""
    platform: Platform = state.platform
    async with platform.db.transaction(write=request.method not in SAFE_METHODS) as session:
        yield session


def provide_actor(request: Request) -> Actor:
    actor = request.scope["state"].get("actor")
    if actor is None:
        raise NotAuthenticated("log in first: this needs a session cookie or an `Authorization: Bearer` token")
    return actor


def provide_optional_actor(request: Request) -> Actor | None:
    return request.scope["state"].get("actor")


# Annotations for handler parameters: the parameter's name picks the dependency.
DbSession = NamedDependency[AsyncSession]
CurrentActor = NamedDependency[Actor]
PlatformDep = NamedDependency[Platform]
OptionalActor = NamedDependency[Actor | None]
