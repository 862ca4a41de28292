"""The purchaser's and agency's tender pages and the trading centre's entry review pages.

Pages call the same services as the API; these tests hold the forms to that: inline errors at
the field the rule names, what was typed kept, nothing changed by a refused form, and the
roles and organisations that must not act are refused.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from procurement.clock import as_utc, to_display
from procurement.identity.models import Role
from procurement.tenders.models import Amendment, Lot, Notice, Tender
from procurement.tenders.service import CHECKLISTS
from tests.conftest import (
    TestUser as UserUnderTest,  # not "Test...": pytest would try to collect it
)

HTML = {"Accept": "text/html"}
LOCAL = "%Y-%m-%dT%H:%M"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def client(client: AsyncTestClient) -> AsyncTestClient:
    """The suite's client, not following redirects: the tests read where each form leads."""
    client.follow_redirects = False
    return client


async def log_in(client: AsyncTestClient, user: UserUnderTest) -> str:
    """Log in through the page (a cookie session, as a browser) and return the CSRF token."""
    client.cookies.clear()
    response = await client.post("/login", data={"username": user.username, "password": user.password, "next": "/account"})
    assert response.status_code == 303, response.text
    token = CSRF.search((await client.get("/account", headers=HTML)).text)
    assert token
    return token.group(1)


def draft_form(now, *, csrf: str, **overrides: str) -> dict[str, str]:
    """The new-tender form as a person fills it: Beijing times, a blank lot row between two lots."""
    start = to_display(now + timedelta(days=1)).replace(hour=9, minute=0)
    form = {
        "csrf_token": csrf,
        "title": "海口市人民医院门诊楼改造工程", "track": "works", "category": "works", "method": "open", "region": "460100",
        "budget": "1,250,000.00",
        "lots-0-title": "第一标段：土建", "lots-0-budget": "800000", "lots-0-bid_security": "16000",
        "lots-0-evaluation_method": "comprehensive_scoring",
        "lots-1-title": "", "lots-1-budget": "", "lots-1-bid_security": "", "lots-1-evaluation_method": "comprehensive_scoring",
        "lots-2-title": "第二标段：安装", "lots-2-budget": "450000.00", "lots-2-bid_security": "9000",
        "lots-2-evaluation_method": "lowest_price",
        "documents_from": start.strftime(LOCAL), "documents_until": (start + timedelta(days=7)).strftime(LOCAL),
        "bid_deadline": (start + timedelta(days=25)).strftime(LOCAL), "opening_place": "online",
        "contact_name": "王工", "contact_phone": "0898-12345678", "qualifications": "具有建筑工程施工总承包三级及以上资质",
    }
    form.update(overrides)
    return form


async def count(platform, model: Any = Tender) -> int:
    async with platform.db.transaction(write=False) as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def tender_row(platform, tender_id: int) -> Tender:
    async with platform.db.transaction(write=False) as session:
        tender = await session.get(Tender, tender_id)
        assert tender is not None
        return tender


def created_id(response) -> int:
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/manage/tenders/(\d+)\?done=\w+", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


async def create(client, platform, user: UserUnderTest, **overrides: str) -> tuple[int, str]:
    csrf = await log_in(client, user)
    response = await client.post("/manage/tenders/new", data=draft_form(platform.clock.now(), csrf=csrf, **overrides))
    return created_id(response), csrf


async def submitted(client, platform, users, **overrides: str) -> tuple[int, UserUnderTest]:
    owner = await users.make(Role.purchaser)
    tender_id, csrf = await create(client, platform, owner, **overrides)
    response = await client.post(f"/manage/tenders/{tender_id}/submit", data={"csrf_token": csrf})
    assert response.status_code == 303, response.text
    return tender_id, owner


def all_checked(method: str = "open") -> dict[str, str]:
    return {f"check-{i}": "1" for i in range(len(CHECKLISTS[method]))}


# --- Who may open which page ---------------------------------------------------------------------


async def test_each_page_opens_for_its_roles_and_refuses_the_others(client, users, platform) -> None:
    allowed = {
        "/manage/tenders": (Role.purchaser, Role.agency),
        "/manage/tenders/new": (Role.purchaser, Role.agency),
        "/review-queue": (Role.operator, Role.supervisor),
    }
    people = {role: await users.make(role) for role in (Role.purchaser, Role.agency, Role.operator, Role.supervisor, Role.supplier, Role.expert)}
    for role, person in people.items():
        await log_in(client, person)
        home = await client.get("/", headers=HTML)
        for path, roles in allowed.items():
            response = await client.get(path, headers=HTML)
            if role in roles:
                assert response.status_code == 200, (path, role, response.text[:300])
                assert '<html lang="zh-CN">' in response.text  # Chinese by default
                assert f'href="{path}"' in home.text or path.endswith("/new"), (path, role)  # in the navigation
            else:
                assert response.status_code == 403, (path, role)
                assert "text/html" in response.headers["content-type"]  # the app's normal error page
                assert f'<li><a href="{path}"' not in home.text, (path, role)
    client.cookies.clear()
    for path in allowed:
        anonymous = await client.get(path, headers=HTML)
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?next="), path


