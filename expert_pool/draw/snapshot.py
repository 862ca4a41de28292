"""The expert pool as the draw sees it, frozen at the moment of the draw, and its digest.

The platform builds a ``PoolSnapshot`` from its tables when a draw is made and keeps it (the
snapshot, not only the digest): a supervisor re-runs the draw from it later, when the tables
have moved on. Everything an exclusion rule looks at is here, so the draw reads nothing else.

Canonical form (docs/expert-draw.md §2): experts sorted by id, each encoded as a fixed-order
array; set-like fields sorted, so the same pool gives the same bytes whatever order it was
read in.

The records are msgspec structs encoded as arrays, in their fields' order: the encoder walks
the whole pool in C (a snapshot of some 10,000 experts is encoded in a few milliseconds, where
building the arrays in Python cost more than reading the pool), and a stored snapshot is
decoded straight into them with every field's type checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property
from operator import attrgetter

import msgspec

from expert_pool.draw.encoding import canonical_json, collector_paused, sha256_hex
from expert_pool.draw.errors import InvalidSnapshot

SNAPSHOT_LABEL = "expert-pool-snapshot/v1"

_set = msgspec.structs.force_setattr  # normalising in __post_init__, before anyone sees the record


class ExpertStatus(StrEnum):
    active = "active"
    suspended = "suspended"  # 暂停: may not be drawn until reinstated
    dismissed = "dismissed"  # 解聘: out of the pool for good


class Employment(msgspec.Struct, frozen=True, array_like=True):
    """An organisation the expert works or worked for; ``end`` is the last day, None while employed."""

    uscc: str
    start: date | None = None
    end: date | None = None


class DateRange(msgspec.Struct, frozen=True, array_like=True, order=True):
    """Both ends included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidSnapshot("snapshot.date_range", "A date range ends (%(end)s) before it starts (%(start)s)",
                                  start=self.start.isoformat(), end=self.end.isoformat())

    def overlaps(self, start: date, end: date) -> bool:
        return self.start <= end and start <= self.end


class Sitting(msgspec.Struct, frozen=True, array_like=True, order=True):
    """An evaluation the expert sat on: whose tender, and the day it started."""

    purchaser_uscc: str
    on: date


def _employment_key(job: Employment) -> tuple[str, str, str]:
    # The canonical order (docs/expert-draw.md §2): null sorts as "".
    return job.uscc, "" if job.start is None else job.start.isoformat(), "" if job.end is None else job.end.isoformat()


class Expert(msgspec.Struct, frozen=True, array_like=True):
    """One expert's row; the field order is the row's order in the format (docs/expert-draw.md §2)."""

    id: str
    specialties: frozenset[str]
    region: str  # 6-digit administrative division code (GB/T 2260)
    status: ExpertStatus = ExpertStatus.active
    qualification_expires: date | None = None  # the last day the qualification is valid; None: no expiry
    employers: tuple[Employment, ...] = ()
    shareholdings: frozenset[str] = frozenset()  # USCCs where the expert holds shares or sits as director
    relative_organisations: frozenset[str] = frozenset()  # USCCs a spouse or close relative represents or owns
    unavailable: tuple[DateRange, ...] = ()
    sittings: tuple[Sitting, ...] = ()
    draws_this_month: int = 0  # draws in the calendar month of the evaluation, before this one
    supervised_tenders: frozenset[str] = frozenset()  # tenders the expert supervises (监督) in another role

    def __post_init__(self) -> None:
        # Normalise, so that equal pools compare (and encode) equal whatever order they were read
        # in. Sets are sorted by the encoder; the tuples are put in order here. Each step is
        # skipped when there is nothing to do: a draw makes some 10,000 experts.
        if type(self.specialties) is not frozenset:
            _set(self, "specialties", frozenset(self.specialties))
        for name in ("shareholdings", "relative_organisations", "supervised_tenders"):
            if type(getattr(self, name)) is not frozenset:
                _set(self, name, frozenset(getattr(self, name)))
        if type(self.status) is not ExpertStatus:
            try:
                _set(self, "status", ExpertStatus(self.status))
            except ValueError:
                raise InvalidSnapshot("snapshot.status", "Expert %(id)s has an unknown status %(status)r",
                                      id=self.id, status=str(self.status)) from None
        if len(self.employers) > 1 or type(self.employers) is not tuple:
            _set(self, "employers", tuple(sorted(self.employers, key=_employment_key)))
        if len(self.unavailable) > 1 or type(self.unavailable) is not tuple:
            _set(self, "unavailable", tuple(sorted(self.unavailable)))
        if len(self.sittings) > 1 or type(self.sittings) is not tuple:
            _set(self, "sittings", tuple(sorted(self.sittings)))
        if not self.id or "\0" in self.id:
            raise InvalidSnapshot("snapshot.expert_id", "An expert id is a non-empty string without NUL")
        if self.draws_this_month < 0:
            raise InvalidSnapshot("snapshot.draws_this_month", "Expert %(id)s has a negative draw count", id=self.id)


