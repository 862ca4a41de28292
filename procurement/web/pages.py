"""Shared page plumbing: the context every template gets, and the preference switches."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Controller, Request, get
from litestar.datastructures import Cookie
from litestar.enums import MediaType
from litestar.response import Redirect, Template
from pydantic import ValidationError

from procurement.errors import DomainError
from procurement.i18n import SUPPORTED, gettext
from procurement.identity.models import Role
from procurement.identity.sessions import csrf_token_for
from procurement.web.deps import DbSession
from procurement.web.middleware import CARE_COOKIE, LANGUAGE_COOKIE

ONE_YEAR = 365 * 24 * 3600

# (path, message id, roles that see it; empty = everyone)
NAVIGATION: list[tuple[str, str, frozenset[str]]] = [
    ("/", "Home", frozenset()),
    ("/tenders", "Tenders", frozenset()),
    ("/credit", "Credit blacklist", frozenset()),
    ("/statistics", "Statistics", frozenset()),
    ("/mall", "Online mall", frozenset()),
    ("/mall/orders", "Mall orders", frozenset({Role.purchaser, Role.supplier})),
    ("/manage/tenders", "My tenders", frozenset({Role.purchaser, Role.agency})),
    ("/review-queue", "Entry review", frozenset({Role.operator, Role.supervisor})),
    ("/experts", "Expert pool", frozenset({Role.operator})),
    ("/experts/me/invitations", "My invitations", frozenset({Role.expert})),
    ("/experts/me", "My expert profile", frozenset({Role.expert})),
    ("/supervision", "Supervision", frozenset({Role.supervisor})),
    ("/audit", "Audit log", frozenset({Role.supervisor})),
    ("/users", "Users", frozenset({Role.admin})),
    ("/account", "My account", frozenset({"*"})),
]


def safe_next(target: str | None) -> str:
    """Only same-site paths: a crafted link must not bounce a user to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return "/"
    return target


def page(request: Request, template: str, *, status_code: int = 200, **context: Any) -> Template:
    state = request.scope["state"]
    actor = state.get("actor")
    token = state.get("session_token")
    roles = actor.roles if actor else frozenset()
    nav = [
        (path, label)
        for path, label, needs in NAVIGATION
        if not needs or (actor and ("*" in needs or roles & needs))
    ]
    return Template(
        template,
        context={
            "actor": actor,
            "nav": nav,
            "current_path": request.url.path,
            "current_url": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            "care_mode": state.get("care_mode", False),
            "csrf_token": csrf_token_for(request.app.state.platform, token) if token else "",
            "platform_name": "公共资源交易平台",
            **context,
        },
        status_code=status_code,
        # Explicit: a Template returned from a POST handler would otherwise be sent as JSON.
        media_type=MediaType.HTML,
    )


class PreferencePages(Controller):
    tags = ["Pages"]

    @get("/lang/{code:str}", summary="Switch the language and go back")
    async def switch_language(self, code: str, next: str | None = None) -> Redirect:
        response = Redirect(safe_next(next))
        if code in SUPPORTED:
            response.cookies.append(Cookie(key=LANGUAGE_COOKIE, value=code, max_age=ONE_YEAR, samesite="lax", httponly=True))
        return response

    @get("/care/{mode:str}", summary="Turn the large-text care mode (关怀版) on or off")
    async def switch_care(self, mode: str, next: str | None = None) -> Redirect:
        response = Redirect(safe_next(next))
        response.cookies.append(
            Cookie(key=CARE_COOKIE, value="1" if mode == "on" else "0", max_age=ONE_YEAR, samesite="lax", httponly=True)
        )
        return response


class HomePage(Controller):
    tags = ["Pages"]

    @get("/", summary="Home")
    async def home(self, request: Request, session: DbSession) -> Template:
        # Imported here: the tender pages build on this module.
        from procurement.tenders.pages import latest

        return page(request, "home.html", latest_tenders=await latest(session))


def form_errors(exc: DomainError | ValidationError) -> list[tuple[str, str]]:
    """A refusal as the error summary shows it: (the form field's name, the message in the page's language)."""
    if isinstance(exc, ValidationError):
        return [(str(e["loc"][-1]) if e["loc"] else "", gettext(str(e["msg"]).removeprefix("Value error, "))) for e in exc.errors()]
    if exc.errors:
        return [(e.field.split(".")[-1], e.shown(gettext)) for e in exc.errors]
    return [("", gettext(exc.template, **exc.params))]


def form_text(data: dict[str, Any], name: str) -> str:
    """One text field of a posted form, trimmed; a field sent twice counts by its last value."""
    value = data.get(name, "")
    return str(value[-1] if isinstance(value, list) else value).strip()
