"""Bid securities: who records, confirms and refunds; cash and short amounts refused; refund due dates; overdue marking."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from bidding import security
from bidding.security_models import BidSecurity
from procurement.audit.models import AuditEntry
from procurement.identity.models import Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from procurement.tenders.calendar import BEIJING
from tests.bidding.bid_testlib import bidder, open_tender, sealed, submit
from tests.conftest import bearer

PAY = {"form": "bank_transfer", "amount": "16000.00", "payer_account_name": "海南测试建设有限公司", "bank_reference": "TRX-0001"}


async def _pay(client, headers, tender_id: int, lot: int = 1, **changes):
    return await client.post(f"/api/tenders/{tender_id}/lots/{lot}/bid-security", headers=headers, json={**PAY, **changes})


async def _audit_count(platform, action: str) -> int:
    async with platform.db.transaction(write=False) as session:
        return (await session.execute(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))).scalar_one()


async def _securities(platform) -> list[BidSecurity]:
    async with platform.db.transaction(write=False) as session:
        return list((await session.execute(select(BidSecurity).order_by(BidSecurity.id))).scalars())


async def test_who_records_sees_confirms_and_rejects(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock)
    alice = await bidder(client, users, tender.id)
    bob = await bidder(client, users, tender.id)
    paid = await _pay(client, alice.headers, tender.id)
    assert paid.status_code == 201, paid.text
    assert paid.json()["status"] == "pending" and paid.json()["amount"] == "16000.00"
    assert (await _pay(client, bob.headers, tender.id, bank_reference="TRX-0002")).status_code == 201

    # Only suppliers record; a second standing record for the same lot is refused.
    for role in (Role.purchaser, Role.agency, Role.operator, Role.supervisor, Role.expert):
        headers = await bearer(client, await users.make(role))
        assert (await _pay(client, headers, tender.id)).status_code == 403, role
    assert (await _pay(client, alice.headers, tender.id)).status_code == 409

    # A supplier sees its own only. Before the deadline who paid is who intends to bid: only the
    # trading centre (which keeps the accounts) sees every payer; the runner, supervisors and
    # another purchaser see nothing.
    mine = (await client.get(f"/api/tenders/{tender.id}/bid-security", headers=alice.headers)).json()
    assert [s["bank_reference"] for s in mine["securities"]] == ["TRX-0001"] and not mine["every_payer"]
    assert mine["lots"][0]["amount_due"] == "16000.00"
    centre = await bearer(client, await users.make(Role.operator))
    every = (await client.get(f"/api/tenders/{tender.id}/bid-security", headers=centre)).json()
    assert len(every["securities"]) == 2 and every["every_payer"]
    stranger = await bearer(client, await users.make(Role.purchaser))
    for headers in (tender.owner, await bearer(client, await users.make(Role.supervisor)), stranger):
        assert (await client.get(f"/api/tenders/{tender.id}/bid-security", headers=headers)).status_code == 403

    # Confirm and reject: the trading centre before the deadline. A supplier, the runner, another purchaser are refused.
    first, second = paid.json()["id"], mine["securities"][0]["id"] + 1
    for headers in (alice.headers, stranger, tender.owner):
        assert (await client.post(f"/api/bid-securities/{first}/confirm", headers=headers)).status_code in (403, 404)
        assert (await client.post(f"/api/bid-securities/{second}/reject", headers=headers, json={"reason": "未到账"})).status_code in (403, 404)
    assert [s.status for s in await _securities(platform)] == ["pending", "pending"]
    confirmed = await client.post(f"/api/bid-securities/{first}/confirm", headers=centre)
    assert confirmed.status_code == 200 and confirmed.json()["confirmed"] is True
    rejected = await client.post(f"/api/bid-securities/{second}/reject", headers=centre, json={"reason": "银行未收到该笔款项"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert (await client.post(f"/api/bid-securities/{first}/confirm", headers=centre)).status_code == 409
    assert await _audit_count(platform, "bid_security.confirmed") == 1
    assert await _audit_count(platform, "bid_security.rejected") == 1
    # No refund is due while the bid may still come and the tender goes on.
    refund = await client.post(f"/api/bid-securities/{first}/refund", headers=centre,
                               json={"refunded_on": clock.now().date().isoformat(), "bank_reference": "R-1"})
    assert refund.status_code == 409
    # After a rejection the supplier may record again.
    assert (await _pay(client, bob.headers, tender.id, bank_reference="TRX-0003")).status_code == 201


async def test_cash_refused_for_government_procurement_and_the_amount_must_cover_what_is_due(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock, track="government")
    alice = await bidder(client, users, tender.id)
    cash = await _pay(client, alice.headers, tender.id, form="cash")
    assert cash.status_code == 422
    assert cash.json()["errors"][0]["field"] == "body.form" and "政府采购法实施条例 第三十三条" in cash.text
    short = await _pay(client, alice.headers, tender.id, amount="15999.99")
    assert short.status_code == 422
    assert "body.amount" in short.text and "16000.00" in short.text
    assert await _securities(platform) == []
    # Works takes cash (from the basic account, 条例 第二十六条).
    works = await open_tender(client, users, clock)
    bob = await bidder(client, users, works.id)
    assert (await _pay(client, bob.headers, works.id, form="cash")).status_code == 201


async def _confirmed(client, users, tender, who, lot: int = 1) -> int:
    """Paid and confirmed by the trading centre, before the deadline."""
    paid = await _pay(client, who.headers, tender.id, lot, amount="20000.00")
    assert paid.status_code == 201, paid.text
    centre = await bearer(client, await users.make(Role.operator))
    assert (await client.post(f"/api/bid-securities/{paid.json()['id']}/confirm", headers=centre)).status_code == 200
    return paid.json()["id"]


async def _withdraw(client, tender, who) -> datetime:
    completed = await submit(client, who, tender.id, 1, *sealed(who, tender.id, 1, 1))
    assert completed.status_code == 201, completed.text
    withdrawn = await client.post(f"/api/bids/{completed.json()['id']}/withdraw", headers=who.headers)
    assert withdrawn.status_code == 200
    return datetime.fromisoformat(withdrawn.json()["withdrawn_at"])


async def _refund_of(client, users, tender, security_id: int) -> dict:
    """As the trading centre sees it (before the deadline only the centre sees every payer)."""
    centre = await bearer(client, await users.make(Role.operator))
    listing = (await client.get(f"/api/tenders/{tender.id}/bid-security", headers=centre)).json()
    return next(s for s in listing["securities"] if s["id"] == security_id)["refund"]


async def test_works_withdrawal_refund_due_in_5_days_then_overdue_once_even_after_downtime(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock)
    alice = await bidder(client, users, tender.id)
    security_id = await _confirmed(client, users, tender, alice)
    withdrawn_at = await _withdraw(client, tender, alice)
    refund = await _refund_of(client, users, tender, security_id)
    due = withdrawn_at.astimezone(BEIJING).date() + timedelta(days=5)
    assert refund["basis"] == "withdrawal" and refund["state"] == "due"
    assert refund["due_on"] == due.isoformat() and refund["article"] == "招标投标法实施条例 第三十五条"

    # Just before 24:00 of the due date nothing happens; three days later (downtime) the sweep marks it once.
    registry = build_registry()
    clock.set(datetime.combine(due, datetime.max.time(), BEIJING).replace(microsecond=0))
    await sweep(platform, registry)
    assert [s.status for s in await _securities(platform)] == ["confirmed"]
    clock.set(datetime.combine(due + timedelta(days=3), datetime.min.time(), BEIJING))
    await sweep(platform, registry)
    await sweep(platform, registry)
    alice.headers = await bearer(client, alice.user)  # sessions expired meanwhile
    [row] = await _securities(platform)
    assert row.status == "overdue" and row.refund_due_on == due
    assert await _audit_count(platform, "bid_security.refund_overdue") == 1
    assert (await _refund_of(client, users, tender, security_id))["state"] == "overdue"

    # The trading centre records the refund (late: bidding has not closed, so the runner cannot); a future date is refused first.
    centre = await bearer(client, await users.make(Role.operator))
    today = clock.now().astimezone(BEIJING).date()
    future = await client.post(f"/api/bid-securities/{security_id}/refund", headers=centre,
                               json={"refunded_on": (today + timedelta(days=1)).isoformat(), "bank_reference": "R-9"})
    assert future.status_code == 422
    refused = await client.post(f"/api/bid-securities/{security_id}/refund", headers=alice.headers,
                                json={"refunded_on": today.isoformat(), "bank_reference": "R-9"})
    assert refused.status_code == 403
    done = await client.post(f"/api/bid-securities/{security_id}/refund", headers=centre,
                             json={"refunded_on": today.isoformat(), "bank_reference": "R-9"})
    assert done.status_code == 200 and done.json()["refund"]["state"] == "refunded"
    async with platform.db.transaction(write=False) as session:
        entry = (await session.execute(select(AuditEntry).where(AuditEntry.action == "bid_security.refunded"))).scalar_one()
    assert '"late":true' in entry.details


async def test_government_withdrawal_refund_counts_working_days_across_a_holiday(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock, track="government")
    operator = await bearer(client, await users.make(Role.operator))
    alice = await bidder(client, users, tender.id)
    security_id = await _confirmed(client, users, tender, alice)
    withdrawn_at = await _withdraw(client, tender, alice)
    start = withdrawn_at.astimezone(BEIJING).date()
    # Two weekdays right after the withdrawal become holidays: the 5 working days run two days longer.
    weekdays = [start + timedelta(days=i) for i in range(1, 8) if (start + timedelta(days=i)).weekday() < 5][:2]
    before = date.fromisoformat((await _refund_of(client, users, tender, security_id))["due_on"])
    for day in weekdays:
        assert (await client.put(f"/api/calendar/{day.isoformat()}", headers=operator, json={"kind": "holiday", "name": "测试假日"})).status_code == 200
    refund = await _refund_of(client, users, tender, security_id)
    after = date.fromisoformat(refund["due_on"])
    assert refund["article"] == "政府采购货物和服务招标投标管理办法 第三十八条"
    working = [d for d in (start + timedelta(days=i) for i in range(1, (after - start).days + 1)) if d.weekday() < 5 and d not in weekdays]
    assert len(working) == 5 and after > before


async def test_after_award_and_after_contract(client, users, platform, clock) -> None:
    for track, loser_due, loser_article in (("government", True, "政府采购法实施条例 第三十三条"), ("works", False, None)):
        tender = await open_tender(client, users, clock, track=track)
        winner, loser = await bidder(client, users, tender.id), await bidder(client, users, tender.id)
        won, lost = await _confirmed(client, users, tender, winner), await _confirmed(client, users, tender, loser)
        award_at = clock.now()
        async with platform.db.transaction() as session:
            result = {row.id: due for row, due in await security.refunds_due_after_award(
                session, platform, tender.id, 1, [winner.user.organisation_id], award_at)}
        assert result[won] is None, "the winner's security stays until the contract"
        if loser_due:
            assert result[lost] is not None and result[lost].basis == "award" and result[lost].article == loser_article
            assert result[lost].due_on > award_at.astimezone(BEIJING).date()
        else:
            assert result[lost] is None, "works: the unsuccessful bidders too are refunded after the contract (条例 第五十七条)"
        signed_at = award_at + timedelta(days=10)
        async with platform.db.transaction() as session:
            after = {row.id: due for row, due in await security.refunds_due_after_contract(session, platform, tender.id, 1, signed_at)}
        assert after[won] is not None and after[won].basis == "contract"
        if track == "works":
            assert after[won].due_on == signed_at.astimezone(BEIJING).date() + timedelta(days=5)
            assert after[won].article == "招标投标法实施条例 第五十七条" and after[lost].basis == "contract"
        else:
            assert after[lost].basis == "award", "the earlier due date counts"


async def test_the_page_records_a_payment_and_the_centre_confirms_with_csrf(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock, track="government")
    alice = await bidder(client, users, tender.id)
    login = await client.post("/login", data={"username": alice.user.username, "password": alice.user.password}, follow_redirects=False)
    assert login.status_code == 303
    shown = await client.get(f"/tenders/{tender.id}/bid-security")
    assert shown.status_code == 200 and f'action="/tenders/{tender.id}/bid-security/lots/1"' in shown.text
    assert 'value="cash"' not in shown.text, "government procurement offers no cash"
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', shown.text).group(1)  # type: ignore[union-attr]
    form = {**PAY, "form": "bank_transfer"}
    assert (await client.post(f"/tenders/{tender.id}/bid-security/lots/1", data=form)).status_code == 403, "no CSRF token"
    short = await client.post(f"/tenders/{tender.id}/bid-security/lots/1", data={**form, "amount": "100", "csrf_token": csrf})
    assert short.status_code == 400 and "16000.00" in short.text
    done = await client.post(f"/tenders/{tender.id}/bid-security/lots/1", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    client.cookies.clear()

    centre = await users.make(Role.operator)
    assert (await client.post("/login", data={"username": centre.username, "password": centre.password}, follow_redirects=False)).status_code == 303
    listing = await client.get(f"/tenders/{tender.id}/bid-security")
    assert "TRX-0001" in listing.text and "/confirm" in listing.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', listing.text).group(1)  # type: ignore[union-attr]
    [row] = await _securities(platform)
    confirmed = await client.post(f"/tenders/{tender.id}/bid-security/{row.id}/confirm", data={"csrf_token": csrf}, follow_redirects=False)
    assert confirmed.status_code == 303
    assert [s.status for s in await _securities(platform)] == ["confirmed"]


async def test_a_failed_tender_makes_the_refund_due_with_the_platforms_period(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock)
    alice = await bidder(client, users, tender.id)
    security_id = await _confirmed(client, users, tender, alice)
    completed = await submit(client, alice, tender.id, 1, *sealed(alice, tender.id, 1, 1))
    assert completed.status_code == 201
    deadline = datetime.fromisoformat((await client.get(f"/api/tenders/{tender.id}")).json()["bid_deadline"])
    clock.set(deadline + timedelta(seconds=1))
    for _ in range(2):
        await sweep(platform, build_registry())
    tender.owner = await bearer(client, tender.purchaser)
    refund = await _refund_of(client, users, tender, security_id)
    # One bid of three needed: every lot fails, so the tender fails (流标); the law sets no refund period for it.
    assert refund["basis"] == "tender_failed" and refund["article"] == "" and refund["state"] == "due"
    assert refund["due_on"] == (clock.now().astimezone(BEIJING).date() + timedelta(days=5)).isoformat()
