"""Invitations after a draw: answers by link and by account, supplementary draws, check-in, secrecy, history rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from expert_pool import draws
from expert_pool import invitations as service
from expert_pool.invitation_models import InvitationStatus
from procurement.audit.models import AuditEmbargo, AuditEntry
from procurement.clock import DISPLAY_ZONE
from procurement.identity.models import Role, User
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from tests.conftest import bearer
from tests.experts.invitation_testlib import (
    body,
    closed_tender_with_experts,
    draw_with_experts,
    invitations,
    messages,
    token_for,
    view,
)


@pytest.fixture
def settings(settings):
    # One draw a month per expert: the second draw of a test shows the monthly limit at work.
    return settings.with_overrides(expert_max_draws_per_month=1, base_url="https://ggzy.example.cn")


async def _audit(platform, action: str) -> list[dict]:
    async with platform.db.transaction(write=False) as session:
        entries = (await session.execute(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq))).scalars()
        return [json.loads(e.details) for e in entries]


async def _held(platform, draw_id: int) -> tuple[int, int]:
    """(entries still under the draw's embargo, entries released)."""
    async with platform.db.transaction(write=False) as session:
        rows = (await session.execute(select(AuditEmbargo).where(AuditEmbargo.key == f"expert-draw:{draw_id}"))).scalars().all()
    return sum(r.released_at is None for r in rows), sum(r.released_at is not None for r in rows)


async def _verified(client, drawn) -> None:
    checked = await client.get(f"/api/draws/{drawn.draw['id']}/verification", headers=drawn.supervisor)
    assert checked.status_code == 200 and checked.json()["ok"] is True, checked.text


async def test_every_seat_is_invited_and_the_link_answers_once(client, users, platform, clock) -> None:
    tender, accounts = await closed_tender_with_experts(client, users, platform, clock)
    async with platform.db.transaction() as session:  # one expert's account has an email address
        await session.execute(update(User).where(User.id == accounts[1].user_id).values(email="zhuanjia1@example.cn"))
    made = await client.post(f"/api/tenders/{tender.id}/draws", headers=tender.owner, json=body(clock))
    assert made.status_code == 201, made.text
    invited = await invitations(platform)
    assert len(invited) == 5 and {i.status for i in invited} == {"invited"}
    assert all(i.answer_by == clock.now() + timedelta(minutes=60) for i in invited)
    sent = await messages(platform)
    assert sorted(m.channel for m in sent).count("sms") == 5
    assert all(m.body.count("https://ggzy.example.cn/invitations/") == 1 and "海口市人民医院门诊楼改造工程" in m.body for m in sent)
    # The token is only in the message: the row keeps its hash.
    token = await token_for(platform, invited[0].id)
    assert token not in invited[0].token_hash and len(invited[0].token_hash) == 64
    # The names are in the embargoed entries only; the draw's own entries carry counts.
    assert (await _held(platform, made.json()["id"]))[0] == 5
    page = await client.get(f"/invitations/{token}")
    assert page.status_code == 200 and "海口市人民医院门诊楼改造工程" in page.text and "A01.02" in page.text
    accepted = await client.post(f"/invitations/{token}/accept")
    assert accepted.status_code == 200, accepted.text
    spent = await client.get(f"/invitations/{token}", headers={"Accept": "text/html"})
    assert spent.status_code == 404 and "该邀请链接有误或已使用" in spent.text  # Chinese by default
    assert (await client.post(f"/invitations/{token}/decline", data={"reason": "出差"})).status_code == 404
    wrong = await client.get("/invitations/" + "x" * 43, headers={"Accept": "text/html"})
    assert wrong.status_code == 404 and "该邀请链接有误或已使用" in wrong.text
    assert (await invitations(platform))[0].status == "accepted"
    async with platform.db.transaction(write=False) as session:
        members = await service.committee(session, tender.id, 1)
    assert [m.invitation_id for m in members] == [invited[0].id] and members[0].user_id is not None


async def test_an_email_goes_to_the_experts_account_address(client, users, platform, clock) -> None:
    tender, accounts = await closed_tender_with_experts(client, users, platform, clock, count=5)
    async with platform.db.transaction() as session:
        await session.execute(update(User).where(User.id == accounts[2].user_id).values(email="zhuanjia2@example.cn"))
    made = await client.post(f"/api/tenders/{tender.id}/draws", headers=tender.owner, json=body(clock, reserves={}))
    assert made.status_code == 201, made.text
    emails = [m for m in await messages(platform) if m.channel == "email"]
    assert [m.recipient for m in emails] == ["zhuanjia2@example.cn"] and emails[0].subject


async def test_decline_draws_the_replacement_and_verification_still_passes(client, users, platform, clock) -> None:
    drawn = await draw_with_experts(client, users, platform, clock)
    first = (await invitations(platform))[0]
    headers = drawn.experts[first.expert_id]
    mine = await client.get("/api/experts/me/invitations", headers=headers)
    assert mine.status_code == 200 and [i["id"] for i in mine.json()] == [first.id] and mine.json()[0]["can_answer"]
    no_reason = await client.post(f"/api/invitations/{first.id}/decline", headers=headers, json={"reason": ""})
    assert no_reason.status_code == 422
    declined = await client.post(f"/api/invitations/{first.id}/decline", headers=headers, json={"reason": "评标当日出差"})
    assert declined.status_code == 200 and declined.json()["status"] == "declined", declined.text
    assert (await client.post(f"/api/invitations/{first.id}/accept", headers=headers)).status_code == 409
    seen = await view(client, drawn)
    statuses = {i["expert_id"]: i["status"] for i in seen["invitations"]}
    reserve = drawn.draw  # the draw's answer had counts only; the supervisor sees who came in
    assert statuses[first.expert_id] == "declined" and list(statuses.values()).count("invited") == 5 and reserve["reserves"] == 1
    assert first.expert_id not in {d["expert_id"] for d in seen["committee"]} and seen["unfilled"] == []
    supplemented = await _audit(platform, "draw.supplemented")
    assert len(supplemented) == 1 and supplemented[0]["cause"] == "declined"
    assert not {"expert_id", "declined", "replaced_by"} & set(supplemented[0])
    async with platform.db.transaction(write=False) as session:  # the system's entry: no actor names the expert
        entry = (await session.execute(select(AuditEntry).where(AuditEntry.action == "draw.supplemented"))).scalar_one()
        assert entry.actor_id is None
    await _verified(client, drawn)


async def test_no_answer_supplements_by_the_job_until_the_pool_runs_out(client, users, platform, clock) -> None:
    drawn = await draw_with_experts(client, users, platform, clock)  # 9 experts: 5 seats, 1 reserve
    clock.advance(timedelta(minutes=61))
    report = await sweep(platform, build_registry())
    assert report.failed == 0
    by_status: dict[str, int] = {}
    for invitation in await invitations(platform):
        by_status[invitation.status] = by_status.get(invitation.status, 0) + 1
    # Five gave no answer; the reserve and three more rounds filled four seats; nobody was left for the fifth.
    assert by_status == {"no_answer": 5, "invited": 4}
    unfilled = await _audit(platform, "draw.seat_unfilled")
    assert len(unfilled) == 1 and unfilled[0]["specialty"] == "A01.02" and unfilled[0]["cause"] == "no_answer"
    seen = await view(client, drawn)
    assert len(seen["unfilled"]) == 1 and len(seen["committee"]) == 5
    await sweep(platform, build_registry())  # the new answer times have not come: nothing more happens
    assert [i.status for i in await invitations(platform)].count("invited") == 4
    await _verified(client, drawn)


async def test_check_in_on_the_evaluation_days_only_and_a_conflict_replaces(client, users, platform, clock) -> None:
    drawn = await draw_with_experts(client, users, platform, clock, evaluation_days=2)
    first, second, third = (await invitations(platform))[:3]
    for invitation in (first, second, third):
        headers = drawn.experts[invitation.expert_id]
        assert (await client.post(f"/api/invitations/{invitation.id}/accept", headers=headers)).status_code == 200
    one, two = drawn.experts[first.expert_id], drawn.experts[second.expert_id]
    early = await client.post(f"/api/invitations/{first.id}/check-in", headers=one, json={"conflict": False})
    assert early.status_code == 409 and "evaluation days" in early.text
    evaluation = datetime.fromisoformat(drawn.draw["evaluation_date"]).replace(hour=8, tzinfo=DISPLAY_ZONE)
    clock.set(evaluation.astimezone(UTC))  # the platform's clock speaks UTC
    one, two = await bearer(client, drawn.users[first.expert_id]), await bearer(client, drawn.users[second.expert_id])
    vague = await client.post(f"/api/invitations/{first.id}/check-in", headers=one, json={"conflict": True, "detail": " "})
    assert vague.status_code == 422 and vague.json()["errors"][0]["field"] == "body.detail"
    declared = await client.post(f"/api/invitations/{first.id}/check-in", headers=one,
                                 json={"conflict": True, "detail": "配偶在投标人处任职"})
    assert declared.status_code == 200 and declared.json()["status"] == "conflict_declared", declared.text
    present = await client.post(f"/api/invitations/{second.id}/check-in", headers=two, json={"conflict": False})
    assert present.status_code == 200 and present.json()["checked_in_at"] is not None
    assert (await client.post(f"/api/invitations/{second.id}/check-in", headers=two, json={"conflict": False})).status_code == 409
    replacement = (await invitations(platform))[-1]
    assert replacement.status == "invited" and replacement.answer_by == clock.now() + timedelta(minutes=60)
    async with platform.db.transaction(write=False) as session:
        members = await service.committee(session, drawn.tender.id, 1)
    assert {(m.expert_id, m.checked_in_at is not None) for m in members} == {(second.expert_id, True), (third.expert_id, False)}
    # After the last evaluation day, check-in is closed.
    clock.advance(timedelta(days=2))
    three = await bearer(client, drawn.users[third.expert_id])
    assert (await client.post(f"/api/invitations/{third.id}/check-in", headers=three, json={"conflict": False})).status_code == 409
    drawn.supervisor = await bearer(client, await users.make(Role.supervisor))  # the first session expired meanwhile
    await _verified(client, drawn)


async def test_withdrawing_after_accepting_replaces_the_expert(client, users, platform, clock) -> None:
    drawn = await draw_with_experts(client, users, platform, clock)
    first = (await invitations(platform))[0]
    headers = drawn.experts[first.expert_id]
    assert (await client.post(f"/api/invitations/{first.id}/accept", headers=headers)).status_code == 200
    withdrawn = await client.post(f"/api/invitations/{first.id}/decline", headers=headers, json={"reason": "突发疾病"})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert (await _audit(platform, "draw.supplemented"))[0]["cause"] == "withdrawn"
    await _verified(client, drawn)


async def test_only_the_invited_expert_and_supervisors_see_invitations(client, users, platform, clock) -> None:
    drawn = await draw_with_experts(client, users, platform, clock)
    first = (await invitations(platform))[0]
    other_expert = next(h for e, h in drawn.experts.items() if e != first.expert_id)
    unlinked = await bearer(client, await users.make(Role.expert))
    outsiders = {role: await bearer(client, await users.make(role)) for role in (Role.purchaser, Role.agency, Role.supplier, Role.operator)}
    outsiders["owner"] = drawn.tender.owner
    outsiders["supervisor"] = drawn.supervisor
    for who, headers in outsiders.items():
        assert (await client.get("/api/experts/me/invitations", headers=headers)).status_code == 403, who
        for action, payload in (("accept", None), ("decline", {"reason": "不去"}), ("check-in", {"conflict": False})):
            answer = await client.post(f"/api/invitations/{first.id}/{action}", headers=headers, json=payload)
            assert answer.status_code == 403, (who, action)
        assert (await client.get("/experts/me/invitations", headers=headers)).status_code == 403, who
        if who != "supervisor":
            seen = (await client.get(f"/api/draws/{drawn.draw['id']}", headers=headers)).json()
            assert seen.get("invitations") is None and "专家" not in json.dumps(seen, ensure_ascii=False), who
    # Another expert: the invitation is not theirs, so it does not exist for them.
    assert (await client.post(f"/api/invitations/{first.id}/accept", headers=other_expert)).status_code == 404
    assert first.id not in [i["id"] for i in (await client.get("/api/experts/me/invitations", headers=other_expert)).json()]
    assert (await client.get("/api/experts/me/invitations", headers=unlinked)).status_code == 404
    assert (await client.get("/experts/me/invitations", headers=drawn.experts[first.expert_id])).status_code == 200
    # Nobody reads the entries naming the experts until the reveal; then they are released.
    assert (await _held(platform, drawn.draw["id"])) == (5, 0)
    assert (await client.post(f"/api/draws/{drawn.draw['id']}/reveal", headers=drawn.supervisor)).status_code == 200
    assert (await _held(platform, drawn.draw["id"])) == (0, 5)


async def test_release_names_when_the_evaluation_starts(client, users, platform, clock) -> None:
    drawn = await draw_with_experts(client, users, platform, clock)
    async with platform.db.transaction() as session:
        assert await draws.release_names(session, platform, drawn.draw["id"]) == 5
        assert await draws.release_names(session, platform, drawn.draw["id"]) == 0
    assert (await _held(platform, drawn.draw["id"])) == (0, 5)
    assert (await _audit(platform, "draw.names_released"))[0]["entries"] == 5


async def test_a_sitting_and_the_monthly_limit_exclude_experts_from_a_second_draw(client, users, platform, clock) -> None:
    # Evaluations today: the first draw's invitations are created in the second evaluation's month.
    drawn = await draw_with_experts(client, users, platform, clock, count=12, reserves={}, days_ahead=0)
    first = (await invitations(platform))[0]
    assert (await client.post(f"/api/invitations/{first.id}/accept", headers=drawn.experts[first.expert_id])).status_code == 200
    second = await client.post(f"/api/tenders/{drawn.tender.id}/draws", headers=drawn.tender.owner, json=body(clock, 0, lot=2, reserves={}))
    assert second.status_code == 201, second.text
    seen = (await client.get(f"/api/draws/{second.json()['id']}", headers=drawn.supervisor)).json()
    reasons = {x["expert_id"]: sorted(r["code"] for r in x["reasons"]) for x in seen["excluded"]}
    invited_first = {i.expert_id for i in (await invitations(platform))[:5]}
    assert reasons[first.expert_id] == ["monthly_draw_limit", "recent_sitting"]
    assert {e for e, codes in reasons.items() if codes == ["monthly_draw_limit"]} == invited_first - {first.expert_id}
    assert not invited_first & {d["expert_id"] for d in seen["committee"]}
    async with platform.db.transaction(write=False) as session:
        request = json.loads((await draws.get_draw(session, None, second.json()["id"])).request)
    assert (request["sitting_window_days"], request["max_draws_per_month"]) == (90, 1)
    checked = await client.get(f"/api/draws/{second.json()['id']}/verification", headers=drawn.supervisor)
    assert checked.json()["ok"] is True, checked.text


async def test_a_refused_draw_invites_nobody_and_sends_nothing(client, users, platform, clock) -> None:
    tender, _ = await closed_tender_with_experts(client, users, platform, clock, count=5)
    refused = await client.post(f"/api/tenders/{tender.id}/draws", headers=tender.owner, json=body(clock, seats={"A01.02": 7}, reserves={}))
    assert refused.status_code == 409, refused.text
    assert await invitations(platform) == [] and await messages(platform) == []


async def test_late_answers_are_refused_and_the_link_page_says_the_time_passed(client, users, platform, clock) -> None:
    drawn = await draw_with_experts(client, users, platform, clock)
    first = (await invitations(platform))[0]
    token = await token_for(platform, first.id)
    clock.advance(timedelta(minutes=60))
    late = await client.post(f"/api/invitations/{first.id}/accept", headers=drawn.experts[first.expert_id])
    assert late.status_code == 409 and "time to answer passed" in late.text
    page = await client.get(f"/invitations/{token}")
    assert page.status_code == 200 and "/accept" not in page.text
    assert (await client.post(f"/invitations/{token}/accept")).status_code == 409
    assert (await invitations(platform))[0].status == InvitationStatus.invited  # the job gives the seat up
