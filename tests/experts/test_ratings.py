"""Rating experts after the evaluation: the window in working days, who may rate, once per side, averages and the review list."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from procurement.audit.models import AuditEntry
from procurement.identity.models import Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from tests.conftest import bearer
from tests.experts.rating_testlib import Committee, beijing_noon, drawn_committee


@pytest.fixture
def settings(settings):
    # Two ratings (one per side on one committee) are enough to flag here; the default is 3.
    return settings.with_overrides(expert_rating_min_count=2)


async def _committee(client, users, platform, clock) -> Committee:
    return await drawn_committee(client, users, clock, lambda: sweep(platform, build_registry()))


def _rating(expert_id: int, score: int = 85, comment: str = "评审认真，意见明确") -> dict:
    return {"expert_id": expert_id, "score": score, "comment": comment}


async def test_the_window_opens_after_the_evaluation_and_closes_after_two_working_days_counting_holidays(client, users, platform, clock) -> None:
    c = await _committee(client, users, platform, clock)
    thursday = c.evaluation_date
    # Friday after the evaluation is a public holiday: the two working days are Monday and Tuesday.
    holiday = await client.put(f"/api/calendar/{(thursday + timedelta(days=1)).isoformat()}", headers=await bearer(client, c.operator),
                               json={"kind": "holiday", "name": "调休放假"})
    assert holiday.status_code == 200, holiday.text
    url = f"/api/draws/{c.draw_id}/ratings"

    clock.set(beijing_noon(thursday))  # the evaluation day itself: too early
    early = await client.post(url, headers=await bearer(client, c.purchaser), json=_rating(c.seated[0]))
    assert early.status_code == 409 and thursday.isoformat() in early.json()["detail"], early.text
    seen = (await client.get(url, headers=await bearer(client, c.purchaser))).json()
    assert seen["period"] == "not_yet_open" and seen["seats"] is None and seen["members"] == 5  # names secret until the end
    assert (await client.get(url, headers=await bearer(client, c.supervisor))).json()["seats"] is not None

    clock.set(beijing_noon(thursday + timedelta(days=5)))  # Tuesday: the second working day, thanks to the holiday
    on_time = await client.post(url, headers=await bearer(client, c.purchaser), json=_rating(c.seated[0]))
    assert on_time.status_code == 201, on_time.text

    clock.set(beijing_noon(thursday + timedelta(days=6)))  # Wednesday: too late
    late = await client.post(url, headers=await bearer(client, c.supervisor), json=_rating(c.seated[1]))
    assert late.status_code == 409 and (thursday + timedelta(days=5)).isoformat() in late.json()["detail"], late.text
    assert (await client.get(url, headers=await bearer(client, c.purchaser))).json()["period"] == "closed"

    # Without the holiday Tuesday would have been too late: the window counts working days from the calendar.
    removed = await client.delete(f"/api/calendar/{(thursday + timedelta(days=1)).isoformat()}", headers=await bearer(client, c.operator))
    assert removed.status_code in (200, 204)
    clock.set(beijing_noon(thursday + timedelta(days=5)))
    assert (await client.post(url, headers=await bearer(client, c.supervisor), json=_rating(c.seated[1]))).status_code == 409


async def test_only_the_tenders_purchaser_and_supervisors_rate(client, users, platform, clock) -> None:
    c = await _committee(client, users, platform, clock)
    clock.set(beijing_noon(c.evaluation_date + timedelta(days=1)))
    url = f"/api/draws/{c.draw_id}/ratings"
    another_purchaser = await users.make(Role.purchaser)
    for who in (await users.make(Role.agency), c.bidder, c.operator, await users.make(Role.expert), another_purchaser):
        headers = await bearer(client, who)
        refused = await client.post(url, headers=headers, json=_rating(c.seated[0]))
        assert refused.status_code == 403, (who.roles, refused.text)
        assert (await client.get(url, headers=headers)).status_code == 403
        assert (await client.get(f"/tenders/{c.tender_id}/expert-ratings", headers=headers)).status_code == 403
    for who in (c.purchaser, c.supervisor):
        assert (await client.post(url, headers=await bearer(client, who), json=_rating(c.seated[0]))).status_code == 201


async def test_one_rating_per_side_and_expert_of_seated_experts_only_each_audited(client, users, platform, clock) -> None:
    c = await _committee(client, users, platform, clock)
    clock.set(beijing_noon(c.evaluation_date + timedelta(days=1)))
    url = f"/api/draws/{c.draw_id}/ratings"
    purchaser, supervisor = await bearer(client, c.purchaser), await bearer(client, c.supervisor)
    assert (await client.post(url, headers=purchaser, json=_rating(c.seated[0], 70))).status_code == 201
    again = await client.post(url, headers=purchaser, json=_rating(c.seated[0], 90))
    assert again.status_code == 409, again.text
    assert (await client.post(url, headers=supervisor, json=_rating(c.seated[0], 50, "迟到半小时"))).status_code == 201
    not_seated = max(c.seated) + 100
    refused = await client.post(url, headers=purchaser, json=_rating(not_seated))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.expert_id", refused.text
    assert (await client.post(url, headers=purchaser, json=_rating(c.seated[1], 101))).status_code == 422
    assert (await client.post(url, headers=purchaser, json=_rating(c.seated[1], comment="   "))).status_code == 422

    # The purchaser sees its own ratings only, with the names now that the evaluation ended.
    own = (await client.get(url, headers=purchaser)).json()
    first = next(s for s in own["seats"] if s["expert_id"] == c.seated[0])
    assert first["name"] == c.names[c.seated[0]] and [r["score"] for r in first["ratings"]] == [70]
    assert first["average"] is None and "迟到" not in json.dumps(own, ensure_ascii=False)
    every = next(s for s in (await client.get(url, headers=supervisor)).json()["seats"] if s["expert_id"] == c.seated[0])
    assert sorted(r["side"] for r in every["ratings"]) == ["purchaser", "supervisor"] and (every["average"], every["count"]) == (60.0, 2)

    async with platform.db.transaction(write=False) as session:
        entries = list((await session.execute(select(AuditEntry).where(AuditEntry.action == "expert.rated"))).scalars())
    assert [(json.loads(e.details)["side"], json.loads(e.details)["score"]) for e in entries] == [("purchaser", 70), ("supervisor", 50)]


async def test_supervisors_see_averages_and_the_experts_flagged_for_review(client, users, platform, clock) -> None:
    c = await _committee(client, users, platform, clock)
    clock.set(beijing_noon(c.evaluation_date + timedelta(days=1)))
    url = f"/api/draws/{c.draw_id}/ratings"
    purchaser, supervisor = await bearer(client, c.purchaser), await bearer(client, c.supervisor)
    low, fine, once = c.seated[:3]
    for expert_id, by_purchaser, by_supervisor in ((low, 40, 55), (fine, 90, 50), (once, 10, None)):
        assert (await client.post(url, headers=purchaser, json=_rating(expert_id, by_purchaser))).status_code == 201
        if by_supervisor is not None:
            assert (await client.post(url, headers=supervisor, json=_rating(expert_id, by_supervisor))).status_code == 201

    summary = await client.get(f"/api/experts/{low}/ratings", headers=supervisor)
    assert summary.status_code == 200 and (summary.json()["average"], summary.json()["count"]) == (47.5, 2), summary.text
    assert [r["score"] for r in summary.json()["ratings"]] == [40, 55]
    flagged = (await client.get("/api/expert-ratings/flagged", headers=supervisor)).json()
    # Below 60 over at least 2 ratings (this module's setting): not `fine` (70), not `once` (one rating).
    assert (flagged["review_below"], flagged["min_count"]) == (60, 2)
    assert [(e["expert_id"], e["average"], e["count"]) for e in flagged["experts"]] == [(low, 47.5, 2)]
    for who in (c.purchaser, c.operator):
        headers = await bearer(client, who)
        assert (await client.get(f"/api/experts/{low}/ratings", headers=headers)).status_code == 403
        assert (await client.get("/api/expert-ratings/flagged", headers=headers)).status_code == 403
    assert (await client.get(f"/api/experts/{max(c.seated) + 100}/ratings", headers=supervisor)).status_code == 404


async def test_the_rating_page_shows_names_after_the_evaluation_and_takes_a_rating(client, users, platform, clock) -> None:
    c = await _committee(client, users, platform, clock)
    page_url = f"/tenders/{c.tender_id}/expert-ratings"
    name = c.names[c.seated[0]]
    clock.set(beijing_noon(c.evaluation_date))
    before = await client.get(page_url, headers=await bearer(client, c.purchaser))
    assert before.status_code == 200 and name not in before.text
    clock.set(beijing_noon(c.evaluation_date + timedelta(days=1)))
    purchaser = await bearer(client, c.purchaser)
    after = await client.get(page_url, headers=purchaser)
    assert after.status_code == 200 and name in after.text and f'id="score-{c.draw_id}-{c.seated[0]}"' in after.text
    form = {"draw_id": str(c.draw_id), "expert_id": str(c.seated[0]), "comment": "专业扎实"}
    wrong = await client.post(page_url, headers=purchaser, data=form | {"score": "120"})
    assert wrong.status_code == 400 and f'href="#score-{c.draw_id}-{c.seated[0]}"' in wrong.text
    done = await client.post(page_url, headers=purchaser, data=form | {"score": "88"}, follow_redirects=False)
    assert done.status_code == 303, done.text
    shown = await client.get(page_url, headers=purchaser)
    assert "专业扎实" in shown.text and f'id="score-{c.draw_id}-{c.seated[0]}"' not in shown.text
