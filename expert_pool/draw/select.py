"""The draw itself: rank the eligible experts by a keyed hash, seat the first, keep the next in reserve.

Rank of expert E for specialty S in round r (docs/expert-draw.md §5)::

    context_r,S = canonical_json(["expert-draw/v1", tender_id, lot, S, r])
    rank        = HMAC-SHA256(key = seed_r, message = context_r,S ‖ 0x00 ‖ UTF-8(E.id))

lowest first. Nobody can predict or steer the order without the seed, which is committed
(SHA-256 in the audit log) before the draw and revealed after the evaluation; once revealed,
anyone recomputes the same order from the snapshot. ``seed_1`` is the seed itself and
``seed_{r+1} = HMAC-SHA256(seed_r, "next round")``.

Round 1 fills every specialty at once. An expert eligible for several requested specialties
sits for one only: all (specialty, expert) pairs are walked in one list, ordered by rank (then
specialty, then id), and a pair is taken when the expert is still free and the specialty still
has a seat open; a second walk fills the reserves the same way. No specialty goes first, and
adding an expert who ends up neither seated nor in reserve changes nothing (every pair of his
was skipped). The walk is greedy: with heavy overlaps in a tiny pool it can leave a specialty
short where another assignment would not; the draw then says so (``InsufficientExperts``).

A decline (or no answer by the deadline) of a seated expert: the next reserve of that
specialty takes the seat. With no reserve left, a new round ranks the specialty's remaining
eligible experts (everyone seated, reserved or declined in any earlier round left out) under
the next seed of the chain and draws one seat and the specialty's reserves again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from expert_pool.draw.encoding import canonical_json, collector_paused, sha256_hex
from expert_pool.draw.errors import InsufficientExperts, InvalidDecline
from expert_pool.draw.exclusions import Reason, exclusions
from expert_pool.draw.request import DrawRequest
from expert_pool.draw.snapshot import Expert, PoolSnapshot

RANK_LABEL = "expert-draw/v1"
OUTCOME_LABEL = "expert-draw-outcome/v1"
NEXT_ROUND = b"next round"
SEED_BYTES = 32


def new_seed() -> bytes:
    """A fresh secret seed: 32 bytes from the operating system's CSPRNG."""
    return secrets.token_bytes(SEED_BYTES)


def seed_commitment(seed: bytes) -> str:
    """What goes into the audit log before the draw: SHA-256(seed), lowercase hex."""
    return hashlib.sha256(seed).hexdigest()


def round_seed(seed: bytes, round_number: int) -> bytes:
    """seed_1 = seed; seed_{r+1} = HMAC-SHA256(seed_r, "next round")."""
    current = seed
    for _ in range(round_number - 1):
        current = hmac.digest(current, NEXT_ROUND, "sha256")
    return current


def rank_context(request: DrawRequest, specialty: str, round_number: int) -> bytes:
    return canonical_json([RANK_LABEL, request.tender_id, request.lot, specialty, round_number]) + b"\0"


def rank(seed: bytes, request: DrawRequest, specialty: str, round_number: int, expert_id: str) -> bytes:
    """One expert's rank value (lower draws first); the draw computes the same in bulk."""
    return hmac.digest(round_seed(seed, round_number), rank_context(request, specialty, round_number) + expert_id.encode(),
                       "sha256")


@dataclass(frozen=True)
class Drawn:
    expert_id: str
    specialty: str
    round: int
    rank: str  # the HMAC value, hex: a supervisor can recompute it by hand

    def encoded(self) -> list[object]:
        return [self.expert_id, self.specialty, self.round, self.rank]


@dataclass(frozen=True)
class Exclusion:
    expert_id: str
    reasons: tuple[Reason, ...]

    def encoded(self) -> list[object]:
        return [self.expert_id, [r.encoded() for r in self.reasons]]


@dataclass(frozen=True)
class Replacement:
    declined: str
    replaced_by: str
    specialty: str
    round: int  # the round the replacement was drawn in (a new round when reserves ran out)

    def encoded(self) -> list[object]:
        return [self.declined, self.replaced_by, self.specialty, self.round]


