"""The expert pool and draw pages: they call the same services as the API, so these tests hold
the pages to what the forms add (errors at the fields named, nothing changed on a refusal),
to the roles that must not act, and to the secrecy of the drawn experts' names.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from expert_pool.draw_models import ExpertDraw
from expert_pool.models import Expert, ExpertRelationship
from procurement.audit.models import AuditEntry
from procurement.identity.models import Role
from procurement.identity.uscc import make_uscc
from tests.conftest import bearer
from tests.experts.pool_testlib import add_specialties, csv_of, person, row
from tests.experts.test_draws_service import _closed_tender_with_pool

CSRF = re.compile(r'name="csrf_token" value="[^"]*"')
NAMES = re.compile(r"专家\d+")


@pytest.fixture
def client(client: AsyncTestClient) -> AsyncTestClient:
    """Not following redirects: the tests read where each form leads."""
    client.follow_redirects = False
    return client


def _upload(content: bytes) -> dict:
    return {"files": {"file": ("experts.csv", content, "text/csv")}}


async def _count(platform, model=Expert) -> int:
    async with platform.db.transaction(write=False) as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def _actions(platform, action: str) -> int:
    async with platform.db.transaction(write=False) as session:
        return (await session.execute(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))).scalar_one()


async def test_an_operator_imports_searches_and_pages_through_the_pool(client, users, platform) -> None:
    operator = await bearer(client, await users.make(Role.operator))
    await add_specialties(client, operator)

    # A bad file: the report names each bad row and field, and nothing is imported.
    bad = await client.post("/experts/imports", headers=operator,
                            **_upload(csv_of(row(1), row(2, national_id="460100197201010000"), row(3, specialties="Z99"))))
    assert bad.status_code == 400, bad.text
    report = bad.text[bad.text.index('id="import-report"'):]
    assert re.search(r"<td>3</td>\s*<td><strong>", report) and "national_id" in report and "Z99" in report
    assert await _count(platform) == 0 and await _actions(platform, "expert.imported") == 0
    header = await client.post("/experts/imports", headers=operator, **_upload(b"name,phone\r\n"))
    assert header.status_code == 400 and "specialties" in header.text and await _count(platform) == 0

    rows = [row(n, specialties="B03" if n % 2 else "A01.02", status="retired" if n == 30 else "active") for n in range(1, 31)]
    good = await client.post("/experts/imports", headers=operator, **_upload(csv_of(*rows)))
    assert good.status_code == 200, good.text
    assert await _count(platform) == 30 and await _actions(platform, "expert.imported") == 1
    assert good.text.count('href="/experts/') >= 30  # every row links to the expert imported

    # Operators see national IDs masked, paged 25 at a time.
    first = await client.get("/experts", headers=operator)
    assert first.status_code == 200
    assert person(1) not in first.text and person(1)[:6] + "********" + person(1)[14:] in first.text
    assert first.text.count("<tr>") - 1 == 25 and "page=2" in first.text
    second = await client.get("/experts", headers=operator, params={"page": 2})
    assert len(set(NAMES.findall(second.text))) == 5

    by_name = await client.get("/experts", headers=operator, params={"name": "专家2"})
    assert set(NAMES.findall(by_name.text)) == {"专家2", *(f"专家{n}" for n in range(20, 30))}
    by_specialty = await client.get("/experts", headers=operator, params={"specialty": "A01"})  # A01 finds A01.02
    assert set(NAMES.findall(by_specialty.text)) == {f"专家{n}" for n in range(2, 31, 2)}
    retired = await client.get("/experts", headers=operator, params={"status": "retired", "region": "460100"})
    assert set(NAMES.findall(retired.text)) == {"专家30"}
    wrong = await client.get("/experts", headers=operator, params={"region": "46"})
    assert wrong.status_code == 400 and 'id="region-error"' in wrong.text

    # Supervisors read the pool with whole IDs but get no form to change it.
    supervisor = await bearer(client, await users.make(Role.supervisor))
    read = await client.get("/experts", headers=supervisor)
    assert read.status_code == 200 and person(1) in read.text
    assert 'action="/experts/imports"' not in read.text and 'action="/experts/specialties"' not in read.text
    expert_id = (await client.get("/api/experts", headers=operator)).json()[0]["id"]
    one = await client.get(f"/experts/{expert_id}", headers=operator)
    assert one.status_code == 200 and "专家1" in one.text and person(1) not in one.text
    assert person(1) in (await client.get(f"/experts/{expert_id}", headers=supervisor)).text
    assert (await client.post("/experts/imports", headers=supervisor, **_upload(csv_of(row(40))))).status_code == 403
    for role in (Role.purchaser, Role.agency, Role.supplier, Role.expert):
        headers = await bearer(client, await users.make(role))
        assert (await client.get("/experts", headers=headers)).status_code == 403
        assert (await client.get(f"/experts/{expert_id}", headers=headers)).status_code == 403
    assert await _count(platform) == 30


async def test_the_specialty_code_form_names_the_field_and_the_rule(client, users, platform) -> None:
    operator = await bearer(client, await users.make(Role.operator))
    added = await client.post("/experts/specialties", headers=operator, data={"specialty-code": "a01", "specialty-name": "建筑工程"})
    assert added.status_code == 303 and added.headers["location"] == "/experts?done=specialty#specialties"
    orphan = await client.post("/experts/specialties", headers=operator, data={"specialty-code": "B01.01", "specialty-name": "孤儿"})
    assert orphan.status_code == 400 and 'id="specialty-code-error"' in orphan.text and "B01" in orphan.text
    again = await client.post("/experts/specialties", headers=operator, data={"specialty-code": "A01", "specialty-name": "重复"})
    assert again.status_code == 409 and 'value="重复"' in again.text  # the form comes back as typed
    child = await client.post("/experts/specialties", headers=operator, data={"specialty-code": "A01.02", "specialty-name": "房屋建筑"})
    assert child.status_code == 303
    tree = (await client.get("/experts", headers=operator)).text
    assert tree.index("<code>A01</code>") < tree.index("<code>A01.02</code>") and "margin-left: 1.5em" in tree
    supervisor = await bearer(client, await users.make(Role.supervisor))
    assert (await client.post("/experts/specialties", headers=supervisor, data={"specialty-code": "C01", "specialty-name": "x"})).status_code == 403
    assert [s["code"] for s in (await client.get("/api/experts/specialties", headers=operator)).json()] == ["A01", "A01.02"]


async def test_an_expert_keeps_the_profile_current_through_the_form(client, users, platform) -> None:
    operator = await bearer(client, await users.make(Role.operator))
    await add_specialties(client, operator)
    account = await users.make(Role.expert)
    imported = await client.post("/api/experts/imports", headers=operator, content=csv_of(row(1, username=account.username)))
    assert imported.status_code == 200, imported.text
    expert = await bearer(client, account)

    shown = await client.get("/experts/me", headers=expert)
    assert shown.status_code == 200 and person(1) in shown.text  # whole: it is the expert's own
    assert 'name="rel-0-organisation_uscc"' in shown.text and 'name="rel-1-organisation_uscc"' in shown.text  # the one on file and blanks

    shares = make_uscc("91460100MA5T00077")
    form = {
        "phone": "13912345678",
        "rel-0-kind": "employer", "rel-0-organisation_uscc": "", "rel-0-from_date": "", "rel-0-to_date": "",  # cleared: removed
        "rel-1-kind": "shareholding", "rel-1-organisation_uscc": "91460100MA5T0000XX", "rel-1-from_date": "2020-01-01",
        "away-0-from_date": "2030-05-02", "away-0-to_date": "2030-05-01", "away-0-reason": "出差",
    }
    refused = await client.post("/experts/me", headers=expert, data=form)
    assert refused.status_code == 400, refused.text
    # The errors sit at the form's rows, not at the API's list positions.
    assert 'id="rel-1-organisation_uscc-error"' in refused.text and 'id="away-0-to_date-error"' in refused.text
    assert 'value="91460100MA5T0000XX"' in refused.text
    async with platform.db.transaction(write=False) as session:
        kept = (await session.execute(select(ExpertRelationship.organisation_uscc))).scalars().all()
    assert len(kept) == 1 and kept[0] != shares and await _actions(platform, "expert.profile_updated") == 0

    saved = await client.post("/experts/me", headers=expert, data=form | {"rel-1-organisation_uscc": shares, "away-0-to_date": "2030-05-03"})
    assert saved.status_code == 303 and saved.headers["location"] == "/experts/me?done=saved"
    me = (await client.get("/api/experts/me", headers=expert)).json()
    assert me["phone"] == "13912345678"
    assert [(r["kind"], r["organisation_uscc"], r["from_date"], r["to_date"]) for r in me["relationships"]] == [
        ("shareholding", shares, "2020-01-01", None)]
    assert [(u["from_date"], u["to_date"], u["reason"]) for u in me["unavailable"]] == [("2030-05-02", "2030-05-03", "出差")]
    assert await _actions(platform, "expert.profile_updated") == 1

    unlinked = await bearer(client, await users.make(Role.expert))
    assert (await client.get("/experts/me", headers=unlinked)).status_code == 404
    assert (await client.post("/experts/me", headers=unlinked, data={"phone": "13800000000"})).status_code == 404
    assert (await client.get("/experts/me", headers=operator)).status_code == 403


def _draw_form(clock, **over: str) -> dict[str, str]:
    return {"lot": "1", "spec-0-code": "A01.02", "spec-0-seats": "5", "spec-0-reserves": "1", "purchaser_representatives": "0",
            "evaluation_days": "1", "evaluation_date": (clock.now() + timedelta(days=3)).date().isoformat()} | over


async def test_the_owner_requests_a_draw_and_sees_counts_only(client, users, platform, clock) -> None:
    tender, bidders, operator = await _closed_tender_with_pool(client, users, platform, clock)
    url = f"/tenders/{tender.id}/draws/new"
    blank = await client.get(url, headers=tender.owner)
    assert blank.status_code == 200 and f'action="{url}"' in blank.text

    # Refused by a committee rule: the message at the field, citing the article; nothing stored.
    even = await client.post(url, headers=tender.owner, data=_draw_form(clock, **{"spec-0-seats": "4"}))
    assert even.status_code == 400, even.text
    assert 'id="seats-error"' in even.text and "招标投标法 第三十七条" in even.text and 'value="4"' in even.text
    unknown = await client.post(url, headers=tender.owner, data=_draw_form(clock, **{"spec-0-code": "", "spec-0-seats": "", "spec-0-reserves": "", "spec-1-code": "Z99", "spec-1-seats": "5"}))
    assert unknown.status_code == 400 and 'id="spec-1-seats-error"' in unknown.text and "Z99" in unknown.text
    typed = await client.post(url, headers=tender.owner, data=_draw_form(clock, purchaser_representatives="two", **{"spec-0-seats": ""}))
    assert typed.status_code == 400 and 'id="purchaser_representatives-error"' in typed.text and 'id="spec-0-seats-error"' in typed.text
    past = await client.post(url, headers=tender.owner, data=_draw_form(clock, evaluation_date="2020-01-01"))
    assert past.status_code == 400 and 'id="evaluation_date-error"' in past.text
    too_many = await client.post(url, headers=tender.owner, data=_draw_form(clock, **{"spec-0-seats": "9", "spec-0-reserves": ""}))
    assert too_many.status_code == 409 and "error-summary" in too_many.text
    assert await _count(platform, ExpertDraw) == 0 and await _actions(platform, "draw.seed_committed") == 0

    made = await client.post(url, headers=tender.owner, data=_draw_form(clock))
    assert made.status_code == 303, made.text
    async with platform.db.transaction(write=False) as session:
        draw_id = (await session.execute(select(ExpertDraw.id))).scalar_one()
    assert made.headers["location"] == f"{url}?done=drawn#draw-{draw_id}"
    after = await client.get(made.headers["location"], headers=tender.owner)
    assert f'id="draw-{draw_id}"' in after.text
    draw = (await client.get(f"/api/draws/{draw_id}", headers=tender.owner)).json()
    assert draw["seed_commitment"] in after.text and draw["snapshot_digest"] in after.text
    assert not NAMES.findall(after.text)
    again = await client.post(url, headers=tender.owner, data=_draw_form(clock))
    assert again.status_code == 409 and await _count(platform, ExpertDraw) == 1

    # Another purchaser, a bidder, the trading centre: no draw form for them.
    other = await bearer(client, await users.make(Role.purchaser))
    assert (await client.get(url, headers=other)).status_code == 404
    assert (await client.post(url, headers=other, data=_draw_form(clock))).status_code == 404
    assert (await client.get(url, headers=bidders[0].headers)).status_code == 403
    assert (await client.post(url, headers=operator, data=_draw_form(clock))).status_code == 403


async def test_a_supervisor_monitors_reveals_and_verifies(client, users, platform, clock) -> None:
    tender, _, _ = await _closed_tender_with_pool(client, users, platform, clock)
    made = await client.post(f"/tenders/{tender.id}/draws/new", headers=tender.owner, data=_draw_form(clock))
    assert made.status_code == 303
    supervisor = await bearer(client, await users.make(Role.supervisor))
    listing = await client.get("/supervision/draws", headers=supervisor)
    assert listing.status_code == 200
    draw_id = int(re.search(r'data-draw="(\d+)"', listing.text).group(1))  # type: ignore[union-attr]
    draw = (await client.get(f"/api/draws/{draw_id}", headers=supervisor)).json()
    assert f'href="/tenders/{tender.id}"' in listing.text and not NAMES.findall(listing.text)

    page = await client.get(f"/supervision/draws/{draw_id}", headers=supervisor)
    assert page.status_code == 200
    committee = page.text[page.text.index('id="committee"'):page.text.index('id="reserves-heading"')]
    assert set(NAMES.findall(committee)) == {d["name"] for d in draw["committee"]}
    exclusions = page.text[page.text.index('id="exclusions"'):]
    assert 'data-reason="employer_bidder"' in exclusions and 'data-reason="shareholding_bidder"' in exclusions
    assert "专家8" in exclusions and "专家9" in exclusions
    assert draw["seed_commitment"] in page.text and 'id="seed"' not in page.text
    assert page.text.count('data-ok="true"') >= 10 and 'data-ok="false"' not in page.text
    assert f'action="/supervision/draws/{draw_id}/reveal"' in page.text

    revealed = await client.post(f"/supervision/draws/{draw_id}/reveal", headers=supervisor)
    assert revealed.status_code == 303 and revealed.headers["location"] == f"/supervision/draws/{draw_id}?done=revealed"
    shown = await client.get(revealed.headers["location"], headers=supervisor)
    seed = (await client.get(f"/api/draws/{draw_id}", headers=supervisor)).json()["seed"]
    assert seed and f'id="seed">{seed}<' in shown.text and "/reveal" not in shown.text
    twice = await client.post(f"/supervision/draws/{draw_id}/reveal", headers=supervisor)
    assert twice.status_code == 409 and "error-summary" in twice.text
    assert await _actions(platform, "draw.seed_revealed") == 1

    # Tampering shows as a mismatch in the table.
    async with platform.db.transaction() as session:
        stored = await session.get(ExpertDraw, draw_id)
        stored.seed = "00" * 32
        session.add(stored)
    tampered = await client.get(f"/supervision/draws/{draw_id}", headers=supervisor)
    assert 'data-check="seed_commitment_mismatch" data-ok="false"' in tampered.text


async def test_only_supervisors_see_the_drawn_experts_names_on_any_page(client, users, platform, clock) -> None:
    tender, bidders, operator = await _closed_tender_with_pool(client, users, platform, clock)
    # An expert on the platform whose own specialty is not drawn; their page shows their own name only.
    account = await users.make(Role.expert)
    extra = await client.post("/api/experts/imports", headers=operator, content=csv_of(row(20, specialties="B03", name="林工", username=account.username)))
    assert extra.status_code == 200, extra.text
    agency = await bearer(client, await users.make(Role.agency))
    roles = {"purchaser": tender.owner, "agency": agency, "supplier": bidders[0].headers, "operator": operator,
             "expert": await bearer(client, account)}
    expert_id = (await client.get("/api/experts", headers=operator, params={"specialty": "A01.02"})).json()[0]["id"]
    pool_pages = ["/experts", "/experts?specialty=A01.02", f"/experts/{expert_id}"]
    before = {path: CSRF.sub("", (await client.get(path, headers=operator)).text) for path in pool_pages}

    made = await client.post(f"/tenders/{tender.id}/draws/new", headers=tender.owner, data=_draw_form(clock))
    assert made.status_code == 303
    async with platform.db.transaction(write=False) as session:
        draw_id = (await session.execute(select(ExpertDraw.id))).scalar_one()
    supervisor = await bearer(client, await users.make(Role.supervisor))
    drawn = (await client.get(f"/api/draws/{draw_id}", headers=supervisor)).json()
    names = {d["name"] for d in drawn["committee"] + drawn["reserve_list"]}
    assert len(names) == 6

    pages = [*pool_pages, "/experts/me", f"/tenders/{tender.id}/draws/new", "/supervision/draws", f"/supervision/draws/{draw_id}"]
    for who, headers in roles.items():
        for path in pages:
            response = await client.get(path, headers=headers)
            assert response.status_code in (200, 403, 404), (who, path, response.status_code)
            if who == "operator" and path in pool_pages:
                # The operator keeps the pool and sees its names; the pool pages say nothing of the draw.
                assert CSRF.sub("", response.text) == before[path], path
                continue
            assert not names & set(NAMES.findall(response.text)), (who, path)
    seen = (await client.get(f"/supervision/draws/{draw_id}", headers=supervisor)).text
    assert names <= set(NAMES.findall(seen))