async def test_a_form_post_needs_the_csrf_token(client, users, platform) -> None:
    purchaser = await users.make(Role.purchaser)
    csrf = await log_in(client, purchaser)
    form = draft_form(platform.clock.now(), csrf=csrf)
    for token in ("", "0" * len(csrf)):
        refused = await client.post("/manage/tenders/new", data={**form, "csrf_token": token})
        assert refused.status_code == 403
    assert await count(platform) == 0
    assert (await client.post("/manage/tenders/new", data=form)).status_code == 303


# --- The draft form -----------------------------------------------------------------------------------


async def test_a_draft_is_created_from_the_form_with_beijing_times_and_blank_rows_skipped(client, users, platform) -> None:
    purchaser = await users.make(Role.purchaser)
    tender_id, _ = await create(client, platform, purchaser)
    tender = await tender_row(platform, tender_id)
    assert tender.status == "draft" and tender.budget_fen == 125_000_000 and tender.purchaser_organisation_id == purchaser.organisation_id
    typed = draft_form(platform.clock.now(), csrf="")["documents_from"]
    assert to_display(tender.documents_from).strftime(LOCAL) == typed  # typed in Beijing time, stored in UTC
    assert as_utc(tender.documents_from).hour == 1  # 09:00 Beijing
    async with platform.db.transaction(write=False) as session:
        lots = (await session.execute(select(Lot).where(Lot.tender_id == tender_id).order_by(Lot.number))).scalars().all()
    assert [(lot.title, lot.budget_fen, lot.bid_security_fen, lot.evaluation_method) for lot in lots] == [
        ("第一标段：土建", 80_000_000, 1_600_000, "comprehensive_scoring"),
        ("第二标段：安装", 45_000_000, 900_000, "lowest_price"),
    ]
    shown = await client.get(f"/manage/tenders/{tender_id}", headers=HTML)
    assert shown.status_code == 200
    assert f'action="/manage/tenders/{tender_id}/submit"' in shown.text and f'href="/manage/tenders/{tender_id}/edit"' in shown.text
    assert "/publish" not in shown.text and "/amend" not in shown.text  # only what this state allows
    listed = await client.get("/manage/tenders", headers=HTML)
    assert f'href="/manage/tenders/{tender_id}"' in listed.text and 'status-draft' in listed.text


async def test_bad_input_comes_back_inline_as_typed_and_creates_nothing(client, users, platform) -> None:
    purchaser = await users.make(Role.purchaser)
    csrf = await log_in(client, purchaser)
    # The second lot is the form's third row: its error must land there, not on row 2.
    form = draft_form(platform.clock.now(), csrf=csrf, **{"lots-2-bid_security": "9000.01", "qualifications": "须有<资质>"})
    refused = await client.post("/manage/tenders/new", data=form, headers=HTML)
    assert refused.status_code == 400
    assert "text/html" in refused.headers["content-type"]
    text = refused.text
    assert 'id="lots-2-bid_security-error"' in text and 'href="#lots-2-bid_security"' in text
    assert 'id="lots-1-bid_security-error"' not in text
    # In the page's language, with the article the limit comes from.
    assert re.search(r'id="lots-2-bid_security-error">.*投标保证金 9000.01 元超过预算 450000.00 元的 2%.*\[招标投标法实施条例 第二十六条\]', text)
    assert 'class="error-summary"' in text and 'aria-invalid="true"' in text
    assert 'value="9000.01"' in text and 'value="第二标段：安装"' in text and "须有&lt;资质&gt;" in text  # kept, escaped
    assert await count(platform) == 0

    # pydantic's checks land at their fields too, several at once.
    form = draft_form(platform.clock.now(), csrf=csrf, title="短", region="4601", **{"lots-0-budget": "abc", "bid_deadline": "tomorrow"})
    refused = await client.post("/manage/tenders/new", data=form, headers=HTML)
    assert refused.status_code == 400
    for name in ("title", "region", "lots-0-budget", "bid_deadline"):
        assert f'id="{name}-error"' in refused.text, name
        assert f'href="#{name}"' in refused.text, name
    assert 'value="短"' in refused.text and 'value="4601"' in refused.text

    # Every lot row blank: one clear error at the first row.
    blank = {f"lots-{i}-{f}": "" for i in range(3) for f in ("title", "budget", "bid_security")}
    refused = await client.post("/manage/tenders/new", data=draft_form(platform.clock.now(), csrf=csrf, **blank), headers=HTML)
    assert refused.status_code == 400 and 'id="lots-0-title-error"' in refused.text
    # The lots together over the tender's budget: the error names the lots.
    refused = await client.post("/manage/tenders/new", data=draft_form(platform.clock.now(), csrf=csrf, budget="1000000"), headers=HTML)
    assert refused.status_code == 400 and 'id="lots-error"' in refused.text and 'href="#lots"' in refused.text
    assert await count(platform) == 0


