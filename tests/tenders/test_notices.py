"""Notices: published with their tender's changes, fixed forever, tied to the signed audit log."""

from __future__ import annotations

import hashlib
import subprocess
from datetime import timedelta

from sqlalchemy import func, select

from procurement.audit import chain
from procurement.audit import service as audit
from procurement.audit.models import AuditEntry
from procurement.identity.models import Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from procurement.tenders import service
from procurement.tenders.models import Notice, Tender, TenderStatus
from tests.conftest import bearer
from tests.tenders.test_tender_lifecycle import _accepted


async def _published(client, platform, users, clock, **draft):
    tender_id, owner, _, purchaser = await _accepted(client, platform, users, clock, **draft)
    published = await client.post(f"/api/tenders/{tender_id}/publish", headers=owner, json={})
    assert published.status_code == 200, published.text
    return tender_id, purchaser


async def _notices(client, tender_id) -> list[dict]:
    response = await client.get(f"/api/tenders/{tender_id}/notices")
    assert response.status_code == 200, response.text
    return response.json()


async def _count_notices(platform) -> int:
    async with platform.db.transaction(write=False) as session:
        return (await session.execute(select(func.count()).select_from(Notice))).scalar_one()


async def test_publication_publishes_the_tender_notice_recorded_in_the_audit_log(client, platform, users, clock) -> None:
    tender_id, _ = await _published(client, platform, users, clock)
    [notice] = await _notices(client, tender_id)
    assert notice["kind"] == "tender" and notice["number"] == 1
    assert notice["title"] == "海口市人民医院门诊楼改造工程招标（采购）公告"
    assert notice["content"]["tender"]["code"] == (await client.get(f"/api/tenders/{tender_id}")).json()["code"]
    assert [lot["budget"] for lot in notice["content"]["tender"]["lots"]] == ["800000.00", "450000.00"]
    assert notice["page_url"].endswith(f"/notices/{notice['id']}") and notice["pdf_url"].endswith(f"/notices/{notice['id']}/pdf")

    async with platform.db.transaction(write=False) as session:
        stored = await session.get(Notice, notice["id"])
        entry = (await session.execute(select(AuditEntry).where(AuditEntry.seq == notice["audit_seq"]))).scalar_one()
    # The digest is of the stored text, and the audit entry at the stated position recorded it.
    assert hashlib.sha256(stored.content.encode()).hexdigest() == notice["content_sha256"]
    assert entry.action == "notice.published" and entry.entry_hash == notice["audit_entry_hash"]
    assert chain.canonical_json({"content_sha256": notice["content_sha256"], "kind": "tender", "notice_number": 1}) == entry.details


async def test_a_signed_checkpoint_proves_the_notice_was_published(client, platform, users, clock) -> None:
    tender_id, _ = await _published(client, platform, users, clock)
    [notice] = await _notices(client, tender_id)
    assert notice["checkpoint"] is None  # not covered until the next checkpoint is signed
    async with platform.db.transaction() as session:
        await audit.sign_checkpoint(session, platform.clock, platform.keys)
    notice = (await client.get(f"/api/notices/{notice['id']}")).json()
    checkpoint = notice["checkpoint"]
    assert checkpoint["tree_size"] >= notice["audit_seq"]
    proof = (await client.get("/api/audit/proofs/inclusion", params={"seq": notice["audit_seq"], "tree_size": checkpoint["tree_size"]})).json()
    assert chain.verify_inclusion(
        notice["audit_seq"] - 1, checkpoint["tree_size"], chain.leaf_hash(notice["audit_entry_hash"]),
        [bytes.fromhex(p) for p in proof["path"]], bytes.fromhex(checkpoint["root_hash"]),
    )


async def test_an_amendment_is_a_new_notice_and_the_first_stays_as_published(client, platform, users, clock) -> None:
    tender_id, purchaser = await _published(client, platform, users, clock)
    [first] = await _notices(client, tender_id)
    clock.advance(timedelta(days=15))  # 11 days before the deadline: the amendment moves it
    owner = await bearer(client, purchaser)
    amended = await client.post(f"/api/tenders/{tender_id}/amendments", headers=owner, json={"summary": "第一标段工程量清单更正"})
    assert amended.status_code == 201 and amended.json()["deadline_moved"]

    original, correction = await _notices(client, tender_id)
    assert original == {**first, "checkpoint": original["checkpoint"]}  # unchanged, whatever the tender became
    assert original["content"]["tender"]["timeline"]["bid_deadline"] == first["content"]["tender"]["timeline"]["bid_deadline"]
    assert correction["kind"] == "amendment" and correction["corrects_notice_id"] == first["id"]
    stated = correction["content"]["details"]["amendment"]
    assert stated["deadline_moved"] and stated["summary"] == "第一标段工程量清单更正"
    tender = (await client.get(f"/api/tenders/{tender_id}")).json()
    assert correction["content"]["tender"]["timeline"]["bid_deadline"] == stated["deadline_after"]
    assert tender["bid_deadline"].startswith(stated["deadline_after"][:16])

    page = await client.get(f"/notices/{correction['id']}")
    assert page.status_code == 200
    assert "更正公告" in page.text and "第一标段工程量清单更正" in page.text
    assert f"第 {first['number']} 号公告" in page.text or "更正本项目" in page.text


