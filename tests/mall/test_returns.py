"""Returns after acceptance (退货): the whole course, who may take each step, the window, the
supplier's time limit kept by the scheduler, credit notes and refunds, savings, the pages and the
acceptance report. Runs on SQLite and PostgreSQL; the races are in test_returns_concurrency.py."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from datetime import timedelta
from typing import Any

import pytest

from procurement.identity.models import Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from tests.conftest import bearer
from tests.mall.order_testlib import Shop, build_shop
from tests.tenders.test_manage_pages import HTML, log_in


@pytest.fixture
def client(client):
    """The suite's client, not following redirects: the page tests read where each form leads."""
    client.follow_redirects = False
    return client


async def accepted_order(shop: Shop, units: int = 3) -> dict[str, Any]:
    """An order of ``units`` desktops, shipped and accepted in full (on the clock's day)."""
    order = await shop.placed((shop.product["id"], units))
    await shop.step(order["id"], "confirm", shop.seller)
    shipped = (await shop.step(order["id"], "ship", shop.seller, {"delivery_note": "顺丰 SF1234567890"})).json()
    lines = [{"item_id": i["id"], "accepted_quantity": i["quantity"]} for i in shipped["items"]]
    accepted = await shop.step(order["id"], "acceptance", shop.buyer, {"items": lines, "note": "逐项核对"})
    assert accepted.status_code == 200, accepted.text
    return accepted.json()


async def ask(shop: Shop, order: dict[str, Any], quantity: int, *, headers: dict[str, str] | None = None, key: str | None = None,
              reason: str = "使用中发现屏幕故障") -> Any:
    body = {"items": [{"item_id": order["items"][0]["id"], "quantity": quantity}], "reason": reason}
    extra = {"Idempotency-Key": key} if key else {}
    return await shop.client.post(f"/api/mall/orders/{order['id']}/returns", headers={**(headers or shop.buyer), **extra}, json=body)


async def step(shop: Shop, order_id: int, return_id: int, name: str, headers: dict[str, str], body: dict[str, Any] | None = None) -> Any:
    return await shop.client.post(f"/api/mall/orders/{order_id}/returns/{return_id}/{name}", headers=headers, json=body)


async def agreed_and_sent(shop: Shop, order_id: int, return_id: int) -> None:
    assert (await step(shop, order_id, return_id, "agree", shop.seller)).json()["status"] == "agreed"
    assert (await step(shop, order_id, return_id, "sent", shop.buyer, {"shipping_note": "顺丰 SF9876543210 退回"})).json()["status"] == "sent"


async def fetch(shop: Shop, order_id: int) -> dict[str, Any]:
    return (await shop.client.get(f"/api/mall/orders/{order_id}", headers=shop.buyer)).json()


async def product(shop: Shop) -> dict[str, Any]:
    return (await shop.client.get(f"/api/mall/products/{shop.product['id']}", headers=shop.seller)).json()


async def budget(shop: Shop) -> dict[str, Any]:
    return (await shop.client.get("/api/mall/budgets", headers=shop.buyer)).json()[0]


