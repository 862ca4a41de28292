"""A drawn committee to rate: a works tender whose bidding closed, nine experts, five seated for a Thursday evaluation.

Works with the in-process test client and with an HTTP client against the browser tests' live
server; ``sweep`` runs the scheduler's sweep where the app's database lives.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from procurement.clock import to_display
from procurement.identity.models import Role
from procurement.tenders.calendar import BEIJING
from tests.bidding.bid_testlib import bidder, open_tender, sealed, submit
from tests.conftest import TestUser, bearer
from tests.experts.pool_testlib import add_specialties, csv_of, row

THURSDAY = 3


@dataclass
class Committee:
    tender_id: int
    draw_id: int
    evaluation_date: date  # a Thursday; the evaluation takes that one day
    purchaser: TestUser
    supervisor: TestUser
    operator: TestUser
    bidder: TestUser
    seated: list[int]  # expert ids
    names: dict[int, str]


def beijing_noon(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time().replace(hour=12), BEIJING)


async def drawn_committee(client: Any, users: Any, clock: Any, sweep: Callable[[], Awaitable[object]]) -> Committee:
    tender = await open_tender(client, users, clock)
    bidders = [await bidder(client, users, tender.id) for _ in range(3)]
    for who in bidders:
        done = await submit(client, who, tender.id, 1, *sealed(who, tender.id, 1, 1))
        assert done.status_code == 201, done.text
    deadline = datetime.fromisoformat((await client.get(f"/api/tenders/{tender.id}")).json()["bid_deadline"])
    clock.set(deadline + timedelta(seconds=1))
    for _ in range(2):
        await sweep()
    operator = await users.make(Role.operator)
    operator_headers = await bearer(client, operator)
    await add_specialties(client, operator_headers)
    imported = await client.post("/api/experts/imports", headers=operator_headers, content=csv_of(*(row(n) for n in range(1, 10))))
    assert imported.status_code == 200, imported.text
    today = to_display(clock.now()).date()
    evaluation = today + timedelta(days=2)
    evaluation += timedelta(days=(THURSDAY - evaluation.weekday()) % 7)
    made = await client.post(f"/api/tenders/{tender.id}/draws", headers=await bearer(client, tender.purchaser),
                             json={"seats": {"A01.02": 5}, "reserves": {"A01.02": 1}, "lot": 1, "evaluation_date": evaluation.isoformat()})
    assert made.status_code == 201, made.text
    supervisor = await users.make(Role.supervisor)
    seen = (await client.get(f"/api/draws/{made.json()['id']}", headers=await bearer(client, supervisor))).json()
    return Committee(tender.id, made.json()["id"], evaluation, tender.purchaser, supervisor, operator, bidders[0].user,
                     [d["expert_id"] for d in seen["committee"]], {d["expert_id"]: d["name"] for d in seen["committee"]})