@dataclass(frozen=True)
class DrawOutcome:
    """The record of a draw: who sits, who is in reserve, who was excluded and why, and the commitments."""

    snapshot_digest: str
    request_digest: str
    seed_commitment: str
    seats: tuple[Drawn, ...]  # the committee now, ordered by specialty then rank
    reserves: tuple[Drawn, ...]  # reserves not yet called, in calling order per specialty
    exclusions: tuple[Exclusion, ...]  # by expert id
    declines: tuple[str, ...] = ()  # in the order they came
    replacements: tuple[Replacement, ...] = ()
    rounds: int = 1
    reserve_shortfall: tuple[tuple[str, int], ...] = ()  # (specialty, reserves that could not be drawn), per round

    def encoded(self) -> dict[str, object]:
        return {
            "label": OUTCOME_LABEL,
            "snapshot_digest": self.snapshot_digest,
            "request_digest": self.request_digest,
            "seed_commitment": self.seed_commitment,
            "seats": [d.encoded() for d in self.seats],
            "reserves": [d.encoded() for d in self.reserves],
            "exclusions": [x.encoded() for x in self.exclusions],
            "declines": list(self.declines),
            "replacements": [r.encoded() for r in self.replacements],
            "rounds": self.rounds,
            "reserve_shortfall": [[s, n] for s, n in self.reserve_shortfall],
        }

    def canonical_bytes(self) -> bytes:
        return canonical_json(self.encoded())

    @property
    def digest(self) -> str:
        return sha256_hex(self.canonical_bytes())

    @property
    def committee_ids(self) -> tuple[str, ...]:
        return tuple(d.expert_id for d in self.seats)


