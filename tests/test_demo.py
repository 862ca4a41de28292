"""`procurement demo` creates one user per role, prints working passwords, and is idempotent."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from procurement.audit.models import AuditEntry
from procurement.demo import load_demo
from procurement.identity.models import Organisation, User
from procurement.supervision.models import RiskAlert
from procurement.tenders.models import Notice, Tender


async def test_demo_accounts_log_in_and_a_second_load_changes_nothing(platform, client) -> None:
    accounts = await load_demo(platform)
    assert {name for name, _, _ in accounts} == {
        "operator", "admin", "supervisor", "purchaser", "agency", "supplier", "supplier2", "supplier3", "expert",
    }
    async with platform.db.transaction(write=False) as session:
        users_before = (await session.execute(select(func.count()).select_from(User))).scalar_one()
        entries_before = (await session.execute(select(func.count()).select_from(AuditEntry))).scalar_one()
    assert await load_demo(platform) == accounts
    async with platform.db.transaction(write=False) as session:
        assert (await session.execute(select(func.count()).select_from(User))).scalar_one() == users_before
        assert (await session.execute(select(func.count()).select_from(AuditEntry))).scalar_one() == entries_before
    for name, password, roles in accounts:
        response = await client.post("/api/auth/login", json={"username": name, "password": password})
        assert response.status_code == 200, name
        assert sorted(response.json()["user"]["roles"]) == sorted(roles.split(", "))
    assert (platform.settings.data_dir / "demo-credentials.txt").stat().st_mode & 0o077 == 0


async def test_demo_tenders_cover_the_states_and_the_public_sees_only_the_published(platform, client) -> None:
    await load_demo(platform)
    async with platform.db.transaction(write=False) as session:
        states = sorted((await session.execute(select(Tender.status))).scalars())
    assert states == sorted(
        ["published"] * 5 + ["failed"] * 2 + ["opened", "terminated", "accepted", "submitted", "submitted", "draft"]
    )
    public = (await client.get("/api/tenders")).json()["items"]
    assert len(public) == 9
    assert {t["track"] for t in public} == {"works", "government"}
    assert len({t["region"] for t in public}) >= 3


async def test_demo_history_reads_forward_in_time_with_its_notices(platform, client) -> None:
    await load_demo(platform)
    async with platform.db.transaction(write=False) as session:
        times = list((await session.execute(select(AuditEntry.recorded_at).order_by(AuditEntry.seq))).scalars())
        kinds = sorted((await session.execute(select(Notice.kind))).scalars())
    assert times == sorted(times)  # the demo's past happened in order
    assert kinds == sorted(["tender"] * 9 + ["amendment", "termination", "failed", "failed", "opening"])
    amended = next(t for t in (await client.get("/api/tenders", params={"q": "灯塔"})).json()["items"])
    [amendment] = (await client.get(f"/api/tenders/{amended['id']}/amendments")).json()
    assert amendment["deadline_moved"]


async def test_demo_bids_from_one_address_raise_one_alert_after_the_deadline(platform, client) -> None:
    await load_demo(platform)
    async with platform.db.transaction(write=False) as session:
        alerts = list((await session.execute(select(RiskAlert).where(RiskAlert.rule == "same_address"))).scalars())
        names = dict((await session.execute(select(Organisation.id, Organisation.name))).all())
    [alert] = alerts
    assert {names[i] for i in json.loads(alert.organisation_ids)} == {"海南示例建设工程有限公司", "海南第二示例建设有限公司"}
    assert json.loads(alert.evidence)["value"] == "203.0.113.7" and alert.state == "new"
    await load_demo(platform)  # idempotent: no second alert
    async with platform.db.transaction(write=False) as session:
        assert (await session.execute(select(func.count()).select_from(RiskAlert).where(RiskAlert.rule == "same_address"))).scalar_one() == 1


async def test_demo_blacklist_has_entries_in_force_expired_and_lifted(platform, client) -> None:
    await load_demo(platform)
    public = (await client.get("/api/credit/entries")).json()["items"]
    assert sorted(e["status"] for e in public) == ["expired", "in_force", "lifted"]
    assert all(len(e["decision_sha256"]) == 64 for e in public)
    operator = await client.post("/api/auth/login", json={"username": "operator", "password": (await load_demo(platform))[0][1]})
    assert operator.status_code == 200
    proposals = await client.get("/api/credit/proposals", headers={"Authorization": f"Bearer {operator.json()['token']}"})
    assert [p["status"] for p in proposals.json()] == ["proposed"]