async def test_the_form_carries_html_constraints_and_labels(client, users, platform) -> None:
    await log_in(client, await users.make(Role.purchaser))
    text = (await client.get("/manage/tenders/new", headers=HTML)).text
    for name in ("title", "region", "budget", "documents_from", "documents_until", "bid_deadline", "lots-0-title", "lots-0-budget"):
        tag = re.search(rf'<input id="{name}"[^>]*>', text)
        assert tag and " required" in tag.group(0), name
        assert f'<label for="{name}"' in text, name
    for name in ("documents_from", "documents_until", "questions_until", "bid_deadline"):
        assert re.search(rf'<input id="{name}" name="{name}" type="datetime-local"', text), name
    assert re.search(r'<input id="region"[^>]*pattern="\[0-9\]\{6\}"', text)
    assert re.search(r'<input id="title"[^>]*minlength="4"', text)
    assert 'name="idempotency_key"' in text and 'name="purchaser_organisation_id"' not in text  # a purchaser buys for itself
    # Without JavaScript, "add lot rows" sends the form back with more rows, keeping what was typed.
    csrf = CSRF.search(text).group(1)  # type: ignore[union-attr]
    more = await client.post("/manage/tenders/new", data={"csrf_token": csrf, "title": "留着", "more_rows": "1", "lots-0-title": "甲"}, headers=HTML)
    assert more.status_code == 200 and 'id="lots-4-title"' in more.text and 'value="留着"' in more.text and 'value="甲"' in more.text
    assert await count(platform) == 0


async def test_a_repeated_create_makes_one_draft(client, users, platform) -> None:
    purchaser = await users.make(Role.purchaser)
    csrf = await log_in(client, purchaser)
    form = draft_form(platform.clock.now(), csrf=csrf, idempotency_key="double-click-0001")
    first, again = (await client.post("/manage/tenders/new", data=form)), (await client.post("/manage/tenders/new", data=form))
    assert created_id(first) == created_id(again)
    assert await count(platform) == 1


async def test_an_agency_names_the_purchaser_it_acts_for(client, users, platform) -> None:
    agency, purchaser = await users.make(Role.agency), await users.make(Role.purchaser)
    csrf = await log_in(client, agency)
    new = await client.get("/manage/tenders/new", headers=HTML)
    assert f'<option value="{purchaser.organisation_id}"' in new.text
    missing = await client.post("/manage/tenders/new", data=draft_form(platform.clock.now(), csrf=csrf), headers=HTML)
    assert missing.status_code == 400 and 'id="purchaser_organisation_id-error"' in missing.text
    not_a_purchaser = draft_form(platform.clock.now(), csrf=csrf, purchaser_organisation_id=str(agency.organisation_id))
    refused = await client.post("/manage/tenders/new", data=not_a_purchaser, headers=HTML)
    assert refused.status_code == 400 and 'id="purchaser_organisation_id-error"' in refused.text
    assert await count(platform) == 0
    chosen = draft_form(platform.clock.now(), csrf=csrf, purchaser_organisation_id=str(purchaser.organisation_id))
    tender = await tender_row(platform, created_id(await client.post("/manage/tenders/new", data=chosen)))
    assert (tender.purchaser_organisation_id, tender.agency_organisation_id) == (purchaser.organisation_id, agency.organisation_id)
    # The purchaser sees the tender run for it, without the agency's actions.
    await log_in(client, purchaser)
    assert f'href="/manage/tenders/{tender.id}"' in (await client.get("/manage/tenders", headers=HTML)).text
    shown = await client.get(f"/manage/tenders/{tender.id}", headers=HTML)
    assert shown.status_code == 200 and "/submit" not in shown.text and "/edit" not in shown.text
    assert (await client.post(f"/manage/tenders/{tender.id}/submit", data={"csrf_token": CSRF.search(shown.text).group(1)})).status_code == 403  # type: ignore[union-attr]


