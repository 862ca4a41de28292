"""Errors as the API promises them: RFC 9457 problem details, no stack traces, request ids.

The 500s here are real ones: a table is taken away under the running app (renamed, and put
back afterwards so the shared PostgreSQL database stays whole), nothing of ours is mocked.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, text

from procurement.app import create_app
from procurement.audit.models import AuditEntry
from procurement.identity.models import Role
from procurement.platform import Platform
from procurement.settings import Settings
from tests.conftest import bearer

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "request_id"}
GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")
# What a leaked stack trace or driver message would contain.
LEAK_MARKERS = ("Traceback", 'File "', ".py", "site-packages", "/work/", "sqlalchemy", "sqlite", "asyncpg", "psycopg", "SELECT ")

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

VALID_REGISTRATION = {
    "uscc": "91350100M000100Y43",
    "organisation_name": "海南错误测试有限公司",
    "username": "error-tester",
    "display_name": "赵六",
    "password": "Good-password-9",
}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers.get("content-type", "").startswith("application/problem+json"), dict(response.headers)
    body = response.json()
    assert PROBLEM_KEYS <= body.keys(), body
    assert body["status"] == status
    assert body["type"].startswith("https://") and body["title"] and body["detail"]
    for marker in LEAK_MARKERS:
        assert marker not in response.text, f"{marker!r} leaked into a {status} answer: {response.text}"
    return body


@asynccontextmanager
async def table_missing(platform: Platform, table: str) -> AsyncIterator[None]:
    """The table is gone while inside: every query on it fails in the database driver."""
    async with platform.db.transaction() as session:
        await session.execute(text(f'ALTER TABLE "{table}" RENAME TO "{table}_away"'))
    try:
        yield
    finally:
        async with platform.db.transaction() as session:
            await session.execute(text(f'ALTER TABLE "{table}_away" RENAME TO "{table}"'))


# --- Validation ------------------------------------------------------------------------------


async def test_invalid_input_is_a_problem_with_field_paths(client) -> None:
    response = await client.post("/api/auth/register-supplier", json={**VALID_REGISTRATION, "uscc": "91350100M000100Y44"})
    body = assert_problem(response, 422)
    assert body["type"].endswith("/invalid-input")
    assert body["title"] == "Invalid input"
    assert body["instance"] == "/api/auth/register-supplier"
    assert body["errors"] == [{"field": "body.uscc", "message": "the check character is wrong (GB 32100-2015): expected 3, found 4"}]
    assert "body.uscc" in body["detail"]

    incomplete = await client.post("/api/auth/register-supplier", json={"uscc": VALID_REGISTRATION["uscc"], "extra": 1})
    fields = {e["field"] for e in assert_problem(incomplete, 422)["errors"]}
    assert fields == {"body.organisation_name", "body.username", "body.display_name", "body.password", "body.extra"}

    wrong_shape = await client.post("/api/auth/register-supplier", json=[VALID_REGISTRATION])
    assert [e["field"] for e in assert_problem(wrong_shape, 422)["errors"]] == ["body"]


async def test_a_rule_broken_in_the_service_names_its_field_too(client, users) -> None:
    user = await users.make(Role.agency)
    headers = await bearer(client, user)
    weak = await client.post("/api/me/password", headers=headers, json={"current_password": user.password, "new_password": "short"})
    body = assert_problem(weak, 422)
    assert body["errors"] == [{"field": "body.new_password", "message": "must be at least 10 characters"}]


@sqlite_only
async def test_query_parameter_errors_name_the_parameter(client, users) -> None:
    headers = await bearer(client, await users.make(Role.supervisor))
    response = await client.get("/api/audit/entries", headers=headers, params={"limit": 0, "since": "yesterday"})
    body = assert_problem(response, 422)
    assert {e["field"] for e in body["errors"]} == {"query.limit", "query.since"}


@sqlite_only
async def test_malformed_json_is_a_400_problem(client) -> None:
    response = await client.post("/api/auth/register-supplier", content=b'{"uscc": ', headers={"content-type": "application/json"})
    body = assert_problem(response, 400)
    assert body["type"].endswith("/bad-request")


# --- Unknown routes and methods ----------------------------------------------------------------


@sqlite_only
async def test_an_unknown_route_is_a_404_problem(client) -> None:
    body = assert_problem(await client.get("/api/no/such/thing"), 404)
    assert body["instance"] == "/api/no/such/thing"
    assert_problem(await client.get("/api/audit/entries/not-a-number"), 404)
    assert_problem(await client.delete("/health"), 405)


@sqlite_only
async def test_an_unknown_page_is_an_error_page_for_a_browser(client) -> None:
    response = await client.get("/no-such-page", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Traceback" not in response.text


# --- Body size ---------------------------------------------------------------------------------


class _Upload:
    """An ASGI request body that counts what the app pulls from it."""

    def __init__(self, total: int, chunk: int = 4096) -> None:
        self.remaining = total
        self.chunk = chunk
        self.pulled = 0

    async def receive(self) -> dict[str, Any]:
        size = min(self.chunk, self.remaining)
        self.remaining -= size
        self.pulled += size
        return {"type": "http.request", "body": b"x" * size, "more_body": self.remaining > 0}


async def _raw_post(app: Litestar, path: str, upload: _Upload, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80),
    }
    await app(scope, upload.receive, send)  # type: ignore[arg-type]
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


@sqlite_only
async def test_a_body_over_the_limit_is_refused_before_it_is_read(settings: Settings, clock) -> None:
    limit = 1024
    app = create_app(settings.with_overrides(max_body_bytes=limit), clock=clock, run_scheduler=False)
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as client:
        padded = {**VALID_REGISTRATION, "address": "海" * 400}  # ~1.2 KB of UTF-8 in one field
        too_big = await client.post("/api/auth/register-supplier", json=padded)
        body = assert_problem(too_big, 413)
        assert body["type"].endswith("/request-body-too-large")
        assert too_big.headers["x-request-id"]
        # A form page has the same limit.
        form = await client.post("/register", data={**VALID_REGISTRATION, "address": "x" * 2 * limit})
        assert form.status_code == 413
        # Under the limit the same route works: the limit is what refused it.
        assert (await client.post("/api/auth/register-supplier", json=VALID_REGISTRATION)).status_code == 201

        # Announced too large: refused on the header, without pulling a byte of the body.
        announced = _Upload(10 * 1024 * 1024)
        status, headers, raw = await _raw_post(
            app, "/api/auth/register-supplier", announced,
            {"content-type": "application/json", "content-length": str(10 * 1024 * 1024), "host": "127.0.0.1"},
        )
        assert status == 413, raw
        assert announced.pulled == 0
        assert headers["content-type"].startswith("application/problem+json")
        # Not announced (chunked): refused as soon as the limit is passed, not after the whole upload.
        streamed = _Upload(10 * 1024 * 1024, chunk=512)
        status, _, raw = await _raw_post(
            app, "/api/auth/register-supplier", streamed, {"content-type": "application/json", "host": "127.0.0.1"}
        )
        assert status == 413, raw
        assert streamed.pulled <= limit + streamed.chunk


# --- Unexpected errors ---------------------------------------------------------------------------


async def test_an_unexpected_error_is_a_500_with_a_request_id_and_no_stack_trace(client, users, platform, caplog) -> None:
    supervisor = await bearer(client, await users.make(Role.supervisor))
    async with table_missing(platform, "audit_checkpoint"):
        response = await client.get("/api/audit/checkpoints/latest")
        page = await client.get("/audit", headers={**supervisor, "accept": "text/html"})
    body = assert_problem(response, 500)
    assert body["type"].endswith("/internal-error")
    request_id = response.headers["x-request-id"]
    assert body["request_id"] == request_id
    assert request_id in body["detail"], "the message tells the user which id to quote"
    assert "audit_checkpoint" not in response.text

    assert page.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["x-request-id"] in page.text
    for marker in LEAK_MARKERS:
        assert marker not in page.text, marker

    # The operator gets what the client does not: the traceback, under the same request id.
    logged = [r for r in caplog.records if r.name == "procurement.errors" and r.exc_info]
    assert [getattr(r, "request_id", None) for r in logged] == [request_id, page.headers["x-request-id"]]

    # The app recovers when the database does.
    assert (await client.get("/api/audit/checkpoints/latest")).status_code == 404


async def test_a_failed_write_leaves_nothing_behind(client, platform) -> None:
    async with table_missing(platform, "audit_entry"):
        response = await client.post("/api/auth/register-supplier", json=VALID_REGISTRATION)
    assert_problem(response, 500)
    # The organisation and user rows went with the failed audit append: one transaction.
    assert (await client.post("/api/auth/login", json={"username": "error-tester", "password": "Good-password-9"})).status_code == 401
    assert (await client.post("/api/auth/register-supplier", json=VALID_REGISTRATION)).status_code == 201
    async with platform.db.transaction(write=False) as session:
        count = (await session.execute(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "identity.supplier_registered"))).scalar_one()
    assert count == 1


async def test_a_failure_while_resolving_the_login_is_still_a_problem_with_a_request_id(app, users, platform) -> None:
    # Answers as a real server would, instead of raising what escapes the app into the test.
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1", raise_server_exceptions=False) as as_a_server_would:
        headers = await bearer(as_a_server_would, await users.make(Role.purchaser))
        async with table_missing(platform, "user_role"):
            response = await as_a_server_would.get("/api/me", headers=headers)
    body = assert_problem(response, 500)
    assert response.headers.get("x-request-id") == body["request_id"]


# --- Request ids -----------------------------------------------------------------------------------


@sqlite_only
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/health", 200),
        ("GET", "/api/me", 401),
        ("POST", "/api/auth/register-supplier", 422),
        ("GET", "/static/site.css", 200),
        ("GET", "/schema/openapi.json", 200),
        ("GET", "/api/no/such/thing", 404),
        ("DELETE", "/health", 405),
    ],
)
async def test_every_response_carries_a_request_id(client, method: str, path: str, status: int) -> None:
    response = await client.request(method, path, json={} if method == "POST" else None)
    assert response.status_code == status
    assert GENERATED_ID.match(response.headers.get("x-request-id", "")), response.headers
    if response.headers["content-type"].startswith("application/problem+json"):
        assert response.json()["request_id"] == response.headers["x-request-id"]


@sqlite_only
async def test_a_well_formed_client_request_id_is_echoed_and_recorded(client, platform) -> None:
    offered = "lb-7f3a.2_Z"
    ok = await client.get("/health", headers={"X-Request-ID": offered})
    assert ok.headers["x-request-id"] == offered
    problem = await client.post("/api/auth/register-supplier", json={}, headers={"X-Request-ID": offered})
    assert problem.headers["x-request-id"] == offered
    assert problem.json()["request_id"] == offered

    created = await client.post("/api/auth/register-supplier", json=VALID_REGISTRATION, headers={"X-Request-ID": "trace-42"})
    assert created.status_code == 201
    async with platform.db.transaction(write=False) as session:
        recorded = (
            await session.execute(select(AuditEntry.request_id).where(AuditEntry.action == "identity.supplier_registered"))
        ).scalar_one()
    assert recorded == "trace-42", "the audit entry names the request that made the change"


@sqlite_only
@pytest.mark.parametrize("offered", ["has space", "x" * 65, "semi;colon", "a/b", "<script>", "多字节", ""])
async def test_a_malformed_client_request_id_is_replaced(client, offered: str) -> None:
    response = await client.get("/health", headers={"X-Request-ID": offered.encode()})
    assert GENERATED_ID.match(response.headers["x-request-id"])
