"""Verification: a true record verifies from its inputs; any altered seat, seed, snapshot or request is caught."""

from __future__ import annotations

import json
from dataclasses import replace

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from expert_pool.draw import (
    ExpertStatus,
    InvalidSnapshot,
    PoolSnapshot,
    draw,
    seed_commitment,
    supplement,
    verify,
)
from tests.experts.draw_testlib import SEED, expert, pool, request


@pytest.fixture
def recorded():  # type: ignore[no-untyped-def]
    snapshot = PoolSnapshot.of([*pool(20, 10, 3).experts, expert("Z", "civil", status=ExpertStatus.suspended)])
    req = request()
    outcome = draw(snapshot, req, SEED)
    outcome = supplement(snapshot, req, SEED, outcome, outcome.seats[0].expert_id)
    return snapshot, req, outcome


def test_a_true_record_verifies_also_from_stored_json(recorded) -> None:  # type: ignore[no-untyped-def]
    snapshot, req, outcome = recorded
    result = verify(snapshot, req, SEED, outcome, committed=seed_commitment(SEED))
    assert result.ok and result.recomputed == outcome
    stored = json.loads(outcome.canonical_bytes())
    reloaded = PoolSnapshot.from_canonical_bytes(snapshot.canonical_bytes())
    assert verify(reloaded, req, SEED, stored).ok


def test_a_changed_seat_is_caught(recorded) -> None:  # type: ignore[no-untyped-def]
    snapshot, req, outcome = recorded
    outsider = next(e.id for e in snapshot.experts if e.id not in {d.expert_id for d in (*outcome.seats, *outcome.reserves)}
                    and "civil" in e.specialties)
    seats = (replace(outcome.seats[0], expert_id=outsider), *outcome.seats[1:])
    assert verify(snapshot, req, SEED, replace(outcome, seats=seats)).codes == ("seats_mismatch",)
    assert verify(snapshot, req, SEED, replace(outcome, reserves=outcome.reserves[1:])).codes == ("reserves_mismatch",)
    assert verify(snapshot, req, SEED, replace(outcome, exclusions=())).codes == ("exclusions_mismatch",)


def test_a_hidden_decline_is_caught(recorded) -> None:  # type: ignore[no-untyped-def]
    snapshot, req, outcome = recorded
    result = verify(snapshot, req, SEED, replace(outcome, declines=()))  # the seat now looks original
    assert "seats_mismatch" in result.codes and "replacements_mismatch" in result.codes


@settings(max_examples=30, deadline=None)
@given(other=st.binary(min_size=32, max_size=32))
def test_another_seed_is_caught(other: bytes) -> None:
    snapshot, req = pool(), request()
    outcome = draw(snapshot, req, SEED)
    if other == SEED:
        return
    result = verify(snapshot, req, other, outcome, committed=outcome.seed_commitment)
    assert {"seed_not_committed", "seed_commitment_mismatch"} <= set(result.codes)
    assert not result.ok


def test_a_commitment_that_is_not_the_audit_logs_is_caught(recorded) -> None:  # type: ignore[no-untyped-def]
    snapshot, req, outcome = recorded
    assert verify(snapshot, req, SEED, outcome, committed="00" * 32).codes == ("seed_not_committed",)


def test_an_altered_snapshot_is_caught(recorded) -> None:  # type: ignore[no-untyped-def]
    snapshot, req, outcome = recorded
    # Even a change that would not move the draw (an unrelated expert) breaks the digest.
    quiet = PoolSnapshot.of([*snapshot.experts, expert("ZZZ", "geology")])
    assert verify(quiet, req, SEED, outcome).codes == ("snapshot_digest_mismatch",)
    seated = outcome.seats[0].expert_id
    loud = PoolSnapshot.of([e if e.id != seated else msgspec.structs.replace(e, draws_this_month=99) for e in snapshot.experts])
    result = verify(loud, req, SEED, outcome)
    assert "snapshot_digest_mismatch" in result.codes and not result.ok


def test_an_altered_request_is_caught(recorded) -> None:  # type: ignore[no-untyped-def]
    snapshot, req, outcome = recorded
    assert verify(snapshot, replace(req, lot=2), SEED, outcome).codes[0] == "request_digest_mismatch"
    assert "request_digest_mismatch" in verify(snapshot, replace(req, max_draws_per_month=None), SEED, outcome).codes


def test_a_record_that_cannot_be_replayed_says_so(recorded) -> None:  # type: ignore[no-untyped-def]
    snapshot, req, outcome = recorded
    result = verify(snapshot, req, SEED, replace(outcome, declines=("nobody",)))
    assert "rerun_failed" in result.codes and result.recomputed is None
    assert "malformed_record" in verify(snapshot, req, SEED, {**outcome.encoded(), "declines": 5}).codes


def test_a_stored_snapshot_must_be_canonical() -> None:
    snapshot = pool(3, 2)
    text = snapshot.canonical_bytes()
    assert PoolSnapshot.from_canonical_bytes(text) == snapshot
    for bad in (text.replace(b",", b", ", 1), b"[]", b"not json", text.replace(b"expert-pool-snapshot/v1", b"v0")):
        with pytest.raises(InvalidSnapshot):
            PoolSnapshot.from_canonical_bytes(bad)