async def test_editing_a_draft_keeps_its_values_and_saves_changes(client, users, platform) -> None:
    purchaser = await users.make(Role.purchaser)
    tender_id, csrf = await create(client, platform, purchaser)
    form_page = await client.get(f"/manage/tenders/{tender_id}/edit", headers=HTML)
    assert form_page.status_code == 200
    assert 'value="海口市人民医院门诊楼改造工程"' in form_page.text and 'value="800000.00"' in form_page.text
    assert f'value="{draft_form(platform.clock.now(), csrf="")["bid_deadline"]}"' in form_page.text
    form = draft_form(platform.clock.now(), csrf=csrf, title="海口市人民医院门诊楼改造工程（二期）", green_channel="1")
    bad = await client.post(f"/manage/tenders/{tender_id}/edit", data={**form, "lots-0-bid_security": "20000"}, headers=HTML)
    assert bad.status_code == 400 and 'id="lots-0-bid_security-error"' in bad.text
    assert (await tender_row(platform, tender_id)).title == "海口市人民医院门诊楼改造工程"  # unchanged
    saved = await client.post(f"/manage/tenders/{tender_id}/edit", data=form)
    assert saved.status_code == 303 and saved.headers["location"] == f"/manage/tenders/{tender_id}?done=saved"
    tender = await tender_row(platform, tender_id)
    assert tender.title.endswith("（二期）") and tender.green_channel


# --- From submission to amendment ---------------------------------------------------------------


async def test_the_whole_way_create_submit_review_publish_amend(client, users, platform, clock) -> None:
    tender_id, owner = await submitted(client, platform, users)
    assert (await tender_row(platform, tender_id)).status == "submitted"
    operator = await users.make(Role.operator)
    csrf = await log_in(client, operator)
    clock.advance(timedelta(hours=3))
    queue = await client.get("/review-queue", headers=HTML)
    assert f'href="/review-queue/{tender_id}"' in queue.text and "3 " in queue.text
    review = await client.get(f"/review-queue/{tender_id}", headers=HTML)
    assert review.status_code == 200 and 'name="decision" value="accepted"' in review.text
    for i in range(len(CHECKLISTS["open"])):
        assert f'<label for="check-{i}">' in review.text

    # Accepting with a material missing is refused at the checklist; nothing changes.
    missing = await client.post(f"/review-queue/{tender_id}", data={"csrf_token": csrf, "decision": "accepted", "check-0": "1"}, headers=HTML)
    assert missing.status_code == 400 and 'id="checklist-error"' in missing.text and 'href="#checklist"' in missing.text
    assert re.search(r'id="check-0" name="check-0" value="1" checked', missing.text)  # the ticks are kept
    assert (await tender_row(platform, tender_id)).status == "submitted"
    accepted = await client.post(f"/review-queue/{tender_id}", data={"csrf_token": csrf, "decision": "accepted", **all_checked()})
    assert accepted.status_code == 303 and accepted.headers["location"] == f"/review-queue?decided={tender_id}&decision=accepted"
    assert f'href="/review-queue/{tender_id}"' not in (await client.get("/review-queue", headers=HTML)).text

    # The owner sees the decision, the checklist and the time taken against 24 hours, then publishes.
    csrf = await log_in(client, owner)
    page = await client.get(f"/manage/tenders/{tender_id}", headers=HTML)
    assert 'class="review accepted"' in page.text and 'class="tag ok"' in page.text
    assert page.text.count('<li class="ok">') == len(CHECKLISTS["open"])
    assert f'action="/manage/tenders/{tender_id}/publish"' in page.text and "/submit" not in page.text
    published = await client.post(f"/manage/tenders/{tender_id}/publish", data={"csrf_token": csrf, "when": "now"})
    assert published.status_code == 303 and published.headers["location"].endswith("?done=published")
    assert (await tender_row(platform, tender_id)).status == "published"
    assert (await client.get(f"/tenders/{tender_id}", headers=HTML)).status_code == 200
    page = await client.get(f"/manage/tenders/{tender_id}?done=published", headers=HTML)
    assert f'href="/tenders/{tender_id}"' in page.text and f'action="/manage/tenders/{tender_id}/amend"' in page.text

    # An amendment too short is refused inline; one ten days before the deadline moves it.
    short = await client.post(f"/manage/tenders/{tender_id}/amend", data={"csrf_token": csrf, "summary": "改"}, headers=HTML)
    assert short.status_code == 400 and 'id="summary-error"' in short.text and ">改</textarea>" in short.text
    assert await count(platform, Amendment) == 0
    deadline = as_utc((await tender_row(platform, tender_id)).bid_deadline)
    clock.set(deadline - timedelta(days=10))
    csrf = await log_in(client, owner)  # the session of 16 days ago has expired
    amended = await client.post(f"/manage/tenders/{tender_id}/amend", data={"csrf_token": csrf, "summary": "更正工程量清单第 3 项"})
    assert amended.status_code == 303 and amended.headers["location"] == f"/manage/tenders/{tender_id}?done=amended&amended=1"
    moved = as_utc((await tender_row(platform, tender_id)).bid_deadline)
    assert moved > deadline
    page = await client.get(amended.headers["location"], headers=HTML)
    assert to_display(moved).strftime("%Y-%m-%d %H:%M:%S") in page.text and "<strong>" in page.text  # says where it moved


