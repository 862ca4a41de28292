"""Errors as RFC 9457 problem details for the API, and as a page for people.

Nothing of a stack trace ever reaches a client: an unexpected error is logged with the
request id, and the client gets a 500 that quotes the id so support can find the log line.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from procurement.errors import DomainError, FieldError, TooManyAttempts
from procurement.i18n import N_, gettext
from procurement.observability import request_id_var
from procurement.web.pages import page

log = logging.getLogger("procurement.errors")

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://procurement.invalid/problems/"

_HTTP_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def wants_html(request: Request) -> bool:
    if request.url.path.startswith(("/api/", "/schema", "/health", "/ready", "/metrics")):
        return False
    return "text/html" in request.headers.get("accept", "")


def _field_errors_from_validation(exc: ValidationException) -> list[FieldError]:
    errors: list[FieldError] = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if not isinstance(item, dict):
            continue
        source = item.get("source") or "body"
        source = getattr(source, "value", source)  # litestar's ParamType.QUERY -> "query"
        key = item.get("key") or ""
        message = str(item.get("message", "invalid"))
        message = message.removeprefix("Value error, ")
        errors.append(FieldError(f"{source}.{key}" if key else str(source), message))
    return errors


def problem(
    request: Request,
    status: int,
    *,
    slug: str,
    title: str,
    detail: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    template: str | None = None,
    params: dict[str, object] | None = None,
) -> Response[Any]:
    if wants_html(request):
        if status == 401:
            return Redirect(f"/login?next={quote(request.url.path)}", status_code=303)
        shown = gettext(template, **(params or {})) if template else gettext(detail)
        response = page(
            request,
            "error.html",
            status_code=status,
            status=status,
            title=gettext(title),
            detail=shown,
            errors=[(e.field, e.shown(gettext)) for e in errors or []],
            request_id=request_id_var.get(),
        )
        if headers:
            response.headers.update(headers)
        return response
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": request_id_var.get(),
    }
    if errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def domain_error_handler(request: Request, exc: DomainError) -> Response[Any]:
    headers = {"Retry-After": str(exc.retry_after_seconds)} if isinstance(exc, TooManyAttempts) else None
    return problem(
        request, exc.status, slug=exc.slug, title=exc.title, detail=exc.detail, errors=exc.errors, headers=headers,
        template=exc.template, params=exc.params,
    )


def validation_handler(request: Request, exc: ValidationException) -> Response[Any]:
    errors = _field_errors_from_validation(exc)
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors) or str(exc.detail)
    return problem(request, 422, slug="invalid-input", title="Invalid input", detail=detail, errors=errors)


def http_error_handler(request: Request, exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    title = _HTTP_TITLES.get(status, "Error")
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail else title
    if status >= 500:
        log.error("HTTP %s: %s", status, detail)
        detail = title
    return problem(request, status, slug=title.lower().replace(" ", "-"), title=title, detail=detail, headers=exc.headers)


def unexpected_error_handler(request: Request, exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    template = N_("an unexpected error occurred; quote request id %(request_id)s when you report it")
    params = {"request_id": request_id_var.get()}
    return problem(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        slug="internal-error",
        title="Internal server error",
        detail=template % params,
        template=template,
        params=params,
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error_handler,
    ValidationException: validation_handler,
    HTTPException: http_error_handler,
    Exception: unexpected_error_handler,
}

