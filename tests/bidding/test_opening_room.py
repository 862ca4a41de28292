"""The opening room: bidders present, confirmations and objections within the window, answers by those running the tender."""

from __future__ import annotations

from datetime import timedelta

from procurement.identity.models import Role
from tests.bidding.test_opening import _closed_with_bids, _content_key
from tests.conftest import bearer


async def _opened(client, users, platform, clock):
    tender, bidders = await _closed_with_bids(client, users, platform, clock)
    operator = await bearer(client, await users.make(Role.operator))
    assert (await client.post(f"/api/tenders/{tender.id}/opening", headers=operator, json={})).status_code == 201
    return tender, bidders, operator


async def test_bidders_see_who_is_present(client, users, platform, clock) -> None:
    tender, bidders, operator = await _opened(client, users, platform, clock)
    for who, _, _ in bidders[:2]:
        joined = await client.post(f"/api/tenders/{tender.id}/opening/presence", headers=await bearer(client, who.user))
        assert joined.status_code == 200
    again = await client.post(f"/api/tenders/{tender.id}/opening/presence", headers=await bearer(client, bidders[0][0].user))
    assert len(again.json()["present"]) == 2  # joining twice counts once
    outsider = await bearer(client, await users.make(Role.supplier))
    assert (await client.post(f"/api/tenders/{tender.id}/opening/presence", headers=outsider)).status_code == 403
    progress = (await client.get(f"/api/tenders/{tender.id}/opening", headers=operator)).json()
    assert len(progress["present"]) == 2


async def test_an_objection_is_recorded_answered_and_only_within_the_window(client, users, platform, clock) -> None:
    tender, bidders, operator = await _opened(client, users, platform, clock)
    first = await bearer(client, bidders[0][0].user)
    early = await client.post(f"/api/tenders/{tender.id}/opening/responses", headers=first, json={"kind": "confirmed"})
    assert early.status_code == 409  # nothing to confirm before the record
    for who, bid, data in bidders:
        assert (await client.post(f"/api/bids/{bid['id']}/release", headers=await bearer(client, who.user),
                                  json={"content_key": _content_key(who, data)})).status_code == 200
    assert (await client.post(f"/api/tenders/{tender.id}/opening/close", headers=operator)).status_code == 200

    confirmed = await client.post(f"/api/tenders/{tender.id}/opening/responses", headers=first, json={"kind": "confirmed"})
    assert confirmed.status_code == 201
    second = await bearer(client, bidders[1][0].user)
    empty = await client.post(f"/api/tenders/{tender.id}/opening/responses", headers=second, json={"kind": "objection", "text": ""})
    assert empty.status_code == 422 and "body.text" in empty.text
    objection = await client.post(f"/api/tenders/{tender.id}/opening/responses", headers=second,
                                  json={"kind": "objection", "text": "我单位工期应为180日，记录有误"})
    assert objection.status_code == 201
    objection_id = objection.json()["id"]
    # Neither another purchaser nor a bidder answers; the organisation running the tender does.
    for headers in (await bearer(client, await users.make(Role.purchaser)), first):
        assert (await client.post(f"/api/opening-responses/{objection_id}/answer", headers=headers,
                                  json={"answer": "不应由此人答复"})).status_code in (403, 404)
    owner = await bearer(client, tender.purchaser)
    answered = await client.post(f"/api/opening-responses/{objection_id}/answer", headers=owner, json={"answer": "经核对原文，记录更正为180日"})
    assert answered.status_code == 200 and answered.json()["answered_at"]
    listed = (await client.get(f"/api/tenders/{tender.id}/opening/responses", headers=await bearer(client, await users.make(Role.supervisor)))).json()
    assert [r["kind"] for r in listed] == ["confirmed", "objection"]
    outsider = await bearer(client, await users.make(Role.supplier))
    assert (await client.get(f"/api/tenders/{tender.id}/opening/responses", headers=outsider)).status_code == 403

    clock.advance(timedelta(minutes=31))
    late = await client.post(f"/api/tenders/{tender.id}/opening/responses", headers=await bearer(client, bidders[2][0].user),
                             json={"kind": "objection", "text": "迟到的异议"})
    assert late.status_code == 409 and "第四十四条" in late.text
