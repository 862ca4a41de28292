"""schemathesis over the whole OpenAPI: no 5xx, and every answer matches what the schema says.

Runs against the ASGI app in-process (schemathesis starts its lifespan), logged in, so the
guarded operations are reached too: as a supervisor for every operation a supervisor may
call (by the access table), and as a trading-centre admin for the rest. Each operation gets
up to MAX_EXAMPLES positive and as many negative examples (form pages: positive only, see
``_modes``); failures from every operation are collected and reported together, each with
the request that reproduces it. About 25 s on SQLite.

Each bug schemathesis found has a deterministic regression test below.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.python import asgi

from procurement.app import create_app
from procurement.audit import service as audit
from procurement.clock import FrozenClock
from procurement.identity.models import Role
from procurement.platform import Platform
from procurement.settings import Settings
from tests.conftest import Users, bearer
from tests.web.access_table import ACCESS, may

MAX_EXAMPLES = 20
CHECKS = [schemathesis.checks.not_a_server_error, schemathesis.checks.response_schema_conformance]
# Operations that end the session they are called with: the token is renewed after them.
ENDS_SESSION = {"POST /api/auth/logout", "POST /logout"}
FORM = "application/x-www-form-urlencoded"

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@dataclass
class Credentials:
    username: str
    password: str
    token: str = ""

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def _seed(settings: Settings, clock: FrozenClock) -> dict[str, Credentials]:
    """A few organisations and users, some audit entries and a signed checkpoint."""
    platform = Platform.build(settings, clock=clock)
    try:
        users = Users(platform)
        made = {
            "supervisor": await users.make(Role.supervisor),
            "admin": await users.make(Role.admin, Role.operator),
        }
        await users.make(Role.supplier, Role.admin)
        await users.make(Role.purchaser)
        async with platform.db.transaction() as session:
            await audit.sign_checkpoint(session, platform.clock, platform.keys)
        return {name: Credentials(u.username, u.password) for name, u in made.items()}
    finally:
        await platform.close()


def _log_in(client: asgi.ASGIClient, credentials: Credentials) -> None:
    response = client.post("/api/auth/login", json={"username": credentials.username, "password": credentials.password})
    assert response.status_code == 200, response.text
    credentials.token = response.json()["token"]


def _modes(operation: schemathesis.APIOperation) -> list[GenerationMode]:
    # Negative examples of a form body are mostly values a form cannot carry (nested objects,
    # arrays): schemathesis filters nearly all of them away, at seconds per operation, and
    # the few it sends are what the positive examples already cover.
    if any(body.media_type == FORM for body in operation.body):
        return [GenerationMode.POSITIVE]
    return [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]


ROLES = {"supervisor": frozenset({Role.supervisor}), "admin": frozenset({Role.admin, Role.operator})}


def _fuzzed_as(label: str) -> str:
    """Who fuzzes the operation: the supervisor where a supervisor may call it, else the admin."""
    method, path = label.split(" ", 1)
    rule = ACCESS.get((method, path))
    if rule is None or may(rule, ROLES["supervisor"]):
        return "supervisor"  # a route missing from the table is the authorisation walk's failure
    return "admin"


def _fuzz(operation: schemathesis.APIOperation, mode: GenerationMode, client: asgi.ASGIClient, credentials: Credentials) -> None:
    """Run schemathesis' examples of one operation; raises what the checks find."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def exercise(case: schemathesis.Case) -> None:
        response = case.call(headers=credentials.headers())
        if operation.label in ENDS_SESSION and response.status_code < 400:
            _log_in(client, credentials)
        case.validate_response(response, checks=CHECKS, headers=credentials.headers())

    exercise()


