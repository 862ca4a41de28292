"""A purchaser's tenders over time (split purchases, minimum deadlines with one bidder); working on alerts; the report."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import timedelta

import pytest
from litestar import Request

from procurement.identity.models import Role
from procurement.supervision import service
from procurement.web import client as web_client
from tests.bidding.bid_testlib import bidder
from tests.conftest import bearer
from tests.supervision.supervision_testlib import (
    actions,
    alerts_of,
    bid,
    from_address,
    past_deadline,
)
from tests.tenders.tender_testlib import draft_body
from tests.tenders.test_tender_lifecycle import _all_checked


async def _published(client, owner: dict, centre: dict, clock, **draft) -> int:
    tender_id = (await client.post("/api/tenders", headers=owner, json=draft_body(clock.now(), **draft))).json()["id"]
    uploaded = await client.post(f"/api/tenders/{tender_id}/documents", params={"name": "招标文件.pdf", "kind": "tender_documents"},
                                 headers={**owner, "Content-Type": "application/pdf"}, content=b"%PDF-1.7 tender documents")
    assert uploaded.status_code == 201, uploaded.text
    assert (await client.post(f"/api/tenders/{tender_id}/submit", headers=owner)).status_code == 200
    assert (await client.post(f"/api/tenders/{tender_id}/review", headers=centre,
                              json={"decision": "accepted", "checklist": _all_checked()})).status_code == 200
    assert (await client.post(f"/api/tenders/{tender_id}/publish", headers=owner, json={})).status_code == 200
    return tender_id


GOODS = {"track": "government", "category": "goods"}


def _lots(total: str) -> list[dict]:
    return [{"title": "第一包", "budget": total, "bid_security": "0.00"}]


async def test_purchases_split_below_the_threshold_in_a_year_raise_an_alert(client, users, platform, clock) -> None:
    splitter, honest = await users.make(Role.purchaser), await users.make(Role.purchaser)
    centre = await bearer(client, await users.make(Role.operator))
    owner = await bearer(client, splitter)
    for budget in ("1500000.00", "900000.00"):  # each below 2,000,000; together above
        await _published(client, owner, centre, clock, **GOODS, budget=budget, lots=_lots(budget))
    await _published(client, owner, centre, clock, track="works", budget="3000000.00", lots=_lots("3000000.00"))  # works: its own threshold
    other = await bearer(client, honest)
    await _published(client, other, centre, clock, **GOODS, budget="1900000.00", lots=_lots("1900000.00"))
    clock.advance(service.CHECK_DELAY + timedelta(seconds=1))
    assert await service.check_now(platform) == 4
    [alert] = await alerts_of(platform, "split_purchases")
    evidence = json.loads(alert.evidence)
    assert alert.purchaser_organisation_id == splitter.organisation_id
    assert evidence["category"] == "goods" and evidence["threshold_yuan"] == "2000000" and evidence["total_yuan"] == "2400000"
    assert len(evidence["tenders"]) == 2
    # A third small purchase the same year: still the same alert, not another.
    await _published(client, owner, centre, clock, **GOODS, budget="300000.00", lots=_lots("300000.00"))
    clock.advance(service.CHECK_DELAY + timedelta(seconds=1))
    assert await service.check_now(platform) == 1
    assert len(await alerts_of(platform, "split_purchases")) == 1


async def test_minimum_deadlines_with_a_single_bidder_repeatedly_raise_an_alert(client, users, platform, clock) -> None:
    purchaser = await users.make(Role.purchaser)
    centre = await bearer(client, await users.make(Role.operator))
    owner = await bearer(client, purchaser)
    # documents from tomorrow, deadline 20 days on: exactly the legal minimum (招标投标法 第二十四条).
    short = [await _published(client, owner, centre, clock, deadline_days=20, documents_in=timedelta(days=1, hours=1)) for _ in range(2)]
    roomy = await _published(client, owner, centre, clock, deadline_days=30, documents_in=timedelta(days=1, hours=1))
    # Another purchaser with one such tender only: no pattern.
    lone = await _published(client, await bearer(client, await users.make(Role.purchaser)), centre, clock, deadline_days=20,
                            documents_in=timedelta(days=1, hours=1))
    clock.advance(timedelta(days=1, hours=2))
    for tender_id in [*short, roomy, lone]:
        await bid(client, await bidder(client, users, tender_id), tender_id, 1)
    await past_deadline(client, platform, clock, roomy)
    [alert] = await alerts_of(platform, "minimum_deadline_single_bidder")
    assert {t["tender_id"] for t in json.loads(alert.evidence)["tenders"]} == set(short)
    assert alert.purchaser_organisation_id == purchaser.organisation_id


async def _alert(client, users, platform, clock) -> int:
    from tests.bidding.bid_testlib import open_tender

    tender = await open_tender(client, users, clock)
    made = []
    for _ in range(2):
        made.append(await bid(client, await bidder(client, users, tender.id), tender.id, 1))
        clock.advance(timedelta(minutes=5))
    for made_bid in made:
        await from_address(platform, made_bid["id"], "203.0.113.7")
    await past_deadline(client, platform, clock, tender.id)
    [alert] = await alerts_of(platform, "same_address")
    return alert.id


async def test_supervisors_review_and_close_alerts_and_nobody_else_can(client, users, platform, clock) -> None:
    alert_id = await _alert(client, users, platform, clock)
    supervisor = await bearer(client, await users.make(Role.supervisor))
    listed = await client.get("/api/supervision/alerts", headers=supervisor, params={"state": "new", "rule": "same_address"})
    assert listed.status_code == 200 and [a["id"] for a in listed.json()["items"]] == [alert_id]
    assert listed.json()["items"][0]["links"]["tender"].startswith("/api/tenders/")
    for role in (Role.supplier, Role.purchaser, Role.operator, Role.admin, Role.expert):
        other = await bearer(client, await users.make(role))
        assert (await client.get("/api/supervision/alerts", headers=other)).status_code == 403
        assert (await client.post(f"/api/supervision/alerts/{alert_id}/review", headers=other)).status_code == 403
        assert (await client.post(f"/api/supervision/alerts/{alert_id}/close", headers=other, json={"reason": "x"})).status_code == 403
    assert (await client.get(f"/api/supervision/alerts/{alert_id}")).status_code == 401

    reviewed = await client.post(f"/api/supervision/alerts/{alert_id}/review", headers=supervisor)
    assert reviewed.status_code == 200 and reviewed.json()["state"] == "under_review"
    assert (await client.post(f"/api/supervision/alerts/{alert_id}/review", headers=supervisor)).status_code == 409
    blank = await client.post(f"/api/supervision/alerts/{alert_id}/close", headers=supervisor, json={"reason": "   "})
    assert blank.status_code == 422 and "reason" in blank.text
    assert (await client.get(f"/api/supervision/alerts/{alert_id}", headers=supervisor)).json()["state"] == "under_review"
    closed = await client.post(f"/api/supervision/alerts/{alert_id}/close", headers=supervisor, json={"reason": "同一代理机构代为上传，已核实无串标。"})
    assert closed.status_code == 200 and closed.json()["state"] == "closed" and closed.json()["close_reason"].startswith("同一")
    assert (await client.post(f"/api/supervision/alerts/{alert_id}/close", headers=supervisor, json={"reason": "again"})).status_code == 409
    assert [json.loads(e.details)["reason"] for e in await actions(platform, "supervision.alert_closed")] == ["同一代理机构代为上传，已核实无串标。"]
    assert len(await actions(platform, "supervision.alert_under_review")) == 1
    assert (await client.get("/api/supervision/alerts/999999", headers=supervisor)).status_code == 404


async def test_the_console_and_the_tender_report(client, users, platform, clock) -> None:
    alert_id = await _alert(client, users, platform, clock)
    alert = (await alerts_of(platform))[0]
    supervisor = await bearer(client, await users.make(Role.supervisor))
    console = await client.get("/supervision", headers=supervisor)
    assert console.status_code == 200 and f"/supervision/alerts/{alert_id}" in console.text and "/credit/proposals" in console.text
    page = await client.get(f"/supervision/alerts/{alert_id}", headers=supervisor)
    assert page.status_code == 200 and "203.0.113.7" in page.text
    supplier = await bearer(client, await users.make(Role.supplier))
    assert (await client.get("/supervision", headers=supplier)).status_code == 403
    assert (await client.get(f"/supervision/tenders/{alert.tender_id}/report.pdf", headers=supplier)).status_code == 403
    report = await client.get(f"/supervision/tenders/{alert.tender_id}/report.pdf", headers=supervisor)
    assert report.status_code == 200 and report.content.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", "-", "-"], input=report.content, capture_output=True, check=True).stdout.decode()
    assert "bid.submitted" in text and "supervision.alert_raised" in text and "bid.lots_tallied" in text


def _request(peer: str, forwarded: str | None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request(scope={"type": "http", "method": "POST", "path": "/", "headers": headers, "client": (peer, 1234), "query_string": b""})  # type: ignore[arg-type]


def test_forwarded_for_counts_only_from_a_trusted_proxy() -> None:
    assert web_client.address(_request("10.0.0.5", "1.2.3.4"), "") == "10.0.0.5"
    assert web_client.address(_request("10.0.0.5", "1.2.3.4"), "10.0.0.0/8") == "1.2.3.4"
    # The client wrote the left-most hop itself: the first untrusted hop from the right is the client.
    assert web_client.address(_request("10.0.0.5", "6.6.6.6, 1.2.3.4, 10.0.0.9"), "10.0.0.0/8") == "1.2.3.4"
    assert web_client.address(_request("192.0.2.1", "1.2.3.4"), "10.0.0.0/8") == "192.0.2.1"
