"""The real flow up to an evaluation, for the evaluation, award and browser tests.

- ``evaluation_day``: a works tender with one lot and three opened bids (prices ``PRICES``), a
  draw of five experts (each with a platform account and a registered Ed25519 key) who
  accepted and checked in, and the clock on the evaluation day at 09:00 Beijing time.
- ``start``: the organiser starts the lot's evaluation; ``sign_in_all``, ``check_all``,
  ``score_all``, ``submit_all``: each member does their part through the API.
- ``signed_evaluation``: all of the above, the report drawn up and signed by every member.
- ``signature``: what a member's client sends to sign a report.

Everything goes through the HTTP API (and the scheduler's sweep), as users would do it.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bidding import envelope
from bidding.evaluation.report import signed_message
from procurement.clock import DISPLAY_ZONE
from procurement.identity.models import Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from tests.bidding.bid_testlib import (
    Bidder,
    OpenTender,
    bidder,
    open_tender,
    sealed,
    submit,
)
from tests.conftest import TestUser, bearer
from tests.experts.pool_testlib import add_specialties, csv_of, row

ONE_LOT = [{"title": "全部内容", "budget": "1250000.00", "bid_security": "25000.00"}]
PRICES = ("1180000.00", "1199000.50", "1210000.00")
EXPERTS = 5


@dataclass
class Member:
    """A committee member as their client sees it: account, token, signing key."""

    user: TestUser
    headers: dict[str, str]
    key_id: int
    key: Ed25519PrivateKey
    invitation_id: int | None = None  # experts only


@dataclass
class EvaluationDay:
    tender: OpenTender
    bidders: list[Bidder]
    bid_ids: list[int]  # in the order of ``PRICES``
    draw: dict[str, Any]
    experts: list[Member]  # seated, accepted, checked in
    spare: list[Member]  # experts of the pool not seated (a replacement comes from here)
    supervisor: dict[str, str]
    operator: dict[str, str]
    representatives: list[Member] = field(default_factory=list)

    @property
    def members(self) -> list[Member]:
        return self.experts + self.representatives


async def signing_key(client, headers: dict[str, str]) -> tuple[int, Ed25519PrivateKey]:
    """A new Ed25519 key, registered through the API: (key id, private key)."""
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes_raw()
    registered = await client.post("/api/me/keys", headers=headers, json={"algorithm": "ed25519", "public_key": base64.b64encode(raw).decode()})
    assert registered.status_code == 201, registered.text
    return registered.json()["id"], key


def signature(member: Member, report_sha256: str, dissent: str = "") -> dict[str, Any]:
    """The body of ``POST /api/evaluations/{id}/signatures``, signed as the member's client does."""
    signed = member.key.sign(signed_message(report_sha256, dissent))
    return {"key_id": member.key_id, "signature": base64.b64encode(signed).decode(), "dissent": dissent}


def _content_key(who: Bidder, data: bytes) -> str:
    return base64.b64encode(envelope.unwrap_content_key(envelope.read_header([data]), who.keys.x25519)).decode()


async def evaluation_day(client, users, platform, clock, *, prices: tuple[str, ...] = PRICES, representatives: int = 0,
                         experts: int = EXPERTS, pool: int = 9, lots: list[dict[str, Any]] | None = None,
                         check_in: int | None = None) -> EvaluationDay:
    """Opened bids, a seated and checked-in committee, the clock on the evaluation day (see the module docstring).

    ``lots`` replaces the one comprehensive-scoring lot (bids go to lot 1); ``check_in`` checks in
    only that many of the seated experts (the others may then declare a conflict).
    """
    tender = await open_tender(client, users, clock, lots=lots or ONE_LOT)
    sealed_bids: list[tuple[Bidder, int, bytes]] = []
    for price in prices:
        who = await bidder(client, users, tender.id)
        data, signed = sealed(who, tender.id, 1, 1, price=price, content=b"%PDF technical offer " + price.encode())
        completed = await submit(client, who, tender.id, 1, data, signed)
        assert completed.status_code == 201, completed.text
        sealed_bids.append((who, completed.json()["id"], data))
    deadline = datetime.fromisoformat((await client.get(f"/api/tenders/{tender.id}")).json()["bid_deadline"])
    clock.set(deadline + timedelta(seconds=1))
    for _ in range(2):
        await sweep(platform, build_registry())
    tender.owner = await bearer(client, tender.purchaser)
    operator = await bearer(client, await users.make(Role.operator))

    # The pool: experts with platform accounts; the draw seats some of them.
    await add_specialties(client, operator)
    accounts = {n: await users.make(Role.expert) for n in range(1, pool + 1)}
    imported = await client.post("/api/experts/imports", headers=operator, content=csv_of(*[row(n, username=accounts[n].username) for n in accounts]))
    assert imported.status_code == 200, imported.text
    evaluation_date = (clock.now().astimezone(DISPLAY_ZONE) + timedelta(days=2)).date()
    drawn = await client.post(f"/api/tenders/{tender.id}/draws", headers=tender.owner, json={
        "seats": {"A01.02": experts}, "reserves": {"A01.02": 1}, "lot": 1, "purchaser_representatives": representatives,
        "evaluation_date": evaluation_date.isoformat()})
    assert drawn.status_code == 201, drawn.text
    members: list[Member] = []
    spare: list[Member] = []
    for account in accounts.values():
        headers = await bearer(client, account)
        mine = (await client.get("/api/experts/me/invitations", headers=headers)).json()
        key_id, key = await signing_key(client, headers)
        member = Member(account, headers, key_id, key, mine[0]["id"] if mine else None)
        if mine:
            accepted = await client.post(f"/api/invitations/{member.invitation_id}/accept", headers=headers)
            assert accepted.status_code == 200, accepted.text
            members.append(member)
        else:
            spare.append(member)
    assert len(members) == experts

    # The opening: every bidder releases its key; the record is published and the tender is opened.
    assert (await client.post(f"/api/tenders/{tender.id}/opening", headers=operator, json={})).status_code == 201
    for who, bid_id, data in sealed_bids:
        released = await client.post(f"/api/bids/{bid_id}/release", headers=await bearer(client, who.user), json={"content_key": _content_key(who, data)})
        assert released.status_code == 200, released.text
    assert (await client.post(f"/api/tenders/{tender.id}/opening/close", headers=operator)).status_code == 200
    assert (await client.get(f"/api/tenders/{tender.id}")).json()["status"] == "opened"

    # The evaluation day, 09:00 in Beijing; sessions from before have expired on the moved clock.
    clock.set(datetime.combine(evaluation_date, time(9, 0), DISPLAY_ZONE).astimezone(UTC))
    tender.owner = await bearer(client, tender.purchaser)
    for member in members + spare:
        member.headers = await bearer(client, member.user)
    for member in members[:check_in]:
        checked = await client.post(f"/api/invitations/{member.invitation_id}/check-in", headers=member.headers, json={"conflict": False})
        assert checked.status_code == 200, checked.text
    bidders = [who for who, _, _ in sealed_bids]
    for who in bidders:
        who.headers = await bearer(client, who.user)
    day = EvaluationDay(tender, bidders, [bid_id for _, bid_id, _ in sealed_bids], drawn.json(), members, spare,
                        await bearer(client, await users.make(Role.supervisor)), await bearer(client, await users.make(Role.operator)))
    for _ in range(representatives):
        user = await users.make(Role.purchaser, organisation_id=tender.purchaser.organisation_id)
        headers = await bearer(client, user)
        key_id, key = await signing_key(client, headers)
        day.representatives.append(Member(user, headers, key_id, key))
    return day


