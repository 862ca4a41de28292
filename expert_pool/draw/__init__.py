"""The expert draw: deterministic, committed, verifiable (docs/expert-draw.md).

A pure library (the standard library, and ``msgspec`` for its records and canonical JSON; an
import-linter contract keeps it so): the service, the CLI ``procurement draw verify`` and the
supervisor page share it.

- ``PoolSnapshot.of(experts)`` → canonical bytes and ``digest``.
- ``DrawRequest(...).check()`` → refuses a committee the law does not allow, naming the article.
- ``new_seed()``, ``seed_commitment(seed)``: commit before the draw, reveal after the evaluation.
- ``draw(snapshot, request, seed)`` → ``DrawOutcome``; ``supplement(..., outcome, declined)``
  for a decline or no answer; ``run_draw(..., declines)`` replays both.
- ``verify(snapshot, request, seed, recorded, committed=...)`` → ``Verification``.
"""

from expert_pool.draw.errors import (
    DrawError,
    InsufficientExperts,
    InvalidDecline,
    InvalidDrawRequest,
    InvalidSnapshot,
)
from expert_pool.draw.exclusions import RULES, Reason, reasons_against
from expert_pool.draw.request import (
    COMMITTEE_RULES,
    CommitteeRule,
    DrawRequest,
    Method,
    Track,
)
from expert_pool.draw.select import (
    Drawn,
    DrawOutcome,
    Exclusion,
    Replacement,
    draw,
    new_seed,
    rank,
    round_seed,
    run_draw,
    seed_commitment,
    supplement,
)
from expert_pool.draw.snapshot import (
    DateRange,
    Employment,
    Expert,
    ExpertStatus,
    PoolSnapshot,
    Sitting,
)
from expert_pool.draw.verify import Problem, Verification, verify

__all__ = [
    "COMMITTEE_RULES",
    "RULES",
    "CommitteeRule",
    "DateRange",
    "DrawError",
    "DrawOutcome",
    "DrawRequest",
    "Drawn",
    "Employment",
    "Exclusion",
    "Expert",
    "ExpertStatus",
    "InsufficientExperts",
    "InvalidDecline",
    "InvalidDrawRequest",
    "InvalidSnapshot",
    "Method",
    "PoolSnapshot",
    "Problem",
    "Reason",
    "Replacement",
    "Sitting",
    "Track",
    "Verification",
    "draw",
    "new_seed",
    "rank",
    "reasons_against",
    "round_seed",
    "run_draw",
    "seed_commitment",
    "supplement",
    "verify",
]