async def test_a_returned_tender_goes_back_to_draft_with_the_reason(client, users, platform) -> None:
    tender_id, owner = await submitted(client, platform, users)
    csrf = await log_in(client, await users.make(Role.operator))
    no_reason = await client.post(f"/review-queue/{tender_id}", data={"csrf_token": csrf, "decision": "returned"}, headers=HTML)
    assert no_reason.status_code == 400 and 'id="reason-error"' in no_reason.text
    assert (await tender_row(platform, tender_id)).status == "submitted"
    returned = await client.post(f"/review-queue/{tender_id}", data={"csrf_token": csrf, "decision": "returned", "reason": "缺少采购需求"})
    assert returned.status_code == 303
    # A draft again: the trading centre no longer sees it.
    assert (await client.get(f"/review-queue/{tender_id}", headers=HTML)).status_code == 404
    await log_in(client, owner)
    page = await client.get(f"/manage/tenders/{tender_id}", headers=HTML)
    assert 'class="review returned"' in page.text and "缺少采购需求" in page.text and '<li class="missing">' in page.text
    assert (await tender_row(platform, tender_id)).status == "draft"


async def test_the_queue_puts_green_channel_first_and_marks_the_overdue(client, users, platform, clock) -> None:
    ordinary, _ = await submitted(client, platform, users, title="普通项目改造工程")
    clock.advance(timedelta(hours=25))
    green, _ = await submitted(client, platform, users, title="重点项目绿色通道工程", green_channel="1")
    await log_in(client, await users.make(Role.supervisor))
    queue = await client.get("/review-queue", headers=HTML)
    assert queue.status_code == 200
    assert queue.text.index(f'href="/review-queue/{green}"') < queue.text.index(f'href="/review-queue/{ordinary}"')
    rows = re.findall(r"<tr class=\"(\w*)\">", queue.text)
    assert rows == ["", "overdue"]  # the ordinary one has waited 25 hours
    assert queue.text.count('class="tag late"') == 1 and 'class="tag green"' in queue.text
    # Supervisors follow the queue but do not decide.
    review = await client.get(f"/review-queue/{green}", headers=HTML)
    assert review.status_code == 200 and 'name="decision"' not in review.text
    csrf = CSRF.search(review.text).group(1)  # type: ignore[union-attr]
    refused = await client.post(f"/review-queue/{green}", data={"csrf_token": csrf, "decision": "accepted", **all_checked()})
    assert refused.status_code == 403
    assert (await tender_row(platform, green)).status == "submitted"


async def test_submitting_a_timeline_under_the_legal_minimum_is_refused_with_a_link_to_the_field(client, users, platform) -> None:
    owner = await users.make(Role.purchaser)
    start = to_display(platform.clock.now() + timedelta(days=1)).replace(hour=9, minute=0)
    tender_id, csrf = await create(client, platform, owner, bid_deadline=(start + timedelta(days=19)).strftime(LOCAL))
    refused = await client.post(f"/manage/tenders/{tender_id}/submit", data={"csrf_token": csrf}, headers=HTML)
    assert refused.status_code == 400
    assert f'href="/manage/tenders/{tender_id}/edit#bid_deadline"' in refused.text
    assert (await tender_row(platform, tender_id)).status == "draft"
    again = await client.post(f"/manage/tenders/{tender_id}/submit", data={"csrf_token": csrf}, headers=HTML)
    assert again.status_code == 400


