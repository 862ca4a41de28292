"""The public tender pages: the searchable list, one tender's notice, the home page's latest tenders."""

from __future__ import annotations

from datetime import timedelta

from procurement.identity.models import Role
from tests.conftest import bearer
from tests.tenders.tender_testlib import draft_body
from tests.tenders.test_tender_lifecycle import _accepted

HTML = {"Accept": "text/html"}


async def _published(client, platform, users, clock, **draft) -> tuple[int, dict[str, str]]:
    tender_id, owner, *_ = await _accepted(client, platform, users, clock, **draft)
    published = await client.post(f"/api/tenders/{tender_id}/publish", headers=owner, json={})
    assert published.status_code == 200, published.text
    return tender_id, owner


async def _draft(client, users, clock, title: str) -> int:
    owner = await bearer(client, await users.make(Role.purchaser))
    created = await client.post("/api/tenders", headers=owner, json=draft_body(clock.now(), title=title))
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def test_the_list_shows_published_tenders_not_drafts_and_filters_by_keyword(client, users, platform, clock) -> None:
    school, _ = await _published(client, platform, users, clock, track="government", title="海口市第一中学食堂设备采购")
    clock.advance(timedelta(minutes=10))
    road, _ = await _published(client, platform, users, clock, title="美兰区道路改造工程")
    await _draft(client, users, clock, "尚未发布的草稿项目")

    listed = await client.get("/tenders", headers=HTML)
    assert listed.status_code == 200
    assert "text/html" in listed.headers["content-type"]
    assert f'href="/tenders/{school}"' in listed.text and f'href="/tenders/{road}"' in listed.text
    assert "尚未发布的草稿项目" not in listed.text
    assert "1,250,000.00" in listed.text  # budget in yuan with thousands separators
    assert "已发布（投标中）" in listed.text and "公开招标" in listed.text
    assert listed.text.index("美兰区道路改造工程") < listed.text.index("海口市第一中学食堂设备采购")  # newest first

    found = await client.get("/tenders", params={"q": "食堂"}, headers=HTML)
    assert found.status_code == 200
    assert f'href="/tenders/{school}"' in found.text and f'href="/tenders/{road}"' not in found.text

    nothing = await client.get("/tenders", params={"q": "没有这个项目"}, headers=HTML)
    assert nothing.status_code == 200 and "没有符合条件的已发布招标项目" in nothing.text


async def test_the_search_form_may_send_its_empty_fields_and_filters_by_track(client, users, platform, clock) -> None:
    school, _ = await _published(client, platform, users, clock, track="government", title="海口市第一中学食堂设备采购")
    road, _ = await _published(client, platform, users, clock, title="美兰区道路改造工程")
    empty = {"q": "", "track": "", "category": "", "method": "", "region": ""}
    everything = await client.get("/tenders", params=empty, headers=HTML)
    assert everything.status_code == 200
    assert f'href="/tenders/{school}"' in everything.text and f'href="/tenders/{road}"' in everything.text
    works = await client.get("/tenders", params={**empty, "track": "works", "region": "460100"}, headers=HTML)
    assert works.status_code == 200
    assert f'href="/tenders/{road}"' in works.text and f'href="/tenders/{school}"' not in works.text
    assert '<option value="works" selected>' in works.text


async def test_wrong_filter_values_give_the_form_again_with_field_errors(client, users, platform, clock) -> None:
    bad_region = await client.get("/tenders", params={"region": "46010x"}, headers=HTML)
    assert bad_region.status_code in (400, 422)
    assert "text/html" in bad_region.headers["content-type"]
    assert 'id="region-error"' in bad_region.text and "6 位数字" in bad_region.text
    assert 'value="46010x"' in bad_region.text
    bad_choice = await client.get("/tenders", params={"method": "auction"}, headers=HTML)
    assert bad_choice.status_code in (400, 422) and 'id="method-error"' in bad_choice.text
    bad_cursor = await client.get("/tenders", params={"cursor": "not-a-cursor"}, headers=HTML)
    assert bad_cursor.status_code in (400, 422) and "翻页链接无效" in bad_cursor.text


