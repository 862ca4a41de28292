"""The award on a controlled clock: publicity, objections, the winner's choice, letters, contract, refunds."""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from bidding.award.models import AwardLot
from procurement.clock import to_display
from procurement.credit.models import BlacklistEntry, EntryStatus
from procurement.identity.models import Organisation, Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from tests.bidding.award_testlib import COMMITTEE, PRICES, hand_over, opened_tender
from tests.conftest import bearer

OBJECTION = {"text": "第一中标候选人的业绩证明材料与实际不符，请核实。"}
ANSWER = {"answer": "经核实，第一中标候选人的业绩证明真实有效，异议不成立。"}


async def _award(client, tender_id: int, headers) -> dict:
    response = await client.get(f"/api/tenders/{tender_id}/award", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["lots"][0]


async def _notices(client, tender_id: int) -> list[dict]:
    return (await client.get(f"/api/tenders/{tender_id}/notices")).json()


async def test_candidates_publicised_three_days_then_the_first_is_awarded_with_letters_and_statistics(client, users, platform, clock) -> None:
    opened = await opened_tender(client, users, platform, clock)
    tender, (first, second, third) = opened.tender, opened.bidders
    purchaser = tender.purchaser
    await hand_over(platform, tender.id)
    assert (await client.get(f"/api/tenders/{tender.id}")).json()["status"] == "candidates_publicised"
    publicity = (await _notices(client, tender.id))[-1]
    assert publicity["kind"] == "candidates" and publicity["title"].endswith("中标候选人公示")
    listed = publicity["content"]["details"]["award"]["candidates"]
    assert [c["price"] for c in listed] == list(PRICES) and [c["rank"] for c in listed] == [1, 2, 3]

    # Works: at least 3 days (招标投标法实施条例 第五十四条), counted from the day after publication, Beijing time.
    lot = await _award(client, tender.id, await bearer(client, purchaser))
    ends = to_display(datetime.fromisoformat(lot["publicity_ends_at"]))
    assert ends.date() == to_display(clock.now()).date() + timedelta(days=4) and (ends.hour, ends.minute) == (0, 0)
    early = await client.post(f"/api/tenders/{tender.id}/lots/1/award", headers=await bearer(client, purchaser), json={"rank": 1})
    assert early.status_code == 409 and "第五十四条" in early.text
    for who in (await bearer(client, first.user), await bearer(client, await users.make(Role.supervisor)), await bearer(client, await users.make(Role.operator)),
                await bearer(client, await users.make(Role.purchaser))):
        assert (await client.post(f"/api/tenders/{tender.id}/lots/1/award", headers=who, json={"rank": 1})).status_code == 403

    clock.set(datetime.fromisoformat(lot["publicity_ends_at"]))
    assert (await sweep(platform, build_registry())).ran >= 1  # the scheduler marks the end of the publicity
    done = await client.post(f"/api/tenders/{tender.id}/lots/1/award", headers=await bearer(client, purchaser), json={"rank": 1})
    assert done.status_code == 200, done.text
    won = done.json()
    assert won["state"] == "awarded" and won["winner_rank"] == 1
    assert Decimal(won["award_amount"]) == Decimal("1180000.00") and Decimal(won["savings"]) == Decimal("70000.00")
    assert Decimal(won["discount_rate"]) == Decimal("0.056000")
    assert (await client.get(f"/api/tenders/{tender.id}")).json()["status"] == "awarded"
    again = await client.post(f"/api/tenders/{tender.id}/lots/1/award", headers=await bearer(client, purchaser), json={"rank": 2, "reason": "再次确认中标人的理由说明"})
    assert again.status_code == 409

    result = (await _notices(client, tender.id))[-1]
    facts = result["content"]["details"]["award"]
    assert result["kind"] == "result" and facts["award_amount"] == "1180000.00" and facts["winner_rank"] == 1
    assert "committee" not in facts  # works: the committee's names are not in the result notice
    page = await client.get(f"/notices/{result['id']}")
    assert page.status_code == 200 and "1,180,000.00" in page.text

    # Each bidder reads only its own letter; the winner's is the award notice, and it verifies.
    for who, kind in ((first, "award"), (second, "result"), (third, "result")):
        mine = (await client.get(f"/api/tenders/{tender.id}/award-letters", headers=await bearer(client, who.user))).json()
        assert [(m["kind"], m["organisation_id"]) for m in mine] == [(kind, who.user.organisation_id)]
    every = (await client.get(f"/api/tenders/{tender.id}/award-letters", headers=await bearer(client, purchaser))).json()
    assert sorted(m["kind"] for m in every) == ["award", "result", "result"]
    letter = next(m for m in every if m["kind"] == "award")
    checked = await client.post("/api/award-letters/verify", json={"content": letter["content"], "signature": letter["signature"]})
    assert checked.status_code == 200 and checked.json()["valid"] is True
    forged = copy.deepcopy(letter["content"])
    forged["award_amount"] = "1250000.00"
    assert (await client.post("/api/award-letters/verify", json={"content": forged, "signature": letter["signature"]})).json()["valid"] is False
    assert (await client.get(letter["pdf"], headers=await bearer(client, second.user))).status_code == 404  # not its letter
    pdf = await client.get(letter["pdf"], headers=await bearer(client, first.user))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def test_an_unanswered_objection_pauses_the_award(client, users, platform, clock) -> None:
    opened = await opened_tender(client, users, platform, clock)
    tender, (first, second, _) = opened.tender, opened.bidders
    purchaser = tender.purchaser
    await hand_over(platform, tender.id)
    # A supplier that neither bid nor obtained the documents states its interest first (tests/bidding/test_award_objectors.py).
    outsider = await bearer(client, await users.make(Role.supplier))
    unstated = await client.post(f"/api/tenders/{tender.id}/lots/1/objections", headers=outsider, json=OBJECTION)
    assert unstated.status_code == 422 and unstated.json()["errors"][0]["field"] == "body.interest"
    assert (await client.post(f"/api/tenders/{tender.id}/lots/1/objections", headers=await bearer(client, purchaser), json=OBJECTION)).status_code == 403
    filed = await client.post(f"/api/tenders/{tender.id}/lots/1/objections", headers=await bearer(client, second.user), json=OBJECTION)
    assert filed.status_code == 201, filed.text
    objection = filed.json()
    # Works: answered within 3 days (招标投标法实施条例 第五十四条).
    due = datetime.fromisoformat(objection["answer_due_at"])
    assert to_display(due).date() == to_display(clock.now()).date() + timedelta(days=4)
    # Each bidder sees its own objections; the runner sees every one.
    assert (await _award(client, tender.id, await bearer(client, first.user)))["objections"] == []
    assert [o["id"] for o in (await _award(client, tender.id, await bearer(client, purchaser)))["objections"]] == [objection["id"]]

    lot = await _award(client, tender.id, await bearer(client, purchaser))
    clock.set(datetime.fromisoformat(lot["publicity_ends_at"]))
    late = await client.post(f"/api/tenders/{tender.id}/lots/1/objections", headers=await bearer(client, first.user), json=OBJECTION)
    assert late.status_code == 409  # the publicity is over
    paused = await client.post(f"/api/tenders/{tender.id}/lots/1/award", headers=await bearer(client, purchaser), json={"rank": 1})
    assert paused.status_code == 409 and f"objection {objection['id']}" in paused.text and "第五十四条" in paused.text

    assert (await client.post(f"/api/award-objections/{objection['id']}/answer", headers=await bearer(client, second.user), json=ANSWER)).status_code == 403
    other_runner = await bearer(client, await users.make(Role.purchaser))
    assert (await client.post(f"/api/award-objections/{objection['id']}/answer", headers=other_runner, json=ANSWER)).status_code == 404
    answered = await client.post(f"/api/award-objections/{objection['id']}/answer", headers=await bearer(client, purchaser), json=ANSWER)
    assert answered.status_code == 200 and answered.json()["state"] == "answered" and answered.json()["late"] is False
    assert (await client.post(f"/api/award-objections/{objection['id']}/answer", headers=await bearer(client, purchaser), json=ANSWER)).status_code == 409
    assert (await client.post(f"/api/tenders/{tender.id}/lots/1/award", headers=await bearer(client, purchaser), json={"rank": 1})).status_code == 200


async def test_another_candidate_needs_a_reason_and_a_debarred_winner_is_refused(client, users, platform, clock) -> None:
    opened = await opened_tender(client, users, platform, clock)
    tender, (first, second, _) = opened.tender, opened.bidders
    purchaser = tender.purchaser
    await hand_over(platform, tender.id)
    lot = await _award(client, tender.id, await bearer(client, purchaser))
    clock.set(datetime.fromisoformat(lot["publicity_ends_at"]))
    bare = await client.post(f"/api/tenders/{tender.id}/lots/1/award", headers=await bearer(client, purchaser), json={"rank": 2})
    assert bare.status_code == 422 and "body.reason" in bare.text
    assert (await client.post(f"/api/tenders/{tender.id}/lots/1/award", headers=await bearer(client, purchaser), json={"rank": 3, "reason": "短"})).status_code == 422

    async with platform.db.transaction() as session:
        organisation = await session.get(Organisation, first.user.organisation_id)
        assert organisation is not None
        session.add(BlacklistEntry(
            uscc=organisation.uscc, organisation_name=organisation.name, conduct="提供虚假材料谋取中标", penalty="禁止参加政府采购活动一年",
            legal_basis="政府采购法 第七十七条", authority="海口市财政局", starts_on=date(2025, 1, 1), ends_on=date(2030, 1, 1),
            status=EntryStatus.in_force, proposed_by=first.user.user_id, created_at=clock.now(), updated_at=clock.now(),
        ))
    refused = await client.post(f"/api/tenders/{tender.id}/lots/1/award", headers=await bearer(client, purchaser), json={"rank": 1})
    assert refused.status_code == 403 and organisation.name in refused.text and "海口市财政局" in refused.text
    reason = "第一中标候选人被列入不良行为记录名单，依法由第二中标候选人中标。"
    chosen = await client.post(f"/api/tenders/{tender.id}/lots/1/award", headers=await bearer(client, purchaser), json={"rank": 2, "reason": reason})
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["winner_rank"] == 2 and chosen.json()["choice_reason"] == reason
    assert Decimal(chosen.json()["award_amount"]) == Decimal(PRICES[1])
    facts = (await _notices(client, tender.id))[-1]["content"]["details"]["award"]
    assert facts["winner_rank"] == 2 and facts["choice_reason"] == reason
    mine = (await client.get(f"/api/tenders/{tender.id}/award-letters", headers=await bearer(client, second.user))).json()
    assert [m["kind"] for m in mine] == ["award"]


async def test_government_result_names_the_committee_and_losers_are_refunded_after_the_award(client, users, platform, clock) -> None:
    opened = await opened_tender(client, users, platform, clock, track="government")
    tender, (first, second, _) = opened.tender, opened.bidders
    purchaser = tender.purchaser
    await hand_over(platform, tender.id)
    lot = await _award(client, tender.id, await bearer(client, purchaser))
    assert lot["publicity_ends_at"] is None and lot["decide_by"] is not None  # 5 working days to decide (政采条例 第四十三条)
    done = await client.post(f"/api/tenders/{tender.id}/lots/1/award", headers=await bearer(client, purchaser), json={"rank": 1})
    assert done.status_code == 200, done.text
    facts = (await _notices(client, tender.id))[-1]["content"]["details"]["award"]
    assert facts["committee"] == list(COMMITTEE)

    securities = (await client.get(f"/api/tenders/{tender.id}/bid-security", headers=await bearer(client, purchaser))).json()["securities"]
    refunds = {s["organisation_id"]: s["refund"] for s in securities}
    assert refunds[second.user.organisation_id]["basis"] == "award" and refunds[second.user.organisation_id]["article"].endswith("第三十三条")
    assert refunds[first.user.organisation_id]["state"] == "not_due"  # the winner waits for the contract
    awarded_on = to_display(clock.now()).date()
    assert date.fromisoformat(refunds[second.user.organisation_id]["due_on"]) > awarded_on + timedelta(days=4)  # 5 working days

    signed_on = awarded_on.isoformat()
    recorded = await client.put(f"/api/tenders/{tender.id}/lots/1/contract", headers={**await bearer(client, purchaser), "Content-Type": "application/pdf"},
                                params={"signed_on": signed_on, "name": "采购合同.pdf"}, content=b"%PDF-1.7 contract")
    assert recorded.status_code == 200, recorded.text
    securities = (await client.get(f"/api/tenders/{tender.id}/bid-security", headers=await bearer(client, purchaser))).json()["securities"]
    assert {s["organisation_id"]: s["refund"]["basis"] for s in securities}[first.user.organisation_id] == "contract"
    contract_notice = (await _notices(client, tender.id))[-1]
    assert contract_notice["kind"] == "contract" and contract_notice["content"]["details"]["award"]["publish_by"] is not None


async def test_the_contract_is_recorded_published_and_flagged_when_overdue(client, users, platform, clock) -> None:
    opened = await opened_tender(client, users, platform, clock)
    tender, (first, _, _) = opened.tender, opened.bidders
    purchaser = tender.purchaser
    await hand_over(platform, tender.id)
    lot = await _award(client, tender.id, await bearer(client, purchaser))
    clock.set(datetime.fromisoformat(lot["publicity_ends_at"]))
    assert (await client.post(f"/api/tenders/{tender.id}/lots/1/award", headers=await bearer(client, purchaser), json={"rank": 1})).status_code == 200
    lot = await _award(client, tender.id, await bearer(client, purchaser))
    due = datetime.fromisoformat(lot["contract_due_at"])
    assert to_display(due).date() == to_display(clock.now()).date() + timedelta(days=31)  # 30 days [招标投标法 第四十六条]

    supervisor = await users.make(Role.supervisor)
    clock.set(due - timedelta(seconds=1))
    await sweep(platform, build_registry())
    assert (await client.get("/api/awards/overdue-contracts", headers=await bearer(client, supervisor))).json() == []
    clock.set(due)
    assert (await sweep(platform, build_registry())).ran >= 1
    overdue = (await client.get("/api/awards/overdue-contracts", headers=await bearer(client, supervisor))).json()
    assert [(o["tender_id"], o["lot_number"]) for o in overdue] == [(tender.id, 1)]
    assert (await client.get("/api/awards/overdue-contracts", headers=await bearer(client, first.user))).status_code == 403
    assert (await _award(client, tender.id, await bearer(client, purchaser)))["contract_overdue"] is True
    async with platform.db.transaction(write=False) as session:
        row = (await session.execute(select(AwardLot).where(AwardLot.tender_id == tender.id))).scalar_one()
        assert row.contract_overdue_at is not None and row.next_check is None  # flagged once

    purchaser = tender.purchaser
    params = {"signed_on": to_display(clock.now()).date().isoformat(), "name": "施工合同.pdf"}
    body = b"%PDF-1.7 signed contract"
    headers = {**await bearer(client, purchaser), "Content-Type": "application/pdf"}
    assert (await client.put(f"/api/tenders/{tender.id}/lots/1/contract", headers={**await bearer(client, first.user), "Content-Type": "application/pdf"},
                             params=params, content=body)).status_code == 403
    future = {**params, "signed_on": (to_display(clock.now()).date() + timedelta(days=1)).isoformat()}
    assert (await client.put(f"/api/tenders/{tender.id}/lots/1/contract", headers=headers, params=future, content=body)).status_code == 422
    recorded = await client.put(f"/api/tenders/{tender.id}/lots/1/contract", headers=headers, params=params, content=body)
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["contract"]["size"] == len(body) and recorded.json()["contract_overdue"] is False
    assert (await client.get(f"/api/tenders/{tender.id}")).json()["status"] == "contract_signed"
    notice = (await _notices(client, tender.id))[-1]
    assert notice["kind"] == "contract" and notice["content"]["details"]["award"]["late"] is True
    download = await client.get(f"/api/tenders/{tender.id}/lots/1/contract")  # public, like its notice
    assert download.status_code == 200 and download.content == body
    assert (await client.put(f"/api/tenders/{tender.id}/lots/1/contract", headers=headers, params=params, content=body)).status_code == 409


async def test_a_publicised_lot_can_fail_instead_with_its_notice_and_refunds(client, users, platform, clock) -> None:
    opened = await opened_tender(client, users, platform, clock)
    tender, (first, _, _) = opened.tender, opened.bidders
    await hand_over(platform, tender.id)
    purchaser = await bearer(client, tender.purchaser)
    url = f"/api/tenders/{tender.id}/lots/1/failure"
    reason = {"reason": "异议成立：第一、二、三名候选人资格证书均已过期，重新招标。"}
    for headers in (await bearer(client, first.user), await bearer(client, await users.make(Role.purchaser)), await bearer(client, await users.make(Role.operator))):
        assert (await client.post(url, headers=headers, json=reason)).status_code in (403, 404)
    short = await client.post(url, headers=purchaser, json={"reason": "不行"})
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "body.reason"
    failed = await client.post(url, headers=purchaser, json=reason)
    assert failed.status_code == 200, failed.text
    assert failed.json()["state"] == "failed"
    # The only lot failed: the tender failed, with its failed-tender notice naming the reason.
    assert (await client.get(f"/api/tenders/{tender.id}")).json()["status"] == "failed"
    assert (await _notices(client, tender.id))[-1]["kind"] == "failed"
    # The bidders' securities fall due for refund; nothing can be awarded any more.
    securities = (await client.get(f"/api/tenders/{tender.id}/bid-security", headers=purchaser)).json()["securities"]
    assert len(securities) == 3 and {s["refund"]["basis"] for s in securities} == {"tender_failed"}
    assert {s["refund"]["state"] for s in securities} == {"due"}
    assert (await client.post(f"/api/tenders/{tender.id}/lots/1/award", headers=purchaser, json={"rank": 1})).status_code == 409
    assert (await client.post(url, headers=purchaser, json=reason)).status_code == 409