async def test_publication_can_be_scheduled_and_a_past_time_is_refused(client, users, platform, clock) -> None:
    tender_id, owner = await submitted(client, platform, users)
    csrf = await log_in(client, await users.make(Role.operator))
    assert (await client.post(f"/review-queue/{tender_id}", data={"csrf_token": csrf, "decision": "accepted", **all_checked()})).status_code == 303
    csrf = await log_in(client, owner)
    past = to_display(clock.now() - timedelta(hours=1)).strftime(LOCAL)
    refused = await client.post(f"/manage/tenders/{tender_id}/publish", data={"csrf_token": csrf, "when": "later", "publish_at": past}, headers=HTML)
    assert refused.status_code == 400 and 'id="publish_at-error"' in refused.text and f'value="{past}"' in refused.text
    empty = await client.post(f"/manage/tenders/{tender_id}/publish", data={"csrf_token": csrf, "when": "later"}, headers=HTML)
    assert empty.status_code == 400 and 'id="publish_at-error"' in empty.text
    assert (await tender_row(platform, tender_id)).publish_at is None
    later = to_display(clock.now() + timedelta(hours=2)).strftime(LOCAL)
    scheduled = await client.post(f"/manage/tenders/{tender_id}/publish", data={"csrf_token": csrf, "when": "later", "publish_at": later})
    assert scheduled.status_code == 303 and scheduled.headers["location"].endswith("?done=scheduled")
    tender = await tender_row(platform, tender_id)
    assert tender.status == "accepted" and to_display(tender.publish_at).strftime(LOCAL) == later  # type: ignore[arg-type]
    # Publishing twice is a conflict, shown on the page; nothing changes.
    clock.advance(timedelta(hours=3))
    await client.post(f"/manage/tenders/{tender_id}/publish", data={"csrf_token": csrf, "when": "now"})
    conflict = await client.post(f"/manage/tenders/{tender_id}/publish", data={"csrf_token": csrf, "when": "now"}, headers=HTML)
    assert conflict.status_code == 409 and 'class="error-summary"' in conflict.text


async def test_other_organisations_cannot_see_or_change_a_tender(client, users, platform) -> None:
    tender_id, owner = await submitted(client, platform, users)
    for outsider_role in (Role.purchaser, Role.agency):
        outsider = await users.make(outsider_role)
        csrf = await log_in(client, outsider)
        assert (await client.get(f"/manage/tenders/{tender_id}", headers=HTML)).status_code == 404
        assert (await client.get(f"/manage/tenders/{tender_id}/edit", headers=HTML)).status_code == 404
        for action, data in (("submit", {}), ("publish", {"when": "now"}), ("amend", {"summary": "越权修改"}), ("edit", draft_form(platform.clock.now(), csrf=csrf))):
            response = await client.post(f"/manage/tenders/{tender_id}/{action}", data={**data, "csrf_token": csrf}, headers=HTML)
            assert response.status_code == 404, (outsider_role, action, response.status_code)
        assert f'href="/manage/tenders/{tender_id}"' not in (await client.get("/manage/tenders", headers=HTML)).text
    # A submitted tender cannot be edited any more: the edit page leads back to the tender.
    await log_in(client, owner)
    back = await client.get(f"/manage/tenders/{tender_id}/edit", headers=HTML)
    assert back.status_code == 303 and back.headers["location"] == f"/manage/tenders/{tender_id}"
    # An operator may not decide on a draft (not visible to the centre).
    draft_id, _ = await create(client, platform, owner)
    csrf = await log_in(client, await users.make(Role.operator))
    assert (await client.post(f"/review-queue/{draft_id}", data={"csrf_token": csrf, "decision": "accepted", **all_checked()})).status_code == 404
    assert (await tender_row(platform, draft_id)).status == "draft"


async def test_the_pages_speak_english_on_request(client, users, platform) -> None:
    tender_id, _ = await submitted(client, platform, users)
    client.cookies.set("lang", "en")
    page = await client.get(f"/manage/tenders/{tender_id}", headers=HTML)
    assert '<html lang="en">' in page.text and "Awaiting entry review" in page.text and "Entry review" in page.text


# --- Terminating a tender (终止) ---------------------------------------------------------------------


async def accepted(client, platform, users, **overrides: str) -> tuple[int, UserUnderTest]:
    tender_id, owner = await submitted(client, platform, users, **overrides)
    csrf = await log_in(client, await users.make(Role.operator))
    assert (await client.post(f"/review-queue/{tender_id}", data={"csrf_token": csrf, "decision": "accepted", **all_checked()})).status_code == 303
    return tender_id, owner


async def notices_of(platform, tender_id: int) -> list[str]:
    async with platform.db.transaction(write=False) as session:
        return list((await session.execute(select(Notice.kind).where(Notice.tender_id == tender_id).order_by(Notice.number))).scalars())


