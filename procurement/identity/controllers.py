"""Identity API: login and tokens, the current user, users, organisations, public keys."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.params import PathParameter, QueryParameter

from procurement.errors import DomainError
from procurement.identity import public_keys, schemas, service, sessions
from procurement.identity.models import Organisation, Role, User, UserPublicKey
from procurement.web.deps import MAX_ID, CurrentActor, DbSession, PlatformDep
from procurement.web.guards import requires_login, requires_roles


def _org(org: Organisation) -> schemas.OrganisationPublic:
    return schemas.OrganisationPublic(id=org.id, uscc=org.uscc, name=org.name, kind=org.kind, region=org.region, active=org.active)  # type: ignore[arg-type]


def _key(key: UserPublicKey) -> schemas.PublicKeyPublic:
    return schemas.PublicKeyPublic.model_validate(key, from_attributes=True)


class AuthController(Controller):
    path = "/api/auth"
    tags = ["Identity"]

    @post(
        "/login",
        summary="Log in and receive a bearer token",
        description=(
            "Repeated failures slow the account down (each attempt must wait, doubling) and then lock it for a while; "
            "the lock is audited. Answers 401 for a wrong name or password, 429 with Retry-After while slowed, 423 while locked."
        ),
        status_code=200,
    )
    async def login(self, data: schemas.LoginRequest, session: DbSession, platform: PlatformDep) -> schemas.TokenResponse:
        try:
            result = await sessions.login(session, platform, data, kind="bearer")
        except DomainError:
            await session.commit()  # keep the failure count and any lock
            raise
        return schemas.TokenResponse(
            token=result.token, expires_at=result.session.expires_at, user=await service.user_public(session, result.user)
        )

    @post("/logout", summary="Revoke the token or session used for this request", guards=[requires_login], status_code=204)
    async def logout(self, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> None:
        await sessions.logout(session, platform, actor)

    @post(
        "/register-supplier",
        summary="Register a supplier organisation and its first administrator",
        description="The unified social credit code is checked (GB 32100-2015 check character). No login needed.",
        status_code=201,
    )
    async def register_supplier(self, data: schemas.SupplierRegistration, session: DbSession, platform: PlatformDep) -> schemas.UserPublic:
        _, user = await service.register_supplier(session, platform, data)
        return await service.user_public(session, user)


class MeController(Controller):
    path = "/api/me"
    tags = ["Identity"]
    guards = [requires_login]

    @get(summary="The logged-in user, with roles")
    async def me(self, session: DbSession, actor: CurrentActor) -> schemas.UserPublic:
        user = await session.get(User, actor.user_id)
        return await service.user_public(session, user)  # type: ignore[arg-type]

    @post("/password", summary="Change your password (ends your other sessions)", status_code=204)
    async def change_password(self, data: schemas.PasswordChange, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> None:
        await service.change_password(session, platform, actor, data)

    @get("/keys", summary="Your registered public keys")
    async def keys(self, session: DbSession, actor: CurrentActor) -> list[schemas.PublicKeyPublic]:
        return [_key(k) for k in await public_keys.list_public_keys(session, actor)]

    @post(
        "/keys",
        summary="Register a public key (X25519 to receive sealed-bid keys, Ed25519 to sign)",
        description="Only the public half: the private key stays on your machine or in your browser.",
        status_code=201,
    )
    async def add_key(self, data: schemas.PublicKeyCreate, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> schemas.PublicKeyPublic:
        return _key(await public_keys.register_public_key(session, platform, actor, data))

    @delete("/keys/{key_id:int}", summary="Revoke one of your public keys", status_code=200)
    async def revoke_key(
        self, session: DbSession, platform: PlatformDep, actor: CurrentActor, key_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)]
    ) -> schemas.PublicKeyPublic:
        return _key(await public_keys.revoke_public_key(session, platform, actor, key_id))


class OrganisationController(Controller):
    path = "/api/organisations"
    tags = ["Identity"]

    @get(summary="Organisations registered on the platform", guards=[requires_login])
    async def list_organisations(
        self, session: DbSession, kind: Annotated[str | None, QueryParameter(description="purchaser, agency, supplier, ...")] = None
    ) -> list[schemas.OrganisationPublic]:
        return [_org(o) for o in await service.list_organisations(session, kind)]

    @post(
        summary="Register an organisation (trading-centre administrators)",
        guards=[requires_roles(Role.admin)],
        status_code=201,
    )
    async def create_organisation(
        self, data: schemas.OrganisationCreate, session: DbSession, platform: PlatformDep, actor: CurrentActor
    ) -> schemas.OrganisationPublic:
        return _org(await service.create_organisation(session, platform, actor, data))


class UserController(Controller):
    path = "/api/users"
    tags = ["Identity"]
    guards = [requires_roles(Role.admin)]

    @get(summary="Users of your organisation (all users, for the trading centre's administrators)")
    async def list_users(self, session: DbSession, actor: CurrentActor) -> list[schemas.UserPublic]:
        return [await service.user_public(session, u) for u in await service.list_users(session, actor)]

    @post(summary="Create a user in your organisation", status_code=201)
    async def create_user(self, data: schemas.UserCreate, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> schemas.UserPublic:
        return await service.user_public(session, await service.create_user(session, platform, actor, data))

    @patch("/{user_id:int}", summary="Activate, deactivate, or change the roles of a user")
    async def update_user(
        self, data: schemas.UserUpdate, session: DbSession, platform: PlatformDep, actor: CurrentActor,
        user_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
    ) -> schemas.UserPublic:
        return await service.user_public(session, await service.update_user(session, platform, actor, user_id, data))
