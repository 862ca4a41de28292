"""The one credit check at every step that exists: each refuses a debarred supplier and keeps what it saw."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from procurement.credit import service as credit
from procurement.credit.models import CreditCheck
from procurement.errors import Forbidden
from procurement.identity.models import Organisation, OrganisationKind
from procurement.identity.uscc import make_uscc
from tests.bidding.bid_testlib import bidder, open_tender, sealed, submit
from tests.credit.credit_testlib import in_force, staff, uscc_of


async def _checks(platform, purpose: str) -> list[CreditCheck]:
    async with platform.db.transaction(write=False) as session:
        return list((await session.execute(select(CreditCheck).where(CreditCheck.purpose == purpose).order_by(CreditCheck.id))).scalars())


def _registration(uscc: str, username: str) -> dict[str, str]:
    return {"uscc": uscc, "organisation_name": "海南注册测试有限公司", "username": username, "display_name": "张三", "password": "Test-password-1"}


async def test_supplier_registration_refuses_a_debarred_code_and_keeps_the_check(client, users, platform) -> None:
    operator, supervisor = await staff(client, users)
    debarred = make_uscc("91460100MA5REG001")
    entry = await in_force(client, operator, supervisor, debarred, organisation_name="海南注册失信有限公司")
    refused = await client.post("/api/auth/register-supplier", json=_registration(debarred, "debarred1"))
    assert refused.status_code == 403, refused.text
    assert "海南注册失信有限公司" in refused.json()["detail"] and "政府采购法 第七十七条" in refused.json()["detail"]
    async with platform.db.transaction(write=False) as session:
        assert (await session.execute(select(Organisation).where(Organisation.uscc == debarred))).first() is None
    [kept] = await _checks(platform, "registration")
    assert not kept.passed and kept.organisation_id is None and kept.uscc == debarred
    assert [s["entry_id"] for s in json.loads(kept.seen)] == [entry["id"]]
    clear = make_uscc("91460100MA5REG002")
    assert (await client.post("/api/auth/register-supplier", json=_registration(clear, "clear1"))).status_code == 201
    passed = (await _checks(platform, "registration"))[-1]
    assert passed.passed and passed.uscc == clear
    # A supervisor finds the registration check by the organisation it became.
    async with platform.db.transaction(write=False) as session:
        org_id = (await session.execute(select(Organisation.id).where(Organisation.uscc == clear))).scalar_one()
    shown = (await client.get("/api/credit/checks", params={"organisation_id": org_id}, headers=supervisor)).json()
    assert [c["purpose"] for c in shown] == ["registration"]


async def test_obtaining_documents_is_refused_to_a_debarred_supplier(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock)
    who = await bidder(client, users)
    operator, supervisor = await staff(client, users)
    await in_force(client, operator, supervisor, await uscc_of(platform, who.user.organisation_id))
    refused = await client.post(f"/api/tenders/{tender.id}/obtained", headers=who.headers)
    assert refused.status_code == 403 and "blacklist" in refused.json()["detail"]
    [kept] = await _checks(platform, "documents")
    assert not kept.passed and kept.organisation_id == who.user.organisation_id and kept.subject_id == str(tender.id)
    assert (await client.get(f"/api/tenders/{tender.id}/obtained", headers=tender.owner)).json() == []
    other = await bidder(client, users, tender.id)  # a clear supplier obtains them
    assert (await _checks(platform, "documents"))[-1].passed and (await _checks(platform, "documents"))[-1].organisation_id == other.user.organisation_id


async def test_bid_submission_is_refused_after_the_entry_comes_in_force(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock)
    who = await bidder(client, users, tender.id)  # obtained the documents while clear
    operator, supervisor = await staff(client, users)
    entry = await in_force(client, operator, supervisor, await uscc_of(platform, who.user.organisation_id))
    refused = await submit(client, who, tender.id, 1, *sealed(who, tender.id, 1, 1))
    assert refused.status_code == 403 and "blacklist" in refused.json()["detail"]
    [kept] = await _checks(platform, "bid_submission")
    assert not kept.passed and json.loads(kept.seen)[0]["entry_id"] == entry["id"]
    # Lifted early: the next bid goes in.
    await client.post(f"/api/credit/entries/{entry['id']}/lift", headers=supervisor, json={"reason": "复议撤销原处罚决定"})
    assert (await submit(client, who, tender.id, 1, *sealed(who, tender.id, 1, 1))).status_code == 201


async def test_a_consortium_is_refused_if_any_member_is_debarred(client, users, platform) -> None:
    operator, supervisor = await staff(client, users)
    members = [await users.organisation(OrganisationKind.supplier) for _ in range(3)]
    entry = await in_force(client, operator, supervisor, await uscc_of(platform, members[1]))
    async with platform.db.transaction() as session:
        with pytest.raises(Forbidden, match="blacklist"):
            await credit.require_consortium_clear(session, platform, members, "bid_submission", subject_type="consortium", subject_id="c1")
        result = await credit.check(session, platform, members, "bid_submission", subject_type="consortium", subject_id="c1")
    assert [c.passed for c in result.checks] == [True, False, True]
    assert [e.id for e in result.entries] == [entry["id"]]
    async with platform.db.transaction() as session:
        clear = await credit.require_consortium_clear(session, platform, [members[0], members[2]], "bid_submission")
    assert clear.passed and len(clear.checks) == 2
