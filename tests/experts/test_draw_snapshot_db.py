"""The pool snapshot as the platform builds it from its tables: pinned bytes, on SQLite and PostgreSQL.

A stored draw is re-run from the snapshot it kept, so the bytes ``draws.pool_snapshot`` gives
for the same rows must never change. The expected bytes were recorded before the draw was made
faster (issue 5); never update them to make a change pass.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, select

from expert_pool import draws
from expert_pool.draw import PoolSnapshot
from expert_pool.models import (
    Expert,
    ExpertRelationship,
    ExpertSpecialty,
    ExpertUnavailability,
    Specialty,
)
from expert_pool.national_id import make_national_id

EVALUATION = date(2026, 6, 15)
EMPLOYER = "91460100MA5T900001"
BIDDER = "91460100MA5T100001"
OTHER = "91460100MA5T100002"

# id -> (specialties, status, qualification expires)
EXPERTS = {
    1: (("A",), "active", None),
    2: (("A", "B"), "suspended", date(2028, 12, 31)),
    3: (("B",), "retired", date(2026, 6, 14)),
    4: (("C",), "active", None),  # no requested specialty: not in the snapshot
    10: (("B", "A"), "active", date(2027, 1, 1)),  # string order puts "10" before "2"
}
TIES = [  # (expert, kind, organisation, from, to)
    (1, "employer", BIDDER, date(2019, 3, 1), date(2023, 6, 16)),
    (1, "employer", EMPLOYER, None, date(2010, 1, 1)),
    (1, "shareholding", OTHER, None, None),
    (1, "shareholding", BIDDER, date(2020, 1, 1), date(2026, 6, 14)),  # sold the day before: not held
    (1, "relative", BIDDER, None, date(2026, 6, 15)),  # held on the first day
    (10, "relative", OTHER, None, None),
    (4, "shareholding", BIDDER, None, None),
]
ABSENCES = [(1, date(2026, 7, 1), date(2026, 7, 3)), (1, date(2026, 6, 14), date(2026, 6, 15)), (3, date(2026, 1, 1), date(2026, 1, 1))]

PINNED = (
    b'["expert-pool-snapshot/v1",['
    b'["1",["A"],"460105","active",null,[["91460100MA5T100001","2019-03-01","2023-06-16"],["91460100MA5T900001",null,null],'
    b'["91460100MA5T900001",null,"2010-01-01"]],["91460100MA5T100002"],["91460100MA5T100001"],'
    b'[["2026-06-14","2026-06-15"],["2026-07-01","2026-07-03"]],[],0,[]],'
    b'["10",["A","B"],"460105","active","2027-01-01",[["91460100MA5T900001",null,null]],[],["91460100MA5T100002"],[],[],0,[]],'
    b'["2",["A","B"],"460105","suspended","2028-12-31",[["91460100MA5T900001",null,null]],[],[],[],[],0,[]],'
    b'["3",["B"],"460105","dismissed","2026-06-14",[["91460100MA5T900001",null,null]],[],[],[["2026-01-01","2026-01-01"]],[],0,[]]]]'
)


async def _fill(platform) -> None:  # type: ignore[no-untyped-def]
    now = platform.clock.now()
    async with platform.db.transaction() as session:
        await session.execute(insert(Specialty), [{"code": c, "name": c, "parent_code": None, "created_at": now} for c in "ABC"])
        code_ids = dict((await session.execute(select(Specialty.code, Specialty.id))).all())
        await session.execute(insert(Expert), [
            {"id": n, "name": f"专家{n}", "national_id": make_national_id(f"46010019700101{n:03d}"), "employer_uscc": EMPLOYER,
             "region": "460105", "status": status, "qualification_expires": expires, "created_at": now, "updated_at": now}
            for n, (_, status, expires) in EXPERTS.items()])
        await session.execute(insert(ExpertSpecialty), [
            {"expert_id": n, "specialty_id": code_ids[c]} for n, (codes, _, _) in EXPERTS.items() for c in codes])
        await session.execute(insert(ExpertRelationship), [
            {"expert_id": n, "kind": kind, "organisation_uscc": uscc, "from_date": start, "to_date": end} for n, kind, uscc, start, end in TIES])
        await session.execute(insert(ExpertUnavailability), [
            {"expert_id": n, "from_date": start, "to_date": end, "reason": "出差"} for n, start, end in ABSENCES])


async def test_the_snapshot_of_the_tables_is_the_pinned_bytes(platform) -> None:  # type: ignore[no-untyped-def]
    await _fill(platform)
    async with platform.db.transaction(write=False) as session:
        snapshot = await draws.pool_snapshot(session, {"A", "B"}, EVALUATION, sitting_window_days=90)
        nothing = await draws.pool_snapshot(session, {"Z"}, EVALUATION)
    assert snapshot.canonical_bytes() == PINNED
    # What a supervisor reads back is the same pool, expert for expert.
    assert PoolSnapshot.from_canonical_bytes(PINNED) == snapshot
    assert nothing.canonical_bytes() == b'["expert-pool-snapshot/v1",[]]'