_expert_id = attrgetter("id")
_SNAPSHOT_TYPE = tuple[str, tuple[Expert, ...]]


@dataclass(frozen=True)
class PoolSnapshot:
    """The pool, sorted by expert id; build it with ``PoolSnapshot.of(experts)``."""

    experts: tuple[Expert, ...]
    _by_id: dict[str, Expert] = field(default_factory=dict, repr=False, compare=False, hash=False)

    @classmethod
    def of(cls, experts: Iterable[Expert]) -> PoolSnapshot:
        with collector_paused():
            ordered = tuple(sorted(experts, key=_expert_id))
        by_id: dict[str, Expert] = {}
        for expert in ordered:
            if expert.id in by_id:
                raise InvalidSnapshot("snapshot.expert_id", "Expert id %(id)s appears twice in the pool", id=expert.id)
            by_id[expert.id] = expert
        return cls(ordered, by_id)

    def __post_init__(self) -> None:
        if not self._by_id and self.experts:
            checked = PoolSnapshot.of(self.experts)
            object.__setattr__(self, "experts", checked.experts)
            object.__setattr__(self, "_by_id", checked._by_id)

    def __len__(self) -> int:
        return len(self.experts)

    def get(self, expert_id: str) -> Expert | None:
        return self._by_id.get(expert_id)

    def canonical_bytes(self) -> bytes:
        """``canonical_json([SNAPSHOT_LABEL, [expert row, ...]])``, encoded once: the digest, the stored copy and verification all read it."""
        return self._canonical

    @cached_property
    def _canonical(self) -> bytes:
        return canonical_json((SNAPSHOT_LABEL, self.experts))

    @classmethod
    def from_canonical_bytes(cls, data: bytes) -> PoolSnapshot:
        """Reads back what ``canonical_bytes`` wrote (a stored snapshot); refuses anything else."""
        try:
            label, experts = msgspec.json.decode(data, type=_SNAPSHOT_TYPE)
        except msgspec.DecodeError as error:  # malformed JSON, or a value of the wrong type (ValidationError)
            raise InvalidSnapshot("snapshot", "The stored snapshot is not valid JSON of the v1 format") from error
        if label != SNAPSHOT_LABEL:
            raise InvalidSnapshot("snapshot", "The stored snapshot has label %(label)r, not %(expected)r",
                                  label=str(label), expected=SNAPSHOT_LABEL)
        snapshot = cls.of(experts)
        if snapshot.canonical_bytes() != data:
            raise InvalidSnapshot("snapshot", "The stored snapshot is not in canonical form")
        return snapshot

    @cached_property
    def digest(self) -> str:
        """SHA-256 of the canonical bytes, lowercase hex: what the audit log records."""
        return sha256_hex(self.canonical_bytes())
