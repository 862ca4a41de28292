"""`procurement demo` creates one user per role, prints working passwords, and is idempotent."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bidding.award.models import AwardLot, AwardObjection
from bidding.evaluation.models import Evaluation, EvaluationSheet, EvaluationSignature
from bidding.evaluation_demo import COMMITTEES, EXPERT_USERS
from expert_pool import draws
from expert_pool.demo import POOL_SIZE
from expert_pool.draw_models import ExpertDraw
from expert_pool.models import Expert, ExpertStatus
from expert_pool.national_id import validate_national_id
from procurement.audit.models import AuditEntry
from procurement.clock import FrozenClock
from procurement.demo import (
    DEMO_TENDERS,
    _load_demo_accounts,
    _load_demo_tenders,
    load_demo,
)
from procurement.identity.models import Organisation, User
from procurement.supervision.models import RiskAlert
from procurement.tenders.models import Notice, Tender

# A full demo load costs ~25 s: the tests marked `demo` start from a copy of one load per
# test process and database (tests/conftest.py, DemoTemplate), and load again to check that a
# second load changes nothing.


@pytest.mark.demo
async def test_demo_accounts_log_in_and_a_second_load_changes_nothing(platform, client) -> None:
    accounts = await load_demo(platform)
    assert {name for name, _, _ in accounts} == {
        "operator", "admin", "supervisor", "purchaser", "agency", "supplier", "supplier2", "supplier3", "expert",
        *(username for username, _ in EXPERT_USERS),
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


# The demo's live tenders, not the year of past trades written for the statistics (DEMO-STATS-*).
LIVE = Tender.code.not_like("DEMO-STATS-%")  # type: ignore[attr-defined]


@pytest.mark.demo
async def test_demo_tenders_cover_the_states_and_the_public_sees_only_the_published(platform, client) -> None:
    await load_demo(platform)
    async with platform.db.transaction(write=False) as session:
        states = sorted((await session.execute(select(Tender.status).where(LIVE))).scalars())
    assert states == sorted(
        ["published"] * 5 + ["failed"] * 2 + ["contract_signed"] * 2 + ["opened", "terminated", "accepted", "submitted", "submitted", "draft"]
    )
    public = [t for t in (await client.get("/api/tenders", params={"limit": 100})).json()["items"] if not t["code"].startswith("DEMO-STATS-")]
    assert len(public) == 11
    assert {t["track"] for t in public} == {"works", "government"}
    assert len({t["region"] for t in public}) >= 3


@pytest.mark.demo
async def test_demo_history_reads_forward_in_time_with_its_notices(platform, client) -> None:
    await load_demo(platform)
    async with platform.db.transaction(write=False) as session:
        times = list((await session.execute(select(AuditEntry.recorded_at).order_by(AuditEntry.seq))).scalars())
        kinds = sorted((await session.execute(select(Notice.kind).join(Tender, Tender.id == Notice.tender_id).where(LIVE))).scalars())
    assert times == sorted(times)  # the demo's past happened in order
    awarded = ["opening", "candidates", "result", "contract"] * 2  # the two tenders taken to a contract
    assert kinds == sorted(["tender"] * 11 + ["amendment", "termination", "failed", "failed", "opening"] + awarded)
    amended = next(t for t in (await client.get("/api/tenders", params={"q": "灯塔"})).json()["items"])
    [amendment] = (await client.get(f"/api/tenders/{amended['id']}/amendments")).json()
    assert amendment["deadline_moved"]


@pytest.mark.demo
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


@pytest.mark.demo
async def test_demo_blacklist_has_entries_in_force_expired_and_lifted(platform, client) -> None:
    await load_demo(platform)
    public = (await client.get("/api/credit/entries")).json()["items"]
    assert sorted(e["status"] for e in public) == ["expired", "in_force", "lifted"]
    assert all(len(e["decision_sha256"]) == 64 for e in public)
    operator = await client.post("/api/auth/login", json={"username": "operator", "password": (await load_demo(platform))[0][1]})
    assert operator.status_code == 200
    proposals = await client.get("/api/credit/proposals", headers={"Authorization": f"Bearer {operator.json()['token']}"})
    assert [p["status"] for p in proposals.json()] == ["proposed"]


# The generated pool: the contract tenders' committees (bidding/evaluation_demo.py) are experts with accounts.
POOL = Expert.user_id.is_(None)  # type: ignore[union-attr]


@pytest.mark.demo
async def test_demo_expert_pool_and_a_completed_draw_that_verifies(platform, client) -> None:
    await load_demo(platform)
    async with platform.db.transaction(write=False) as session:
        experts = list((await session.execute(select(Expert).where(POOL))).scalars())
        [draw] = list((await session.execute(select(ExpertDraw).join(Tender, Tender.id == ExpertDraw.tender_id).where(Tender.status == "opened"))).scalars())
        tender = await session.get(Tender, draw.tender_id)
        checked = await draws.verification(session, None, draw.id)
    assert len(experts) == POOL_SIZE and len({e.national_id for e in experts}) == POOL_SIZE
    assert all(validate_national_id(e.national_id) for e in experts)
    assert {e.region[:4] for e in experts} >= {"4601", "4602"}
    assert {e.status for e in experts} == {ExpertStatus.active, ExpertStatus.suspended, ExpertStatus.retired}
    assert tender.status == "opened"
    outcome = json.loads(draw.outcome)
    assert len(outcome["seats"]) == 4
    reasons = {reason[0] for _, found in outcome["exclusions"] for reason in found}
    assert {"employer_bidder", "suspended"} <= reasons  # ties to the demo bidders keep experts off their tender
    assert checked.ok, checked.checks
    await load_demo(platform)  # idempotent: the same pool, still one draw (and one per contract tender)
    async with platform.db.transaction(write=False) as session:
        assert (await session.execute(select(func.count()).select_from(Expert).where(POOL))).scalar_one() == POOL_SIZE
        assert (await session.execute(select(func.count()).select_from(ExpertDraw))).scalar_one() == 1 + len(COMMITTEES)


async def test_demo_tenders_taken_to_a_contract_one_past_an_answered_objection(platform, client) -> None:
    # Only the contract tenders and the accounts, not the whole demo: their past is what this test is about.
    specs = tuple(spec for spec in DEMO_TENDERS if spec.reach == "contract")
    clock = FrozenClock(platform.clock.now() - timedelta(days=max(spec.started_days_ago for spec in specs)))
    await _load_demo_accounts(replace(platform, clock=clock))
    await _load_demo_tenders(platform, clock, specs)
    async with platform.db.transaction(write=False) as session:
        tenders = {t.track: t for t in (await session.execute(select(Tender))).scalars()}
        draws_made = list((await session.execute(select(ExpertDraw))).scalars())
        checked = [await draws.verification(session, None, draw.id) for draw in draws_made]  # type: ignore[arg-type]
        lots = {row.tender_id: row for row in (await session.execute(select(AwardLot))).scalars()}
        [objection] = list((await session.execute(select(AwardObjection))).scalars())
        evaluations = list((await session.execute(select(Evaluation))).scalars())
        signatures = (await session.execute(select(func.count()).select_from(EvaluationSignature))).scalar_one()
        sheets = list((await session.execute(select(EvaluationSheet))).scalars())
        times = list((await session.execute(select(AuditEntry.recorded_at).order_by(AuditEntry.seq))).scalars())
        entries = len(times)
    assert sorted(tenders) == ["government", "works"] and {t.status for t in tenders.values()} == {"contract_signed"}
    assert len(draws_made) == 2 and all(c.ok for c in checked), [c.checks for c in checked]
    assert times == sorted(times)
    # The committee signed (four drawn experts and the purchaser's representative), each scoring in their own way.
    assert {e.status for e in evaluations} == {"signed"} and signatures == 5 * len(evaluations)
    assert len({s.points for s in sheets if s.bid_id == sheets[0].bid_id}) > 1

    works, government = tenders["works"], tenders["government"]
    results = {}
    for tender in (works, government):
        notices = (await client.get(f"/api/tenders/{tender.id}/notices")).json()
        assert [n["kind"] for n in notices] == ["tender", "opening", "candidates", "result", "contract"]
        results[tender.track] = notices[3]["content"]["details"]["award"]
        document = await client.get(f"/api/tenders/{tender.id}/lots/1/contract")
        assert document.status_code == 200 and document.content.startswith(b"%PDF")
    # Government procurement names the committee in its result notice [政府采购法实施条例 第四十三条]; works do not.
    committee = {name for username, name in COMMITTEES["demo-t15"].experts}
    assert len(results["government"]["committee"]) == 5 and len(committee & set(results["government"]["committee"])) == 4
    assert "committee" not in results["works"]
    # The works candidates' publicity: a bidder objected, the organiser answered, then the purchaser confirmed the first.
    assert objection.tender_id == works.id and objection.state == "answered"
    assert objection.answered_at <= objection.answer_due_at and objection.answered_at < lots[works.id].awarded_at
    assert lots[works.id].publicity_ends_at <= lots[works.id].awarded_at and lots[works.id].publicity_ended_at is not None
    assert lots[government.id].publicity_ends_at is None
    assert all(row.winner_candidate_id is not None and 0 < row.discount_rate < 0.1 for row in lots.values())

    await _load_demo_tenders(platform, clock, specs)  # idempotent
    async with platform.db.transaction(write=False) as session:
        assert (await session.execute(select(func.count()).select_from(AuditEntry))).scalar_one() == entries