async def test_the_owner_terminates_a_published_tender_with_a_reason_and_a_notice(client, users, platform) -> None:
    tender_id, owner = await accepted(client, platform, users)
    csrf = await log_in(client, owner)
    assert (await client.post(f"/manage/tenders/{tender_id}/publish", data={"csrf_token": csrf, "when": "now"})).status_code == 303
    action = f'action="/manage/tenders/{tender_id}/terminate"'
    client.cookies.set("lang", "en")
    page = await client.get(f"/manage/tenders/{tender_id}", headers=HTML)
    assert action in page.text
    form = page.text.split(action, 1)[1].split("</form>", 1)[0]
    assert "This publishes a termination notice with the reason below and cannot be undone" in form  # the consequence, stated
    assert "Terminate the tender permanently" in form and 'name="csrf_token"' in form
    assert re.search(r'<textarea id="reason" name="reason" required[^>]*minlength="4"[^>]*maxlength="1000"', form)
    assert '<details class="terminate">' in page.text  # a second step: opened on purpose

    # Too short, or too long: refused at the field, typed text kept, the panel open, nothing changed.
    for reason in ("改", "长" * 1001, "   "):
        refused = await client.post(f"/manage/tenders/{tender_id}/terminate", data={"csrf_token": csrf, "reason": reason}, headers=HTML)
        assert refused.status_code == 400, reason
        assert 'id="reason-error"' in refused.text and 'href="#reason"' in refused.text and "Reason for terminating" in refused.text
        assert '<details class="terminate" open>' in refused.text
        if reason.strip():
            assert f">{reason}</textarea>" in refused.text
    assert "at least 4 characters" in (await client.post(
        f"/manage/tenders/{tender_id}/terminate", data={"csrf_token": csrf, "reason": "改"}, headers=HTML)).text
    tender = await tender_row(platform, tender_id)
    assert tender.status == "published" and not tender.closed_reason
    assert await notices_of(platform, tender_id) == ["tender"]
    # Without the CSRF token: refused before anything happens.
    assert (await client.post(f"/manage/tenders/{tender_id}/terminate", data={"reason": "采购需求发生重大变化"})).status_code == 403

    done = await client.post(f"/manage/tenders/{tender_id}/terminate", data={"csrf_token": csrf, "reason": "采购需求发生重大变化，本项目终止"})
    assert done.status_code == 303 and done.headers["location"] == f"/manage/tenders/{tender_id}?done=terminated"
    tender = await tender_row(platform, tender_id)
    assert tender.status == "terminated" and tender.closed_reason == "采购需求发生重大变化，本项目终止"
    assert await notices_of(platform, tender_id) == ["tender", "termination"]
    page = await client.get(done.headers["location"], headers=HTML)
    assert "The tender is terminated." in page.text and "The termination notice is published." in page.text
    assert "采购需求发生重大变化，本项目终止" in page.text and action not in page.text  # the reason shown; nothing more to end
    public = await client.get(f"/tenders/{tender_id}", headers=HTML)
    assert "Terminated" in public.text and "采购需求发生重大变化，本项目终止" in public.text
    # Twice is a conflict, said on the page.
    again = await client.post(f"/manage/tenders/{tender_id}/terminate", data={"csrf_token": csrf, "reason": "再次终止本项目"}, headers=HTML)
    assert again.status_code == 409 and 'class="error-summary"' in again.text
    assert await notices_of(platform, tender_id) == ["tender", "termination"]


async def test_a_draft_or_accepted_tender_ends_without_a_notice_and_a_submitted_one_cannot(client, users, platform) -> None:
    draft_id, csrf = await create(client, platform, await users.make(Role.purchaser))
    client.cookies.set("lang", "en")
    page = await client.get(f"/manage/tenders/{draft_id}", headers=HTML)
    assert "Nothing is published: the tender was never public." in page.text
    done = await client.post(f"/manage/tenders/{draft_id}/terminate", data={"csrf_token": csrf, "reason": "项目取消，不再采购"})
    assert done.status_code == 303
    assert (await tender_row(platform, draft_id)).status == "terminated" and await notices_of(platform, draft_id) == []
    page = await client.get(done.headers["location"], headers=HTML)
    assert "The tender is terminated." in page.text and "The termination notice is published." not in page.text
    assert f'href="/tenders/{draft_id}"' not in page.text  # never public: no public page to point to

    accepted_id, owner = await accepted(client, platform, users)
    csrf = await log_in(client, owner)
    assert f'action="/manage/tenders/{accepted_id}/terminate"' in (await client.get(f"/manage/tenders/{accepted_id}", headers=HTML)).text
    assert (await client.post(f"/manage/tenders/{accepted_id}/terminate", data={"csrf_token": csrf, "reason": "预算未获批准"})).status_code == 303
    assert (await tender_row(platform, accepted_id)).status == "terminated" and await notices_of(platform, accepted_id) == []

    submitted_id, owner = await submitted(client, platform, users)
    csrf = await log_in(client, owner)
    page = await client.get(f"/manage/tenders/{submitted_id}", headers=HTML)
    assert "/terminate" not in page.text  # with the trading centre: returned or accepted first
    refused = await client.post(f"/manage/tenders/{submitted_id}/terminate", data={"csrf_token": csrf, "reason": "项目取消"}, headers=HTML)
    assert refused.status_code == 409 and 'class="error-summary"' in refused.text
    assert (await tender_row(platform, submitted_id)).status == "submitted"


