"""Amendments move a deadline that comes too soon; the calendar counts working days; the public finds tenders."""

from __future__ import annotations

from datetime import date, timedelta

from procurement.identity.models import Role
from tests.conftest import bearer
from tests.tenders.test_tender_lifecycle import _accepted
from tests.tenders.tender_testlib import draft_body


async def test_an_amendment_close_to_the_deadline_moves_it(client, users, platform, clock) -> None:
    tender_id, owner, _, purchaser = await _accepted(client, platform, users, clock)
    assert (await client.post(f"/api/tenders/{tender_id}/amendments", headers=owner, json={"summary": "尚未发布不能澄清"})).status_code == 409
    await client.post(f"/api/tenders/{tender_id}/publish", headers=owner, json={})
    first = await client.post(f"/api/tenders/{tender_id}/amendments", headers=owner, json={"summary": "更正工程量清单"})
    assert first.status_code == 201 and not first.json()["deadline_moved"]  # 26 days remain
    deadline = first.json()["deadline_after"]
    clock.advance(timedelta(days=20))  # six days remain now
    owner = await bearer(client, purchaser)  # the login of 20 days ago has expired
    second = await client.post(f"/api/tenders/{tender_id}/amendments", headers=owner, json={"summary": "补充技术参数"})
    assert second.status_code == 201 and second.json()["deadline_moved"]
    assert second.json()["deadline_before"] == deadline
    moved = (await client.get(f"/api/tenders/{tender_id}")).json()
    assert moved["bid_deadline"] == second.json()["deadline_after"]
    assert moved["bid_deadline"][:10] == (clock.now() + timedelta(days=15)).date().isoformat()
    listed = (await client.get(f"/api/tenders/{tender_id}/amendments")).json()
    assert [a["number"] for a in listed] == [1, 2]


async def test_operators_keep_the_holiday_calendar_and_working_days_follow_it(client, users, platform, clock) -> None:
    operator = await bearer(client, await users.make(Role.operator))
    purchaser = await bearer(client, await users.make(Role.purchaser))
    holiday = date(2026, 1, 7)  # a Wednesday, in the test clock's week
    assert (await client.put(f"/api/calendar/{holiday}", headers=purchaser, json={"kind": "holiday"})).status_code == 403
    weekday_as_weekend = await client.put(f"/api/calendar/{holiday}", headers=operator, json={"kind": "working_weekend"})
    assert weekday_as_weekend.status_code == 422
    assert (await client.put(f"/api/calendar/{holiday}", headers=operator, json={"kind": "holiday", "name": "示例假日"})).status_code == 200
    assert (await client.get("/api/calendar", params={"year": 2026})).json() == [{"day": "2026-01-07", "kind": "holiday", "name": "示例假日"}]
    # Government procurement: documents on offer for 5 working days. From Tuesday 6 January,
    # 5 working days would end on Tuesday 13th; with the holiday on the 7th, on the 14th.
    start = clock.now().replace(hour=1) + timedelta(days=1)
    body = draft_body(clock.now(), track="government", documents_in=start - clock.now())
    body["timeline"]["documents_until"] = (start + timedelta(days=7)).isoformat()
    tender_id = (await client.post("/api/tenders", headers=purchaser, json=body)).json()["id"]
    refused = await client.post(f"/api/tenders/{tender_id}/submit", headers=purchaser)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.timeline.documents_until"
    assert (await client.delete(f"/api/calendar/{holiday}", headers=operator)).status_code == 204
    assert (await client.post(f"/api/tenders/{tender_id}/submit", headers=purchaser)).status_code == 200


async def test_the_public_finds_published_tenders_by_keyword_and_filters_with_a_stable_cursor(client, users, platform, clock) -> None:
    published = []
    for title, track in (("海口市第一中学食堂设备采购", "government"), ("美兰区道路改造工程", "works"), ("海口市第二中学校服采购", "government")):
        tender_id, owner, *_ = await _accepted(client, platform, users, clock, track=track, title=title)
        await client.post(f"/api/tenders/{tender_id}/publish", headers=owner, json={})
        published.append(tender_id)
        clock.advance(timedelta(minutes=10))
    draft_owner = await bearer(client, await users.make(Role.purchaser))
    await client.post("/api/tenders", headers=draft_owner, json=draft_body(clock.now(), title="海口市第三中学草稿项目"))

    everything = (await client.get("/api/tenders")).json()
    assert [t["id"] for t in everything["items"]] == published[::-1]  # newest first, no drafts
    schools = (await client.get("/api/tenders", params={"q": "中学"})).json()
    assert {t["title"] for t in schools["items"]} == {"海口市第一中学食堂设备采购", "海口市第二中学校服采购"}
    works = (await client.get("/api/tenders", params={"track": "works"})).json()
    assert [t["title"] for t in works["items"]] == ["美兰区道路改造工程"]
    assert (await client.get("/api/tenders", params={"budget_min": "2000000"})).json()["items"] == []
    page1 = (await client.get("/api/tenders", params={"limit": 2})).json()
    # A tender published between two page reads must not shift the next page.
    tender_id, owner, *_ = await _accepted(client, platform, users, clock, title="后来发布的项目")
    await client.post(f"/api/tenders/{tender_id}/publish", headers=owner, json={})
    page2 = (await client.get("/api/tenders", params={"limit": 2, "cursor": page1["next_cursor"]})).json()
    assert [t["id"] for t in page1["items"] + page2["items"]] == published[::-1]
    bad = await client.get("/api/tenders", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.cursor"
