"""The public tender pages: the searchable list, one tender's notice, the home page's latest tenders."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

from sqlalchemy import select

from procurement.clock import to_display
from procurement.identity.models import Role
from procurement.tenders.document_models import DocumentObtained
from procurement.tenders.service import CHECKLISTS
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


# --- The search form's other filters: status, publication days, budget --------------------------

EMPTY_FORM = {"q": "", "track": "", "category": "", "method": "", "status": "", "region": "", "published_from": "",
              "published_to": "", "budget_min": "", "budget_max": ""}


def _listed(response, *tender_ids: int) -> set[int]:
    """Which of these tenders the list shows."""
    return {tender_id for tender_id in tender_ids if f'href="/tenders/{tender_id}"' in response.text}


async def test_the_list_filters_by_publication_day_in_beijing_time(client, users, platform, clock) -> None:
    # 23:30 on 5 January in Beijing, then 00:30 on the 6th: the same day in UTC, two days in Beijing.
    clock.set(datetime(2026, 1, 5, 15, 30, tzinfo=UTC))
    late, _ = await _published(client, platform, users, clock, title="一月五日深夜发布的项目")
    clock.advance(timedelta(hours=1))
    early, _ = await _published(client, platform, users, clock, title="一月六日凌晨发布的项目")

    async def days(**dates: str) -> set[int]:
        response = await client.get("/tenders", params={**EMPTY_FORM, **dates}, headers=HTML)
        assert response.status_code == 200, response.text
        for name, value in dates.items():
            assert f'value="{value}"' in response.text, name  # the form keeps what was asked
        return _listed(response, late, early)

    assert await days(published_to="2026-01-05") == {late}  # the last day counts through 23:59:59
    assert await days(published_from="2026-01-06") == {early}  # the first day counts from 00:00
    assert await days(published_from="2026-01-05", published_to="2026-01-05") == {late}
    assert await days(published_from="2026-01-05", published_to="2026-01-06") == {late, early}
    assert await days(published_from="2026-01-07") == set()
    shown = await client.get("/tenders", headers=HTML)
    assert re.search(r'<input id="published_from" name="published_from" type="date"', shown.text)
    assert '<label for="published_to">' in shown.text


async def test_the_list_filters_by_budget_in_yuan_and_by_public_status(client, users, platform, clock) -> None:
    small_lots = [{"title": "唯一标段", "budget": "300000.00", "bid_security": "6000.00"}]
    small, _ = await _published(client, platform, users, clock, title="小额维修项目", budget="300000.00", lots=small_lots)
    clock.advance(timedelta(minutes=5))
    middle, _ = await _published(client, platform, users, clock, title="中等规模改造项目")  # 1,250,000.00
    clock.advance(timedelta(minutes=5))
    ended, owner = await _published(client, platform, users, clock, title="已终止的采购项目", budget="3000000.00")
    terminated = await client.post(f"/api/tenders/{ended}/terminate", headers=owner, json={"reason": "采购需求发生重大变化"})
    assert terminated.status_code == 200, terminated.text

    async def budget(**amounts: str) -> set[int]:
        response = await client.get("/tenders", params={**EMPTY_FORM, **amounts}, headers=HTML)
        assert response.status_code == 200, response.text
        return _listed(response, small, middle, ended)

    assert await budget() == {small, middle, ended}
    assert await budget(budget_min="1,000,000") == {middle, ended}  # separators as people write amounts
    assert await budget(budget_max="500000") == {small}
    assert await budget(budget_min="1250000.00", budget_max="1250000") == {middle}  # both bounds inclusive
    assert await budget(budget_min="300000.01", budget_max="2999999.99") == {middle}
    assert await budget(status="terminated") == {ended}
    assert await budget(status="published", budget_min="200000") == {small, middle}

    form = await client.get("/tenders", headers=HTML)
    options = re.findall(r'<option value="(\w*)"', form.text.split('id="status"', 1)[1].split("</select>", 1)[0])
    assert options[0] == "" and "published" in options and "terminated" in options
    assert not {"draft", "submitted", "accepted"} & set(options)  # only states the public can see
    chosen = await client.get("/tenders", params={"status": "terminated"}, headers=HTML)
    assert '<option value="terminated" selected>' in chosen.text


async def test_wrong_status_dates_and_budgets_come_back_inline_naming_the_field(client, users, platform, clock) -> None:
    tender_id, _ = await _published(client, platform, users, clock)
    client.cookies.set("lang", "en")
    try:
        cases = [
            ({"status": "draft"}, "status", "Choose one of the options."),  # not public: not searchable
            ({"status": "bogus"}, "status", "Choose one of the options."),
            ({"published_from": "2026-13-01"}, "published_from", "Enter a date, such as 2026-03-01."),
            ({"published_to": "yesterday"}, "published_to", "Enter a date, such as 2026-03-01."),
            ({"published_from": "2026-03-02", "published_to": "2026-03-01"}, "published_to", "must not be before the first day"),
            ({"budget_min": "abc"}, "budget_min", "Enter an amount in yuan"),
            ({"budget_max": "-5"}, "budget_max", "Enter an amount in yuan"),
            ({"budget_min": "1.234"}, "budget_min", "Enter an amount in yuan"),  # fen are the smallest unit
            ({"budget_min": "123456789012"}, "budget_min", "Enter an amount in yuan"),
            ({"budget_min": "2000000", "budget_max": "1000000"}, "budget_max", "must not be below the lowest"),
        ]
        for params, name, message in cases:
            refused = await client.get("/tenders", params={**EMPTY_FORM, **params}, headers=HTML)
            assert refused.status_code == 400, params
            assert "text/html" in refused.headers["content-type"]
            assert f'id="{name}-error"' in refused.text and message in refused.text, params
            assert f'href="#{name}"' in refused.text, params  # the summary links to the field
            assert re.search(rf'<(input|select) id="{name}" name="{name}"[^>]*aria-invalid="true"', refused.text), params
            assert f'href="/tenders/{tender_id}"' not in refused.text, params  # no results for a wrong search
            for value in params.values():
                if name != "status":
                    assert f'value="{value}"' in refused.text, params  # as typed
        two = await client.get("/tenders", params={"budget_min": "x", "published_from": "y"}, headers=HTML)
        assert two.status_code == 400 and 'id="budget_min-error"' in two.text and 'id="published_from-error"' in two.text
    finally:
        client.cookies.delete("lang")


async def test_the_next_page_link_keeps_the_new_filters(client, users, platform, clock) -> None:
    from procurement.tenders import pages

    ids = []
    for n in range(3):
        tender_id, _ = await _published(client, platform, users, clock, title=f"翻页筛选项目{n}")
        ids.append(tender_id)
        clock.advance(timedelta(minutes=1))
    other, _ = await _published(client, platform, users, clock, title="预算更高的翻页项目", budget="3000000.00")
    day = to_display(clock.now()).date().isoformat()
    asked = {"status": "published", "published_from": day, "published_to": day, "budget_max": "1,300,000"}
    original = pages.PAGE_SIZE
    pages.PAGE_SIZE = 2
    try:
        first = await client.get("/tenders", params=asked, headers=HTML)
        assert first.status_code == 200 and _listed(first, *ids, other) == {ids[2], ids[1]}
        link = first.text.split('href="/tenders?', 1)[1].split('"', 1)[0].replace("&amp;", "&")
        carried = parse_qs(link)
        assert {name: carried[name] for name in asked} == {name: [value] for name, value in asked.items()}
        assert "q" not in carried and "cursor" in carried  # empty fields stay out of the link
        second = await client.get(f"/tenders?{link}", headers=HTML)
    finally:
        pages.PAGE_SIZE = original
    assert second.status_code == 200 and _listed(second, *ids, other) == {ids[0]}
    assert 'value="1,300,000"' in second.text and '<option value="published" selected>' in second.text


# --- Obtaining the tender documents (获取招标文件) from the tender's page -----------------------------


async def _csrf_session(client, user) -> str:
    """Log in through the page, as a browser does (a cookie session), and return the CSRF token."""
    client.cookies.clear()
    response = await client.post("/login", data={"username": user.username, "password": user.password, "next": "/account"},
                                 follow_redirects=False)
    assert response.status_code == 303, response.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', (await client.get("/account", headers=HTML)).text)
    assert token
    return token.group(1)


async def _with_documents(client, platform, users, clock) -> int:
    """A published tender whose documents were uploaded with the draft; on offer from tomorrow for 7 days."""
    owner = await bearer(client, await users.make(Role.purchaser))
    centre = await bearer(client, await users.make(Role.operator))
    created = await client.post("/api/tenders", headers=owner, json=draft_body(clock.now()))
    assert created.status_code == 201, created.text
    tender_id = created.json()["id"]
    uploaded = await client.post(
        f"/api/tenders/{tender_id}/documents", params={"name": "招标文件.pdf", "kind": "tender_documents"},
        content=b"%PDF-1.7 tender documents", headers={**owner, "Content-Type": "application/pdf"},
    )
    assert uploaded.status_code == 201, uploaded.text
    assert (await client.post(f"/api/tenders/{tender_id}/submit", headers=owner)).status_code == 200
    checklist = {item: True for item in CHECKLISTS["open"]}
    reviewed = await client.post(f"/api/tenders/{tender_id}/review", headers=centre, json={"decision": "accepted", "checklist": checklist})
    assert reviewed.status_code == 200, reviewed.text
    assert (await client.post(f"/api/tenders/{tender_id}/publish", headers=owner, json={})).status_code == 200
    return tender_id


async def _obtained(platform, tender_id: int) -> list[DocumentObtained]:
    async with platform.db.transaction(write=False) as session:
        query = select(DocumentObtained).where(DocumentObtained.tender_id == tender_id)
        return list((await session.execute(query)).scalars())


async def test_a_supplier_obtains_the_documents_from_the_tender_page_once(client, users, platform, clock) -> None:
    tender_id = await _with_documents(client, platform, users, clock)
    supplier = await users.make(Role.supplier)
    action = f'action="/tenders/{tender_id}/obtain"'

    # Before the offer opens: no button, and a POST is refused with the service's reason.
    csrf = await _csrf_session(client, supplier)
    before = await client.get(f"/tenders/{tender_id}", headers=HTML)
    assert before.status_code == 200 and action not in before.text and 'id="obtain-heading"' in before.text
    early = await client.post(f"/tenders/{tender_id}/obtain", data={"csrf_token": csrf}, headers=HTML, follow_redirects=False)
    assert early.status_code == 409 and 'class="error-summary"' in early.text and "text/html" in early.headers["content-type"]
    assert await _obtained(platform, tender_id) == []

    clock.advance(timedelta(days=1, hours=1))
    csrf = await _csrf_session(client, supplier)
    offered = await client.get(f"/tenders/{tender_id}", headers=HTML)
    assert action in offered.text
    form = offered.text.split(action, 1)[1].split("</form>", 1)[0]
    assert f'name="csrf_token" value="{csrf}"' in form  # CSRF-protected like every page form
    assert (await client.post(f"/tenders/{tender_id}/obtain", data={"csrf_token": ""}, follow_redirects=False)).status_code == 403
    assert await _obtained(platform, tender_id) == []

    done = await client.post(f"/tenders/{tender_id}/obtain", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/tenders/{tender_id}?done=obtained#obtain-heading"
    [record] = await _obtained(platform, tender_id)
    assert record.organisation_id == supplier.organisation_id
    when = to_display(record.obtained_at).strftime("%Y-%m-%d %H:%M:%S")
    shown = await client.get(f"/tenders/{tender_id}?done=obtained", headers=HTML)
    assert action not in shown.text and when in shown.text and 'class="obtained"' in shown.text and 'role="status"' in shown.text
    client.cookies.set("lang", "en")
    english = await client.get(f"/tenders/{tender_id}", headers=HTML)
    client.cookies.delete("lang")
    assert f"Your organisation obtained the tender documents on {when}." in english.text

    # A repeat changes nothing; a colleague in the same organisation sees it obtained too.
    again = await client.post(f"/tenders/{tender_id}/obtain", data={"csrf_token": csrf}, follow_redirects=False)
    assert again.status_code == 303 and len(await _obtained(platform, tender_id)) == 1
    colleague = await users.make(Role.supplier, organisation_id=supplier.organisation_id)
    await _csrf_session(client, colleague)
    assert when in (await client.get(f"/tenders/{tender_id}", headers=HTML)).text

    # Another supplier is offered the button and never told who obtained them (招标投标法 第二十二条).
    await _csrf_session(client, await users.make(Role.supplier))
    other = await client.get(f"/tenders/{tender_id}", headers=HTML)
    assert action in other.text and when not in other.text and 'class="obtained"' not in other.text

    # After the offer closes: no button, and the POST is refused; the record stays.
    clock.advance(timedelta(days=7))
    late_supplier = await users.make(Role.supplier)
    csrf = await _csrf_session(client, late_supplier)
    closed = await client.get(f"/tenders/{tender_id}", headers=HTML)
    assert action not in closed.text
    late = await client.post(f"/tenders/{tender_id}/obtain", data={"csrf_token": csrf}, headers=HTML, follow_redirects=False)
    assert late.status_code == 409 and 'class="error-summary"' in late.text
    assert len(await _obtained(platform, tender_id)) == 1


async def test_only_suppliers_are_offered_the_documents_and_others_are_refused(client, users, platform, clock) -> None:
    tender_id = await _with_documents(client, platform, users, clock)
    clock.advance(timedelta(days=1, hours=1))
    action = f'action="/tenders/{tender_id}/obtain"'
    client.cookies.clear()
    anonymous = await client.get(f"/tenders/{tender_id}", headers=HTML)
    assert action not in anonymous.text and 'id="obtain-heading"' not in anonymous.text
    assert (await client.post(f"/tenders/{tender_id}/obtain", follow_redirects=False)).status_code in (401, 303)
    for role in (Role.purchaser, Role.agency, Role.operator, Role.supervisor, Role.expert):
        csrf = await _csrf_session(client, await users.make(role))
        shown = await client.get(f"/tenders/{tender_id}", headers=HTML)
        assert shown.status_code == 200 and action not in shown.text and 'id="obtain-heading"' not in shown.text, role
        refused = await client.post(f"/tenders/{tender_id}/obtain", data={"csrf_token": csrf}, headers=HTML, follow_redirects=False)
        assert refused.status_code == 403, role
    assert await _obtained(platform, tender_id) == []

    # No documents uploaded yet: nothing to obtain, said so; the POST is refused.
    client.cookies.clear()
    bare, _ = await _published(client, platform, users, clock, title="尚未上传文件的项目")
    clock.advance(timedelta(days=1, hours=1))
    csrf = await _csrf_session(client, await users.make(Role.supplier))
    shown = await client.get(f"/tenders/{bare}", headers=HTML)
    assert f'action="/tenders/{bare}/obtain"' not in shown.text and "obtain-no_documents" in shown.text
    refused = await client.post(f"/tenders/{bare}/obtain", data={"csrf_token": csrf}, headers=HTML, follow_redirects=False)
    assert refused.status_code == 409 and await _obtained(platform, bare) == []
    # A draft is not found, as on its page.
    client.cookies.clear()
    draft = await _draft(client, users, clock, "尚未发布的草稿项目")
    csrf = await _csrf_session(client, await users.make(Role.supplier))
    assert (await client.post(f"/tenders/{draft}/obtain", data={"csrf_token": csrf}, headers=HTML)).status_code == 404
