"""The evaluation on the platform: who starts it, who sees what, independent scoring, the report, signatures, the hand-over."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from bidding.evaluation.report import signed_message
from procurement.audit.models import AuditEntry
from procurement.identity.models import Role
from tests.bidding.evaluation_testlib import (
    check_all,
    evaluation_day,
    score_all,
    sign_all,
    sign_in_all,
    signature,
    start,
    submit_all,
)
from tests.conftest import bearer

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"


async def _actions(platform, action: str) -> list[dict]:
    async with platform.db.transaction(write=False) as session:
        rows = (await session.execute(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq))).scalars()
        return [json.loads(e.details) for e in rows]


async def test_only_the_organiser_starts_it_on_the_day_with_the_representatives_the_draw_provided_for(client, users, platform, clock) -> None:
    day = await evaluation_day(client, users, platform, clock, experts=4, representatives=1)
    url = f"/api/tenders/{day.tender.id}/evaluations"
    representative = day.representatives[0].user.user_id
    other_purchaser = await bearer(client, await users.make(Role.purchaser))
    assert (await client.post(url, headers=other_purchaser, json={"lot": 1, "representatives": [representative]})).status_code in (403, 404)
    for headers in (day.bidders[0].headers, day.operator, day.supervisor, day.experts[0].headers):
        assert (await client.post(url, headers=headers, json={"lot": 1, "representatives": [representative]})).status_code == 403
    missing = await client.post(url, headers=day.tender.owner, json={"lot": 1, "representatives": []})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "body.representatives"
    outsider = await client.post(url, headers=day.tender.owner, json={"lot": 1, "representatives": [day.bidders[0].user.user_id]})
    assert outsider.status_code == 422 and outsider.json()["errors"][0]["field"] == "body.representatives"
    assert (await client.post(url, headers=day.tender.owner, json={"lot": 2, "representatives": [representative]})).status_code == 422
    evening_before = clock.now() - timedelta(hours=10)
    clock.set(evening_before)
    early = await client.post(url, headers=day.tender.owner, json={"lot": 1, "representatives": [representative]})
    assert early.status_code == 409 and "today is" in early.text
    clock.advance(timedelta(hours=10))

    started = await start(client, day)
    assert started["status"] == "in_progress" and len(started["members"]) == 5
    assert {m["kind"] for m in started["members"]} == {"expert", "representative"}
    assert (await client.get(f"/api/tenders/{day.tender.id}")).json()["status"] == "evaluating"
    assert (await client.post(url, headers=day.tender.owner, json={"lot": 1, "representatives": [representative]})).status_code == 409
    assert await _actions(platform, "draw.names_released")  # the experts' names come out of the embargo now


async def test_independent_scoring_visibility_report_and_signatures(client, users, platform, clock) -> None:
    day = await evaluation_day(client, users, platform, clock)
    eid = (await start(client, day))["id"]
    base = f"/api/evaluations/{eid}"
    first, second = day.members[0], day.members[1]

    # Prices and bids: the committee (once signed in), the organiser, supervisors; never bidders, operators or the public.
    assert (await client.get(f"{base}/bids", headers=first.headers)).status_code == 409  # not signed in yet
    await sign_in_all(client, day, eid)
    bids = (await client.get(f"{base}/bids", headers=first.headers)).json()
    assert sorted(str(b["price"]) for b in bids) == ["1180000.00", "1199000.50", "1210000.00"]
    assert bids[0]["files"][0]["name"] == "技术标.pdf" and len(bids[0]["files"][0]["digest"]) == 64
    opened = await client.get(f"{base}/bids/{bids[0]['bid_id']}/files/1", headers=first.headers)
    assert opened.status_code == 200 and opened.content.startswith(b"%PDF technical offer")
    for headers in (day.tender.owner, day.supervisor):
        assert (await client.get(f"{base}/bids", headers=headers)).status_code == 200
    stranger = await bearer(client, await users.make(Role.expert))
    for headers in (day.bidders[0].headers, day.operator, stranger):
        for path in ("", "/bids", "/sheets", "/checks", "/result", f"/bids/{bids[0]['bid_id']}/files/1"):
            assert (await client.get(base + path, headers=headers)).status_code == 403, (path, headers)
    assert (await client.get(f"{base}/bids")).status_code == 401

    # Checks and sheets: a failed check needs its reason; points are validated against the scheme.
    bid = day.bid_ids[0]
    no_reason = await client.put(f"{base}/checks/{bid}", headers=first.headers, json={"passed": False})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "body.reason"
    too_many = await client.put(f"{base}/sheets/{bid}", headers=first.headers, json={"points": {"technical": "40.01", "commercial": "5"}})
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "body.points.technical"
    await check_all(client, day, eid)
    await score_all(client, day, eid)
    early_submit_report = await client.post(f"{base}/report", headers=first.headers)
    assert early_submit_report.status_code == 409
    await submit_all(client, day, eid, [first])

    # Independence: nobody sees another's sheets before everyone submitted.
    second_id = (await _view(client, base, second))["member_id"]
    assert {s["member_id"] for s in (await client.get(f"{base}/sheets", headers=second.headers)).json()} == {second_id}
    assert (await client.get(f"{base}/sheets", headers=day.tender.owner)).json() == []
    assert (await client.get(f"{base}/checks", headers=day.tender.owner)).json() == []
    supervised = (await client.get(f"{base}/sheets", headers=day.supervisor)).json()
    assert len(supervised) == 3 and {s["member_id"] for s in supervised} != {second_id}  # the submitted member's only
    assert (await client.get(f"{base}/result", headers=first.headers)).status_code == 409
    changed = await client.put(f"{base}/sheets/{bid}", headers=first.headers, json={"points": {"technical": "1.00", "commercial": "1.00"}})
    assert changed.status_code == 409  # submitted: frozen until reopened

    await submit_all(client, day, eid, day.members[1:])
    for headers in (second.headers, day.tender.owner, day.supervisor):
        assert len((await client.get(f"{base}/sheets", headers=headers)).json()) == 15
    result = (await client.get(f"{base}/result", headers=day.tender.owner)).json()
    assert [r["rank"] for r in result["result"]["ranked"]] == [1, 2, 3]

    # A member reopens to revise after the discussion: the result is withdrawn, then computed again.
    assert (await client.post(f"{base}/submission/reopen", headers=first.headers)).status_code == 200
    assert (await client.get(f"{base}/result", headers=first.headers)).status_code == 409
    assert (await client.put(f"{base}/sheets/{bid}", headers=first.headers, json={"points": {"technical": "39.00", "commercial": "9.00"}})).status_code == 200
    await submit_all(client, day, eid, [first])
    again = (await client.get(f"{base}/result", headers=first.headers)).json()
    assert again["result_sha256"] != result["result_sha256"]

    # The report, and signatures checked against each member's registered key.
    assert (await client.post(f"{base}/report", headers=day.tender.owner)).status_code == 403  # members draw it up
    drawn = await client.post(f"{base}/report", headers=second.headers)
    assert drawn.status_code == 201, drawn.text
    report = drawn.json()
    assert report["status"] == "reporting" and report["content"]["outcome"]["kind"] == "candidates"
    assert (await client.post(f"{base}/submission/reopen", headers=first.headers)).status_code == 409  # reported
    digest = report["report_sha256"]
    forged = signature(first, "0" * 64)
    bad = await client.post(f"{base}/signatures", headers=first.headers, json=forged)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.signature"
    borrowed = await client.post(f"{base}/signatures", headers=first.headers, json=signature(second, digest))
    assert borrowed.status_code == 422 and borrowed.json()["errors"][0]["field"] == "body.key_id"
    for headers in (day.tender.owner, day.supervisor):
        assert (await client.post(f"{base}/signatures", headers=headers, json=signature(first, digest))).status_code == 403
    final = await sign_all(client, day, eid, dissent={2: "我认为第二名的技术方案评分偏高。"})
    assert final["status"] == "signed" and len(final["signatures"]) == 5
    # The award received the ranked candidates and published the candidates publicity.
    assert (await client.get(f"/api/tenders/{day.tender.id}")).json()["status"] == "candidates_publicised"
    dissenting = next(s for s in final["signatures"] if s["dissent"])
    # Anyone with the member's public key checks a signature offline, dissent included.
    key = next(m.key for m in day.members if m.key_id == dissenting["key_id"])
    Ed25519PublicKey.from_public_bytes(key.public_key().public_bytes_raw()).verify(
        base64.b64decode(dissenting["signature"]), signed_message(digest, dissenting["dissent"]))
    pdf = await client.get(f"{base}/report/pdf", headers=day.supervisor)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "evaluation_report.pdf").write_bytes(pdf.content)
    signed = await _actions(platform, "evaluation.signed")
    assert signed and signed[0]["report_sha256"] == digest
    assert (await client.post(f"{base}/signatures", headers=first.headers, json=signature(first, digest))).status_code == 409
    # The report signed, the draw's seed is in the log: any bidder may now re-run the draw.
    [revealed] = await _actions(platform, "draw.seed_revealed")
    assert hashlib.sha256(bytes.fromhex(revealed["seed"])).hexdigest() == revealed["seed_commitment"]
    verified = await client.get(f"/api/draws/{day.draw['id']}/verification", headers=day.bidders[0].headers)
    assert verified.status_code == 200 and verified.json()["ok"]


async def _view(client, base: str, member) -> dict:
    seen = await client.get(base, headers=member.headers)
    assert seen.status_code == 200, seen.text
    return seen.json()


async def test_rejected_bids_extension_and_a_lot_that_fails(client, users, platform, clock) -> None:
    day = await evaluation_day(client, users, platform, clock)
    eid = (await start(client, day))["id"]
    base = f"/api/evaluations/{eid}"
    await sign_in_all(client, day, eid)
    # Extension: more than a third of the five must ask; once only.
    first_ask = (await client.post(f"{base}/extension-requests", headers=day.members[0].headers)).json()
    assert first_ask["extended"] is False
    assert (await client.post(f"{base}/extension-requests", headers=day.members[0].headers)).status_code == 409
    assert (await client.post(f"{base}/extension-requests", headers=day.tender.owner)).status_code == 403
    extended = (await client.post(f"{base}/extension-requests", headers=day.members[1].headers)).json()
    assert extended["extended"] is True
    assert extended["ends_at"] != first_ask["ends_at"]
    assert (await client.post(f"{base}/extension-requests", headers=day.members[2].headers)).status_code == 409
    # Once the (extended) time ends, nothing more is checked or scored.
    now = clock.now()
    clock.set(datetime.fromisoformat(extended["ends_at"]))
    late = await client.put(f"{base}/checks/{day.bid_ids[0]}", headers=await bearer(client, day.members[0].user), json={"passed": True})
    assert late.status_code == 409 and "time ended" in late.text
    clock.set(now)

    # Three of five fail bid 1 (rejected); two fail bid 2 (still valid): two valid bids, fewer than three.
    rejected, kept = day.bid_ids[0], day.bid_ids[1]
    await check_all(client, day, eid, day.members[:2], failing={rejected: "未提供安全生产许可证", kept: "报价表未盖章"})
    await check_all(client, day, eid, day.members[2:3], failing={rejected: "未提供安全生产许可证"})
    await check_all(client, day, eid, day.members[3:])
    states = {b["bid_id"]: b for b in (await client.get(base, headers=day.tender.owner)).json()["bids"]}
    assert states[rejected]["state"] == "rejected" and "安全生产许可证" in states[rejected]["reason"]
    assert states[kept]["state"] == "valid"
    assert (await client.put(f"{base}/sheets/{rejected}", headers=day.members[0].headers,
                             json={"points": {"technical": "30.00", "commercial": "5.00"}})).status_code == 200  # harmless, not counted
    await score_all(client, day, eid, bid_ids=day.bid_ids[1:])
    await submit_all(client, day, eid)
    drawn = (await client.post(f"{base}/report", headers=day.members[0].headers)).json()
    assert drawn["content"]["outcome"]["kind"] == "failed" and drawn["content"]["result"]["rejected"][0]["bid_id"] == rejected
    final = await sign_all(client, day, eid)
    assert final["status"] == "failed"
    assert (await client.get(f"/api/tenders/{day.tender.id}")).json()["status"] == "failed"
    notice = (await client.get(f"/api/tenders/{day.tender.id}/notices")).json()[-1]
    assert notice["kind"] == "failed" and "评标后有效投标不足3个" in notice["content"]["details"]["reason"]



async def test_a_conflict_declared_voids_the_member_and_the_replacement_joins(client, users, platform, clock) -> None:
    day = await evaluation_day(client, users, platform, clock, check_in=4)
    eid = (await start(client, day))["id"]
    base = f"/api/evaluations/{eid}"
    late = day.experts[4]
    assert (await client.post(f"{base}/sign-in", headers=late.headers)).status_code == 409  # not checked in
    for member in day.experts[:4]:
        assert (await client.post(f"{base}/sign-in", headers=member.headers)).status_code == 200
    await check_all(client, day, eid, day.experts[:4])
    declared = await client.post(f"/api/invitations/{late.invitation_id}/check-in", headers=late.headers,
                                 json={"conflict": True, "detail": "三年内曾在投标人处任职"})
    assert declared.status_code == 200, declared.text
    # The next write re-reads the committee: the member is void, the reserve the draw seated joins.
    assert (await client.put(f"{base}/checks/{day.bid_ids[0]}", headers=day.experts[0].headers, json={"passed": True})).status_code == 200
    view = (await client.get(base, headers=day.supervisor)).json()
    void = [m for m in view["members"] if not m["current"]]
    assert len(void) == 1 and "conflict of interest" in void[0]["void_reason"]
    assert len([m for m in view["members"] if m["current"]]) == 4
    assert (await client.get(base, headers=late.headers)).status_code == 403
    invited = [(m, (await client.get("/api/experts/me/invitations", headers=m.headers)).json()) for m in day.spare]
    replacement, invitation = next((m, found[0]) for m, found in invited if found)
    assert (await client.post(f"/api/invitations/{invitation['id']}/accept", headers=replacement.headers)).status_code == 200
    assert (await client.post(f"/api/invitations/{invitation['id']}/check-in", headers=replacement.headers, json={"conflict": False})).status_code == 200
    assert (await client.post(f"{base}/sign-in", headers=replacement.headers)).status_code == 200
    assert len([m for m in (await client.get(base, headers=day.supervisor)).json()["members"] if m["current"]]) == 5
    committee = day.experts[:4] + [replacement]
    await check_all(client, day, eid, [replacement])
    await score_all(client, day, eid, members=day.experts[:4])
    await submit_all(client, day, eid, day.experts[:4])
    assert (await client.get(f"{base}/result", headers=day.supervisor)).status_code == 409  # the replacement has not submitted
    await score_all(client, day, eid, members=[replacement])
    await submit_all(client, day, eid, [replacement])
    assert (await client.get(f"{base}/result", headers=day.supervisor)).status_code == 200
    drawn = (await client.post(f"{base}/report", headers=replacement.headers)).json()
    assert [m["name"] for m in drawn["content"]["voided"]] and len(drawn["content"]["members"]) == 5
    day.experts = committee
    assert (await sign_all(client, day, eid))["status"] == "signed"


async def test_lowest_evaluated_price_has_no_sheets(client, users, platform, clock) -> None:
    lots = [{"title": "全部内容", "budget": "1250000.00", "bid_security": "25000.00", "evaluation_method": "lowest_price"}]
    day = await evaluation_day(client, users, platform, clock, lots=lots)
    eid = (await start(client, day))["id"]
    base = f"/api/evaluations/{eid}"
    await sign_in_all(client, day, eid)
    await check_all(client, day, eid)
    assert (await client.put(f"{base}/sheets/{day.bid_ids[0]}", headers=day.members[0].headers, json={"points": {}})).status_code == 409
    await submit_all(client, day, eid)
    ranked = (await client.get(f"{base}/result", headers=day.tender.owner)).json()["result"]["ranked"]
    assert [r["price"] for r in ranked] == ["1180000.00", "1199000.50", "1210000.00"] and ranked[0]["total"] is None
