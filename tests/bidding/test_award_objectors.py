"""Who may object to a lot's candidates besides its bidders.

Works: other interested parties (其他利害关系人, 招标投标法实施条例 第五十四条): a supplier that
obtained the documents, or any other supplier that states its interest. Government
procurement: only the suppliers that took part, which includes those that obtained the
documents (政府采购质疑和投诉办法 第十一条).
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, select

from bidding.award.models import AwardObjection
from procurement.audit.models import AuditEntry
from procurement.identity.models import Role
from tests.bidding.award_testlib import hand_over, opened_tender
from tests.conftest import bearer

OBJECTION = {"text": "第一中标候选人的项目经理同时在其他在建项目任职，请核实。"}
INTEREST = "本单位是第二中标候选人的主要材料供应商，中标结果直接影响本单位的供货合同。"
ENGLISH = {"Cookie": "lang=en"}


async def _objections(platform) -> int:
    async with platform.db.transaction(write=False) as session:
        return (await session.execute(select(func.count()).select_from(AwardObjection))).scalar_one()


async def test_works_suppliers_that_obtained_the_documents_or_state_an_interest_may_object(client, users, platform, clock) -> None:
    opened = await opened_tender(client, users, platform, clock, watchers=1)
    tender, watcher = opened.tender, opened.watchers[0]
    await hand_over(platform, tender.id)
    url = f"/api/tenders/{tender.id}/lots/1/objections"

    # Roles that never object: refused by the route's guard, nothing recorded.
    for role in (Role.purchaser, Role.agency, Role.expert, Role.supervisor, Role.operator):
        assert (await client.post(url, headers=await bearer(client, await users.make(role)), json=OBJECTION)).status_code == 403
    assert (await client.post(url, headers=await bearer(client, tender.purchaser), json=OBJECTION)).status_code == 403

    # A potential bidder that obtained the documents objects like a bidder.
    potential = await client.post(url, headers=await bearer(client, watcher.user), json=OBJECTION)
    assert potential.status_code == 201, potential.text
    assert potential.json()["standing"] == "obtained_documents" and potential.json()["interest"] == ""

    # Any other supplier states its interest, naming the field and the article when it does not.
    outsider = await users.make(Role.supplier)
    outsider_headers = await bearer(client, outsider)
    for interest in ("", "有关系"):
        refused = await client.post(url, headers=outsider_headers, json={**OBJECTION, "interest": interest})
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "body.interest" and "第五十四条" in refused.text
    assert await _objections(platform) == 1
    # The page asks it for its interest; a bidder's form does not.
    page = await client.get(f"/tenders/{tender.id}/award", headers={**outsider_headers, **ENGLISH})
    assert page.status_code == 200 and 'name="interest"' in page.text and "Your interest in the result" in page.text
    bidder_page = await client.get(f"/tenders/{tender.id}/award", headers=await bearer(client, opened.bidders[1].user))
    assert 'name="text"' in bidder_page.text and 'name="interest"' not in bidder_page.text
    filed = await client.post(url, headers=outsider_headers, json={**OBJECTION, "interest": INTEREST})
    assert filed.status_code == 201, filed.text
    assert filed.json()["standing"] == "interested_party" and filed.json()["interest"] == INTEREST

    async with platform.db.transaction(write=False) as session:
        entries = (await session.execute(select(AuditEntry.details).where(AuditEntry.action == "award.objection_filed"))).scalars()
        assert sorted(json.loads(d)["standing"] for d in entries) == ["interested_party", "obtained_documents"]
    # The runner reads both with their standing; each objector its own only.
    listed = (await client.get(f"/api/tenders/{tender.id}/award", headers=await bearer(client, tender.purchaser))).json()["lots"][0]["objections"]
    assert [o["standing"] for o in listed] == ["obtained_documents", "interested_party"]
    mine = (await client.get(f"/api/tenders/{tender.id}/award", headers=outsider_headers)).json()["lots"][0]["objections"]
    assert [o["organisation_id"] for o in mine] == [outsider.organisation_id]
    shown = await client.get(f"/tenders/{tender.id}/award", headers={**await bearer(client, tender.purchaser), **ENGLISH})
    assert "Other interested party" in shown.text and INTEREST in shown.text

    # After the publicity nobody objects any more.
    lot = (await client.get(f"/api/tenders/{tender.id}/award")).json()["lots"][0]
    clock.set(datetime.fromisoformat(lot["publicity_ends_at"]))
    late = await client.post(url, headers=await bearer(client, await users.make(Role.supplier)), json={**OBJECTION, "interest": INTEREST})
    assert late.status_code == 409


async def test_government_only_suppliers_that_took_part_may_object(client, users, platform, clock) -> None:
    opened = await opened_tender(client, users, platform, clock, track="government", watchers=1)
    tender, watcher = opened.tender, opened.watchers[0]
    await hand_over(platform, tender.id)
    url = f"/api/tenders/{tender.id}/lots/1/objections"

    outsider = await bearer(client, await users.make(Role.supplier))
    refused = await client.post(url, headers=outsider, json={**OBJECTION, "interest": INTEREST})
    assert refused.status_code == 403 and "第十一条" in refused.text
    assert await _objections(platform) == 0
    page = await client.get(f"/tenders/{tender.id}/award", headers=outsider)
    assert page.status_code == 200 and 'name="text"' not in page.text  # no form for it
    # The page's form refuses it the same way, with the message, and records nothing.
    form = await client.post(f"/tenders/{tender.id}/award/lots/1/objections", headers=outsider, data={**OBJECTION, "interest": INTEREST})
    assert form.status_code == 403 and "第十一条" in form.text
    assert await _objections(platform) == 0

    potential = await client.post(url, headers=await bearer(client, watcher.user), json=OBJECTION)
    assert potential.status_code == 201 and potential.json()["standing"] == "obtained_documents"
    bidder = await client.post(url, headers=await bearer(client, opened.bidders[2].user), json={**OBJECTION, "interest": INTEREST})
    assert bidder.status_code == 201 and bidder.json()["standing"] == "bidder" and bidder.json()["interest"] == ""
    # Government: answered within 7 working days (政府采购法 第五十三条), and the award waits.
    waiting = await client.post(f"/api/tenders/{tender.id}/lots/1/award", headers=await bearer(client, tender.purchaser), json={"rank": 1})
    assert waiting.status_code == 409 and "第五十三条" in waiting.text
