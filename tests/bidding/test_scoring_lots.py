"""Each lot's evaluation scheme, chosen with the tender: defaults, checks with their articles,
what is stored, what the API and the pages show (docs/evaluation.md §1-2)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from bidding.evaluation.scoring import (
    GOVERNMENT_LOWEST_PRICE,
    GOVERNMENT_SCORING,
    Scheme,
    default_scheme,
)
from procurement.identity.models import Role
from procurement.tenders.models import Lot, Tender
from tests.conftest import bearer
from tests.tenders.tender_testlib import draft_body

CUSTOM = [
    {"code": "price", "name": "报价", "kind": "price", "points": "40.00"},
    {"code": "solution", "name": "技术方案", "kind": "technical", "points": "35.50"},
    {"code": "after_sales", "name": "售后服务", "kind": "commercial", "points": "24.50"},
]


async def _stored(platform, tender_id: int) -> list[Lot]:
    async with platform.db.transaction(write=False) as session:
        return list((await session.execute(select(Lot).where(Lot.tender_id == tender_id).order_by(Lot.number))).scalars())


async def _tenders(platform) -> int:
    async with platform.db.transaction(write=False) as session:
        return (await session.execute(select(func.count()).select_from(Tender))).scalar_one()


async def _owner(client, users) -> dict[str, str]:
    return await bearer(client, await users.make(Role.purchaser))


async def test_omitted_schemes_are_the_defaults_of_category_and_method(client, users, platform, clock) -> None:
    owner = await _owner(client, users)
    created = await client.post("/api/tenders", headers=owner, json=draft_body(clock.now()))  # works: comprehensive + lowest price
    assert created.status_code == 201, created.text
    first, second = created.json()["lots"]
    assert first["evaluation_method"] == "comprehensive_scoring"
    assert [(c["code"], c["kind"], c["points"]) for c in first["evaluation_scheme"]["criteria"]] == [
        ("price", "price", "50.00"), ("technical", "technical", "40.00"), ("commercial", "commercial", "10.00")]
    assert first["evaluation_scheme"]["tie_break"] == "lower_price" and first["evaluation_scheme"]["discard_extremes"] is False
    assert second["evaluation_method"] == second["evaluation_scheme"]["method"] == "lowest_price"
    lots = await _stored(platform, created.json()["id"])
    assert [Scheme.from_encoded(json.loads(lot.evaluation_scheme)) for lot in lots] == [
        default_scheme("works", "works", "comprehensive_scoring"), default_scheme("works", "works", "lowest_price")]
    # Stored in canonical form: sorted keys, no spaces, Chinese as UTF-8.
    assert lots[0].evaluation_scheme.startswith('{"criteria":[{"code":"price","kind":"price","name":"价格","points":"50.00"}')


async def test_a_tender_sets_its_own_criteria_and_rules(client, users, platform, clock) -> None:
    owner = await _owner(client, users)
    body = draft_body(clock.now())
    body["lots"][0].update(criteria=CUSTOM, discard_extremes=True, tie_break="higher_technical")
    created = await client.post("/api/tenders", headers=owner, json=body)
    assert created.status_code == 201, created.text
    shown = (await client.get(f"/api/tenders/{created.json()['id']}", headers=owner)).json()["lots"][0]["evaluation_scheme"]
    assert shown["criteria"] == CUSTOM
    assert (shown["discard_extremes"], shown["tie_break"], shown["disagreement_share"]) == (True, "higher_technical", "0.30")
    # The draft's edit replaces the scheme: back to the default when the lot no longer sets one.
    body["lots"][0] = {k: v for k, v in body["lots"][0].items() if k not in ("criteria", "discard_extremes", "tie_break")}
    edited = await client.put(f"/api/tenders/{created.json()['id']}", headers=owner, json=body)
    assert edited.status_code == 200, edited.text
    assert edited.json()["lots"][0]["evaluation_scheme"]["criteria"][0]["points"] == "50.00"


async def _refused(client, owner, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/api/tenders", headers=owner, json=body)
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    return error


async def test_a_government_price_weight_under_the_floor_is_refused_with_its_article(client, users, platform, clock) -> None:
    owner = await _owner(client, users)
    body = draft_body(clock.now(), track="government")  # goods
    body["lots"][1]["evaluation_method"] = "comprehensive_scoring"
    body["lots"][1]["criteria"] = [{**CUSTOM[0], "points": "29.99"}, {**CUSTOM[1], "points": "45.51"}, CUSTOM[2]]
    error = await _refused(client, owner, body)
    assert error["field"] == "body.lots[1].criteria[0].points"
    assert error["message"].endswith(f"[{GOVERNMENT_SCORING}]") and "29.99" in error["message"]
    assert await _tenders(platform) == 0


async def test_government_ties_and_lowest_price_schemes_are_held_to_the_law(client, users, platform, clock) -> None:
    owner = await _owner(client, users)
    body = draft_body(clock.now(), track="government")
    body["lots"][1]["tie_break"] = "earlier_submission"
    error = await _refused(client, owner, body)
    assert error["field"] == "body.lots[1].tie_break" and error["message"].endswith(f"[{GOVERNMENT_LOWEST_PRICE}]")
    body = draft_body(clock.now(), track="government")
    body["lots"][1]["criteria"] = CUSTOM  # lowest price takes the price alone
    assert (await _refused(client, owner, body))["field"] == "body.lots[1].criteria"
    body = draft_body(clock.now())
    body["lots"][0]["criteria"] = CUSTOM[1:]  # no price criterion, 60 points
    assert (await _refused(client, owner, body))["field"] == "body.lots[0].criteria"
    assert await _tenders(platform) == 0


async def test_the_api_limits_criteria_at_the_edge(client, users, platform, clock) -> None:
    owner = await _owner(client, users)
    for criteria in ([], [{**CUSTOM[0], "points": "100.001"}], [{**CUSTOM[0], "kind": "quality"}]):
        body = draft_body(clock.now())
        body["lots"][0]["criteria"] = criteria
        response = await client.post("/api/tenders", headers=owner, json=body)
        assert response.status_code in (400, 422), response.text
    assert await _tenders(platform) == 0


async def test_the_tender_page_lists_each_lots_criteria_and_points(client, users, platform, clock) -> None:
    owner = await _owner(client, users)
    body = draft_body(clock.now())
    body["lots"][0].update(criteria=CUSTOM, discard_extremes=True)
    tender_id = (await client.post("/api/tenders", headers=owner, json=body)).json()["id"]
    page = await client.get(f"/manage/tenders/{tender_id}", headers={**owner, "Accept": "text/html"})
    assert page.status_code == 200, page.text
    assert "技术方案" in page.text and "35.5" in page.text and "售后服务" in page.text
    client.cookies.set("lang", "en")
    try:
        english = (await client.get(f"/manage/tenders/{tender_id}", headers={**owner, "Accept": "text/html"})).text
    finally:
        client.cookies.delete("lang")
    assert "35.5 points" in english and "score sheets are discarded" in english
    assert "Equal prices rank equal" in english  # the second lot: lowest price
