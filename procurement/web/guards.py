"""Coarse authorisation by role, on the route; services then scope by organisation.

Deny by default: a route without a guard is public, so every non-public controller sets
one, and the authorisation walk test holds each route to the written table.
"""

from __future__ import annotations

import hmac

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from procurement.actor import Actor
from procurement.errors import Forbidden, NotAuthenticated
from procurement.identity.models import Role
from procurement.identity.sessions import csrf_token_for
from procurement.web.deps import SAFE_METHODS

CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


def _actor(connection: ASGIConnection) -> Actor:
    actor = connection.scope["state"].get("actor")
    if actor is None:
        raise NotAuthenticated("log in first: this needs a session cookie or an `Authorization: Bearer` token")
    return actor


def requires_login(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    _actor(connection)


def requires_roles(*roles: Role):  # noqa: ANN201 - returns a guard
    allowed = frozenset(roles)

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        actor = _actor(connection)
        if not actor.roles & allowed:
            raise Forbidden("this needs one of the roles: %(roles)s", roles=", ".join(sorted(allowed)))

    guard.__name__ = "requires_" + "_or_".join(sorted(allowed))
    return guard


async def csrf_protect(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Unsafe requests authenticated by the session cookie must carry the session's CSRF token.

    Bearer-token requests need none: a browser never attaches that header by itself.
    """
    if connection.scope["method"] in SAFE_METHODS:
        return
    actor = connection.scope["state"].get("actor")
    if actor is None or actor.via != "cookie":
        return
    expected = csrf_token_for(connection.app.state.platform, connection.scope["state"]["session_token"])
    offered = connection.headers.get(CSRF_HEADER, "")
    if not offered:
        content_type = connection.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await connection.form()  # type: ignore[attr-defined]
            offered = str(form.get(CSRF_FIELD, ""))
    if not hmac.compare_digest(offered, expected):
        raise Forbidden("the form's security token is missing or stale: reload the page and try again")
