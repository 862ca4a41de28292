"""Mall-only categories: below its region's tender threshold, a mall catalogue category is bought
in the mall and cannot be tendered (集中采购目录及限额标准; docs/tenders.md, "Mall-only categories").

The rules here are this test's configuration: region 460100 buys everything under "office"
through the mall below 1,000,000 yuan; region 469000 lists "furniture" and keeps the platform's
default threshold, 4,000,000 yuan in this test.
"""

from __future__ import annotations

import json
from itertools import count as serial

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from procurement.app import create_app
from procurement.audit.models import AuditEntry
from procurement.identity import schemas as identity_schemas
from procurement.identity import service as identity
from procurement.identity.models import OrganisationKind, Role
from procurement.identity.uscc import make_uscc
from procurement.tenders.models import Tender
from procurement.tenders.service import CHECKLISTS
from tests.conftest import bearer
from tests.tenders.tender_testlib import draft_body
from tests.tenders.test_manage_pages import HTML, draft_form, log_in

RULES = {"460100": {"mall_categories": ["office"], "tender_threshold": 1_000_000}, "469000": {"mall_categories": ["furniture"]}}
TREE = (("office", "办公设备", None), ("computers", "计算机", "office"), ("desktops", "台式计算机", "computers"),
        ("furniture", "办公家具", None), ("vehicles", "公务用车", None))
_uscc = serial(1)


@pytest.fixture
def client(client: AsyncTestClient) -> AsyncTestClient:
    """Not following redirects: the page tests read where a form leads (as in test_manage_pages)."""
    client.follow_redirects = False
    return client


@pytest.fixture
def settings(settings):
    return settings.with_overrides(mall_region_rules=json.dumps(RULES), mall_tender_threshold=4_000_000)


@pytest.fixture
async def tree(client, users) -> None:
    operator = await bearer(client, await users.make(Role.operator))
    ids: dict[str, int] = {}
    for code, name, parent in TREE:
        made = await client.post("/api/mall/categories", headers=operator, json={"code": code, "name": name, "parent_id": ids.get(parent)})
        assert made.status_code == 201, made.text
        ids[code] = made.json()["id"]


async def unit_in(platform, users, region: str, role: Role = Role.purchaser):
    """A user of a purchasing unit registered in ``region``."""
    async with platform.db.transaction() as session:
        org = await identity.system_create_organisation(session, platform, identity_schemas.OrganisationCreate(
            uscc=make_uscc(f"12460100MB{next(_uscc):07d}"), name=f"海口市第{next(_uscc)}中学", kind=OrganisationKind.purchaser, region=region,
        ), via="test")
    return await users.make(role, organisation_id=org.id)


def goods(now, budget: str, mall_category: str | None, **overrides):
    """A government goods tender, of one lot for the whole budget unless the lots are given."""
    overrides.setdefault("lots", [{"title": "第一包：设备", "budget": budget}])
    body = draft_body(now, track="government", budget=budget, **overrides)
    if mall_category is not None:
        body["mall_category"] = mall_category
    return body


async def tenders(platform) -> int:
    async with platform.db.transaction(write=False) as session:
        return (await session.execute(select(func.count()).select_from(Tender))).scalar_one()