@sqlite_only
@pytest.mark.slow
@pytest.mark.parametrize("acting_as", ["supervisor", "admin"])
def test_every_operation_answers_within_its_schema(settings: Settings, clock: FrozenClock, acting_as: str) -> None:
    credentials = asyncio.run(_seed(settings, clock))[acting_as]
    app = create_app(settings, clock=clock, run_scheduler=False)
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    failures: list[str] = []
    operations = 0
    try:
        with asgi.get_client(app) as client:
            _log_in(client, credentials)
            for result in schema.get_all_operations():
                operation = result.ok()
                if _fuzzed_as(operation.label) != acting_as:
                    continue
                operations += 1
                for mode in _modes(operation):
                    try:
                        _fuzz(operation, mode, client, credentials)
                    except Unsatisfiable:
                        pass  # nothing to negate: the operation takes no input
                    except (Exception, FailureGroup) as exc:  # noqa: BLE001 - collected: one report names every failing operation
                        failures.append(f"--- {operation.label} ({mode.value} examples) ---\n{exc}")
    finally:
        asgi.shutdown_lifespans()  # closes the app's database pool before the test's files go
    assert operations >= 5, f"only {operations} operations fuzzed as {acting_as}"
    assert not failures, (
        f"schemathesis found {len(failures)} failing operation(s) as {acting_as}:\n\n" + "\n\n".join(failures)
    )


# --- Regressions: the bugs it found, one deterministic test each ---------------------------------------------------

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


@pytest.mark.parametrize(
    ("method", "template", "who"),
    [
        ("DELETE", "/api/me/keys/{n}", "admin"),
        ("PATCH", "/api/users/{n}", "admin"),
        ("POST", "/api/users", "admin"),
        ("GET", "/api/audit/entries/{n}", "supervisor"),
        ("GET", "/api/audit/entries?actor_id={n}", "supervisor"),
        ("GET", "/api/audit/entries?organisation_id={n}", "supervisor"),
        ("GET", "/api/audit/entries?before_seq={n}", "supervisor"),
        ("GET", "/audit?before_seq={n}", "supervisor"),
        ("GET", "/api/audit/proofs/inclusion?seq=1&tree_size={n}", "supervisor"),
        ("GET", "/api/audit/proofs/consistency?old_size={n}&new_size={n}", "supervisor"),
    ],
)
async def test_an_id_out_of_range_is_refused_not_a_500(client, users, method: str, template: str, who: str) -> None:
    roles = {"admin": (Role.admin, Role.operator), "supervisor": (Role.supervisor,)}[who]
    headers = await bearer(client, await users.make(*roles))
    for n in (INT32_MAX + 1, INT64_MAX + 1):
        body = {"active": True} if method == "PATCH" else None
        if method == "POST":
            body = {"organisation_id": n, "username": "far-away", "display_name": "远", "password": "Far-away-pass-1", "roles": ["operator"]}
        response = await client.request(method, template.format(n=n), headers=headers, json=body)
        assert response.status_code < 500, f"{n}: {response.status_code} {response.text[:200]}"
        if n > INT64_MAX:
            assert response.status_code in (404, 422), f"{n}: {response.status_code} {response.text[:200]}"


@pytest.mark.parametrize(
    "database_url",
    ["sqlite", "postgres"],
    indirect=True,
)
async def test_times_in_the_api_carry_their_offset(client, users, platform) -> None:
    supervisor = await users.make(Role.supervisor)
    headers = await bearer(client, supervisor)
    key = await client.post("/api/me/keys", headers=headers, json={"algorithm": "x25519", "public_key": "JGmP8cE3gfrwUSdtz+zKfWz3zUjxAq4I9vfdmF5yS2U="})
    assert key.status_code == 201, key.text
    async with platform.db.transaction() as session:
        await audit.sign_checkpoint(session, platform.clock, platform.keys)
    times = [
        (await client.get("/api/audit/checkpoints/latest")).json()["signed_at"],
        (await client.get("/api/audit/entries/1", headers=headers)).json()["recorded_at"],
        (await client.get("/api/me/keys", headers=headers)).json()[0]["created_at"],
    ]
    offset = re.compile(r"(Z|[+-]\d\d:\d\d)$")
    assert all(offset.search(t) for t in times), times


@sqlite_only
async def test_the_form_pages_answer_a_mistake_with_an_html_page(client) -> None:
    for path, form in (("/login", {"username": "nobody-here", "password": "Wrong-password-1"}), ("/register", {"uscc": "x"})):
        again = await client.post(path, data=form)
        assert again.status_code == 400
        assert again.headers["content-type"].startswith("text/html"), (path, again.headers["content-type"])


@sqlite_only
async def test_the_form_pages_document_their_html_answer(client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    for path in ("/login", "/register", "/account/password"):
        documented = document["paths"][path]["post"]["responses"]["400"]["content"]
        assert list(documented) == ["text/html"], (path, documented)
