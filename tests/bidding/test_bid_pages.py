"""The sealed-bid pages: the bid page and the opening room, as each role sees them, and who is refused."""

from __future__ import annotations

from datetime import datetime, timedelta

from procurement.identity.models import Role
from tests.bidding.bid_testlib import bidder, open_tender, sealed, submit
from tests.bidding.test_opening import ONE_LOT, _closed_with_bids, _content_key
from tests.conftest import bearer
from tests.tenders.tender_testlib import draft_body

HTML = {"Accept": "text/html"}
TWO_LOTS = [{"title": "一标段", "budget": "800000.00", "bid_security": "16000.00"},
            {"title": "二标段", "budget": "450000.00", "bid_security": "0.00"}]


async def _as(client, user) -> dict[str, str]:
    client.cookies.set("lang", "en")
    return {**HTML, **await bearer(client, user)}


async def test_the_bid_page_shows_lots_security_versions_and_own_bids(client, users, clock) -> None:
    tender = await open_tender(client, users, clock, lots=TWO_LOTS)
    who = await bidder(client, users, tender.id)
    headers = await _as(client, who.user)
    first = await client.get(f"/tenders/{tender.id}/bid", headers=headers)
    assert first.status_code == 200, first.text
    text = first.text
    assert "/static/js/bid-page.js" in text and "/static/bidding.css" in text
    assert 'id="lot-1"' in text and 'id="lot-2"' in text and 'data-version="1"' in text
    assert "16,000.00" in text and "Bid security due (yuan)" in text
    assert f'data-organisation-id="{who.user.organisation_id}"' in text
    assert 'for="price-1"' in text and 'for="files-2"' in text  # every input labelled
    assert "has not submitted a bid" in text and "Withdraw</button>" not in text

    data, signature = sealed(who, tender.id, 1, 1, price="790000.00")
    bid = (await submit(client, who, tender.id, 1, data, signature)).json()
    again = (await client.get(f"/tenders/{tender.id}/bid", headers=headers)).text
    assert f'<tr data-bid="{bid["id"]}">' in again and "Submitted (current)" in again and "Withdraw</button>" in again
    assert 'id="lot-1" data-lot="1" data-version="2"' in again and 'id="lot-2" data-lot="2" data-version="1"' in again
    # Another supplier sees none of it: its own page, with no bid.
    other = await bidder(client, users, tender.id)
    theirs = (await client.get(f"/tenders/{tender.id}/bid", headers=await _as(client, other.user))).text
    assert f'data-bid="{bid["id"]}"' not in theirs and bid["envelope_sha256"][:16] not in theirs