async def test_a_return_goes_from_request_to_receipt_and_everything_counts_the_net(client, users) -> None:
    shop = await build_shop(client, users)
    order = await accepted_order(shop)
    oid = order["id"]
    assert order["return_until"] == "2026-01-12"  # accepted on 2026-01-05 (Beijing) + 7 days
    assert ((await product(shop))["stock"], (await product(shop))["sales_count"]) == (7, 3)

    # Who may not ask: the supplier (403), another unit (404); what may not be asked.
    assert (await ask(shop, order, 1, headers=shop.seller)).status_code == 403
    stranger = await bearer(client, await users.make(Role.purchaser))
    assert (await ask(shop, order, 1, headers=stranger)).status_code == 404
    too_many = await ask(shop, order, 4)
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "body.items[0].quantity"
    no_reason = await ask(shop, order, 1, reason=" ")
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "body.reason"
    foreign = await client.post(f"/api/mall/orders/{oid}/returns", headers=shop.buyer,
                                json={"items": [{"item_id": 999999, "quantity": 1}], "reason": "型号不符"})
    assert foreign.status_code == 422 and foreign.json()["errors"][0]["field"] == "body.items[0].item_id"

    asked = await ask(shop, order, 1, key="return-0001")
    assert asked.status_code == 201, asked.text
    ret = asked.json()
    assert (ret["status"], ret["amount"], ret["items"][0]["quantity"]) == ("requested", "4299.00", 1)
    again = await ask(shop, order, 1, key="return-0001")  # a retried request: the same return
    assert again.status_code == 200 and again.json()["id"] == ret["id"]
    rid = ret["id"]

    # The units asked for are held: the other two may be asked for, not three.
    held = await ask(shop, order, 3)
    assert held.status_code == 422 and "at most 2 units" in held.text

    # Only the supplier answers, only the purchasing unit sends, only the supplier confirms receipt.
    assert (await step(shop, oid, rid, "agree", shop.buyer)).status_code == 403
    _, other_seller = await shop.mall.supplier()
    assert (await step(shop, oid, rid, "agree", other_seller)).status_code == 404
    assert (await step(shop, oid, 999999, "agree", shop.seller)).status_code == 404
    assert (await step(shop, oid, rid, "sent", shop.buyer, {"shipping_note": "顺丰"})).status_code == 409  # not agreed yet
    assert (await step(shop, oid, rid, "agree", shop.seller)).json()["status"] == "agreed"
    assert (await step(shop, oid, rid, "agree", shop.seller)).status_code == 200  # a retry changes nothing
    assert (await step(shop, oid, rid, "sent", shop.seller, {"shipping_note": "顺丰"})).status_code == 403
    assert (await step(shop, oid, rid, "sent", shop.buyer, {"shipping_note": "顺丰 SF9876543210 退回"})).json()["status"] == "sent"
    assert (await step(shop, oid, rid, "withdraw", shop.buyer, {"reason": "不退了"})).status_code == 409  # the goods are on their way
    assert (await step(shop, oid, rid, "received", shop.buyer, {})).status_code == 403
    assert (await fetch(shop, oid))["accepted"] == "12897.00"  # nothing moves before the goods are back

    received = await step(shop, oid, rid, "received", shop.seller, {})
    assert received.status_code == 200 and received.json()["status"] == "received"
    assert (await step(shop, oid, rid, "received", shop.seller, {})).status_code == 200  # a retry releases nothing twice
    after = await fetch(shop, oid)
    assert (after["status"], after["accepted"], after["returned"], after["savings"]) == ("accepted", "8598.00", "4299.00", "402.00")
    assert after["items"][0]["returned_quantity"] == 1 and after["items"][0]["accepted_quantity"] == 3  # the acceptance record stays
    assert ((await product(shop))["stock"], (await product(shop))["sales_count"]) == (8, 2)
    assert (await budget(shop))["committed"] == "8598.00"

    # The invoice is for what was kept; savings and the statistics count the net.
    wrong = await shop.step(oid, "invoice", shop.seller, {"number": "46002600001234", "amount": "12897.00"})
    assert wrong.status_code == 422 and "8598.00" in wrong.text
    assert (await shop.step(oid, "invoice", shop.seller, {"number": "46002600001234", "amount": "8598.00"})).json()["status"] == "invoiced"
    params = {"from": "2026-01-01", "to": "2026-01-31", "group_by": "unit"}
    rows = (await client.get("/api/mall/savings", headers=shop.mall.supervisor, params=params)).json()
    assert [(r["reference"], r["paid"], r["savings"]) for r in rows] == [("9000.00", "8598.00", "402.00")]
    report = (await client.get("/api/statistics", params={"from": "2026-01-01", "to": "2026-01-31"})).json()
    assert report["mall"] == {"spend": "8598.00", "reference": "9000.00", "savings": "402.00"}
    entries = (await client.get("/api/audit/entries", headers=shop.mall.supervisor, params={"subject_type": "mall_order", "subject_id": str(oid)})).json()
    actions = [e["action"] for e in entries["entries"]]
    assert actions[:5] == ["mall.order_invoiced", "mall.return_received", "mall.return_sent", "mall.return_agreed", "mall.return_requested"]
    assert entries["entries"][1]["details"]["amount_fen"] == 429900


