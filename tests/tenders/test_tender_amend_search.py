"""Amendments move a deadline that comes too soon; the calendar counts working days; the public finds tenders."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from procurement.identity.models import OrganisationKind, Role
from procurement.tenders import search
from procurement.tenders.models import Lot, Tender
from tests.conftest import bearer
from tests.tenders.tender_testlib import draft_body
from tests.tenders.test_tender_lifecycle import _accepted


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


# --- Search: every filter, the list item, cursors, query plans -----------------------------------
# Rows are written straight into the table here: what is searched is the table, and the way
# a tender gets published is tested above and in test_tender_lifecycle.

BASE = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


async def _put(platform, purchaser_id: int, *, code: str, title: str = "海口市办公设备采购", track: str = "government",
               category: str = "goods", method: str = "open", region: str = "460100", budget_fen: int = 100_000_00,
               status: str = "published", published_at: datetime | None = BASE, lots: int = 1, agency_id: int | None = None) -> int:
    moment = published_at or BASE
    async with platform.db.transaction() as session:
        tender = Tender(
            code=code, title=title, track=track, category=category, method=method, region=region, budget_fen=budget_fen,
            purchaser_organisation_id=purchaser_id, agency_organisation_id=agency_id, owner_organisation_id=agency_id or purchaser_id,
            status=status, documents_from=moment, documents_until=moment + timedelta(days=7), bid_deadline=moment + timedelta(days=25),
            published_at=published_at, created_at=moment, updated_at=moment,
        )
        session.add(tender)
        await session.flush()
        for number in range(1, lots + 1):
            session.add(Lot(tender_id=tender.id, number=number, title=f"第{number}包", budget_fen=budget_fen // lots,
                            evaluation_method="comprehensive_scoring"))
        return tender.id  # type: ignore[return-value]


async def _ids(client, **params) -> list[int]:
    response = await client.get("/api/tenders", params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_every_filter_narrows_the_public_list(client, users, platform) -> None:
    purchaser = await users.organisation(OrganisationKind.purchaser, "海口市第一中学")
    day = timedelta(days=1)
    school = await _put(platform, purchaser, code="460100-2026-ZC-0001", title="海口市第一中学食堂设备采购", published_at=BASE)
    road = await _put(platform, purchaser, code="460106-2026-GC-0002", title="美兰区道路改造工程", track="works", category="works",
                      method="invited", region="460106", budget_fen=5_000_000_00, published_at=BASE + day)
    care = await _put(platform, purchaser, code="469001-2026-ZC-0003", title="五指山市物业服务采购", category="services",
                      method="negotiation", region="469001", budget_fen=80_000_00, status="bidding_closed", published_at=BASE + 2 * day)
    percent = await _put(platform, purchaser, code="460100-2026-ZC-0004", title="打印纸100%再生纸采购", budget_fen=2_000_000_00,
                         published_at=BASE + 3 * day)
    # Never public, whatever the filters say: a draft, an accepted one not yet published.
    await _put(platform, purchaser, code="460100-2026-ZC-0005", title="海口市第二中学草稿", status="draft", published_at=None)
    await _put(platform, purchaser, code="460100-2026-ZC-0006", title="海口市第三中学待发布", status="accepted", published_at=None)

    assert await _ids(client) == [percent, care, road, school]  # newest publication first
    assert await _ids(client, q="中学") == [school]  # Chinese keyword, in the title
    assert await _ids(client, q="  道路改造 ") == [road]  # trimmed
    assert await _ids(client, q="GC-0002") == [road]  # or in the project code
    assert await _ids(client, q="100%") == [percent]  # % and _ are letters, not wildcards
    assert await _ids(client, q="0_") == []
    assert await _ids(client, region="460106") == [road]
    assert await _ids(client, track="works") == [road]
    assert await _ids(client, category="services") == [care]
    assert await _ids(client, method="negotiation") == [care]
    assert await _ids(client, status="bidding_closed") == [care]
    assert await _ids(client, status="draft") == []
    # Dates: from is inclusive, until exclusive; any offset is read as the moment it names.
    assert await _ids(client, published_from=(BASE + day).isoformat(), published_until=(BASE + 3 * day).isoformat()) == [care, road]
    assert await _ids(client, published_from=(BASE + day).astimezone(timezone(timedelta(hours=8))).isoformat()) == [percent, care, road]
    # Budget in yuan, both ends inclusive.
    assert await _ids(client, budget_min="800.00", budget_max="100000") == [school, care][::-1]
    assert await _ids(client, budget_min="2000000.00") == [road, percent][::-1]
    assert await _ids(client, budget_max="799.99") == []
    assert await _ids(client, region="460100", track="government", method="open", q="采购") == [percent, school]
    for name, value in (("region", "46010"), ("track", "roads"), ("status", "lost"), ("budget_min", "1.001"), ("published_from", "soon")):
        refused = await client.get("/api/tenders", params={name: value})
        assert refused.status_code in (400, 422) and refused.json()["errors"][0]["field"] == f"query.{name}", (name, refused.text)


async def test_a_list_item_is_what_the_list_shows_and_the_tender_has_the_rest(client, users, platform) -> None:
    purchaser = await users.organisation(OrganisationKind.purchaser, "海口市人民医院")
    agency = await users.organisation(OrganisationKind.agency, "海南示例招标代理有限公司")
    tender_id = await _put(platform, purchaser, code="460100-2026-GC-0007", title="门诊楼改造工程", track="works", category="works",
                           budget_fen=1_250_000_00, lots=2, agency_id=agency)
    [item] = (await client.get("/api/tenders")).json()["items"]
    assert item == {
        "id": tender_id, "code": "460100-2026-GC-0007", "title": "门诊楼改造工程", "track": "works", "category": "works",
        "method": "open", "region": "460100", "budget": "1250000.00", "status": "published", "green_channel": False,
        "purchaser_organisation_id": purchaser, "purchaser_name": "海口市人民医院", "agency_organisation_id": agency,
        "agency_name": "海南示例招标代理有限公司", "documents_from": "2026-03-01T08:00:00Z", "documents_until": "2026-03-08T08:00:00Z",
        "bid_deadline": "2026-03-26T08:00:00Z", "published_at": "2026-03-01T08:00:00Z", "lot_count": 2,
    }
    whole = (await client.get(f"/api/tenders/{tender_id}")).json()
    assert [lot["number"] for lot in whole["lots"]] == [1, 2] and "qualifications" in whole
    page = await client.get("/tenders", params={"q": "门诊楼"})
    assert page.status_code == 200 and "460100-2026-GC-0007" in page.text and "1,250,000.00" in page.text


async def test_pages_hold_every_tender_once_while_new_ones_are_published(client, users, platform) -> None:
    purchaser = await users.organisation(OrganisationKind.purchaser)
    # Seven tenders, three of them published in the same second: the id breaks the tie.
    moments = [BASE, BASE, BASE, BASE + timedelta(hours=1), BASE + timedelta(hours=2), BASE + timedelta(hours=2), BASE + timedelta(hours=3)]
    first = [await _put(platform, purchaser, code=f"460100-2026-ZC-{n:04d}", published_at=m) for n, m in enumerate(moments, 1)]
    expected = sorted(first, key=lambda i: (moments[first.index(i)], i), reverse=True)
    seen: list[int] = []
    cursor = None
    for n in range(10):
        page = (await client.get("/api/tenders", params={"limit": 2, **({"cursor": cursor} if cursor else {})})).json()
        seen += [item["id"] for item in page["items"]]
        # Published between two page reads, newer and at the very same moment as the page's last:
        # neither shifts the next page nor appears in it.
        await _put(platform, purchaser, code=f"460100-2026-ZC-{100 + n:04d}", published_at=BASE + timedelta(hours=5 + n))
        await _put(platform, purchaser, code=f"460100-2026-ZC-{200 + n:04d}", published_at=BASE + timedelta(hours=2))
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # The ties published later have higher ids than the page's last tender: they sort before it.
    assert seen == expected
    filtered = (await client.get("/api/tenders", params={"limit": 3, "q": "办公设备", "region": "460100"})).json()
    again = (await client.get("/api/tenders", params={"limit": 3, "q": "办公设备", "region": "460100", "cursor": filtered["next_cursor"]})).json()
    assert not {i["id"] for i in filtered["items"]} & {i["id"] for i in again["items"]}


# Filters a visitor combines; each plan must walk an index newest first and stop after a page.
COMMON_SEARCHES = [
    search.Search(),
    search.Search(region="460106"),
    search.Search(track="works"),
    search.Search(category="services"),
    search.Search(method="invited"),
    search.Search(status="published"),
    search.Search(region="460106", track="government"),
    search.Search(region="460106", method="open", category="goods"),
    search.Search(published_from=BASE + timedelta(days=100), published_until=BASE + timedelta(days=200)),
    search.Search(region="460105", published_from=BASE + timedelta(days=100)),
    search.Search(budget_min_fen=1_000_000_00),
    search.Search(keyword="医院"),
    search.Search(track="works", keyword="道路"),
    search.Search(after=(BASE + timedelta(days=300), 10_000)),
    search.Search(region="460107", after=(BASE + timedelta(days=300), 10_000)),
]
PLAN_ROWS = 20_000


async def _many(platform, purchaser_id: int) -> None:
    """PLAN_ROWS published tenders in one statement, spread like real ones, then fresh statistics."""
    regions = ["460100", "460105", "460106", "460107", "460108", "469001"]
    words = ["学校", "医院", "道路", "设备", "物业", "信息系统", "绿化", "供水", "办公家具", "车辆"]
    async with platform.db.transaction() as session:
        if platform.db.is_sqlite:
            numbers = f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {PLAN_ROWS}) SELECT i FROM n"
            moment = "datetime('2026-03-01 08:00:00', '+' || (i * 37 % 525600) || ' minutes')"
        else:
            numbers = f"SELECT i FROM generate_series(1, {PLAN_ROWS}) AS i"
            moment = "TIMESTAMPTZ '2026-03-01 08:00:00+00' + (i * 37 % 525600) * INTERVAL '1 minute'"

        def pick(values: list[str], step: int = 1) -> str:
            return f"CASE (i / {step}) % {len(values)} " + " ".join(f"WHEN {k} THEN '{v}'" for k, v in enumerate(values)) + " END"

        word, region = pick(words), pick(regions, 7)
        method, category = pick(["open", "invited", "negotiation"], 11), pick(["goods", "services", "works"], 13)
        track = "CASE WHEN i % 3 = 2 THEN 'works' ELSE 'government' END"
        status = "CASE WHEN i % 50 = 0 THEN 'draft' WHEN i % 7 = 0 THEN 'bidding_closed' ELSE 'published' END"
        await session.execute(text(
            "INSERT INTO tender (code, title, track, category, method, region, budget_fen, purchaser_organisation_id, "
            "owner_organisation_id, status, green_channel, documents_from, documents_until, bid_deadline, opening_place, "
            "contact_name, contact_phone, qualifications, published_at, closed_reason, created_at, updated_at) "
            f"SELECT 'PLAN-' || i, '海口市' || {word} || '采购项目' || i, {track}, {category}, {method}, {region}, "
            f"(i * 7919 % 5000000) * 100, :org, :org, {status}, false, {moment}, {moment}, {moment}, 'online', '', '', '', "
            f"CASE WHEN i % 50 = 0 THEN NULL ELSE {moment} END, '', {moment}, {moment} FROM ({numbers}) AS numbers"
        ), {"org": purchaser_id})
    async with platform.db.transaction() as session:
        if not platform.db.is_sqlite:
            # What autovacuum does after a bulk insert: move the GIN indexes' pending entries into
            # the index proper (the planner prices a long pending list as a slow index).
            for index in ("ix_tender_title_trgm", "ix_tender_code_trgm"):
                await session.execute(text("SELECT gin_clean_pending_list(CAST(:index AS regclass))"), {"index": index})
        await session.execute(text("ANALYZE"))


def _tender_steps(platform, explained: list) -> list[str]:
    """What the plan does with the tender table: one line per step, to assert on and to show."""
    if platform.db.is_sqlite:
        return [row[3] for row in explained if " tender " in f" {row[3]} " or "TEMP B-TREE" in row[3]]
    steps: list[str] = []

    def walk(node: dict) -> None:
        if node.get("Relation Name") == "tender" or node["Node Type"] in ("Sort", "Incremental Sort"):
            steps.append(f"{node['Node Type']} {node.get('Index Name', '')}".strip())
        for child in node.get("Plans", []):
            walk(child)

    walk(explained[0][0][0]["Plan"])
    return steps


async def test_the_common_searches_walk_an_index_and_never_read_the_whole_table(platform, users, database_url) -> None:
    await _many(platform, await users.organisation(OrganisationKind.purchaser))
    dialect = platform.db.writer.dialect
    for s in COMMON_SEARCHES:
        statement = search.statement(frozenset(s.parameters())).params(s.parameters())
        literal = statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
        async with platform.db.transaction(write=False) as session:
            prefix = "EXPLAIN QUERY PLAN " if platform.db.is_sqlite else "EXPLAIN (FORMAT JSON) "
            explained = (await session.execute(text(prefix + str(literal)))).all()
        steps = _tender_steps(platform, explained)
        assert steps, (s, explained)
        if platform.db.is_sqlite:
            # SEARCH ... USING INDEX: a range of an index; SCAN ... USING INDEX: an index walked in
            # order (newest first) until a page is full. Never the table, never a sort of every match.
            assert all("USING INDEX ix_tender_" in step or "USING COVERING INDEX ix_tender_" in step for step in steps), (s, steps)
            assert not any("TEMP B-TREE" in step for step in steps), (s, steps)
        else:
            assert not any(step.startswith(("Seq Scan", "Sort", "Bitmap Heap Scan")) for step in steps), (s, steps)
            assert any(step.startswith(("Index Scan", "Index Only Scan")) for step in steps), (s, steps)


async def test_a_rare_keyword_uses_the_trigram_index_on_postgresql(platform, users, database_url) -> None:
    if platform.db.is_sqlite:
        pytest.skip("SQLite has no trigram index: a rare keyword reads the (published_at, id) index (see search.py)")
    await _many(platform, await users.organisation(OrganisationKind.purchaser))
    s = search.Search(keyword="不存在的项目名称")
    statement = search.statement(frozenset(s.parameters())).params(s.parameters())
    literal = statement.compile(dialect=platform.db.writer.dialect, compile_kwargs={"literal_binds": True})
    async with platform.db.transaction(write=False) as session:
        explained = (await session.execute(text("EXPLAIN (FORMAT JSON) " + str(literal)))).all()
    steps = _tender_steps(platform, explained)
    plan = json.dumps(explained[0][0])
    assert "ix_tender_title_trgm" in plan and "ix_tender_code_trgm" in plan, plan
    assert not any(step.startswith(("Seq Scan", "Index Scan")) for step in steps), steps
    assert await platform.db.read(search.reader(s)) == []