async def start(client, day: EvaluationDay) -> dict[str, Any]:
    """The organiser starts lot 1's evaluation with the day's representatives."""
    started = await client.post(f"/api/tenders/{day.tender.id}/evaluations", headers=day.tender.owner,
                                json={"lot": 1, "representatives": [m.user.user_id for m in day.representatives]})
    assert started.status_code == 201, started.text
    return started.json()


async def sign_in_all(client, day: EvaluationDay, evaluation_id: int) -> None:
    for member in day.members:
        signed_in = await client.post(f"/api/evaluations/{evaluation_id}/sign-in", headers=member.headers)
        assert signed_in.status_code == 200, signed_in.text


async def check_all(client, day: EvaluationDay, evaluation_id: int, members: list[Member] | None = None,
                    failing: dict[int, str] | None = None) -> None:
    """Every member checks every bid: passed, except the bids in ``failing`` (bid id -> reason)."""
    failing = failing or {}
    for member in members if members is not None else day.members:
        for bid_id in day.bid_ids:
            body = {"passed": bid_id not in failing, "reason": failing.get(bid_id, "")}
            checked = await client.put(f"/api/evaluations/{evaluation_id}/checks/{bid_id}", headers=member.headers, json=body)
            assert checked.status_code == 200, checked.text


def default_points(member_index: int, bid_index: int) -> dict[str, str]:
    """Technical (of 40) and commercial (of 10) points that differ by member and bid, close enough to agree."""
    return {"technical": f"{30 + bid_index * 2 + member_index % 3}.00", "commercial": f"{6 + bid_index}.50"}


async def score_all(client, day: EvaluationDay, evaluation_id: int, bid_ids: list[int] | None = None,
                    members: list[Member] | None = None, points=default_points) -> None:
    for m, member in enumerate(members if members is not None else day.members):
        for b, bid_id in enumerate(bid_ids if bid_ids is not None else day.bid_ids):
            saved = await client.put(f"/api/evaluations/{evaluation_id}/sheets/{bid_id}", headers=member.headers,
                                     json={"points": points(m, b)})
            assert saved.status_code == 200, saved.text


async def submit_all(client, day: EvaluationDay, evaluation_id: int, members: list[Member] | None = None) -> None:
    for member in members if members is not None else day.members:
        submitted = await client.post(f"/api/evaluations/{evaluation_id}/submission", headers=member.headers)
        assert submitted.status_code == 200, submitted.text


async def sign_all(client, day: EvaluationDay, evaluation_id: int, dissent: dict[int, str] | None = None) -> dict[str, Any]:
    """Every member signs the report as it stands; returns the last answer (the report with all signatures)."""
    digest = (await client.get(f"/api/evaluations/{evaluation_id}/report", headers=day.members[0].headers)).json()["report_sha256"]
    answer: dict[str, Any] = {}
    for n, member in enumerate(day.members):
        signed = await client.post(f"/api/evaluations/{evaluation_id}/signatures", headers=member.headers,
                                   json=signature(member, digest, (dissent or {}).get(n, "")))
        assert signed.status_code == 201, signed.text
        answer = signed.json()
    return answer


async def signed_evaluation(client, users, platform, clock, **day_options: Any) -> tuple[EvaluationDay, dict[str, Any]]:
    """The whole flow to a signed report: (the day, the final report answer). The award has received the lot."""
    day = await evaluation_day(client, users, platform, clock, **day_options)
    evaluation_id = (await start(client, day))["id"]
    await sign_in_all(client, day, evaluation_id)
    await check_all(client, day, evaluation_id)
    await score_all(client, day, evaluation_id)
    await submit_all(client, day, evaluation_id)
    drawn_up = await client.post(f"/api/evaluations/{evaluation_id}/report", headers=day.members[0].headers)
    assert drawn_up.status_code == 201, drawn_up.text
    return day, await sign_all(client, day, evaluation_id)