async def test_returns_are_asked_for_only_after_acceptance_and_within_the_window(client, users, clock) -> None:
    shop = await build_shop(client, users)
    shipped = await shop.placed((shop.product["id"], 1))
    await shop.step(shipped["id"], "confirm", shop.seller)
    await shop.step(shipped["id"], "ship", shop.seller, {"delivery_note": "自送"})
    early = await ask(shop, await fetch(shop, shipped["id"]), 1)
    assert early.status_code == 409 and "only accepted, invoiced or settled" in early.text
    order = await accepted_order(shop, units=2)

    clock.advance(timedelta(days=7, hours=14))  # 2026-01-12 23:00 in Beijing: the last day
    shop.buyer, shop.seller = await bearer(client, shop.purchaser), await bearer(client, shop.supplier)
    assert (await ask(shop, order, 1)).status_code == 201
    clock.advance(timedelta(hours=2))  # 2026-01-13 01:00 in Beijing
    shop.buyer = await bearer(client, shop.purchaser)
    late = await ask(shop, order, 1)
    assert late.status_code == 409 and "until 2026-01-12" in late.text
    assert (await fetch(shop, order["id"]))["return_until"] == "2026-01-12"
    assert len((await fetch(shop, order["id"]))["returns"]) == 1  # the refused request changed nothing


async def test_a_refused_or_withdrawn_return_frees_its_units(client, users) -> None:
    shop = await build_shop(client, users)
    order = await accepted_order(shop, units=2)
    oid = order["id"]
    first = (await ask(shop, order, 2)).json()
    assert (await step(shop, oid, first["id"], "refuse", shop.seller, {"reason": ""})).status_code == 422
    refused = await step(shop, oid, first["id"], "refuse", shop.seller, {"reason": "外观完好，非质量问题"})
    assert (refused.json()["status"], refused.json()["closed_reason"]) == ("refused", "外观完好，非质量问题")
    assert (await step(shop, oid, first["id"], "agree", shop.seller)).status_code == 409  # answered once
    second = (await ask(shop, order, 2, reason="复检确认电源故障")).json()
    assert (await step(shop, oid, second["id"], "withdraw", shop.seller, {"reason": "不退了"})).status_code == 403
    assert (await step(shop, oid, second["id"], "withdraw", shop.buyer, {"reason": "已现场修复"})).json()["status"] == "withdrawn"
    third = await ask(shop, order, 2, reason="再次出现电源故障")
    assert third.status_code == 201
    shown = await fetch(shop, oid)
    assert [r["status"] for r in shown["returns"]] == ["refused", "withdrawn", "requested"]
    assert (shown["accepted"], shown["returned"]) == ("8598.00", "0.00")
    assert (await budget(shop))["committed"] == "8598.00"


async def test_an_unanswered_return_is_agreed_by_the_scheduler_once(client, users, platform, clock) -> None:
    shop = await build_shop(client, users)
    order = await accepted_order(shop, units=1)
    ret = (await ask(shop, order, 1)).json()
    clock.advance(timedelta(days=2) - timedelta(minutes=1))
    await sweep(platform, build_registry())
    buyer, seller = await bearer(client, shop.purchaser), await bearer(client, shop.supplier)
    assert (await client.get(f"/api/mall/orders/{order['id']}", headers=buyer)).json()["returns"][0]["status"] == "requested"
    clock.advance(timedelta(minutes=2))  # the scheduler was down at the limit: the next sweep catches up, once
    assert (await sweep(platform, build_registry())).ran >= 1
    await sweep(platform, build_registry())
    shown = (await client.get(f"/api/mall/orders/{order['id']}", headers=buyer)).json()["returns"][0]
    assert (shown["status"], shown["agreed_automatically"]) == ("agreed", True)
    assert (await step(shop, order["id"], ret["id"], "refuse", seller, {"reason": "太迟了"})).status_code == 409
    watcher = await bearer(client, await users.make(Role.supervisor))
    entries = (await client.get("/api/audit/entries", headers=watcher, params={"action": "mall.return_agreed"})).json()
    assert entries["total"] == 1 and entries["entries"][0]["details"]["automatic"] is True and entries["entries"][0]["actor_id"] is None