class _Draw:
    """The state of one draw while it is computed or replayed; never leaves this module."""

    def __init__(self, snapshot: PoolSnapshot, request: DrawRequest, seed: bytes) -> None:
        self.request, self.seed = request, seed
        wanted = set(request.specialties)
        self.candidates: dict[str, list[Expert]] = {s: [] for s in request.specialties}
        asked = [e for e in snapshot.experts if not e.specialties.isdisjoint(wanted)]  # sorted by id, as the pool
        excluded = exclusions(asked, request)
        self.exclusions = tuple(Exclusion(asked[i].id, excluded[i]) for i in sorted(excluded))
        for i, expert in enumerate(asked):
            if i not in excluded:
                for specialty in expert.specialties & wanted:
                    self.candidates[specialty].append(expert)
        self.seats: dict[str, list[Drawn]] = {s: [] for s in request.specialties}
        self.reserves: dict[str, list[Drawn]] = {s: [] for s in request.specialties}
        self.drawn: set[str] = set()  # everyone seated or reserved in any round, declined included
        self.declines: list[str] = []
        self.replacements: list[Replacement] = []
        self.shortfall: list[tuple[str, int]] = []
        self.rounds = 0

    def _ranked(self, specialties: Iterable[str], round_number: int) -> list[tuple[bytes, str, str]]:
        key = round_seed(self.seed, round_number)
        pairs: list[tuple[bytes, str, str]] = []
        drawn = self.drawn
        for specialty in specialties:
            # One HMAC object per specialty, copied per expert: the key schedule and the context
            # are hashed once, each expert costs only its id.
            base = hmac.new(key, rank_context(self.request, specialty, round_number), hashlib.sha256)
            for expert in self.candidates[specialty]:
                if expert.id in drawn:
                    continue
                mac = base.copy()
                mac.update(expert.id.encode())
                pairs.append((mac.digest(), specialty, expert.id))
        pairs.sort()
        return pairs

    def _fill(self, pairs: Sequence[tuple[bytes, str, str]], need: Mapping[str, int], into: dict[str, list[Drawn]],
              round_number: int) -> dict[str, int]:
        left = {s: n for s, n in need.items() if n > 0}
        for value, specialty, expert_id in pairs:
            if not left:
                break
            if specialty in left and expert_id not in self.drawn:
                into[specialty].append(Drawn(expert_id, specialty, round_number, value.hex()))
                self.drawn.add(expert_id)
                left[specialty] -= 1
                if not left[specialty]:
                    del left[specialty]
        return left

    def _round(self, seats_needed: Mapping[str, int], reserves_needed: Mapping[str, int]) -> None:
        self.rounds += 1
        pairs = self._ranked(sorted(seats_needed), self.rounds)
        short = self._fill(pairs, seats_needed, self.seats, self.rounds)
        if short:
            specialty = min(short)
            raise InsufficientExperts(
                "insufficient_experts",
                "Too few eligible experts for specialty %(specialty)s: %(missing)s seat(s) cannot be filled in round %(round)s",
                field=f"seats.{specialty}", specialty=specialty, missing=short[specialty], round=self.rounds)
        short = self._fill(pairs, reserves_needed, self.reserves, self.rounds)
        self.shortfall.extend(sorted(short.items()))

    def first_round(self) -> None:
        self._round(self.request.seats_by_specialty, self.request.reserves_by_specialty)

    def decline(self, expert_id: str) -> None:
        specialty = next((s for s, seated in self.seats.items() if any(d.expert_id == expert_id for d in seated)), None)
        if specialty is None:
            raise InvalidDecline("decline.not_seated", "Expert %(expert_id)s holds no seat on this committee",
                                 field="expert_id", expert_id=expert_id)
        self.declines.append(expert_id)
        self.seats[specialty] = [d for d in self.seats[specialty] if d.expert_id != expert_id]
        if not self.reserves[specialty]:
            # Reserves ran out: a new round of the seed chain for this specialty alone. Its seat
            # lands in self.seats and its reserves in self.reserves.
            before = list(self.seats[specialty])
            self._round({specialty: 1}, {specialty: self.request.reserves_by_specialty.get(specialty, 0)})
            replacement = next(d for d in self.seats[specialty] if d not in before)
        else:
            replacement = self.reserves[specialty].pop(0)
            self.seats[specialty].append(replacement)
        self.replacements.append(Replacement(expert_id, replacement.expert_id, specialty, replacement.round))

    def outcome(self, snapshot: PoolSnapshot) -> DrawOutcome:
        def ordered(groups: dict[str, list[Drawn]], by_rank: bool) -> tuple[Drawn, ...]:
            out: list[Drawn] = []
            for specialty in sorted(groups):
                group = groups[specialty]
                out.extend(sorted(group, key=lambda d: (d.round, d.rank)) if by_rank else group)
            return tuple(out)

        return DrawOutcome(
            snapshot_digest=snapshot.digest,
            request_digest=self.request.digest,
            seed_commitment=seed_commitment(self.seed),
            seats=ordered(self.seats, by_rank=True),
            reserves=ordered(self.reserves, by_rank=False),
            exclusions=self.exclusions,
            declines=tuple(self.declines),
            replacements=tuple(self.replacements),
            rounds=self.rounds,
            reserve_shortfall=tuple(self.shortfall),
        )


def run_draw(snapshot: PoolSnapshot, request: DrawRequest, seed: bytes, declines: Iterable[str] = ()) -> DrawOutcome:
    """The draw and every supplementary draw after it, from the inputs alone: what verification replays.

    ``declines`` are the expert ids that declined or did not answer, in the order they did.
    """
    request.check()
    if len(seed) != SEED_BYTES:
        raise ValueError(f"a draw seed is {SEED_BYTES} bytes")
    with collector_paused():
        state = _Draw(snapshot, request, seed)
        state.first_round()
        for expert_id in declines:
            state.decline(expert_id)
        return state.outcome(snapshot)


def draw(snapshot: PoolSnapshot, request: DrawRequest, seed: bytes) -> DrawOutcome:
    """The first draw: seats and reserves for every specialty."""
    return run_draw(snapshot, request, seed)


def supplement(snapshot: PoolSnapshot, request: DrawRequest, seed: bytes, outcome: DrawOutcome,
               declined: str) -> DrawOutcome:
    """A supplementary draw (补抽) after ``declined`` declined or did not answer: the outcome with the seat refilled.

    Replays the recorded declines first, so the result is exactly what verification recomputes.
    """
    return run_draw(snapshot, request, seed, (*outcome.declines, declined))