async def test_a_scheduled_publication_publishes_its_notice_when_it_happens(client, platform, users, clock) -> None:
    tender_id, owner, _, _ = await _accepted(client, platform, users, clock)
    at = clock.now() + timedelta(hours=6)
    assert (await client.post(f"/api/tenders/{tender_id}/publish", headers=owner, json={"publish_at": at.isoformat()})).status_code == 200
    assert (await client.get(f"/api/tenders/{tender_id}/notices", headers=owner)).json() == []
    clock.set(at)
    assert (await sweep(platform, build_registry())).ran == 1
    [notice] = await _notices(client, tender_id)
    assert notice["kind"] == "tender" and notice["published_at"].startswith(at.isoformat()[:16])


async def test_the_notice_pdf_names_the_project_and_its_audit_position(client, platform, users, clock, tmp_path) -> None:
    tender_id, _ = await _published(client, platform, users, clock)
    [notice] = await _notices(client, tender_id)
    response = await client.get(f"/notices/{notice['id']}/pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    path = tmp_path / "notice.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    code = notice["content"]["tender"]["code"]
    assert notice["title"] in text.replace("\n", "").replace(" ", "") or "招标（采购）公告" in text
    assert code in text and notice["content_sha256"] in text.replace(" ", "").replace("\n", "")
    assert f"审计日志第 {notice['audit_seq']} 条" in text or str(notice["audit_seq"]) in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert any("CJK" in line.replace("-", "") and " yes " in line for line in fonts.splitlines())

    chinese = await client.get(f"/notices/{notice['id']}")
    assert "招标公告" in chinese.text and "项目编号" in chinese.text
    client.cookies.set("lang", "en")
    english = await client.get(f"/notices/{notice['id']}")
    assert "Tender notice" in english.text and "Project code" in english.text
    english_pdf = await client.get(f"/notices/{notice['id']}/pdf")
    path.write_bytes(english_pdf.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Audit entry" in text and code in text


async def test_termination_ends_a_published_tender_with_a_notice(client, platform, users, clock) -> None:
    tender_id, purchaser = await _published(client, platform, users, clock)
    owner = await bearer(client, purchaser)
    outsiders = [await bearer(client, await users.make(role)) for role in (Role.purchaser, Role.supplier, Role.operator, Role.supervisor)]
    for headers in outsiders:
        refused = await client.post(f"/api/tenders/{tender_id}/terminate", headers=headers, json={"reason": "不应允许的终止"})
        assert refused.status_code in (403, 404), refused.text
    too_short = await client.post(f"/api/tenders/{tender_id}/terminate", headers=owner, json={"reason": "无"})
    assert too_short.status_code == 422 and "body.reason" in too_short.text
    assert (await client.get(f"/api/tenders/{tender_id}")).json()["status"] == "published"

    ended = await client.post(f"/api/tenders/{tender_id}/terminate", headers=owner, json={"reason": "采购需求发生重大变化"})
    assert ended.status_code == 200 and ended.json()["status"] == "terminated"
    notices = await _notices(client, tender_id)
    assert [n["kind"] for n in notices] == ["tender", "termination"]
    assert notices[-1]["content"]["details"]["reason"] == "采购需求发生重大变化"
    again = await client.post(f"/api/tenders/{tender_id}/terminate", headers=owner, json={"reason": "再次终止的原因"})
    assert again.status_code == 409


async def test_a_draft_is_terminated_without_a_notice(client, platform, users, clock) -> None:
    from tests.tenders.tender_testlib import draft_body

    owner = await bearer(client, await users.make(Role.purchaser))
    tender_id = (await client.post("/api/tenders", headers=owner, json=draft_body(clock.now()))).json()["id"]
    ended = await client.post(f"/api/tenders/{tender_id}/terminate", headers=owner, json={"reason": "项目取消，不再采购"})
    assert ended.status_code == 200 and ended.json()["status"] == "terminated"
    assert await _count_notices(platform) == 0


async def test_a_failed_tender_is_recorded_and_published(client, platform, users, clock) -> None:
    tender_id, _ = await _published(client, platform, users, clock)
    async with platform.db.transaction() as session:
        tender = await session.get(Tender, tender_id, with_for_update=True)
        tender.status = TenderStatus.bidding_closed  # as the deadline left it
        await service.fail(session, platform, None, tender, "递交投标文件的投标人少于3个", facts={"bids_received": {"1": 2, "2": 1}})
    assert (await client.get(f"/api/tenders/{tender_id}")).json()["status"] == "failed"
    failed = (await _notices(client, tender_id))[-1]
    assert failed["kind"] == "failed"
    assert failed["content"]["details"] == {"reason": "递交投标文件的投标人少于3个", "bids_received": {"1": 2, "2": 1}}
    page = await client.get(f"/notices/{failed['id']}")
    assert "递交投标文件的投标人少于3个" in page.text


async def test_unknown_notices_are_404(client) -> None:
    assert (await client.get("/api/notices/424242")).status_code == 404
    assert (await client.get("/notices/424242")).status_code == 404
    assert (await client.get("/notices/424242/pdf")).status_code == 404
