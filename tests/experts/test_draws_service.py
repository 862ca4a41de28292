"""Expert draws on the database: after bidding closed, committed seed, secrecy per role, verification, CLI."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import datetime, timedelta

from click.testing import CliRunner
from sqlalchemy import func, select

from expert_pool.draw_models import ExpertDraw
from procurement.audit.models import AuditEntry
from procurement.cli import main
from procurement.identity.models import Organisation, Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from tests.bidding.bid_testlib import bidder, open_tender, sealed, submit
from tests.conftest import bearer
from tests.experts.pool_testlib import add_specialties, csv_of, row


async def _uscc(platform, organisation_id: int) -> str:
    async with platform.db.transaction(write=False) as session:
        return (await session.execute(select(Organisation.uscc).where(Organisation.id == organisation_id))).scalar_one()


async def _closed_tender_with_pool(client, users, platform, clock):
    """A works tender whose lot 1 has three bids, bidding closed; nine experts, two tied to bidders."""
    tender = await open_tender(client, users, clock)
    bidders = [await bidder(client, users, tender.id) for _ in range(3)]
    for who in bidders:
        done = await submit(client, who, tender.id, 1, *sealed(who, tender.id, 1, 1))
        assert done.status_code == 201, done.text
    deadline = datetime.fromisoformat((await client.get(f"/api/tenders/{tender.id}")).json()["bid_deadline"])
    clock.set(deadline + timedelta(seconds=1))
    for _ in range(2):
        await sweep(platform, build_registry())
    assert (await client.get(f"/api/tenders/{tender.id}")).json()["status"] == "bidding_closed"
    # The sessions made before the deadline have expired on the moved clock.
    tender.owner = await bearer(client, tender.purchaser)
    for who in bidders:
        who.headers = await bearer(client, who.user)
    operator = await bearer(client, await users.make(Role.operator))
    await add_specialties(client, operator)
    employed = await _uscc(platform, bidders[0].user.organisation_id)
    shares = await _uscc(platform, bidders[1].user.organisation_id)
    rows = [row(n) for n in range(1, 8)]
    rows.append(row(8, employer_uscc=employed))
    rows.append(row(9, relationships=f"shareholding|{shares}||"))
    imported = await client.post("/api/experts/imports", headers=operator, content=csv_of(*rows))
    assert imported.status_code == 200, imported.text
    return tender, bidders, operator


def _body(clock, **over):
    return {"seats": {"A01.02": 5}, "reserves": {"A01.02": 1}, "lot": 1,
            "evaluation_date": (clock.now() + timedelta(days=3)).date().isoformat()} | over


async def _audit(platform, action: str) -> list[dict]:
    async with platform.db.transaction(write=False) as session:
        entries = (await session.execute(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq))).scalars()
        return [json.loads(e.details) for e in entries]


async def _draw_count(platform) -> int:
    async with platform.db.transaction(write=False) as session:
        return (await session.execute(select(func.count()).select_from(ExpertDraw))).scalar_one()


async def test_draw_commits_excludes_bidders_keeps_names_secret_and_verifies(client, users, platform, clock, settings) -> None:
    tender, bidders, operator = await _closed_tender_with_pool(client, users, platform, clock)
    made = await client.post(f"/api/tenders/{tender.id}/draws", headers=tender.owner, json=_body(clock))
    assert made.status_code == 201, made.text
    draw = made.json()
    assert (draw["seats"], draw["reserves"], draw["exclusions"], draw["candidates"]) == (5, 1, 2, 9)
    assert draw["committee"] is None and draw["seed"] is None

    committed = await _audit(platform, "draw.seed_committed")
    assert [c["seed_commitment"] for c in committed] == [draw["seed_commitment"]]
    assert committed[0]["snapshot_digest"] == draw["snapshot_digest"]
    made_entry = (await _audit(platform, "draw.made"))[0]
    assert made_entry["seats"] == 5 and "专家" not in json.dumps(made_entry, ensure_ascii=False)

    # Secrecy: everyone but supervisors sees counts only.
    agency = await bearer(client, await users.make(Role.agency))
    expert = await bearer(client, await users.make(Role.expert))
    for headers in (tender.owner, agency, operator, bidders[2].headers, expert):
        seen = await client.get(f"/api/draws/{draw['id']}", headers=headers)
        assert seen.status_code == 200, seen.text
        assert seen.json()["committee"] is None and seen.json()["excluded"] is None and seen.json()["seed"] is None
        assert "专家" not in seen.text
        assert (await client.get(f"/api/draws/{draw['id']}/verification", headers=headers)).status_code == 403
        assert (await client.post(f"/api/draws/{draw['id']}/reveal", headers=headers)).status_code == 403
    supervisor = await bearer(client, await users.make(Role.supervisor))
    full = (await client.get(f"/api/draws/{draw['id']}", headers=supervisor)).json()
    assert len(full["committee"]) == 5 and len(full["reserve_list"]) == 1
    excluded = {x["name"]: [r["code"] for r in x["reasons"]] for x in full["excluded"]}
    assert excluded == {"专家8": ["employer_bidder"], "专家9": ["shareholding_bidder"]}
    assert not {"专家8", "专家9"} & {d["name"] for d in full["committee"] + full["reserve_list"]}

    checked = await client.get(f"/api/draws/{draw['id']}/verification", headers=supervisor)
    assert checked.status_code == 200 and checked.json()["ok"] is True, checked.text
    assert all(c["ok"] for c in checked.json()["checks"])

    # Only one draw per committee.
    again = await client.post(f"/api/tenders/{tender.id}/draws", headers=tender.owner, json=_body(clock))
    assert again.status_code == 409

    revealed = await client.post(f"/api/draws/{draw['id']}/reveal", headers=supervisor)
    assert revealed.status_code == 200, revealed.text
    seed = (await _audit(platform, "draw.seed_revealed"))[0]["seed"]
    assert hashlib.sha256(bytes.fromhex(seed)).hexdigest() == committed[0]["seed_commitment"]
    assert revealed.json()["seed"] == seed
    assert (await client.post(f"/api/draws/{draw['id']}/reveal", headers=supervisor)).status_code == 409
    public = await client.get(f"/api/draws/{draw['id']}/verification", headers=bidders[2].headers)
    assert public.status_code == 200 and public.json()["ok"] is True

    env = {"PROCUREMENT_DATABASE_URL": settings.database_url, "PROCUREMENT_DATA_DIR": str(settings.data_dir), "COLUMNS": "200"}
    result = await asyncio.to_thread(CliRunner().invoke, main, ["draw", "verify", str(draw["id"])], env=env)
    assert result.exit_code == 0, result.output
    assert "ok\tseats_mismatch" in result.output

    # Tamper with the stored outcome: put the reserve in a seat.
    async with platform.db.transaction() as session:
        stored = await session.get(ExpertDraw, draw["id"])
        outcome = json.loads(stored.outcome)
        outcome["seats"][0], outcome["reserves"][0] = outcome["reserves"][0], outcome["seats"][0]
        stored.outcome = json.dumps(outcome)
        session.add(stored)
    tampered = (await client.get(f"/api/draws/{draw['id']}/verification", headers=supervisor)).json()
    assert tampered["ok"] is False
    assert {c["check"] for c in tampered["checks"] if not c["ok"]} == {"seats_mismatch", "reserves_mismatch"}
    result = await asyncio.to_thread(CliRunner().invoke, main, ["draw", "verify", str(draw["id"])], env=env)
    assert result.exit_code == 1, result.output
    assert "MISMATCH\tseats_mismatch" in result.output


async def test_refused_requests_change_nothing(client, users, platform, clock) -> None:
    tender, bidders, _ = await _closed_tender_with_pool(client, users, platform, clock)
    url = f"/api/tenders/{tender.id}/draws"
    even = await client.post(url, headers=tender.owner, json=_body(clock, seats={"A01.02": 4}, reserves={}, purchaser_representatives=2))
    assert even.status_code == 422, even.text
    assert even.json()["errors"][0]["field"] == "body.seats" and "招标投标法 第三十七条" in even.text
    small = await client.post(url, headers=tender.owner, json=_body(clock, seats={"A01.02": 3}, reserves={}))
    assert small.status_code == 422 and "招标投标法 第三十七条" in small.text
    share = await client.post(url, headers=tender.owner, json=_body(clock, seats={"A01.02": 3}, reserves={}, purchaser_representatives=2))
    assert share.status_code == 422 and share.json()["errors"][0]["field"] == "body.purchaser_representatives"
    unknown = await client.post(url, headers=tender.owner, json=_body(clock, seats={"Z99": 5}, reserves={}))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "body.seats.Z99"
    past = await client.post(url, headers=tender.owner, json=_body(clock, evaluation_date="2020-01-01"))
    assert past.status_code == 422 and past.json()["errors"][0]["field"] == "body.evaluation_date"
    # Eight eligible experts are not enough for nine seats: a conflict, and no commitment kept.
    too_many = await client.post(url, headers=tender.owner, json=_body(clock, seats={"A01.02": 9}, reserves={}))
    assert too_many.status_code == 409, too_many.text
    # Not the organisation running the tender, or not a purchaser at all.
    other = await bearer(client, await users.make(Role.purchaser))
    assert (await client.post(url, headers=other, json=_body(clock))).status_code == 403
    assert (await client.post(url, headers=bidders[0].headers, json=_body(clock))).status_code == 403
    assert await _draw_count(platform) == 0
    assert await _audit(platform, "draw.seed_committed") == [] and await _audit(platform, "draw.made") == []


async def test_no_draw_before_bidding_closed(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock)
    operator = await bearer(client, await users.make(Role.operator))
    await add_specialties(client, operator)
    assert (await client.post("/api/experts/imports", headers=operator, content=csv_of(*[row(n) for n in range(1, 7)]))).status_code == 200
    refused = await client.post(f"/api/tenders/{tender.id}/draws", headers=tender.owner, json=_body(clock))
    assert refused.status_code == 409 and "published" in refused.text
    assert await _draw_count(platform) == 0