async def test_the_next_page_link_carries_the_cursor_and_the_filters(client, users, platform, clock) -> None:
    from procurement.tenders import pages

    ids = []
    for n in range(3):
        tender_id, _ = await _published(client, platform, users, clock, title=f"分页测试项目{n}")
        ids.append(tender_id)
        clock.advance(timedelta(minutes=1))
    original = pages.PAGE_SIZE
    pages.PAGE_SIZE = 2
    try:
        first = await client.get("/tenders", params={"q": "分页"}, headers=HTML)
        assert first.status_code == 200 and 'rel="next"' in first.text
        link = first.text.split('href="/tenders?', 1)[1].split('"', 1)[0].replace("&amp;", "&")
        second = await client.get(f"/tenders?{link}", headers=HTML)
    finally:
        pages.PAGE_SIZE = original
    assert second.status_code == 200
    assert f'href="/tenders/{ids[0]}"' in second.text and f'href="/tenders/{ids[2]}"' not in second.text


async def test_the_tender_page_shows_its_lots_timeline_and_amendments(client, users, platform, clock) -> None:
    tender_id, owner = await _published(client, platform, users, clock)
    amended = await client.post(f"/api/tenders/{tender_id}/amendments", headers=owner, json={"summary": "更正工程量清单"})
    assert amended.status_code == 201, amended.text
    shown = await client.get(f"/tenders/{tender_id}", headers=HTML)
    assert shown.status_code == 200
    text = shown.text
    for expected in ("海口市人民医院门诊楼改造工程", "第一标段：土建", "第二标段：安装", "800,000.00", "16,000.00",
                     "综合评估法", "经评审的最低投标价法", "更正工程量清单", "未变更", "工程建设", "公开招标",
                     "具有建筑工程施工总承包三级及以上资质", "王工", "本平台线上开标"):
        assert expected in text, expected

    client.cookies.set("lang", "en")
    try:
        english = await client.get(f"/tenders/{tender_id}", headers=HTML)
    finally:
        client.cookies.delete("lang")
    assert 'lang="en"' in english.text
    assert "Open tender" in english.text and "Comprehensive scoring" in english.text and "Construction works" in english.text


async def test_a_draft_is_not_shown_to_the_public(client, users, platform, clock) -> None:
    draft = await _draft(client, users, clock, "尚未发布的草稿项目")
    assert (await client.get(f"/tenders/{draft}", headers=HTML)).status_code == 404
    assert (await client.get("/tenders/999999", headers=HTML)).status_code == 404


async def test_the_home_page_lists_the_latest_tenders(client, users, platform, clock) -> None:
    empty = await client.get("/", headers=HTML)
    assert "尚未发布任何公告" in empty.text or 'class="empty"' in empty.text
    tender_id, _ = await _published(client, platform, users, clock)
    home = await client.get("/", headers=HTML)
    assert home.status_code == 200
    assert f'href="/tenders/{tender_id}"' in home.text and 'href="/tenders"' in home.text


async def test_the_tender_page_and_api_name_the_purchaser_and_the_agency(client, users, platform, clock) -> None:
    from procurement.identity.models import Role
    from tests.conftest import bearer
    from tests.tenders.tender_testlib import draft_body

    agency_user = await users.make(Role.agency)
    purchaser = await users.make(Role.purchaser)
    agency = await bearer(client, agency_user)
    created = await client.post("/api/tenders", headers=agency, json=draft_body(clock.now(), purchaser_organisation_id=purchaser.organisation_id))
    body = created.json()
    assert body["purchaser_name"].startswith("测试单位") and body["agency_name"].startswith("测试单位")
    assert body["purchaser_name"] != body["agency_name"]
    page = await client.get(f"/tenders/{body['id']}", headers={**agency, "accept": "text/html"})
    assert body["purchaser_name"] in page.text and body["agency_name"] in page.text
