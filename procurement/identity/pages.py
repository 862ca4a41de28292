"""Identity pages: log in and out, register a supplier, the account page, users."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.enums import MediaType, RequestEncodingType
from litestar.openapi import ResponseSpec
from litestar.params import Body
from litestar.response import Redirect, Template
from pydantic import ValidationError

from procurement.errors import DomainError
from procurement.identity import public_keys, schemas, service, sessions
from procurement.identity.models import Role, User
from procurement.web.deps import CurrentActor, DbSession, PlatformDep
from procurement.web.guards import requires_login, requires_roles
from procurement.web.pages import form_errors, page, safe_next

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
# A form page answers a mistake with the form again (HTML, 400): say so in the OpenAPI.
FORM_AGAIN = {400: ResponseSpec(data_container=str, media_type=MediaType.HTML, description="The form again, saying what to correct")}


def _form_values(form: dict[str, Any], *names: str) -> dict[str, str]:
    return {n: str(form.get(n, "")).strip() for n in names}


class LoginPages(Controller):
    tags = ["Pages"]

    @get("/login", summary="Login page")
    async def login_form(self, request: Request, next: str | None = None) -> Template:
        return page(request, "login.html", next=safe_next(next), errors=[], username="")

    @post("/login", summary="Log in from the page (sets the session cookie)", status_code=303, responses=FORM_AGAIN)
    async def login(self, request: Request, data: Form, session: DbSession, platform: PlatformDep) -> Any:
        values = _form_values(data, "username", "next")
        try:
            result = await sessions.login(
                session, platform, schemas.LoginRequest(username=values["username"], password=str(data.get("password", ""))), kind="cookie"
            )
        except (DomainError, ValidationError) as exc:
            await session.commit()  # keep the failure count and any lock
            return page(request, "login.html", status_code=400, next=safe_next(values["next"]), errors=form_errors(exc), username=values["username"])
        response = Redirect(safe_next(values["next"]), status_code=303)
        response.cookies.append(
            Cookie(
                key=sessions.SESSION_COOKIE,
                value=result.token,
                httponly=True,
                secure=platform.settings.base_url.startswith("https://"),
                samesite="lax",
                max_age=platform.settings.session_hours * 3600,
            )
        )
        return response

    @post("/logout", summary="Log out (ends the session)", guards=[requires_login], status_code=303)
    async def logout(self, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> Redirect:
        await sessions.logout(session, platform, actor)
        response = Redirect("/", status_code=303)
        response.cookies.append(Cookie(key=sessions.SESSION_COOKIE, value="", max_age=0, httponly=True, samesite="lax"))
        return response


REGISTRATION_FIELDS = ("uscc", "organisation_name", "region", "address", "username", "display_name", "email")


class RegistrationPages(Controller):
    tags = ["Pages"]

    @get("/register", summary="Supplier registration page")
    async def form(self, request: Request) -> Template:
        return page(request, "register.html", values={}, errors=[])

    @post("/register", summary="Register a supplier from the page", status_code=303, responses=FORM_AGAIN)
    async def register(self, request: Request, data: Form, session: DbSession, platform: PlatformDep) -> Any:
        values = _form_values(data, *REGISTRATION_FIELDS)
        try:
            registration = schemas.SupplierRegistration(**values, password=str(data.get("password", "")))
            await service.register_supplier(session, platform, registration)
        except (DomainError, ValidationError) as exc:
            await session.rollback()
            return page(request, "register.html", status_code=400, values=values, errors=form_errors(exc))
        return Redirect("/login?registered=1", status_code=303)


class AccountPages(Controller):
    tags = ["Pages"]
    guards = [requires_login]

    @get("/account", summary="My account: password and public keys")
    async def account(self, request: Request, session: DbSession, actor: CurrentActor) -> Template:
        return await self._render(request, session, actor)

    async def _render(self, request: Request, session: DbSession, actor: CurrentActor, *, status: int = 200, errors: list[tuple[str, str]] | None = None, done: bool = False) -> Template:
        user = await session.get(User, actor.user_id)
        keys = await public_keys.list_public_keys(session, actor)
        return page(
            request, "account.html", status_code=status, user=user, roles=sorted(actor.roles), keys=keys, errors=errors or [], done=done
        )

    @post("/account/password", summary="Change the password from the page", status_code=200, responses=FORM_AGAIN)
    async def change_password(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> Template:
        try:
            change = schemas.PasswordChange(
                current_password=str(data.get("current_password", "")), new_password=str(data.get("new_password", ""))
            )
            await service.change_password(session, platform, actor, change)
        except (DomainError, ValidationError) as exc:
            await session.rollback()
            return await self._render(request, session, actor, status=400, errors=form_errors(exc))
        return await self._render(request, session, actor, done=True)


class UserPages(Controller):
    tags = ["Pages"]
    guards = [requires_roles(Role.admin)]

    @get("/users", summary="Users of my organisation")
    async def users(self, request: Request, session: DbSession, actor: CurrentActor) -> Template:
        users = [await service.user_public(session, u) for u in await service.list_users(session, actor)]
        return page(request, "users.html", users=users)