def fields_of(response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {e["field"]: e["message"] for e in response.json()["errors"]}


@pytest.mark.usefixtures("tree")
async def test_below_the_limit_a_mall_only_category_or_any_under_it_is_refused_naming_the_rule(client, users, platform, clock) -> None:
    owner = await bearer(client, await unit_in(platform, users, "460100"))
    for code, shown in (("office", "office 办公设备"), ("desktops", "desktops 台式计算机")):
        refused = fields_of(await client.post("/api/tenders", headers=owner, json=goods(clock.now(), "999999.99", code)))
        assert set(refused) == {"body.mall_category", "body.budget"}
        for message in refused.values():
            assert "460100" in message and shown in message and "1000000.00" in message and "/mall" in message, message
        assert "(office)" in refused["body.mall_category"]  # the entry on the region's list that covers it
    # Lots do not lift a purchase over the limit: the whole tender's budget counts.
    lots = [{"title": "第一包", "budget": "600000.00"}, {"title": "第二包", "budget": "399999.99"}]
    assert fields_of(await client.post("/api/tenders", headers=owner, json=goods(clock.now(), "999999.99", "computers", lots=lots)))
    assert await tenders(platform) == 0


@pytest.mark.usefixtures("tree")
async def test_at_or_above_the_limit_the_tender_goes_ahead_and_the_reviewer_sees_its_category(client, users, platform, clock) -> None:
    owner = await bearer(client, await unit_in(platform, users, "460100"))
    created = await client.post("/api/tenders", headers=owner, json=goods(clock.now(), "1000000.00", "desktops"))
    assert created.status_code == 201, created.text
    tender_id = created.json()["id"]
    assert created.json()["mall_category"] == "desktops"
    assert (await client.post(f"/api/tenders/{tender_id}/submit", headers=owner)).status_code == 200
    async with platform.db.transaction(write=False) as session:
        details = (await session.execute(select(AuditEntry.details).where(AuditEntry.action == "tender.created"))).scalar_one()
    assert json.loads(details)["mall_category"] == "desktops"

    operator = await users.make(Role.operator)
    queue = await client.get("/api/tenders/review-queue", headers=await bearer(client, operator))
    assert [item["tender"]["mall_category"] for item in queue.json()] == ["desktops"]
    await log_in(client, operator)
    page = await client.get("/review-queue", headers=HTML)
    assert "desktops 台式计算机" in page.text
    review = await client.get(f"/review-queue/{tender_id}", headers=HTML)
    assert review.status_code == 200
    assert "<code>desktops</code> 台式计算机" in review.text and "1,000,000.00" in review.text and "（office）" in review.text  # the list entry that covers it


@pytest.mark.usefixtures("tree")
async def test_another_region_or_category_is_not_held_and_the_default_threshold_applies(client, users, platform, clock) -> None:
    now = clock.now()
    elsewhere = await bearer(client, await unit_in(platform, users, "469000"))
    nowhere = await bearer(client, await unit_in(platform, users, ""))  # no region: the defaults, which list nothing
    haikou = await bearer(client, await unit_in(platform, users, "460100"))
    for headers, code in ((elsewhere, "office"), (nowhere, "office"), (haikou, "vehicles"), (haikou, "furniture"), (haikou, None)):
        created = await client.post("/api/tenders", headers=headers, json=goods(now, "500000.00", code))
        assert created.status_code == 201, (code, created.text)
        assert (await client.post(f"/api/tenders/{created.json()['id']}/submit", headers=headers)).status_code == 200
    # 469000 has no threshold of its own: the platform's default decides.
    refused = fields_of(await client.post("/api/tenders", headers=elsewhere, json=goods(now, "3999999.99", "furniture")))
    assert "4000000.00" in refused["body.budget"] and "469000" in refused["body.budget"]
    assert (await client.post("/api/tenders", headers=elsewhere, json=goods(now, "4000000.00", "furniture"))).status_code == 201
    # A services purchase is held like goods.
    services = goods(now, "500000.00", "office", category="services")
    assert set(fields_of(await client.post("/api/tenders", headers=haikou, json=services))) == {"body.mall_category", "body.budget"}


@pytest.mark.usefixtures("tree")
async def test_works_are_unaffected_and_cannot_name_a_mall_category(client, users, platform, clock) -> None:
    owner = await bearer(client, await unit_in(platform, users, "460100"))
    now = clock.now()
    works = await client.post("/api/tenders", headers=owner, json=draft_body(now, budget="500000.00",
                                                                               lots=[{"title": "土建", "budget": "500000.00"}]))
    assert works.status_code == 201 and works.json()["mall_category"] is None
    assert (await client.post(f"/api/tenders/{works.json()['id']}/submit", headers=owner)).status_code == 200
    for body in (draft_body(now, mall_category="office"), goods(now, "5000000.00", "office", category="works", method="consultation")):
        refused = fields_of(await client.post("/api/tenders", headers=owner, json=body))
        assert list(refused) == ["body.mall_category"] and "goods or services" in refused["body.mall_category"]
    unknown = fields_of(await client.post("/api/tenders", headers=owner, json=goods(now, "5000000.00", "A0201")))
    assert unknown == {"body.mall_category": "there is no mall catalogue category A0201"}
    assert await tenders(platform) == 1


@pytest.mark.usefixtures("tree")
async def test_an_agency_is_held_to_its_purchasers_region_and_an_edit_is_checked_too(client, users, platform, clock) -> None:
    purchaser = await unit_in(platform, users, "460100")
    agency = await bearer(client, await users.make(Role.agency))  # an agency has no region rules of its own
    body = goods(clock.now(), "500000.00", "desktops", purchaser_organisation_id=purchaser.organisation_id)
    assert set(fields_of(await client.post("/api/tenders", headers=agency, json=body))) == {"body.mall_category", "body.budget"}
    allowed = await client.post("/api/tenders", headers=agency, json={**body, "mall_category": "vehicles"})
    assert allowed.status_code == 201
    tender_id = allowed.json()["id"]
    edited = await client.put(f"/api/tenders/{tender_id}", headers=agency, json=body)
    assert set(fields_of(edited)) == {"body.mall_category", "body.budget"}
    shown = await client.get(f"/api/tenders/{tender_id}", headers=agency)
    assert shown.json()["mall_category"] == "vehicles"  # nothing changed


@pytest.mark.usefixtures("tree")
async def test_submission_applies_the_rules_in_force_then(client, users, platform, settings, clock) -> None:
    """A draft saved before its category joined the mall list cannot be submitted after."""
    owner_user = await unit_in(platform, users, "460100")
    owner = await bearer(client, owner_user)
    saved = await client.post("/api/tenders", headers=owner, json=goods(clock.now(), "500000.00", "vehicles"))
    assert saved.status_code == 201
    tender_id = saved.json()["id"]
    stricter = {**RULES, "460100": {**RULES["460100"], "mall_categories": ["office", "vehicles"]}}
    restarted = create_app(settings.with_overrides(mall_region_rules=json.dumps(stricter)), clock=clock, run_scheduler=False)
    async with AsyncTestClient(app=restarted, base_url="http://127.0.0.1") as later:
        owner = await bearer(later, owner_user)
        refused = await later.post(f"/api/tenders/{tender_id}/submit", headers=owner)
        assert set(fields_of(refused)) == {"body.mall_category", "body.budget"}
        assert (await later.get(f"/api/tenders/{tender_id}", headers=owner)).json()["status"] == "draft"
        rules = await later.get("/api/mall/purchase-rules", params={"region": "460100"})
        assert rules.json()["mall_categories"] == ["office", "vehicles"]


async def test_the_purchase_rules_show_the_tender_threshold(client) -> None:
    haikou = (await client.get("/api/mall/purchase-rules", params={"region": "460100"})).json()
    assert haikou["tender_threshold"] == "1000000.00" and haikou["mall_categories"] == ["office"]
    default = (await client.get("/api/mall/purchase-rules", params={"region": "110000"})).json()
    assert default["tender_threshold"] == "4000000.00" and default["mall_categories"] == []


@pytest.mark.usefixtures("tree")
async def test_who_may_do_what_is_unchanged(client, users, platform, clock) -> None:
    owner = await bearer(client, await unit_in(platform, users, "460100"))
    created = await client.post("/api/tenders", headers=owner, json=goods(clock.now(), "2000000.00", "office"))
    tender_id = created.json()["id"]
    for role in (Role.supplier, Role.expert, Role.operator, Role.supervisor):
        headers = await bearer(client, await users.make(role))
        assert (await client.post("/api/tenders", headers=headers, json=goods(clock.now(), "2000000.00", "office"))).status_code == 403
        assert (await client.post(f"/api/tenders/{tender_id}/submit", headers=headers)).status_code in (403, 404), role
    other_purchaser = await bearer(client, await unit_in(platform, users, "460100"))
    assert (await client.post(f"/api/tenders/{tender_id}/submit", headers=other_purchaser)).status_code == 404
    checklist = {item: True for item in CHECKLISTS["open"]}
    assert (await client.post(f"/api/tenders/{tender_id}/review", headers=owner, json={"decision": "accepted", "checklist": checklist})).status_code == 403
    assert await tenders(platform) == 1


@pytest.mark.usefixtures("tree")
async def test_the_draft_form_offers_the_catalogue_and_shows_the_refusal_inline(client, users, platform) -> None:
    purchaser = await unit_in(platform, users, "460100")
    csrf = await log_in(client, purchaser)
    blank = await client.get("/manage/tenders/new", headers=HTML)
    assert '<select id="mall_category" name="mall_category"' in blank.text
    assert '<option value="desktops">' in blank.text and "台式计算机" in blank.text
    form = draft_form(platform.clock.now(), csrf=csrf, track="government", category="goods", budget="500,000.00", mall_category="desktops",
                      **{"lots-0-budget": "300000", "lots-0-bid_security": "0", "lots-2-budget": "200000", "lots-2-bid_security": "0"})
    refused = await client.post("/manage/tenders/new", data=form, headers=HTML)
    assert refused.status_code == 400
    for name in ("mall_category", "budget"):
        assert f'id="{name}-error"' in refused.text and f'href="#{name}"' in refused.text, name
    assert '<option value="desktops" selected>' in refused.text  # kept as chosen
    assert "/mall" in refused.text and "1000000.00" in refused.text
    assert await tenders(platform) == 0
    accepted = await client.post("/manage/tenders/new", data={**form, "mall_category": "vehicles"}, headers=HTML)
    assert accepted.status_code == 303, accepted.text
    async with platform.db.transaction(write=False) as session:
        assert (await session.execute(select(Tender.mall_category))).scalar_one() == "vehicles"
