"""Verification: re-run a recorded draw from its inputs and say whether the record holds.

A supervisor (or anyone, once the seed is revealed) holds the stored snapshot, the request,
the revealed seed, the commitment from the audit log and the recorded outcome. The draw is
replayed with the recorded declines, in their order, and every part of the record is compared:
nothing is taken on trust from the record itself, the commitment included when the audit
log's copy is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from expert_pool.draw.errors import DrawError
from expert_pool.draw.request import DrawRequest
from expert_pool.draw.select import DrawOutcome, run_draw, seed_commitment
from expert_pool.draw.snapshot import PoolSnapshot


@dataclass(frozen=True)
class Problem:
    code: str
    message: str  # English message id


@dataclass(frozen=True)
class Verification:
    problems: tuple[Problem, ...]
    recomputed: DrawOutcome | None  # None when the draw could not be re-run at all

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.problems)


# The parts of a record compared one by one, so a failure names what differs.
_PARTS = (
    ("seats", "seats_mismatch", "The committee differs from the one the draw gives"),
    ("reserves", "reserves_mismatch", "The reserves differ from the ones the draw gives"),
    ("exclusions", "exclusions_mismatch", "The exclusions or their reasons differ from the draw's"),
    ("replacements", "replacements_mismatch", "The supplementary draws differ from the draw's"),
    ("rounds", "rounds_mismatch", "The number of rounds differs from the draw's"),
    ("reserve_shortfall", "shortfall_mismatch", "The recorded reserve shortfall differs from the draw's"),
)


def verify(snapshot: PoolSnapshot, request: DrawRequest, seed: bytes, recorded: DrawOutcome | Mapping[str, object],
           *, committed: str | None = None) -> Verification:
    """Replays the draw and compares it with ``recorded`` (an outcome or its ``encoded()`` form).

    ``committed`` is the seed commitment as the audit log holds it; when given, the seed must
    match it as well as the record's copy.
    """
    record = recorded.encoded() if isinstance(recorded, DrawOutcome) else dict(recorded)
    problems: list[Problem] = []
    commitment = seed_commitment(seed)
    if committed is not None and committed != commitment:
        problems.append(Problem("seed_not_committed", "The seed does not match the commitment in the audit log"))
    if record.get("seed_commitment") != commitment:
        problems.append(Problem("seed_commitment_mismatch", "The seed does not match the record's commitment"))
    if record.get("snapshot_digest") != snapshot.digest:
        problems.append(Problem("snapshot_digest_mismatch", "The pool snapshot is not the one the draw was made from"))
    if record.get("request_digest") != request.digest:
        problems.append(Problem("request_digest_mismatch", "The request is not the one the draw was made for"))
    declines = record.get("declines", [])
    if not isinstance(declines, list | tuple) or not all(isinstance(d, str) for d in declines):
        return Verification((*problems, Problem("malformed_record", "The record's declines are not a list of ids")), None)
    try:
        again = run_draw(snapshot, request, seed, declines)
    except (DrawError, ValueError) as error:
        problems.append(Problem("rerun_failed", f"The draw cannot be re-run: {error}"))
        return Verification(tuple(problems), None)
    fresh = again.encoded()
    for key, code, message in _PARTS:
        if record.get(key) != fresh[key]:
            problems.append(Problem(code, message))
    if record.get("label") != fresh["label"]:
        problems.append(Problem("malformed_record", "The record is not a v1 draw outcome"))
    return Verification(tuple(problems), again)
