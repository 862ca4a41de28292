"""Logins, tokens, throttling and locks, through the HTTP API on both databases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from procurement.audit.models import AuditEntry
from procurement.identity.models import Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from tests.conftest import bearer


async def _actions(platform, action: str) -> int:
    async with platform.db.transaction(write=False) as session:
        return (await session.execute(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))).scalar_one()


async def test_login_gives_a_token_that_works_and_logout_revokes_it(client, users, platform) -> None:
    user = await users.make(Role.purchaser)
    headers = await bearer(client, user)
    me = await client.get("/api/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["roles"] == ["purchaser"]
    assert (await client.post("/api/auth/logout", headers=headers)).status_code == 204
    after = await client.get("/api/me", headers=headers)
    assert after.status_code == 401
    assert after.headers["content-type"].startswith("application/problem+json")
    assert await _actions(platform, "identity.login") == 1
    assert await _actions(platform, "identity.logout") == 1


async def test_wrong_password_and_unknown_user_look_the_same(client, users) -> None:
    user = await users.make(Role.supplier)
    wrong = await client.post("/api/auth/login", json={"username": user.username, "password": "Wrong-password-1"})
    unknown = await client.post("/api/auth/login", json={"username": "nobody-here", "password": "Wrong-password-1"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_failures_slow_down_then_lock_and_the_lock_ends_by_itself(client, users, platform, clock) -> None:
    settings = platform.settings
    user = await users.make(Role.supplier)
    bad = {"username": user.username, "password": "Wrong-password-1"}
    for attempt in range(1, settings.login_lock_after + 1):
        response = await client.post("/api/auth/login", json=bad)
        if attempt < settings.login_lock_after:
            assert response.status_code == 401, attempt
        # Past the slow-down threshold the next attempt has to wait.
        if attempt >= settings.login_slowdown_after and attempt < settings.login_lock_after:
            early = await client.post("/api/auth/login", json=bad)
            assert early.status_code == 429
            assert int(early.headers["retry-after"]) >= 1
            clock.advance(timedelta(seconds=int(early.headers["retry-after"])))
    assert await _actions(platform, "identity.account_locked") == 1
    # Locked: even the right password is refused until the lock ends.
    good = {"username": user.username, "password": user.password}
    assert (await client.post("/api/auth/login", json=good)).status_code == 423

    clock.advance(timedelta(minutes=settings.login_lock_minutes, seconds=1))
    report = await sweep(platform, build_registry())
    assert report.ran == 1
    assert await _actions(platform, "identity.account_unlocked") == 1
    assert (await client.post("/api/auth/login", json=good)).status_code == 200


async def test_a_supplier_registers_with_a_valid_code_only(client, platform) -> None:
    body = {
        "uscc": "91350100M000100Y44",
        "organisation_name": "海南测试科技有限公司",
        "username": "newsupplier",
        "display_name": "王五",
        "password": "Good-password-9",
    }
    refused = await client.post("/api/auth/register-supplier", json=body)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "body.uscc", "message": "the check character is wrong (GB 32100-2015): expected 3, found 4"}
    ]
    assert await _actions(platform, "identity.supplier_registered") == 0
    created = await client.post("/api/auth/register-supplier", json={**body, "uscc": "91350100M000100Y43"})
    assert created.status_code == 201, created.text
    assert sorted(created.json()["roles"]) == ["admin", "supplier"]
    again = await client.post("/api/auth/register-supplier", json={**body, "uscc": "91350100M000100Y43", "username": "other"})
    assert again.status_code == 409


async def test_password_change_ends_other_sessions(client, users) -> None:
    user = await users.make(Role.agency)
    first = await bearer(client, user)
    second = await bearer(client, user)
    response = await client.post(
        "/api/me/password", headers=first, json={"current_password": user.password, "new_password": "Another-pass-22"}
    )
    assert response.status_code == 204
    assert (await client.get("/api/me", headers=first)).status_code == 200
    assert (await client.get("/api/me", headers=second)).status_code == 401
    weak = await client.post("/api/me/password", headers=first, json={"current_password": "Another-pass-22", "new_password": "short"})
    assert weak.status_code == 422
    assert weak.json()["errors"][0]["field"] == "body.new_password"
