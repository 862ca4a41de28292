"""The expert pool as the draw sees it, frozen at the moment of the draw, and its digest.

The platform builds a ``PoolSnapshot`` from its tables when a draw is made and keeps it (the
snapshot, not only the digest): a supervisor re-runs the draw from it later, when the tables
have moved on. Everything an exclusion rule looks at is here, so the draw reads nothing else.

Canonical form (docs/expert-draw.md §2): experts sorted by id, each encoded as a fixed-order
array; set-like fields sorted, so the same pool gives the same bytes whatever order it was
read in.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property
from operator import attrgetter

from expert_pool.draw.encoding import canonical_json, collector_paused, iso, sha256_hex
from expert_pool.draw.errors import InvalidSnapshot

SNAPSHOT_LABEL = "expert-pool-snapshot/v1"


class ExpertStatus(StrEnum):
    active = "active"
    suspended = "suspended"  # 暂停: may not be drawn until reinstated
    dismissed = "dismissed"  # 解聘: out of the pool for good


@dataclass(frozen=True)
class Employment:
    """An organisation the expert works or worked for; ``end`` is the last day, None while employed."""

    uscc: str
    start: date | None = None
    end: date | None = None

    def encoded(self) -> list[object]:
        return [self.uscc, iso(self.start), iso(self.end)]


@dataclass(frozen=True)
class DateRange:
    """Both ends included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidSnapshot("snapshot.date_range", "A date range ends (%(end)s) before it starts (%(start)s)",
                                  start=self.start.isoformat(), end=self.end.isoformat())

    def overlaps(self, start: date, end: date) -> bool:
        return self.start <= end and start <= self.end

    def encoded(self) -> list[object]:
        return [self.start.isoformat(), self.end.isoformat()]


@dataclass(frozen=True)
class Sitting:
    """An evaluation the expert sat on: whose tender, and the day it started."""

    purchaser_uscc: str
    on: date

    def encoded(self) -> list[object]:
        return [self.purchaser_uscc, self.on.isoformat()]


# The canonical order of the list-like fields (docs/expert-draw.md §2: null sorts as "").
def _employment_key(job: Employment) -> tuple[str, str, str]:
    return job.uscc, iso(job.start) or "", iso(job.end) or ""


def _range_key(period: DateRange) -> tuple[date, date]:
    return period.start, period.end


def _sitting_key(sitting: Sitting) -> tuple[str, date]:
    return sitting.purchaser_uscc, sitting.on


def _sorted_tuple(items: Iterable, key) -> tuple:  # type: ignore[no-untyped-def]
    items = tuple(items)
    return items if len(items) < 2 else tuple(sorted(items, key=key))


