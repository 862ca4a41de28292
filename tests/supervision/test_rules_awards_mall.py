"""The rules over awards (rotating winners) and mall orders (price above the reference, late acceptance and
settlement), each on data that raises it and data that must not, and their evidence on the alert page."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bidding import envelope
from procurement.identity.models import Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from procurement.supervision import rules
from procurement.supervision.models import RiskThreshold
from procurement.supervision.service import CHECK_DELAY
from tests.bidding.award_testlib import hand_over
from tests.bidding.bid_testlib import Bidder, bidder, open_tender, sealed, submit
from tests.conftest import bearer
from tests.mall.order_testlib import build_shop
from tests.supervision.supervision_testlib import alerts_of

ONE_LOT = [{"title": "全部内容", "budget": "1250000.00"}]

# --- rotating_winners: the grouping on its own -------------------------------------------------------------

A, B, C, D, E = 1, 2, 3, 4, 5
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _meetings(*lots: tuple[int, set[int]]) -> list[rules.Meeting]:
    return [rules.Meeting(i, i, 1, winner, frozenset(bidders), T0 + timedelta(days=i)) for i, (winner, bidders) in enumerate(lots, start=1)]


def _groups(*lots: tuple[int, set[int]]) -> list[set[int]]:
    return [set(group) for group, _ in rules.rotations(_meetings(*lots), min_bidders=3, min_tenders=3, max_share=Decimal("0.5"))]


def test_three_bidders_meeting_three_times_and_each_winning_once_are_a_rotation() -> None:
    assert _groups((A, {A, B, C}), (B, {A, B, C, E}), (C, {A, B, C})) == [{A, B, C}]
    # A member present everywhere joins the group; one present once does not.
    assert _groups((A, {A, B, C, D}), (B, {A, B, C, D}), (D, {A, B, C, D}), (C, {A, B, C})) == [{A, B, C, D}]
    assert _groups((A, {A, B, C, D}), (B, {A, B, C}), (C, {A, B, C})) == [{A, B, C}]
    # Two take turns while a third covers: A, B, A, B.
    assert _groups((A, {A, B, C}), (B, {A, B, C}), (A, {A, B, C}), (B, {A, B, C})) == [{A, B, C}]


def test_no_rotation_where_one_wins_most_they_meet_too_rarely_or_an_outsider_wins() -> None:
    assert _groups((A, {A, B, C}), (A, {A, B, C}), (A, {A, B, C})) == []  # the same winner: no turns taken
    assert _groups((A, {A, B, C}), (B, {A, B, C}), (A, {A, B, C})) == []  # A holds two thirds of the wins
    assert _groups((A, {A, B, C}), (B, {A, B, C})) == []  # two tenders only
    assert _groups((A, {A, B}), (B, {A, B}), (A, {A, B}), (B, {A, B})) == []  # two bidders are not a ring of three
    assert _groups((A, {A, B, C}), (B, {A, B, C}), (E, {A, B, C, E})) == []  # the third lot went to an outsider
    assert _groups((A, {A, B, C}), (B, {A, B, D}), (C, {A, C, D})) == []  # never the same three


# --- rotating_winners: on real awards ------------------------------------------------------------------------


async def _awarded(client, users, platform, clock, bidders: list[Bidder], prices: list[str]) -> int:
    """A one-lot tender where ``bidders`` bid ``prices``, opened, evaluated (hand-over), publicised and awarded to the cheapest."""
    tender = await open_tender(client, users, clock, lots=ONE_LOT)
    sent = []
    for who, price in zip(bidders, prices, strict=True):
        who.headers = await bearer(client, who.user)
        assert (await client.post(f"/api/tenders/{tender.id}/obtained", headers=who.headers)).status_code == 201
        data, signature = sealed(who, tender.id, 1, 1, price=price)
        completed = await submit(client, who, tender.id, 1, data, signature)
        assert completed.status_code == 201, completed.text
        sent.append((who, completed.json()["id"], data))
    clock.set(datetime.fromisoformat((await client.get(f"/api/tenders/{tender.id}")).json()["bid_deadline"]) + timedelta(seconds=1))
    for _ in range(2):
        await sweep(platform, build_registry())
    operator = await bearer(client, await users.make(Role.operator))
    assert (await client.post(f"/api/tenders/{tender.id}/opening", headers=operator, json={"release_minutes": 30})).status_code == 201
    for who, bid_id, data in sent:
        key = base64.b64encode(envelope.unwrap_content_key(envelope.read_header([data]), who.keys.x25519)).decode()
        assert (await client.post(f"/api/bids/{bid_id}/release", headers=await bearer(client, who.user), json={"content_key": key})).status_code == 200
    assert (await client.post(f"/api/tenders/{tender.id}/opening/close", headers=operator)).status_code == 200
    await hand_over(platform, tender.id)
    owner = await bearer(client, tender.purchaser)
    lot = (await client.get(f"/api/tenders/{tender.id}/award", headers=owner)).json()["lots"][0]
    clock.set(datetime.fromisoformat(lot["publicity_ends_at"]))
    await sweep(platform, build_registry())
    done = await client.post(f"/api/tenders/{tender.id}/lots/1/award", headers=await bearer(client, tender.purchaser), json={"rank": 1})
    assert done.status_code == 200, done.text
    clock.advance(CHECK_DELAY + timedelta(seconds=1))
    await sweep(platform, build_registry())  # the awarded stage's checks
    return tender.id


async def test_three_bidders_taking_turns_across_the_regions_tenders_raise_one_alert_at_the_third_award(client, users, platform, clock) -> None:
    ring = [await bidder(client, users) for _ in range(3)]
    first, second, third = ring
    await _awarded(client, users, platform, clock, ring, ["900000.00", "910000.00", "920000.00"])
    await _awarded(client, users, platform, clock, ring, ["930000.00", "901000.00", "925000.00"])
    assert await alerts_of(platform, "rotating_winners") == []  # two meetings are not yet a pattern
    last = await _awarded(client, users, platform, clock, ring, ["950000.00", "940000.00", "902000.00"])

    [alert] = await alerts_of(platform, "rotating_winners")
    evidence = json.loads(alert.evidence)
    members = sorted(who.user.organisation_id for who in ring)
    assert json.loads(alert.organisation_ids) == members and alert.tender_id == last and alert.lot_number == 1
    assert [g["wins"] for g in evidence["group"]] == [1, 1, 1] and evidence["region"] == "460100"
    assert [lot["winner_id"] for lot in evidence["lots"]] == [w.user.organisation_id for w in (first, second, third)]
    assert alert.purchaser_organisation_id is None and len(evidence["purchasers"]) == 3  # three purchasers of one region

    supervisor = await bearer(client, await users.make(Role.supervisor))
    shown = await client.get(f"/supervision/alerts/{alert.id}", headers=supervisor)
    assert shown.status_code == 200 and any(rule in shown.text for rule in ("taking turns to win", "轮流中标"))
    assert all(lot["code"] in shown.text for lot in evidence["lots"])
    for role in (Role.supplier, Role.purchaser, Role.operator):
        assert (await client.get(f"/supervision/alerts/{alert.id}", headers=await bearer(client, await users.make(role)))).status_code == 403


# --- Mall orders ------------------------------------------------------------------------------------------


async def _reference(shop, product_id: int, price: str) -> None:
    added = await shop.client.post(f"/api/mall/products/{product_id}/references", headers=shop.mall.operator, json={
        "source": "jd", "url": "https://item.jd.com/100012345.html", "price": price, "observed_on": "2025-12-01"})
    assert added.status_code == 201, added.text


async def _fresh(shop) -> None:
    """New sessions for both parties after the clock moved days on."""
    shop.buyer, shop.seller = await bearer(shop.client, shop.purchaser), await bearer(shop.client, shop.supplier)


async def _accept(shop, order: dict):
    await _fresh(shop)
    return await shop.step(order["id"], "acceptance", shop.buyer,
                           {"items": [{"item_id": i["id"], "accepted_quantity": i["quantity"]} for i in order["items"]]})


async def _checks(platform, clock, delay: timedelta = CHECK_DELAY) -> None:
    clock.advance(delay + timedelta(seconds=1))
    await sweep(platform, build_registry())


async def test_an_order_priced_over_110_percent_of_the_ecommerce_average_raises_an_alert_once(client, users, platform, clock) -> None:
    shop = await build_shop(client, users)
    product_id, price = shop.product["id"], Decimal(shop.product["price"])
    # Within 110% of the average: no alert.
    await _reference(shop, product_id, str((price / Decimal("1.05")).quantize(Decimal("0.01"))))
    fair = await shop.placed()
    await _checks(platform, clock)
    assert await alerts_of(platform, "mall_price_above_reference") == []

    # The average falls (a newer observation), an operator approves the held price, and the next order pays 1.5 times it.
    cheaper = await shop.client.post(f"/api/mall/products/{product_id}/references", headers=shop.mall.operator, json={
        "source": "jd", "url": "https://item.jd.com/100012345.html", "price": str((price / Decimal("1.5")).quantize(Decimal("0.01"))),
        "observed_on": "2025-12-20"})
    assert cheaper.status_code == 201, cheaper.text
    [review] = (await client.get("/api/mall/monitoring", headers=shop.mall.operator)).json()["reviews"]
    approved = await client.post(f"/api/mall/reviews/{review['id']}/decision", headers=shop.mall.operator,
                                 json={"approve": True, "reason": "厂家调价，已核实"})
    assert approved.status_code == 200, approved.text
    dear = await shop.placed()
    await _checks(platform, clock)
    await _checks(platform, clock)
    [alert] = await alerts_of(platform, "mall_price_above_reference")
    evidence = json.loads(alert.evidence)
    assert evidence["order_id"] == dear["id"] != fair["id"] and evidence["ratio"] == "1.10"
    [item] = evidence["items"]
    assert item["product_id"] == product_id and item["times_reference"] == "1.50" and item["references"][0]["observed_on"] == "2025-12-20"
    assert json.loads(alert.organisation_ids) == sorted([shop.purchaser.organisation_id, shop.supplier.organisation_id])

    supervisor = await bearer(client, await users.make(Role.supervisor))
    shown = await client.get(f"/supervision/alerts/{alert.id}", headers=supervisor)
    assert shown.status_code == 200 and f'href="/mall/orders/{dear["id"]}"' in shown.text and item["unit_price_yuan"] in shown.text


async def test_a_shipped_order_not_accepted_within_7_days_then_not_settled_within_30_raises_one_alert_each(client, users, platform, clock) -> None:
    shop = await build_shop(client, users)
    prompt, slow = await shop.placed(), await shop.placed()
    for order in (prompt, slow):
        assert (await shop.step(order["id"], "confirm", shop.seller)).status_code == 200
        shipped = await shop.step(order["id"], "ship", shop.seller, {"delivery_note": "顺丰 SF1234567890"})
        assert shipped.status_code == 200, shipped.text
        order["items"] = shipped.json()["items"]
    clock.advance(timedelta(days=6))
    accepted = await _accept(shop, prompt)
    assert accepted.status_code == 200, accepted.text
    await _checks(platform, clock, timedelta(days=1))
    [late] = await alerts_of(platform, "mall_late_acceptance")
    evidence = json.loads(late.evidence)
    assert evidence["order_id"] == slow["id"] and evidence["days"] == 7 and evidence["status"] == "shipped"

    await _checks(platform, clock, timedelta(days=1))  # still late: still one alert
    assert len(await alerts_of(platform, "mall_late_acceptance")) == 1
    assert (await _accept(shop, slow)).status_code == 200
    assert (await shop.step(slow["id"], "invoice", shop.seller, {"number": "46002600001234", "amount": slow["total"]})).status_code == 200
    # The prompt order is settled on the 29th day; the slow one waits past its 30th.
    clock.advance(timedelta(days=27))
    await _fresh(shop)
    assert (await shop.step(prompt["id"], "invoice", shop.seller, {"number": "46002600001235", "amount": prompt["total"]})).status_code == 200
    assert (await shop.step(prompt["id"], "payment", shop.buyer, {"reference": "国库集中支付 ZF2026-000123"})).status_code == 200
    await _checks(platform, clock, timedelta(days=3))
    [unpaid] = await alerts_of(platform, "mall_late_settlement")
    assert json.loads(unpaid.evidence)["order_id"] == slow["id"] and json.loads(unpaid.evidence)["status"] == "invoiced"

    supervisor = await bearer(client, await users.make(Role.supervisor))
    shown = await client.get(f"/supervision/alerts/{unpaid.id}", headers=supervisor)
    assert shown.status_code == 200 and f'href="/mall/orders/{slow["id"]}"' in shown.text


async def test_the_days_allowed_come_from_configuration_by_the_purchasers_region(client, users, platform, clock) -> None:
    shop = await build_shop(client, users)
    order = await shop.placed()
    assert (await shop.step(order["id"], "confirm", shop.seller)).status_code == 200
    assert (await shop.step(order["id"], "ship", shop.seller, {"delivery_note": "自送"})).status_code == 200
    async with platform.db.transaction() as session:
        session.add(RiskThreshold(name="mall_acceptance_days", value="2"))
    await _checks(platform, clock, timedelta(days=1))
    assert await alerts_of(platform, "mall_late_acceptance") == []
    await _checks(platform, clock, timedelta(days=1))
    [alert] = await alerts_of(platform, "mall_late_acceptance")
    assert json.loads(alert.evidence)["days"] == 2
