"""The winner does not sign: the refusal, the forfeited security, the next candidate or a new tender.

招标投标法实施条例 第五十五条 and 第七十四条 (works); 政府采购法实施条例 第四十九条 and
第七十二条 (government). Also the government purchaser's 5-working-day decision limit
(政府采购法实施条例 第四十三条), flagged by the scheduler.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlparse

from sqlalchemy import select

from bidding.award.models import AwardLot
from procurement.audit.models import AuditEntry
from procurement.clock import to_display
from procurement.credit.models import BlacklistEntry, EntryStatus
from procurement.identity.models import Organisation, Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from tests.bidding.award_testlib import PRICES, hand_over, opened_tender
from tests.conftest import bearer

EVIDENCE = "中标人于2026年3月2日书面函告放弃中标，函件已存档。"
ENGLISH = {"Cookie": "lang=en"}


async def _lot(client, tender_id: int, headers=None) -> dict:
    response = await client.get(f"/api/tenders/{tender_id}/award", headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()["lots"][0]


async def _refunds(client, tender_id: int, headers) -> dict[int, dict]:
    securities = (await client.get(f"/api/tenders/{tender_id}/bid-security", headers=headers)).json()["securities"]
    return {s["organisation_id"]: {**s["refund"], "id": s["id"], "status": s["status"]} for s in securities}


async def _actions(platform, action: str) -> list[dict]:
    async with platform.db.transaction(write=False) as session:
        rows = (await session.execute(select(AuditEntry.details).where(AuditEntry.action == action).order_by(AuditEntry.seq))).scalars()
        return [json.loads(d) for d in rows]


async def _awarded(client, users, platform, clock, **options):
    """A works tender whose first candidate is awarded; (opened, purchaser headers)."""
    opened = await opened_tender(client, users, platform, clock, **options)
    await hand_over(platform, opened.tender.id)
    clock.set(datetime.fromisoformat((await _lot(client, opened.tender.id))["publicity_ends_at"]))
    purchaser = await bearer(client, opened.tender.purchaser)
    assert (await client.post(f"/api/tenders/{opened.tender.id}/lots/1/award", headers=purchaser, json={"rank": 1})).status_code == 200
    return opened, purchaser


async def test_a_winner_that_gives_up_loses_its_security_and_the_next_candidate_is_awarded(client, users, platform, clock) -> None:
    opened, purchaser = await _awarded(client, users, platform, clock)
    tender, (first, second, third) = opened.tender, opened.bidders
    url = f"/api/tenders/{tender.id}/lots/1/refusal"
    refusal = {"reason": "declined", "evidence": EVIDENCE}

    # Who may not record it: the winner itself, another purchaser, supervisors and the trading centre.
    for who in (first.user, await users.make(Role.purchaser), await users.make(Role.supervisor), await users.make(Role.operator)):
        assert (await client.post(url, headers=await bearer(client, who), json=refusal)).status_code == 403
    # Bad input names the field; "not signed" waits for the contract's 30 days [招标投标法 第四十六条].
    assert (await client.post(url, headers=purchaser, json={**refusal, "reason": "changed_mind"})).json()["errors"][0]["field"] == "body.reason"
    short = await client.post(url, headers=purchaser, json={**refusal, "evidence": "放弃"})
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "body.evidence"
    early = await client.post(url, headers=purchaser, json={**refusal, "reason": "not_signed"})
    assert early.status_code == 409 and "第四十六条" in early.text
    assert (await _lot(client, tender.id))["state"] == "awarded" and await _actions(platform, "award.refused") == []

    done = await client.post(url, headers=purchaser, json=refusal)
    assert done.status_code == 200, done.text
    lot = done.json()
    assert lot["state"] == "refused" and lot["winner_rank"] is None and lot["award_amount"] is None and lot["next_rank"] == 2
    [refused] = lot["refusals"]
    assert (refused["rank"], refused["organisation_id"], refused["reason"]) == (1, first.user.organisation_id, "declined")
    assert refused["forfeited"] is True and refused["forfeit_article"] == "招标投标法实施条例 第七十四条" and refused["evidence"] == EVIDENCE
    [entry] = await _actions(platform, "award.refused")
    assert entry["organisation_id"] == first.user.organisation_id and entry["next_article"].endswith("第五十五条")
    assert (await client.get(f"/api/tenders/{tender.id}")).json()["status"] == "awarded"  # until the lot has its contract
    assert (await client.post(url, headers=purchaser, json=refusal)).status_code == 409  # nobody is awarded now

    # The evidence is for the runner, overseers and the refusing supplier; the public reads the rest.
    assert (await _lot(client, tender.id))["refusals"][0]["evidence"] is None
    assert (await _lot(client, tender.id, await bearer(client, third.user)))["refusals"][0]["evidence"] is None
    assert (await _lot(client, tender.id, await bearer(client, first.user)))["refusals"][0]["evidence"] == EVIDENCE

    # Its bid security is forfeited (不予退还), with the article, and cannot be refunded.
    operator = await bearer(client, await users.make(Role.operator))
    refunds = await _refunds(client, tender.id, operator)
    forfeited = refunds[first.user.organisation_id]
    assert (forfeited["state"], forfeited["basis"], forfeited["due_on"], forfeited["status"]) == ("forfeited", "forfeited", None, "forfeited")
    assert forfeited["article"] == "招标投标法实施条例 第七十四条"
    today = to_display(clock.now()).date().isoformat()
    refund = await client.post(f"/api/bid-securities/{forfeited['id']}/refund", headers=operator, json={"refunded_on": today, "bank_reference": "RF-1"})
    assert refund.status_code == 409 and "不予退还" in refund.text
    assert (await _actions(platform, "bid_security.forfeited"))[0]["securities"] == [forfeited["id"]]
    shown = await client.get(f"/tenders/{tender.id}/bid-security", headers={**operator, **ENGLISH})
    assert "Forfeited: not refunded" in shown.text and "招标投标法实施条例 第七十四条" in shown.text

    # No contract for a refused lot; the award goes on in ranking order.
    contract = await client.put(f"/api/tenders/{tender.id}/lots/1/contract", headers={**purchaser, "Content-Type": "application/pdf"},
                                params={"signed_on": today, "name": "合同.pdf"}, content=b"%PDF-1.7")
    assert contract.status_code == 409
    award = f"/api/tenders/{tender.id}/lots/1/award"
    assert (await client.post(award, headers=purchaser, json={"rank": 1, "reason": "第一名候选人重新同意签约的理由"})).json()["errors"][0]["field"] == "body.rank"
    skipped = await client.post(award, headers=purchaser, json={"rank": 3})
    assert skipped.status_code == 422 and skipped.json()["errors"][0]["field"] == "body.reason"
    assert (await client.post(award, headers=await bearer(client, second.user), json={"rank": 2})).status_code == 403
    next_one = await client.post(award, headers=purchaser, json={"rank": 2})
    assert next_one.status_code == 200, next_one.text
    assert (next_one.json()["state"], next_one.json()["winner_rank"], next_one.json()["award_round"]) == ("awarded", 2, 2)
    assert next_one.json()["award_amount"] == PRICES[1]

    # A new result notice says which it replaces, why, and the forfeiture; new letters for every bidder.
    published = (await client.get(f"/api/tenders/{tender.id}/notices")).json()
    result = published[-1]
    facts = result["content"]["details"]["award"]
    assert result["kind"] == "result" and facts["winner_rank"] == 2 and facts["round"] == 2
    replaces = facts["replaces"]
    assert replaces["reason"] == "declined" and replaces["forfeited"] is True and replaces["article"] == "招标投标法实施条例 第五十五条"
    assert replaces["notice_number"] == next(n["number"] for n in published if n["id"] == refused["result_notice_id"])
    public = await client.get(f"/notices/{result['id']}", headers=ENGLISH)
    assert "This result replaces notice No." in public.text and "Gave up the award" in public.text
    letters = (await client.get(f"/api/tenders/{tender.id}/award-letters", headers=await bearer(client, second.user))).json()
    assert [m["kind"] for m in letters] == ["result", "award"]
    newest = letters[-1]
    assert newest["content"]["round"] == 2 and newest["content"]["replaces"]["notice_number"] == replaces["notice_number"]
    checked = await client.post("/api/award-letters/verify", json={"content": newest["content"], "signature": newest["signature"]})
    assert checked.json()["valid"] is True
    assert [m["kind"] for m in (await client.get(f"/api/tenders/{tender.id}/award-letters", headers=await bearer(client, first.user))).json()] == ["award", "result"]
    [confirmed_again] = [e for e in await _actions(platform, "award.confirmed") if e["round"] == 2]
    assert confirmed_again["after_refusal_of"] == first.user.organisation_id

    # The contract with the new winner: the others' securities fall due; the forfeited one stays forfeited.
    signed = await client.put(f"/api/tenders/{tender.id}/lots/1/contract", headers={**purchaser, "Content-Type": "application/pdf"},
                              params={"signed_on": today, "name": "合同.pdf"}, content=b"%PDF-1.7 contract")
    assert signed.status_code == 200, signed.text
    refunds = await _refunds(client, tender.id, operator)
    assert refunds[first.user.organisation_id]["state"] == "forfeited"
    assert {refunds[b.user.organisation_id]["basis"] for b in (second, third)} == {"contract"}


async def test_not_signed_after_the_overdue_flag_a_debarred_next_candidate_and_a_new_tender(client, users, platform, clock) -> None:
    opened, purchaser = await _awarded(client, users, platform, clock)
    tender, (first, second, third) = opened.tender, opened.bidders
    lot = await _lot(client, tender.id)
    clock.set(datetime.fromisoformat(lot["contract_due_at"]))
    assert (await sweep(platform, build_registry())).ran >= 1  # the scheduler flags the contract overdue
    assert (await _lot(client, tender.id))["contract_overdue"] is True
    purchaser = await bearer(client, tender.purchaser)  # a fresh session, 30 days on
    url = f"/api/tenders/{tender.id}/lots/1/refusal"
    lapsed = await client.post(url, headers=purchaser, json={"reason": "not_signed", "evidence": "合同签订期限届满，中标人未签订合同。"})
    assert lapsed.status_code == 200, lapsed.text
    assert lapsed.json()["refusals"][0]["forfeited"] is True and lapsed.json()["contract_overdue"] is False
    overseer = await bearer(client, await users.make(Role.supervisor))
    assert (await client.get("/api/awards/overdue-contracts", headers=overseer)).json() == []  # no award is waiting for its contract now

    # The next candidate is debarred: the credit check refuses it, naming the entry; a later one needs the reason.
    async with platform.db.transaction() as session:
        organisation = await session.get(Organisation, second.user.organisation_id)
        assert organisation is not None
        session.add(BlacklistEntry(
            uscc=organisation.uscc, organisation_name=organisation.name, conduct="提供虚假材料谋取中标", penalty="禁止参加投标一年",
            legal_basis="招标投标法 第五十四条", authority="海口市住房和城乡建设局", starts_on=date(2025, 1, 1), ends_on=date(2030, 1, 1),
            status=EntryStatus.in_force, proposed_by=second.user.user_id, created_at=clock.now(), updated_at=clock.now(),
        ))
    award = f"/api/tenders/{tender.id}/lots/1/award"
    debarred = await client.post(award, headers=purchaser, json={"rank": 2})
    assert debarred.status_code == 403 and "海口市住房和城乡建设局" in debarred.text
    reason = "第二中标候选人被列入失信名单，依次由第三中标候选人中标。"
    assert (await client.post(award, headers=purchaser, json={"rank": 3, "reason": reason})).status_code == 200
    declined = await client.post(url, headers=purchaser, json={"reason": "no_performance_security", "evidence": "中标人未按招标文件要求提交履约保证金。"})
    assert declined.status_code == 200 and declined.json()["next_rank"] is None  # the second stays passed over

    # Nobody is left in ranking order: the award is refused naming the article; the page offers a new tender.
    left = await client.post(award, headers=purchaser, json={"rank": 2, "reason": reason})
    assert left.status_code == 409 and "第五十五条" in left.text
    page = await client.get(f"/tenders/{tender.id}/award", headers={**purchaser, **ENGLISH})
    assert "No candidate is ranked after the one that refused" in page.text and f"/tenders/{tender.id}/award/lots/1/failure" in page.text
    # The trading centre may propose each refusing supplier for the blacklist: the credit form, filled in, nothing proposed yet.
    operator = await bearer(client, await users.make(Role.operator))
    shown = await client.get(f"/tenders/{tender.id}/award", headers={**operator, **ENGLISH})
    links = [link.replace("&amp;", "&") for link in re.findall(r'href="(/credit/proposals\?[^"]+)"', shown.text)]
    assert len(links) == 2
    async with platform.db.transaction(write=False) as session:
        refusing = [await session.get(Organisation, b.user.organisation_id) for b in (first, third)]
    queries = [parse_qs(urlparse(link).query) for link in links]
    assert [(q["uscc"], q["organisation_name"]) for q in queries] == [([o.uscc], [o.name]) for o in refusing]  # type: ignore[union-attr]
    assert {q["legal_basis"][0] for q in queries} == {"招标投标法实施条例 第七十四条"}
    form = await client.get(links[0], headers=operator)
    first_uscc = queries[0]["uscc"][0]
    assert form.status_code == 200 and f'value="{first_uscc}"' in form.text
    assert "Propose for the blacklist" not in (await client.get(f"/tenders/{tender.id}/award", headers={**purchaser, **ENGLISH})).text
    async with platform.db.transaction(write=False) as session:
        assert (await session.execute(select(BlacklistEntry).where(BlacklistEntry.uscc == first_uscc))).first() is None  # no auto-debarment

    failed = await client.post(f"/api/tenders/{tender.id}/lots/1/failure", headers=purchaser,
                               json={"reason": "中标候选人均放弃中标或不符合中标条件，重新招标。"})
    assert failed.status_code == 200 and failed.json()["state"] == "failed"
    assert (await client.get(f"/api/tenders/{tender.id}")).json()["status"] == "failed"
    assert (await client.get(f"/api/tenders/{tender.id}/notices")).json()[-1]["kind"] == "failed"
    assert (await _actions(platform, "award.lot_failed"))[0]["stage"] == "winner_refused"
    refunds = await _refunds(client, tender.id, operator)
    assert [refunds[b.user.organisation_id]["state"] for b in (first, second, third)] == ["forfeited", "due", "forfeited"]
    assert refunds[second.user.organisation_id]["basis"] == "tender_failed"


async def test_government_decision_overdue_flagged_and_force_majeure_keeps_the_security(client, users, platform, clock) -> None:
    opened = await opened_tender(client, users, platform, clock, track="government")
    tender, (first, second, _) = opened.tender, opened.bidders
    await hand_over(platform, tender.id)
    purchaser = await bearer(client, tender.purchaser)
    lot = await _lot(client, tender.id)
    decide_by = datetime.fromisoformat(lot["decide_by"])
    assert lot["decision_overdue"] is False
    async with platform.db.transaction(write=False) as session:
        row = (await session.execute(select(AwardLot).where(AwardLot.tender_id == tender.id))).scalar_one()
        assert row.next_check == decide_by  # the scheduler will look at the decision limit

    clock.set(decide_by - timedelta(seconds=1))
    supervisor, operator = await bearer(client, await users.make(Role.supervisor)), await bearer(client, await users.make(Role.operator))
    purchaser = await bearer(client, tender.purchaser)
    await sweep(platform, build_registry())
    assert (await client.get("/api/awards/overdue-decisions", headers=supervisor)).json() == []
    clock.set(decide_by)
    assert (await sweep(platform, build_registry())).ran >= 1
    await sweep(platform, build_registry())
    for headers in (supervisor, operator):
        listed = (await client.get("/api/awards/overdue-decisions", headers=headers)).json()
        assert [(o["tender_id"], o["lot_number"]) for o in listed] == [(tender.id, 1)]
    for who in (first.user, tender.purchaser):
        assert (await client.get("/api/awards/overdue-decisions", headers=await bearer(client, who))).status_code == 403
    [flagged] = await _actions(platform, "award.decision_overdue")  # once
    assert flagged["article"] == "政府采购法实施条例 第四十三条"
    assert (await _lot(client, tender.id))["decision_overdue"] is True
    page = await client.get(f"/tenders/{tender.id}/award", headers={**purchaser, **ENGLISH})
    assert "Decision overdue" in page.text

    assert (await client.post(f"/api/tenders/{tender.id}/lots/1/award", headers=purchaser, json={"rank": 1})).status_code == 200
    assert (await client.get("/api/awards/overdue-decisions", headers=supervisor)).json() == []
    assert (await _actions(platform, "award.confirmed"))[0]["decided_late"] is True

    # Force majeure is a due reason: the security is not forfeited but falls due from the refusal.
    form = await client.post(f"/tenders/{tender.id}/award/lots/1/refusal", headers=purchaser, data={"refusal_reason": "force_majeure", "evidence": "短"})
    assert form.status_code == 400 and 'href="#evidence"' in form.text
    assert (await _lot(client, tender.id))["state"] == "awarded"
    form = await client.post(f"/tenders/{tender.id}/award/lots/1/refusal", headers=purchaser, follow_redirects=False,
                             data={"refusal_reason": "force_majeure", "evidence": "供货工厂遭受台风损毁，中标人无法履行合同，附应急管理部门证明。"})
    assert form.status_code == 303 and "done=refused" in form.headers["location"]
    lot = await _lot(client, tender.id)
    assert lot["state"] == "refused" and lot["refusals"][0]["forfeited"] is False and lot["refusals"][0]["forfeit_article"] == ""
    refunds = await _refunds(client, tender.id, purchaser)
    assert (refunds[first.user.organisation_id]["state"], refunds[first.user.organisation_id]["basis"]) == ("due", "refusal")
    assert refunds[second.user.organisation_id]["basis"] == "award"  # a loser's refund still runs from the first award notice
    assert (await _actions(platform, "bid_security.refusal_recorded"))[0]["article"] == ""
    page = await client.get(f"/tenders/{tender.id}/award", headers={**purchaser, **ENGLISH})
    assert "政府采购法实施条例 第四十九条" in page.text and "Award the next candidate" in page.text

    # The purchaser tenders again instead (重新开展采购活动); a supplier may not.
    reason = {"reason": "下一候选人报价超出预算，重新开展采购活动。"}
    assert (await client.post(f"/api/tenders/{tender.id}/lots/1/failure", headers=await bearer(client, second.user), json=reason)).status_code == 403
    failed = await client.post(f"/api/tenders/{tender.id}/lots/1/failure", headers=purchaser, json=reason)
    assert failed.status_code == 200 and failed.json()["state"] == "failed"
    assert (await client.get(f"/api/tenders/{tender.id}")).json()["status"] == "failed"
