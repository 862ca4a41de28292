"""Authorisation: every route of the OpenAPI, with every role and with nobody logged in.

The walk holds each answer to the written table in ``access_table.py``; the other tests
check what the guards cannot see: the CSRF token on cookie sessions, and services that
scope by the acting user's organisation.
"""

from __future__ import annotations

import base64
import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from litestar import Litestar
from litestar.testing import AsyncTestClient

from procurement.audit import service as audit
from procurement.identity.models import Role
from procurement.identity.uscc import make_uscc
from procurement.platform import Platform
from tests.conftest import TEST_PASSWORD, Users, bearer
from tests.conftest import TestUser as UserUnderTest
from tests.tenders.tender_testlib import draft_body
from tests.web.access_table import ACCESS, OUTSIDE_OPENAPI, REQUESTS, may

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
ANONYMOUS = "anonymous"


def _template(path: str) -> str:
    """Litestar's ``/users/{user_id:int}`` as the OpenAPI writes it: ``/users/{user_id}``."""
    return re.sub(r"\{(\w+):[^}]+\}", r"{\1}", path)


async def _openapi_routes(client: AsyncTestClient) -> set[tuple[str, str]]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200, response.text
    return {
        (method.upper(), path)
        for path, item in response.json()["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def _app_routes(app: Litestar) -> set[tuple[str, str]]:
    """Every (method, path) the app answers, less the OPTIONS answers Litestar adds itself."""
    found = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                if method == "OPTIONS" and handler.handler_name == "options_handler":
                    continue
                found.add((method, _template(route.path)))
    return found


def _fresh_public_key() -> str:
    return base64.b64encode(X25519PrivateKey.generate().public_key().public_bytes_raw()).decode()


@dataclass
class World:
    """The data the walk needs: one user per role, their tokens, ids to put in paths."""

    client: AsyncTestClient
    people: dict[str, UserUnderTest]
    login_target: UserUnderTest  # whose credentials the login routes are given
    patch_target: UserUnderTest  # whose account PATCH /api/users/{user_id} touches
    key_ids: dict[str, int]
    checkpoint_size: int
    now: datetime
    passwords: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    serial: itertools.count = field(default_factory=lambda: itertools.count(1))

    async def headers(self, who: str) -> dict[str, str]:
        if who == ANONYMOUS:
            return {}
        if who not in self.tokens:
            user = self.people[who]
            password = self.passwords.get(who, user.password)
            response = await self.client.post("/api/auth/login", json={"username": user.username, "password": password})
            assert response.status_code == 200, f"{who} cannot log in: {response.text}"
            self.tokens[who] = response.json()["token"]
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def forget_session(self, who: str) -> None:
        self.tokens.pop(who, None)

    def next_password(self, who: str) -> tuple[str, str]:
        current = self.passwords.get(who, TEST_PASSWORD)
        new = f"Walk-pass-{next(self.serial)}"
        return current, new

    def password_changed(self, who: str, new: str) -> None:
        self.passwords[who] = new

    # --- what each route is sent ---------------------------------------------------------

    def request_for(self, method: str, template: str, who: str) -> dict[str, Any]:
        """A minimal, plausible request: the one a real client of this route would send."""
        n = next(self.serial)
        path_values = {
            "key_id": self.key_ids.get(who, 1),
            "user_id": self.patch_target.user_id,
            "seq": 1,
            "code": "zh",
            "mode": "on",
            # A tender that does not exist: the walk checks the guards; who may touch which
            # tender (the owner, the operators) is tested in tests/tenders.
            "tender_id": 999999,
            "notice_id": 999999,
            "document_id": 999999,
            "version": 1,
            "version_id": 999999,
            "lot_number": 1,
            "upload_id": "0" * 32,
            "bid_id": 999999,
            "response_id": 999999,
            "security_id": 999999,
            "objection_id": 999999,
            "letter_id": 999999,
            "alert_id": 999999,
            "expert_id": 999999,
            "draw_id": 999999,
            "invitation_id": 999999,
            "token": "0" * 43,  # no invitation has it
            "evaluation_id": 999999,
            "entry_id": 999999,  # a blacklist entry that does not exist
            "product_id": 999999, "category_id": 999999, "application_id": 999999, "review_id": 999999, "sanction_id": 999999, "file_id": 999999,  # mall
            "order_id": 999999, "competition_id": 999999, "return_id": 999999,  # mall orders
            "number": 1,
            "day": "2030-10-01",
        }
        path = template.format(**{k: v for k, v in path_values.items() if "{" + k + "}" in template})
        login = {"username": self.login_target.username, "password": self.login_target.password}
        registration = {
            "uscc": make_uscc(f"91460100RG{n:07d}"),
            "organisation_name": f"走查供应商{n}",
            "username": f"walk-supplier-{n}",
            "display_name": "走查",
            "password": "Walk-supplier-1",
        }
        request: dict[str, Any] = dict(REQUESTS.get((method, template), {}))
        match method, template:
            case "POST", "/api/auth/login":
                request["json"] = login
            case "POST", "/api/auth/register-supplier":
                request["json"] = registration
            case "POST", "/api/me/keys":
                request["json"] = {"algorithm": "x25519", "public_key": _fresh_public_key(), "label": "walk"}
            case "POST", "/api/me/password":
                current, new = self.next_password(who)
                request["json"] = {"current_password": current, "new_password": new}
                request["new_password"] = new
            case "POST", "/api/organisations":
                request["json"] = {"uscc": make_uscc(f"91460100WK{n:07d}"), "name": f"走查采购单位{n}", "kind": "purchaser"}
            case "POST", "/api/users":
                request["json"] = {
                    "username": f"walk-user-{n}", "display_name": "走查用户", "password": "Walk-user-pass-1", "roles": ["operator"],
                }
            case "POST", "/api/tenders":
                purchaser = None if who == "purchaser" else self.people["purchaser"].organisation_id
                request["json"] = draft_body(self.now, purchaser_organisation_id=purchaser)
            case "PUT", "/api/tenders/{tender_id}":
                request["json"] = draft_body(self.now)
            case "POST", "/api/tenders/{tender_id}/review":
                request["json"] = {"decision": "returned", "checklist": {}, "reason": "walk"}
            case "POST", "/api/tenders/{tender_id}/amendments":
                request["json"] = {"summary": "走查澄清"}
            case "PUT", "/api/calendar/{day}":
                request["json"] = {"kind": "holiday", "name": "国庆节"}
            case "GET", "/api/calendar":
                request["params"] = {"year": 2030}
            case "POST", "/api/tenders/{tender_id}/publish":
                request["json"] = {}
            case "PATCH", "/api/users/{user_id}":
                request["json"] = {"active": True}
            case "GET", "/api/audit/proofs/inclusion":
                request["params"] = {"seq": 1}
            case "GET", "/api/audit/proofs/consistency":
                request["params"] = {"old_size": self.checkpoint_size, "new_size": self.checkpoint_size}
            case "POST", "/login":
                request["data"] = login
            case "POST", "/register":
                request["data"] = {**registration, "organisation_name": f"页面供应商{n}"}
            case "POST", "/account/password":
                current, new = self.next_password(who)
                request["data"] = {"current_password": current, "new_password": new}
                request["new_password"] = new
        request["path"] = path
        return request


async def _build_world(client: AsyncTestClient, users: Users, platform: Platform) -> World:
    people = {
        Role.supplier: await users.make(Role.supplier),
        Role.purchaser: await users.make(Role.purchaser),
        Role.agency: await users.make(Role.agency),
        Role.expert: await users.make(Role.expert),
        Role.supervisor: await users.make(Role.supervisor),
        Role.operator: await users.make(Role.operator),
        # The trading centre's administrator: admin in the operator organisation.
        Role.admin: await users.make(Role.admin, Role.operator),
    }
    login_target = await users.make(Role.purchaser)
    patch_target = await users.make(Role.operator, organisation_id=people[Role.admin].organisation_id)
    world = World(client, {str(r): u for r, u in people.items()}, login_target, patch_target, {}, 0, platform.clock.now())
    for who in world.people:
        response = await client.post(
            "/api/me/keys", headers=await world.headers(who), json={"algorithm": "x25519", "public_key": _fresh_public_key()}
        )
        assert response.status_code == 201, response.text
        world.key_ids[who] = response.json()["id"]
    async with platform.db.transaction() as session:
        checkpoint = await audit.sign_checkpoint(session, platform.clock, platform.keys)
        assert checkpoint is not None
        world.checkpoint_size = checkpoint.tree_size
    return world


async def test_every_route_is_in_the_access_table(app, client) -> None:
    in_openapi = await _openapi_routes(client)
    missing = sorted(in_openapi - ACCESS.keys())
    assert not missing, (
        "routes without a row in tests/web/access_table.py; decide who may call each and add it to ACCESS:\n"
        + "\n".join(f"    ({m!r}, {p!r}): Rule(...)," for m, p in missing)
    )
    gone = sorted(ACCESS.keys() - in_openapi)
    assert not gone, f"rows in tests/web/access_table.py for routes the app no longer has; remove them: {gone}"
    hidden = sorted(_app_routes(app) - in_openapi - OUTSIDE_OPENAPI)
    assert not hidden, (
        f"routes the app answers but hides from the OpenAPI (include_in_schema=False?), so the walk cannot see them: {hidden}; "
        "show them in the OpenAPI, or list them in OUTSIDE_OPENAPI if they are truly public infrastructure"
    )


async def test_every_route_answers_every_role_as_the_table_says(client, users, platform) -> None:
    routes = await _openapi_routes(client)
    assert routes == ACCESS.keys(), "the table and the OpenAPI differ: see test_every_route_is_in_the_access_table"
    world = await _build_world(client, users, platform)
    identities = [ANONYMOUS, *world.people]
    # The routes that end the caller's session go last within each identity's turn, so they
    # cost one fresh login each instead of invalidating everything after them.
    order = sorted(routes, key=lambda r: (r[1] in {"/api/auth/logout", "/logout"}, r[1], r[0]))
    wrong: list[str] = []
    calls = 0
    for who in identities:
        user_roles = None if who == ANONYMOUS else frozenset(world.people[who].roles)
        for method, template in order:
            rule = ACCESS[(method, template)]
            request = world.request_for(method, template, who)
            path = request.pop("path")
            new_password = request.pop("new_password", None)
            response = await client.request(
                method, path, headers=await world.headers(who), follow_redirects=False, **request
            )
            calls += 1
            client.cookies.clear()  # a page login or a preference must not carry over to the next call
            status = response.status_code
            allowed = may(rule, user_roles)
            if status >= 500:
                verdict = "server error"
            elif allowed and status in (401, 403):
                verdict = "refused, but the table allows it"
            elif not allowed and who == ANONYMOUS and status != 401:
                verdict = "expected 401 for nobody logged in"
            elif not allowed and who != ANONYMOUS and status != 403:
                verdict = "expected 403 for a user without the role"
            else:
                verdict = ""
            if verdict:
                wrong.append(f"{method} {path} as {who} (table: {rule.who}): {status} {verdict}: {response.text[:300]}")
            if status in (401, 403):
                assert response.headers["content-type"].startswith("application/problem+json"), (method, path, who)
            if 200 <= status < 400:
                if new_password:
                    world.password_changed(who, new_password)
                if template in {"/api/auth/logout", "/logout"}:
                    world.forget_session(who)
    assert calls == len(routes) * len(identities)
    assert not wrong, f"{len(wrong)} of {calls} answers differ from tests/web/access_table.py:\n" + "\n".join(wrong)


# --- CSRF on cookie sessions -----------------------------------------------------------------


_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


async def _page_login(client: AsyncTestClient, user: UserUnderTest) -> None:
    response = await client.post(
        "/login", data={"username": user.username, "password": user.password, "next": "/account"}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/account"
    assert client.cookies.get("procurement_session"), "the page login sets the session cookie"


async def test_a_cookie_session_needs_the_csrf_token_for_unsafe_requests(client, users) -> None:
    user = await users.make(Role.purchaser)
    await _page_login(client, user)
    key = {"algorithm": "x25519", "label": "csrf"}
    change = {"current_password": user.password, "new_password": "Changed-pass-77"}

    # Safe requests need no token.
    page = await client.get("/account")
    assert page.status_code == 200
    token = _CSRF_FIELD.search(page.text)
    assert token, "the account page carries the CSRF token in a hidden field"
    csrf = token.group(1)

    # Unsafe requests without the token, or with another one, are refused.
    for refused in (
        await client.post("/account/password", data=change),
        await client.post("/account/password", data={**change, "csrf_token": "0" * len(csrf)}),
        await client.post("/api/me/keys", json={**key, "public_key": _fresh_public_key()}),
        await client.post("/api/me/keys", json={**key, "public_key": _fresh_public_key()}, headers={"X-CSRF-Token": "stale"}),
        await client.post("/logout", follow_redirects=False),
    ):
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert (await client.get("/api/me/keys")).json() == [], "nothing was registered by the refused requests"

    # With the token, from the form field or the header, they go through.
    changed = await client.post("/account/password", data={**change, "csrf_token": csrf})
    assert changed.status_code == 200, changed.text
    added = await client.post("/api/me/keys", json={**key, "public_key": _fresh_public_key()}, headers={"X-CSRF-Token": csrf})
    assert added.status_code == 201, added.text
    logged_out = await client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert logged_out.status_code == 303
    client.cookies.clear()

    # A bearer token needs no CSRF token: a browser never adds that header by itself.
    user_now = UserUnderTest(user.username, "Changed-pass-77", user.user_id, user.organisation_id, user.roles)
    headers = await bearer(client, user_now)
    client.cookies.clear()
    assert (await client.post("/api/me/keys", headers=headers, json={**key, "public_key": _fresh_public_key()})).status_code == 201


async def test_the_csrf_token_belongs_to_its_session(client, users) -> None:
    first, second = await users.make(Role.agency), await users.make(Role.agency)
    await _page_login(client, first)
    first_csrf = _CSRF_FIELD.search((await client.get("/account")).text).group(1)  # type: ignore[union-attr]
    client.cookies.clear()
    await _page_login(client, second)
    stolen = await client.post("/api/me/keys", json={"algorithm": "x25519", "public_key": _fresh_public_key()}, headers={"X-CSRF-Token": first_csrf})
    assert stolen.status_code == 403


# --- Services scope by organisation ----------------------------------------------------------


async def test_an_organisation_admin_manages_only_its_own_organisation(client, users) -> None:
    org_admin = await users.make(Role.purchaser, Role.admin)
    colleague = await users.make(Role.purchaser, organisation_id=org_admin.organisation_id)
    outsider_admin = await users.make(Role.supplier, Role.admin)
    outsider = await users.make(Role.supplier, organisation_id=outsider_admin.organisation_id)
    centre_admin = await users.make(Role.admin, Role.operator)

    as_org_admin = await bearer(client, org_admin)
    listed = await client.get("/api/users", headers=as_org_admin)
    assert listed.status_code == 200
    assert {u["id"] for u in listed.json()} == {org_admin.user_id, colleague.user_id}
    assert {u["organisation_id"] for u in listed.json()} == {org_admin.organisation_id}

    # Another organisation's user looks exactly like one that does not exist.
    other = await client.patch(f"/api/users/{outsider.user_id}", headers=as_org_admin, json={"active": False})
    missing = await client.patch("/api/users/999999", headers=as_org_admin, json={"active": False})
    assert other.status_code == missing.status_code == 404
    assert other.json()["title"] == missing.json()["title"]
    await bearer(client, outsider)  # still active: the refused PATCH changed nothing

    own = await client.patch(f"/api/users/{colleague.user_id}", headers=as_org_admin, json={"roles": ["purchaser", "admin"]})
    assert own.status_code == 200, own.text
    assert sorted(own.json()["roles"]) == ["admin", "purchaser"]

    # Creating users in another organisation, or organisations at all, is the trading centre's.
    elsewhere = await client.post(
        "/api/users", headers=as_org_admin,
        json={"organisation_id": outsider.organisation_id, "username": "planted", "display_name": "x", "password": "Planted-pass-1", "roles": ["supplier"]},
    )
    assert elsewhere.status_code == 403
    organisation = {"uscc": make_uscc("91460100XC0000001"), "name": "越权注册单位", "kind": "purchaser"}
    assert (await client.post("/api/organisations", headers=as_org_admin, json=organisation)).status_code == 403
    as_supplier_admin = await bearer(client, outsider_admin)
    assert (await client.post("/api/organisations", headers=as_supplier_admin, json=organisation)).status_code == 403
    # A role the organisation's kind cannot hold is refused even inside one's own organisation.
    escalate = await client.patch(f"/api/users/{colleague.user_id}", headers=as_org_admin, json={"roles": ["supervisor"]})
    assert escalate.status_code == 422
    assert escalate.json()["errors"][0]["field"] == "body.roles"

    # The trading centre's admin sees and manages everyone.
    as_centre = await bearer(client, centre_admin)
    everyone = await client.get("/api/users", headers=as_centre)
    assert {org_admin.user_id, colleague.user_id, outsider.user_id, outsider_admin.user_id} <= {u["id"] for u in everyone.json()}
    deactivated = await client.patch(f"/api/users/{outsider.user_id}", headers=as_centre, json={"active": False})
    assert deactivated.status_code == 200, deactivated.text
    assert deactivated.json()["active"] is False
    assert (await client.post("/api/organisations", headers=as_centre, json=organisation)).status_code == 201
    refused_login = await client.post("/api/auth/login", json={"username": outsider.username, "password": outsider.password})
    assert refused_login.status_code == 401


async def test_public_keys_are_scoped_to_their_owner(client, users) -> None:
    owner, other = await users.make(Role.supplier), await users.make(Role.supplier)
    as_owner, as_other = await bearer(client, owner), await bearer(client, other)
    key = await client.post("/api/me/keys", headers=as_owner, json={"algorithm": "x25519", "public_key": _fresh_public_key()})
    assert key.status_code == 201
    key_id = key.json()["id"]
    assert (await client.get("/api/me/keys", headers=as_other)).json() == []
    assert (await client.delete(f"/api/me/keys/{key_id}", headers=as_other)).status_code == 404
    [still] = (await client.get("/api/me/keys", headers=as_owner)).json()
    assert still["revoked_at"] is None


async def test_any_token_that_comes_in_the_cookie_needs_the_csrf_token(client, users) -> None:
    user = await users.make(Role.supplier)
    api_token = (await bearer(client, user))["Authorization"].removeprefix("Bearer ")
    client.cookies.set("procurement_session", api_token)
    forged = await client.post("/api/me/keys", json={"algorithm": "x25519", "public_key": _fresh_public_key()})
    assert forged.status_code == 403, "a browser attaches cookies by itself, so a cookie is never proof of intent"