@dataclass(frozen=True)
class Expert:
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
        # Normalise so that equal pools compare (and encode) equal whatever order they were read in.
        set_ = object.__setattr__
        if not isinstance(self.specialties, frozenset):
            set_(self, "specialties", frozenset(self.specialties))
        for name in ("shareholdings", "relative_organisations", "supervised_tenders"):
            if not isinstance(getattr(self, name), frozenset):
                set_(self, name, frozenset(getattr(self, name)))
        try:
            set_(self, "status", ExpertStatus(self.status))
        except ValueError:
            raise InvalidSnapshot("snapshot.status", "Expert %(id)s has an unknown status %(status)r",
                                  id=self.id, status=str(self.status)) from None
        set_(self, "employers", _sorted_tuple(self.employers, _employment_key))
        set_(self, "unavailable", _sorted_tuple(self.unavailable, _range_key))
        set_(self, "sittings", _sorted_tuple(self.sittings, _sitting_key))
        if not self.id or "\0" in self.id:
            raise InvalidSnapshot("snapshot.expert_id", "An expert id is a non-empty string without NUL")
        if self.draws_this_month < 0:
            raise InvalidSnapshot("snapshot.draws_this_month", "Expert %(id)s has a negative draw count", id=self.id)

    @classmethod
    def unchecked(cls, id: str, specialties: frozenset[str], region: str, status: ExpertStatus,
                  qualification_expires: date | None, employers: tuple[Employment, ...], shareholdings: frozenset[str],
                  relative_organisations: frozenset[str], unavailable: tuple[DateRange, ...], sittings: tuple[Sitting, ...],
                  draws_this_month: int, supervised_tenders: frozenset[str]) -> Expert:
        """An expert made without the checks and conversions of ``__post_init__``, for values already sure.

        For the platform's own tables, whose types and constraints already give what the checks
        check: a draw makes some 10,000 experts, and the checks were a third of the time. The
        caller passes frozensets, tuples and an ``ExpertStatus``, a non-empty id without NUL and
        a count of zero or more. Only the tuples are put in canonical order here, as in
        ``__post_init__``, since that order is what keeps the bytes independent of how the rows
        were read. Anything from outside (a stored snapshot, a test) takes the checked way.
        """
        expert = object.__new__(cls)
        set_ = object.__setattr__
        set_(expert, "id", id)
        set_(expert, "specialties", specialties)
        set_(expert, "region", region)
        set_(expert, "status", status)
        set_(expert, "qualification_expires", qualification_expires)
        set_(expert, "employers", _sorted_tuple(employers, _employment_key))
        set_(expert, "shareholdings", shareholdings)
        set_(expert, "relative_organisations", relative_organisations)
        set_(expert, "unavailable", _sorted_tuple(unavailable, _range_key))
        set_(expert, "sittings", _sorted_tuple(sittings, _sitting_key))
        set_(expert, "draws_this_month", draws_this_month)
        set_(expert, "supervised_tenders", supervised_tenders)
        return expert

    def encoded(self) -> list[object]:
        """The expert's canonical array; the field order is part of the format (docs/expert-draw.md §2)."""
        return [
            self.id,
            sorted(self.specialties),
            self.region,
            self.status.value,
            iso(self.qualification_expires),
            [e.encoded() for e in self.employers],
            sorted(self.shareholdings),
            sorted(self.relative_organisations),
            [r.encoded() for r in self.unavailable],
            [s.encoded() for s in self.sittings],
            self.draws_this_month,
            sorted(self.supervised_tenders),
        ]

    @classmethod
    def decoded(cls, row: list) -> Expert:  # type: ignore[type-arg]
        """The inverse of ``encoded``: rebuilds an expert from a stored snapshot."""
        (id_, specialties, region, status, expires, employers, shares, relatives, unavailable, sittings,
         draws, supervised) = row
        day = date.fromisoformat
        return cls(
            id=id_, specialties=frozenset(specialties), region=region, status=ExpertStatus(status),
            qualification_expires=None if expires is None else day(expires),
            employers=tuple(Employment(u, None if s is None else day(s), None if e is None else day(e))
                            for u, s, e in employers),
            shareholdings=frozenset(shares), relative_organisations=frozenset(relatives),
            unavailable=tuple(DateRange(day(s), day(e)) for s, e in unavailable),
            sittings=tuple(Sitting(p, day(d)) for p, d in sittings),
            draws_this_month=draws, supervised_tenders=frozenset(supervised),
        )


_expert_id = attrgetter("id")


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
        """``canonical_json([SNAPSHOT_LABEL, [expert.encoded(), ...]])``."""
        return self._canonical

    @cached_property
    def _canonical(self) -> bytes:
        # Encoded once (the digest, the stored copy and verification all read these bytes), in
        # one call of the encoder rather than one per row, whose fixed cost outweighed the
        # encoding. The collector is paused while the rows' lists (some 100,000 for a large
        # pool) are alive: they would set off passes that cost more than making them.
        with collector_paused():
            return canonical_json([SNAPSHOT_LABEL, list(map(Expert.encoded, self.experts))])

    @classmethod
    def from_canonical_bytes(cls, data: bytes) -> PoolSnapshot:
        """Reads back what ``canonical_bytes`` wrote (a stored snapshot); refuses anything else."""
        try:
            label, rows = json.loads(data)
        except (ValueError, TypeError) as error:
            raise InvalidSnapshot("snapshot", "The stored snapshot is not valid JSON of the v1 format") from error
        if label != SNAPSHOT_LABEL:
            raise InvalidSnapshot("snapshot", "The stored snapshot has label %(label)r, not %(expected)r",
                                  label=str(label), expected=SNAPSHOT_LABEL)
        try:
            snapshot = cls.of(Expert.decoded(row) for row in rows)
        except (ValueError, TypeError) as error:
            raise InvalidSnapshot("snapshot", "The stored snapshot has a malformed expert row") from error
        if snapshot.canonical_bytes() != data:
            raise InvalidSnapshot("snapshot", "The stored snapshot is not in canonical form")
        return snapshot

    @cached_property
    def digest(self) -> str:
        """SHA-256 of the canonical bytes, lowercase hex: what the audit log records."""
        return sha256_hex(self.canonical_bytes())
