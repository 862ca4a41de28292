"""The pool snapshot: its bytes are the JSON the spec describes, whatever order the parts came in, and read back exactly."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from expert_pool.draw import (
    DateRange,
    Employment,
    Expert,
    ExpertStatus,
    InvalidSnapshot,
    PoolSnapshot,
    Sitting,
)
from expert_pool.draw.snapshot import SNAPSHOT_LABEL
from tests.experts.draw_testlib import expert

# Strings with what JSON must escape (quotes, backslashes, control characters) and non-ASCII.
texts = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\0"), min_size=1, max_size=6)
codes = st.sampled_from(["91460100MA5T000001", "91460100MA5T100001", "机构\"甲\\", "Z"])
days = st.dates(date(2015, 1, 1), date(2030, 12, 31))
maybe_days = st.none() | days
ranges = st.builds(lambda start, length: DateRange(start, start + timedelta(days=length)), days, st.integers(0, 20))
expert_fields = st.fixed_dictionaries({
    "id": texts,
    "specialties": st.frozensets(texts, min_size=1, max_size=3),
    "region": st.sampled_from(["460105", "110101"]),
    "status": st.sampled_from(list(ExpertStatus)),
    "qualification_expires": maybe_days,
    "employers": st.lists(st.builds(Employment, codes, maybe_days, maybe_days), max_size=4).map(tuple),
    "shareholdings": st.frozensets(codes, max_size=3),
    "relative_organisations": st.frozensets(codes, max_size=3),
    "unavailable": st.lists(ranges, max_size=3).map(tuple),
    "sittings": st.lists(st.builds(Sitting, codes, days), max_size=3).map(tuple),
    "draws_this_month": st.integers(0, 9),
    "supervised_tenders": st.frozensets(texts, max_size=2),
})


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _spec_row(e: Expert) -> list[object]:
    """The expert's row as docs/expert-draw.md §2 lists it, field by field."""
    return [
        e.id, sorted(e.specialties), e.region, e.status.value, _iso(e.qualification_expires),
        sorted(([j.uscc, _iso(j.start), _iso(j.end)] for j in e.employers), key=lambda j: [v or "" for v in j]),
        sorted(e.shareholdings), sorted(e.relative_organisations),
        sorted([r.start.isoformat(), r.end.isoformat()] for r in e.unavailable),
        sorted([s.purchaser_uscc, s.on.isoformat()] for s in e.sittings),
        e.draws_this_month, sorted(e.supervised_tenders),
    ]


@settings(max_examples=100, deadline=None)
@given(pool=st.lists(expert_fields, max_size=6, unique_by=lambda f: f["id"]))
def test_the_snapshot_bytes_are_the_specified_json(pool: list) -> None:  # type: ignore[type-arg]
    # docs/expert-draw.md §2, with the standard library's own json.dumps: any JSON library gives these bytes.
    experts = [Expert(**fields) for fields in pool]
    snapshot = PoolSnapshot.of(experts)
    rows = [_spec_row(e) for e in sorted(experts, key=lambda e: e.id)]
    spec = json.dumps([SNAPSHOT_LABEL, rows], ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    assert snapshot.canonical_bytes() == spec
    assert PoolSnapshot.from_canonical_bytes(spec) == snapshot


@settings(max_examples=60, deadline=None)
@given(fields=expert_fields, data=st.data())
def test_the_order_the_parts_come_in_changes_nothing(fields: dict, data: st.DataObject) -> None:  # type: ignore[type-arg]
    shuffled = {name: data.draw(st.permutations(list(value))) if isinstance(value, tuple | frozenset) else value
                for name, value in fields.items()}
    as_read = Expert(**shuffled)  # lists and sets, in any order, as rows come from a database
    assert as_read == Expert(**fields)
    assert PoolSnapshot.of([as_read]).canonical_bytes() == PoolSnapshot.of([Expert(**fields)]).canonical_bytes()


def test_a_pool_refuses_an_id_twice() -> None:
    with pytest.raises(InvalidSnapshot) as refused:
        PoolSnapshot.of([expert("E1"), expert("E2"), expert("E1", "cost")])
    assert refused.value.rule == "snapshot.expert_id" and refused.value.params == {"id": "E1"}
