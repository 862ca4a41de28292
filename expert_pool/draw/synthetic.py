"""A realistic pool and request, generated deterministically: what the ``expert_draw`` benchmark draws from.

The benchmark (``benchmarks/expert_draw.py``, written with the database) loads the same shape of
pool into tables; ``synthetic_pool`` gives it the rows and ``benchmark_draw`` the pure part to
time. Roughly what a provincial pool looks like: 40 specialties, a tenth of experts with two,
a few percent suspended or expired, some with conflicts, unavailability and recent sittings.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from expert_pool.draw.request import DrawRequest
from expert_pool.draw.select import DrawOutcome, draw
from expert_pool.draw.snapshot import (
    DateRange,
    Employment,
    Expert,
    ExpertStatus,
    PoolSnapshot,
    Sitting,
)

EVALUATION_DATE = date(2026, 6, 15)
PURCHASER = "91460100MA5T000001"
BIDDERS = tuple(f"91460100MA5T1{i:05d}" for i in range(8))
REGIONS = ("460105", "460106", "460107", "460108", "460202", "460203", "469001", "469002")
SPECIALTIES = tuple(f"A{n:02d}" for n in range(40))


def synthetic_pool(size: int, rng_seed: int = 2026) -> list[Expert]:
    rng = random.Random(rng_seed)
    other_orgs = [f"91460100MA5T9{i:05d}" for i in range(2000)]
    experts = []
    for n in range(size):
        specialties = {rng.choice(SPECIALTIES)}
        if rng.random() < 0.1:
            specialties.add(rng.choice(SPECIALTIES))
        employer_uscc = rng.choice(BIDDERS) if rng.random() < 0.01 else rng.choice(other_orgs)
        employers = (Employment(employer_uscc, date(2015, 1, 1), None if rng.random() < 0.8 else date(2024, 3, 1)),)
        start = EVALUATION_DATE + timedelta(days=rng.randint(-30, 30))
        unavailable = (DateRange(start, start + timedelta(days=rng.randint(0, 10))),) if rng.random() < 0.1 else ()
        sittings = tuple(Sitting(rng.choice((PURCHASER, *other_orgs[:20])), EVALUATION_DATE - timedelta(days=rng.randint(1, 400)))
                         for _ in range(rng.randint(0, 3)))
        roll = rng.random()
        status = ExpertStatus.suspended if roll < 0.02 else ExpertStatus.dismissed if roll < 0.03 else ExpertStatus.active
        experts.append(Expert(
            id=f"E{n:07d}",
            specialties=frozenset(specialties),
            region=rng.choice(REGIONS),
            status=status,
            qualification_expires=date(2026, 1, 1) if rng.random() < 0.02 else date(2028, 12, 31),
            employers=employers,
            shareholdings=frozenset({rng.choice(BIDDERS)}) if rng.random() < 0.005 else frozenset(),
            relative_organisations=frozenset({rng.choice(BIDDERS)}) if rng.random() < 0.005 else frozenset(),
            unavailable=unavailable,
            sittings=sittings,
            draws_this_month=rng.randint(0, 5),
        ))
    return experts


def realistic_request(specialties: int = 3) -> DrawRequest:
    """A works tender: 6 experts over ``specialties`` specialties plus one purchaser's representative."""
    chosen = SPECIALTIES[:specialties]
    seats = {s: 6 // specialties + (1 if i < 6 % specialties else 0) for i, s in enumerate(chosen)}
    return DrawRequest(
        tender_id="460100-2026-GC-0042", lot=1, track="works", method="open", seats=seats,
        purchaser_representatives=1, reserves={s: 2 for s in chosen}, evaluation_date=EVALUATION_DATE,
        purchaser_uscc=PURCHASER, bidder_usccs=frozenset(BIDDERS), allowed_regions=frozenset({"460000"}),
        project_supervisor_ids=frozenset({"E0000007"}), sitting_window_days=180, max_draws_per_month=4,
    )


def benchmark_draw(snapshot: PoolSnapshot, request: DrawRequest | None = None, seed: bytes = b"\x07" * 32) -> DrawOutcome:
    """The pure part of a draw the benchmark times: snapshot digest, exclusions, ranking, selection."""
    return draw(snapshot, request or realistic_request(), seed)