async def test_other_organisations_and_roles_cannot_terminate(client, users, platform) -> None:
    agency, purchaser = await users.make(Role.agency), await users.make(Role.purchaser)
    csrf = await log_in(client, agency)
    chosen = draft_form(platform.clock.now(), csrf=csrf, purchaser_organisation_id=str(purchaser.organisation_id))
    tender_id = created_id(await client.post("/manage/tenders/new", data=chosen))
    assert (await client.post(f"/manage/tenders/{tender_id}/submit", data={"csrf_token": csrf})).status_code == 303
    operator_csrf = await log_in(client, await users.make(Role.operator))
    assert (await client.post(f"/review-queue/{tender_id}", data={"csrf_token": operator_csrf, "decision": "accepted", **all_checked()})).status_code == 303
    csrf = await log_in(client, agency)
    assert (await client.post(f"/manage/tenders/{tender_id}/publish", data={"csrf_token": csrf, "when": "now"})).status_code == 303
    reason = {"reason": "越权终止本项目"}

    # The purchaser the agency acts for sees the tender but does not run it: no form, refused.
    csrf = await log_in(client, purchaser)
    page = await client.get(f"/manage/tenders/{tender_id}", headers=HTML)
    assert page.status_code == 200 and "/terminate" not in page.text
    assert (await client.post(f"/manage/tenders/{tender_id}/terminate", data={"csrf_token": csrf, **reason}, headers=HTML)).status_code == 403
    # Another purchaser or agency: refused (the tender is public, so it is found, but not theirs).
    for role in (Role.purchaser, Role.agency):
        csrf = await log_in(client, await users.make(role))
        response = await client.post(f"/manage/tenders/{tender_id}/terminate", data={"csrf_token": csrf, **reason}, headers=HTML)
        assert response.status_code == 403, role
    # Roles without tenders of their own: refused by the page's guard.
    for role in (Role.supplier, Role.operator, Role.supervisor, Role.expert):
        csrf = await log_in(client, await users.make(role))
        response = await client.post(f"/manage/tenders/{tender_id}/terminate", data={"csrf_token": csrf, **reason}, headers=HTML)
        assert response.status_code == 403, role
    client.cookies.clear()
    assert (await client.post(f"/manage/tenders/{tender_id}/terminate", data=reason)).status_code in (401, 303)
    tender = await tender_row(platform, tender_id)
    assert tender.status == "published" and not tender.closed_reason
    assert await notices_of(platform, tender_id) == ["tender"]

    # Another organisation's draft is not even found.
    draft_id, _ = await create(client, platform, await users.make(Role.purchaser))
    csrf = await log_in(client, await users.make(Role.purchaser))
    assert (await client.post(f"/manage/tenders/{draft_id}/terminate", data={"csrf_token": csrf, **reason}, headers=HTML)).status_code == 404
    assert (await tender_row(platform, draft_id)).status == "draft"


async def test_the_opening_settings_are_set_in_the_form(client, users, platform) -> None:
    owner = await users.make(Role.purchaser)
    tender_id, _ = await create(client, platform, owner, release_minutes="45", max_bid_mib="500")
    row = await tender_row(platform, tender_id)
    assert (row.release_minutes, row.max_bid_mib) == (45, 500)
    csrf = await log_in(client, owner)
    refused = await client.post("/manage/tenders/new", data=draft_form(platform.clock.now(), csrf=csrf, release_minutes="半小时"))
    assert refused.status_code == 400 and 'id="release_minutes-error"' in refused.text
    too_short = await client.post("/manage/tenders/new", data=draft_form(platform.clock.now(), csrf=csrf, release_minutes="2"))
    assert too_short.status_code == 400 and 'id="release_minutes-error"' in too_short.text
    assert await count(platform) == 1