async def test_invoiced_and_settled_orders_need_a_credit_note_or_refund_and_a_full_return_ends_the_order(client, users) -> None:
    shop = await build_shop(client, users)
    invoiced = await accepted_order(shop, units=2)
    settled = await accepted_order(shop, units=1)
    await shop.step(invoiced["id"], "invoice", shop.seller, {"number": "46002600000001", "amount": "8598.00"})
    await shop.step(settled["id"], "invoice", shop.seller, {"number": "46002600000002", "amount": "4299.00"})
    await shop.step(settled["id"], "payment", shop.buyer, {"reference": "国库集中支付 ZF2026-000001"})
    assert ((await budget(shop))["committed"], (await budget(shop))["paid"]) == ("12897.00", "4299.00")

    partial = (await ask(shop, invoiced, 1)).json()
    await agreed_and_sent(shop, invoiced["id"], partial["id"])
    no_note = await step(shop, invoiced["id"], partial["id"], "received", shop.seller, {})
    assert no_note.status_code == 422 and no_note.json()["errors"][0]["field"] == "body.reference" and "红字发票" in no_note.text
    noted = await step(shop, invoiced["id"], partial["id"], "received", shop.seller, {"reference": "红字发票 46002600009876"})
    assert noted.json()["reference"] == "红字发票 46002600009876"
    assert (await fetch(shop, invoiced["id"]))["accepted"] == "4299.00"
    paid = await shop.step(invoiced["id"], "payment", shop.buyer, {"reference": "国库集中支付 ZF2026-000002"})
    assert paid.json()["status"] == "settled"  # pays the invoice less the credit note

    whole = (await ask(shop, settled, 1, reason="到货后三日内主板故障")).json()
    await agreed_and_sent(shop, settled["id"], whole["id"])
    no_refund = await step(shop, settled["id"], whole["id"], "received", shop.seller, {})
    assert no_refund.status_code == 422 and "refund" in no_refund.text
    assert (await step(shop, settled["id"], whole["id"], "received", shop.seller, {"reference": "退款 TK2026-0001"})).status_code == 200
    ended = await fetch(shop, settled["id"])
    assert (ended["status"], ended["accepted"], ended["returned"], ended["savings"], ended["return_until"]) == ("returned", "0.00", "4299.00", "0.00", None)
    assert ended["closed_reason"] == "every accepted unit was returned"
    assert ((await budget(shop))["committed"], (await budget(shop))["paid"]) == ("4299.00", "4299.00")
    assert (await ask(shop, ended, 1)).status_code == 409
    assert (await product(shop))["stock"] == 9  # 10, less the 3 bought, plus the 2 returned
    pdf = await client.get(f"/mall/orders/{settled['id']}/acceptance.pdf", headers=shop.buyer)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    extracted = await asyncio.to_thread(subprocess.run, ["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True)
    text = "".join(extracted.stdout.decode().split())
    # Table cells wrap and interleave: compared without white space, on pieces that fit a line.
    assert "到货后三日内主板" in text and "退款TK2026-0001" in text


async def test_the_order_page_asks_for_and_answers_returns(client, users, platform) -> None:
    shop = await build_shop(client, users)
    order = await accepted_order(shop, units=2)
    item = order["items"][0]["id"]
    csrf = await log_in(client, shop.purchaser)
    shown = await client.get(f"/mall/orders/{order['id']}", headers=HTML)
    assert f'name="return_{item}"' in shown.text and 'value="return"' in shown.text
    form = {"csrf_token": csrf, "action": "return", f"return_{item}": "3", "reason": "屏幕闪烁", "idempotency_key": "page-return-0001"}
    refused = await client.post(f"/mall/orders/{order['id']}", data=form, headers=HTML)
    assert refused.status_code == 400 and 'href="#quantity"' in refused.text
    done = await client.post(f"/mall/orders/{order['id']}", data={**form, f"return_{item}": "1"}, headers=HTML)
    assert done.status_code == 303, done.text
    again = await client.post(f"/mall/orders/{order['id']}", data={**form, f"return_{item}": "1"}, headers=HTML)
    assert again.status_code == 303  # the same form sent twice: one return
    page = await client.get(f"/mall/orders/{order['id']}", headers=HTML)
    assert "屏幕闪烁" in page.text and 'value="return_withdraw"' in page.text and 'value="return_agree"' not in page.text
    csrf = await log_in(client, shop.supplier)
    seller_page = await client.get(f"/mall/orders/{order['id']}", headers=HTML)
    assert 'value="return_agree"' in seller_page.text and f'name="return_{item}"' not in seller_page.text
    return_id = (await fetch(shop, order["id"]))["returns"][0]["id"]
    agreed = await client.post(f"/mall/orders/{order['id']}", headers=HTML,
                               data={"csrf_token": csrf, "action": "return_agree", "return_id": str(return_id)})
    assert agreed.status_code == 303
    assert [r["status"] for r in (await fetch(shop, order["id"]))["returns"]] == ["agreed"]