async def test_the_bid_page_refuses_those_who_do_not_bid(client, users, clock) -> None:
    tender = await open_tender(client, users, clock, lots=ONE_LOT)
    client.cookies.set("lang", "en")
    anonymous = await client.get(f"/tenders/{tender.id}/bid", headers=HTML, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?next=")
    for role in (Role.purchaser, Role.operator, Role.supervisor, Role.expert):
        refused = await client.get(f"/tenders/{tender.id}/bid", headers=await _as(client, await users.make(role)))
        assert refused.status_code == 403, (role, refused.status_code)
    # The owner's own purchaser, too: bidding is for suppliers.
    assert (await client.get(f"/tenders/{tender.id}/bid", headers={**HTML, **tender.owner})).status_code == 403
    supplier = await _as(client, await users.make(Role.supplier))
    assert (await client.get("/tenders/999999/bid", headers=supplier)).status_code == 404


async def test_the_bid_page_says_when_documents_are_not_obtained_and_bids_are_closed(client, users, clock) -> None:
    tender = await open_tender(client, users, clock, lots=ONE_LOT)
    fresh = await bidder(client, users)  # keys, but documents not obtained
    text = (await client.get(f"/tenders/{tender.id}/bid", headers=await _as(client, fresh.user))).text
    assert "has not obtained the tender documents" in text and 'id="lot-1"' in text
    deadline = (await client.get(f"/api/tenders/{tender.id}")).json()["bid_deadline"]
    clock.set(datetime.fromisoformat(deadline) + timedelta(seconds=1))
    closed = (await client.get(f"/tenders/{tender.id}/bid", headers=await _as(client, fresh.user))).text
    assert "no longer accepts bids" in closed and 'id="lot-1"' not in closed


async def test_the_opening_room_for_the_operator_the_bidders_and_the_purchaser(client, users, platform, clock) -> None:
    tender, bidders = await _closed_with_bids(client, users, platform, clock)
    operator = await users.make(Role.operator)
    before = (await client.get(f"/tenders/{tender.id}/opening", headers=await _as(client, operator))).text
    assert 'id="start-form"' in before and "The opening has not started." in before and 'id="close-opening"' not in before
    assert (await client.post(f"/api/tenders/{tender.id}/opening", headers=await bearer(client, operator), json={})).status_code == 201

    running = (await client.get(f"/tenders/{tender.id}/opening", headers=await _as(client, operator))).text
    assert 'id="close-opening"' in running and 'id="start-form"' not in running and 'class="release"' not in running
    assert running.count('data-status="submitted"') == 3 and "Key not released yet" in running
    first, bid, _ = bidders[0]
    mine = (await client.get(f"/tenders/{tender.id}/opening", headers=await _as(client, first.user))).text
    assert f'data-bid="{bid["id"]}"' in mine and f"Release bid {bid['id']}" in mine and 'id="keys-panel"' in mine
    assert 'id="close-opening"' not in mine and 'id="start-form"' not in mine
    assert f'data-bid="{bidders[1][1]["id"]}"' not in mine  # only its own bids to release
    purchaser = (await client.get(f"/tenders/{tender.id}/opening", headers=await _as(client, tender.purchaser))).text
    assert "Who has released" in purchaser and 'class="release"' not in purchaser and 'id="keys-panel"' not in purchaser and 'id="close-opening"' not in purchaser

    for who, their_bid, their_data in bidders:
        released = await client.post(f"/api/bids/{their_bid['id']}/release", headers=await bearer(client, who.user),
                                     json={"content_key": _content_key(who, their_data)})
        assert released.status_code == 200
    hidden = (await client.get(f"/tenders/{tender.id}/opening", headers=await _as(client, operator))).text
    assert "1,180,000.00" not in hidden and "1180000.00" not in hidden  # prices come out together, at the close
    assert (await client.post(f"/api/tenders/{tender.id}/opening/close", headers=await bearer(client, operator))).status_code == 200
    closed = (await client.get(f"/tenders/{tender.id}/opening", headers=await _as(client, tender.purchaser))).text
    assert 'id="record-link"' in closed, closed[closed.find("<main"):]
    assert "1,180,000.00" in closed and "1,199,000.50" in closed and "The opening is closed." in closed


async def test_the_opening_room_refuses_strangers_and_hides_drafts(client, users, clock) -> None:
    tender = await open_tender(client, users, clock, lots=ONE_LOT)
    client.cookies.set("lang", "en")
    anonymous = await client.get(f"/tenders/{tender.id}/opening", headers=HTML, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?next=")
    supplier = await _as(client, await users.make(Role.supplier))
    shown = await client.get(f"/tenders/{tender.id}/opening", headers=supplier)
    assert shown.status_code == 200 and "The opening has not started." in shown.text and 'id="start-form"' not in shown.text
    assert (await client.get("/tenders/999999/opening", headers=supplier)).status_code == 404
    draft = (await client.post("/api/tenders", headers=tender.owner, json=draft_body(clock.now()))).json()["id"]
    assert (await client.get(f"/tenders/{draft}/opening", headers=supplier)).status_code == 404
    # Before bidding closes, the operator has nothing to start.
    early = (await client.get(f"/tenders/{tender.id}/opening", headers=await _as(client, await users.make(Role.operator)))).text
    assert 'id="start-form"' not in early and "once bidding has closed" in early
