"""The change feed (order, cursor, watermark, late commits) and the Atom feed of notices."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

from sqlalchemy import func, select

from procurement.identity.models import Role
from procurement.tenders import notices, ocds, service
from procurement.tenders.models import Notice, NoticeKind, Tender
from tests.conftest import bearer
from tests.tenders.tender_testlib import draft_body
from tests.tenders.test_ocds import close_bidding, published_tender, released

ATOM = "{http://www.w3.org/2005/Atom}"


async def _feed(client, after: int = 0, limit: int = 100) -> dict:
    response = await client.get("/api/feed/tenders", params={"after": after, "limit": limit})
    assert response.status_code == 200, response.text
    return response.json()


async def _read_all(client, after: int = 0, limit: int = 100) -> tuple[list[dict], int]:
    """What a reader collects by following the cursor until a page is no longer full."""
    items: list[dict] = []
    while True:
        page = await _feed(client, after, limit)
        items += page["items"]
        after = page["next_cursor"]
        if not page["more"]:
            return items, after


async def test_the_feed_gives_every_change_in_order_behind_the_watermark(client, users, clock, platform) -> None:
    watermark = timedelta(seconds=platform.settings.feed_watermark_seconds)
    first, owner = await published_tender(client, users, clock, platform)
    clock.advance(timedelta(seconds=1))
    second, _ = await published_tender(client, users, clock, platform)
    # A draft and a tender waiting for review are nobody's business: they never appear.
    drafter = await bearer(client, await users.make(Role.purchaser))
    assert (await client.post("/api/tenders", headers=drafter, json=draft_body(clock.now()))).status_code == 201

    # Both changes are younger than the watermark: nothing yet, and the cursor stays put.
    page = await _feed(client)
    assert page["items"] == [] and page["next_cursor"] == 0 and page["more"] is False
    assert datetime.fromisoformat(page["watermark"]) == clock.now() - watermark
    # The first one ages past the watermark; the second, a second younger, still waits.
    clock.advance(watermark - timedelta(seconds=1))
    page = await _feed(client)
    assert [item["tender"]["id"] for item in page["items"]] == [first]
    clock.advance(timedelta(seconds=1))
    items, cursor = await _read_all(client)
    assert [(item["tender"]["id"], item["tag"]) for item in items] == [(first, ["tender"]), (second, ["tender"])]
    item = items[0]
    assert item["ocid"].startswith(platform.settings.ocds_prefix + "-") and item["release_id"] == item["ocid"] + "-1"
    assert item["tender"]["status"] == "published" and item["tender"]["budget"] == "1250000.00"
    assert item["release_package_url"].endswith(f"/api/ocds/tenders/{first}/releases")
    assert cursor == items[-1]["cursor"] and items[0]["cursor"] < items[1]["cursor"]

    # An amendment and a closing later: a reader continuing from its cursor gets exactly those.
    clock.advance(timedelta(days=12))
    amended = await client.post(f"/api/tenders/{first}/amendments", headers=await bearer(client, owner), json={"summary": "补充技术参数"})
    assert amended.status_code == 201, amended.text
    await released(platform, first, ["tenderAmendment"], before=1)
    await close_bidding(platform, clock, second, before=1)
    clock.advance(watermark)
    newer, cursor = await _read_all(client, after=cursor, limit=1)  # one per page: the cursor carries the reader across
    assert [(item["tender"]["id"], item["tag"]) for item in newer] == [(first, ["tenderAmendment"]), (second, ["tenderUpdate"])]
    assert newer[1]["tender"]["status"] == "bidding_closed"
    assert (await _feed(client, after=cursor))["items"] == []
    # Read from the start again, the feed is the same list in the same order.
    again, _ = await _read_all(client, limit=3)
    assert [i["cursor"] for i in again] == [i["cursor"] for i in items + newer]


async def test_a_change_committed_late_with_an_old_stamp_is_still_handed_out(client, users, clock, platform) -> None:
    """A transaction stamps its release, then waits; a reader reads past its stamp; then it commits."""
    tender_id, _ = await published_tender(client, users, clock, platform)
    clock.advance(timedelta(minutes=1))
    items, cursor = await _read_all(client)
    assert [i["tender"]["id"] for i in items] == [tender_id]

    async with platform.db.transaction() as writer:
        tender = await writer.get(Tender, tender_id, with_for_update=True)
        late = await ocds.record_release(writer, platform, tender, ["tenderUpdate"])  # type: ignore[arg-type]
        stamped = late.date
        # The writer dawdles: the clock runs far past its stamp, and a reader asks meanwhile.
        clock.advance(timedelta(minutes=10))
        meanwhile = await _feed(client, after=cursor)
        assert meanwhile["items"] == [] and meanwhile["next_cursor"] == cursor
        # A cursor made of times would now stand past the stamp and skip the release for good.
        assert datetime.fromisoformat(meanwhile["watermark"]) > stamped
    # Committed now: the reader's next call, from the same cursor, gets it.
    page = await _feed(client, after=cursor)
    assert [(i["release_id"], i["tag"]) for i in page["items"]] == [(late.release_id, ["tenderUpdate"])]
    assert datetime.fromisoformat(page["items"][0]["date"]) == stamped


async def test_a_page_stops_at_the_first_change_too_young_even_if_later_ones_are_older(client, users, clock, platform) -> None:
    """Processes whose clocks disagree can stamp a later release earlier: the feed never jumps ahead of the young one."""
    tender_id, _ = await published_tender(client, users, clock, platform)
    clock.advance(timedelta(minutes=1))
    _, cursor = await _read_all(client)
    async with platform.db.transaction() as session:
        tender = await session.get(Tender, tender_id)
        young = await ocds.record_release(session, platform, tender, ["tenderUpdate"])  # type: ignore[arg-type]
    clock.advance(timedelta(hours=-1))  # the next writer's clock is an hour behind
    async with platform.db.transaction() as session:
        tender = await session.get(Tender, tender_id)
        old_stamp = await ocds.record_release(session, platform, tender, ["tenderUpdate"])  # type: ignore[arg-type]
    clock.set(young.date + timedelta(seconds=1))  # the second release is long past the watermark, the first is not
    page = await _feed(client, after=cursor)
    assert page["items"] == [] and page["next_cursor"] == cursor
    clock.advance(timedelta(minutes=1))
    page = await _feed(client, after=cursor)
    assert [i["release_id"] for i in page["items"]] == [young.release_id, old_stamp.release_id]


async def test_the_feed_refuses_a_bad_cursor_or_limit(client) -> None:
    for params in ({"after": -1}, {"after": "abc"}, {"after": 2**31}, {"limit": 0}, {"limit": 501}):
        refused = await client.get("/api/feed/tenders", params=params)
        assert refused.status_code in (400, 422), (params, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")


async def _ensure_notice(platform, tender_id: int, kind: NoticeKind) -> None:
    """The notice the tender service publishes with each change; made here if it does not yet."""
    async with platform.db.transaction() as session:
        count = (await session.execute(select(func.count()).select_from(Notice).where(Notice.tender_id == tender_id, Notice.kind == kind.value))).scalar_one()
        if count == 0:
            tender = await session.get(Tender, tender_id)
            await notices.publish(session, platform, None, tender, kind, lots=await service.lots_of(session, tender_id))  # type: ignore[arg-type]


async def test_the_atom_feed_lists_the_newest_public_notices(client, users, clock, platform) -> None:
    base = platform.settings.base_url
    # A title that must be escaped in XML.
    older, _ = await published_tender(client, users, clock, platform, title="A&B <门诊楼> \"改造\" 工程")
    await _ensure_notice(platform, older, NoticeKind.tender)
    clock.advance(timedelta(hours=1))
    newer, owner = await published_tender(client, users, clock, platform)
    await _ensure_notice(platform, newer, NoticeKind.tender)
    clock.advance(timedelta(days=12))
    amended = await client.post(f"/api/tenders/{newer}/amendments", headers=await bearer(client, owner), json={"summary": "更正开标地点"})
    assert amended.status_code == 201
    await _ensure_notice(platform, newer, NoticeKind.amendment)

    response = await client.get("/feeds/notices.atom")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # parses: well-formed, every title escaped
    assert feed.tag == f"{ATOM}feed"
    assert feed.find(f"{ATOM}id").text == f"{base}/feeds/notices.atom"  # type: ignore[union-attr]
    assert feed.find(f"{ATOM}author/{ATOM}name").text == platform.settings.ocds_publisher  # type: ignore[union-attr]
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == f"{base}/feeds/notices.atom"  # type: ignore[union-attr]

    async with platform.db.transaction(write=False) as session:
        stored = list((await session.execute(select(Notice).order_by(Notice.published_at.desc(), Notice.id.desc()))).scalars())
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}id").text for e in entries] == [f"{base}/notices/{n.id}" for n in stored]  # type: ignore[union-attr]
    assert feed.find(f"{ATOM}updated").text == entries[0].find(f"{ATOM}updated").text  # type: ignore[union-attr]
    newest = entries[0]
    assert newest.find(f"{ATOM}category").get("term") == "amendment"  # type: ignore[union-attr]
    links = {link.get("type"): link.get("href") for link in newest.findall(f"{ATOM}link")}
    assert links == {"text/html": f"{base}/notices/{stored[0].id}", "application/pdf": f"{base}/notices/{stored[0].id}/pdf"}
    assert {link.get("rel") for link in newest.findall(f"{ATOM}link")} == {"alternate"}
    titles = [e.find(f"{ATOM}title").text for e in entries]  # type: ignore[union-attr]
    assert any(title.startswith('A&B <门诊楼> "改造" 工程') for title in titles)  # type: ignore[union-attr]
    assert b"A&amp;B &lt;" in response.content
    for entry in entries:  # RFC 4287: every entry has an id, a title and an updated time
        for tag in ("id", "title", "updated"):
            assert entry.find(f"{ATOM}{tag}") is not None
        datetime.fromisoformat(entry.find(f"{ATOM}updated").text)  # type: ignore[union-attr, arg-type]


async def test_the_atom_feed_leaves_out_notices_of_tenders_not_public(client, users, clock, platform) -> None:
    owner = await bearer(client, await users.make(Role.purchaser))
    draft_id = (await client.post("/api/tenders", headers=owner, json=draft_body(clock.now(), title="尚未公开的项目草稿"))).json()["id"]
    async with platform.db.transaction() as session:  # a notice that should never exist for a draft: the feed still hides it
        draft = await session.get(Tender, draft_id)
        await notices.publish(session, platform, None, draft, NoticeKind.tender, lots=await service.lots_of(session, draft_id))  # type: ignore[arg-type]
    response = await client.get("/feeds/notices.atom")
    feed = ET.fromstring(response.content)
    assert feed.findall(f"{ATOM}entry") == []
    assert "尚未公开" not in response.text
