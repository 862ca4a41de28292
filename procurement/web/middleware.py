"""The per-request context: request id, access log, language, and who is acting.

``RequestContextMiddleware`` is a plain ASGI middleware, outermost, so that every log line
of the request (including an unhandled error's) carries its request id; ``ActorMiddleware``
runs per route, inside the exception handlers, because it reads the database.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
import uuid
from http.cookies import SimpleCookie
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from procurement.i18n import choose_language, language_var
from procurement.identity import sessions
from procurement.observability import request_id_var
from procurement.platform import Platform

log = logging.getLogger("procurement.access")

LANGUAGE_COOKIE = "lang"
CARE_COOKIE = "care"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _platform(scope: Scope) -> Platform:
    """The platform the app was bound to (``procurement.app.bind``)."""
    return scope["app"].state.platform  # type: ignore[no-any-return]


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookies(headers: dict[str, str]) -> dict[str, str]:
    jar = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # a malformed cookie header is the client's problem, not a 500
        return {}
    return {k: m.value for k, m in jar.items()}


def credentials(headers: dict[str, str], cookies: dict[str, str]) -> tuple[str, str] | None:
    """(token, how) from a bearer header or the session cookie; the header wins."""
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip(), "bearer"
    token = cookies.get(sessions.SESSION_COOKIE)
    return (token, "cookie") if token else None


class RequestContextMiddleware:
    """Outermost, around the router too: request id, language, care mode, access log.

    Nothing here touches the database, so nothing here can fail: whatever goes wrong later
    (resolving the login included, in ``ActorMiddleware``) still answers through the
    exception handlers, with the request id.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        cookies = _cookies(headers)
        offered = headers.get("x-request-id", "")
        request_id = offered if _REQUEST_ID.match(offered) else uuid.uuid4().hex
        rid_token = request_id_var.set(request_id)
        lang_token = language_var.set(choose_language(cookies.get(LANGUAGE_COOKIE), _platform(scope).settings.default_language))
        state: dict[str, Any] = scope.setdefault("state", {})
        state["care_mode"] = cookies.get(CARE_COOKIE) == "1"
        state["actor"] = None
        state["session_token"] = None
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            language_var.reset(lang_token)
            request_id_var.reset(rid_token)


class ActorMiddleware:
    """Per route, inside the exception handlers: who is acting (a database read)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = _headers(scope)
            found = credentials(headers, _cookies(headers))
            if found:
                token, how = found
                platform = _platform(scope)
                async with platform.db.transaction(write=False) as session:
                    actor = await sessions.resolve_token(session, platform, token)
                if actor is not None:
                    # CSRF goes by how the token came, not by how it was issued: whatever rides
                    # in the cookie is sent by the browser on its own, so it needs the CSRF token.
                    scope["state"]["actor"] = dataclasses.replace(actor, via=how)
                    scope["state"]["session_token"] = token
        await self.app(scope, receive, send)
