"""A tender whose bidding closed and a pool of experts with platform accounts, for the invitation tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from expert_pool.invitation_models import ExpertInvitation
from expert_pool.models import Expert
from procurement.clock import to_display
from procurement.identity.models import Role
from procurement.jobs import build_registry
from procurement.outbox.models import OutboxMessage
from procurement.scheduler.framework import sweep
from tests.bidding.bid_testlib import OpenTender, bidder, open_tender, sealed, submit
from tests.conftest import bearer
from tests.experts.pool_testlib import add_specialties, csv_of, row

LINK = re.compile(r"/invitations/([A-Za-z0-9_-]+)")


@dataclass
class Drawn:
    tender: OpenTender
    draw: dict
    supervisor: dict[str, str]
    experts: dict[int, dict[str, str]]  # expert id -> the expert's bearer headers
    users: dict[int, object]  # expert id -> TestUser


async def closed_tender_with_experts(client, users, platform, clock, count: int = 9, run=None) -> tuple[OpenTender, dict[int, object]]:
    """Works tender, three bids on lot 1 (the legal minimum), bidding closed; ``count`` experts in A01.02, each with an account.

    ``run`` runs a coroutine on the platform's event loop (a browser test's live server); by default, this one.
    """
    tender = await open_tender(client, users, clock)
    for _ in range(3):
        who = await bidder(client, users, tender.id)
        assert (await submit(client, who, tender.id, 1, *sealed(who, tender.id, 1, 1))).status_code == 201
    deadline = datetime.fromisoformat((await client.get(f"/api/tenders/{tender.id}")).json()["bid_deadline"])
    clock.set(deadline + timedelta(seconds=1))
    for _ in range(2):
        await (run(sweep(platform, build_registry())) if run else sweep(platform, build_registry()))
    tender.owner = await bearer(client, tender.purchaser)
    operator = await bearer(client, await users.make(Role.operator))
    await add_specialties(client, operator)
    accounts = {n: await users.make(Role.expert) for n in range(1, count + 1)}
    imported = await client.post("/api/experts/imports", headers=operator,
                                 content=csv_of(*[row(n, username=accounts[n].username) for n in accounts]))
    assert imported.status_code == 200, imported.text
    return tender, accounts


def body(clock, days_ahead: int = 3, **over) -> dict:
    """A draw's body: the evaluation ``days_ahead`` Beijing days from now."""
    return {"seats": {"A01.02": 5}, "reserves": {"A01.02": 1}, "lot": 1,
            "evaluation_date": (to_display(clock.now()) + timedelta(days=days_ahead)).date().isoformat()} | over


async def draw_with_experts(client, users, platform, clock, count: int = 9, **over) -> Drawn:
    tender, accounts = await closed_tender_with_experts(client, users, platform, clock, count)
    made = await client.post(f"/api/tenders/{tender.id}/draws", headers=tender.owner, json=body(clock, **over))
    assert made.status_code == 201, made.text
    by_user = {}
    async with platform.db.transaction(write=False) as session:
        for expert in (await session.execute(select(Expert))).scalars():
            by_user[expert.user_id] = expert.id
    experts = {by_user[a.user_id]: await bearer(client, a) for a in accounts.values()}
    supervisor = await bearer(client, await users.make(Role.supervisor))
    return Drawn(tender, made.json(), supervisor, experts, {by_user[a.user_id]: a for a in accounts.values()})


async def view(client, drawn: Drawn) -> dict:
    seen = await client.get(f"/api/draws/{drawn.draw['id']}", headers=drawn.supervisor)
    assert seen.status_code == 200, seen.text
    return seen.json()


async def invitations(platform) -> list[ExpertInvitation]:
    async with platform.db.transaction(write=False) as session:
        return list((await session.execute(select(ExpertInvitation).order_by(ExpertInvitation.id))).scalars())


async def messages(platform) -> list[OutboxMessage]:
    async with platform.db.transaction(write=False) as session:
        return list((await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())


async def token_for(platform, invitation_id: int) -> str:
    """The one-time token, as only the expert's message carries it."""
    for message in await messages(platform):
        if message.reference == f"invitation:{invitation_id}":
            return LINK.search(message.body).group(1)  # type: ignore[union-attr]
    raise AssertionError(f"no message for invitation {invitation_id}")
