"""The selection: deterministic in its inputs, moved by each input only as it should, and the supplementary draws."""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from expert_pool.draw import (
    ExpertStatus,
    InsufficientExperts,
    InvalidDecline,
    PoolSnapshot,
    draw,
    rank,
    round_seed,
    run_draw,
    seed_commitment,
    supplement,
)
from expert_pool.draw.select import rank_context
from tests.experts.draw_testlib import SEED, expert, pool, request

seeds = st.binary(min_size=32, max_size=32)
pool_sizes = st.tuples(st.integers(4, 25), st.integers(2, 12), st.integers(0, 8))
SMALL = {"seats": {"civil": 4, "cost": 1}, "purchaser_representatives": 0, "reserves": {"civil": 2, "cost": 1}}


def small_pool(sizes: tuple[int, int, int]) -> PoolSnapshot:
    return pool(*sizes)


def picked(outcome) -> tuple:  # type: ignore[no-untyped-def]
    return tuple((d.expert_id, d.specialty) for d in (*outcome.seats, *outcome.reserves))


def test_the_draw_seats_and_reserves_by_rank_and_records_the_commitments() -> None:
    snapshot, req = pool(), request()
    outcome = draw(snapshot, req, SEED)
    assert [d.specialty for d in outcome.seats] == ["civil"] * 4 + ["cost"] * 2
    assert [d.specialty for d in outcome.reserves] == ["civil"] * 2 + ["cost"]
    assert outcome.seed_commitment == hashlib.sha256(SEED).hexdigest()
    assert (outcome.snapshot_digest, outcome.request_digest) == (snapshot.digest, req.digest)
    # By hand: rank every civil expert, the four lowest sit, the next two are reserves.
    context = b'["expert-draw/v1","460100-2026-GC-0001",1,"civil",1]\0'
    assert rank_context(req, "civil", 1) == context
    by_hand = sorted((hmac.new(SEED, context + e.id.encode(), hashlib.sha256).digest(), e.id)
                     for e in snapshot.experts if "civil" in e.specialties)
    assert [d.expert_id for d in outcome.seats if d.specialty == "civil"] == [i for _, i in by_hand[:4]]
    assert [d.expert_id for d in outcome.reserves if d.specialty == "civil"] == [i for _, i in by_hand[4:6]]
    assert outcome.seats[0].rank == rank(SEED, req, "civil", 1, outcome.seats[0].expert_id).hex()


@settings(max_examples=60, deadline=None)
@given(seed=seeds, sizes=pool_sizes, shuffle=st.randoms(use_true_random=False))
def test_same_inputs_same_result_whatever_the_pool_order(seed: bytes, sizes: tuple, shuffle: random.Random) -> None:
    snapshot, req = small_pool(sizes), request(**SMALL)
    experts = list(snapshot.experts)
    shuffle.shuffle(experts)
    again = PoolSnapshot.of(experts)
    assert again.digest == snapshot.digest
    assert draw(snapshot, req, seed) == draw(again, req, seed) == draw(snapshot, req, bytes(seed))


@settings(max_examples=60, deadline=None)
@given(a=seeds, b=seeds)
def test_changing_the_seed_changes_the_ranking(a: bytes, b: bytes) -> None:
    req = request(**SMALL)
    if a == b:
        return
    assert rank(a, req, "civil", 1, "C001") != rank(b, req, "civil", 1, "C001")
    first, second = draw(pool(20, 10, 4), req, a), draw(pool(20, 10, 4), req, b)
    assert first.seed_commitment != second.seed_commitment
    assert [d.rank for d in first.seats] != [d.rank for d in second.seats]


def test_the_rank_binds_tender_lot_specialty_and_round() -> None:
    req = request()
    base = rank(SEED, req, "civil", 1, "C001")
    assert rank(SEED, replace(req, tender_id="other"), "civil", 1, "C001") != base
    assert rank(SEED, replace(req, lot=2), "civil", 1, "C001") != base
    assert rank(SEED, req, "cost", 1, "C001") != base
    assert rank(SEED, req, "civil", 2, "C001") != base
    assert round_seed(SEED, 2) == hmac.digest(SEED, b"next round", "sha256")


@settings(max_examples=60, deadline=None)
@given(seed=seeds, sizes=pool_sizes, which=st.sampled_from(["suspended", "bidder", "region", "monthly", "no_specialty"]))
def test_adding_an_ineligible_expert_changes_nothing_drawn(seed: bytes, sizes: tuple, which: str) -> None:
    req = request(**SMALL)
    snapshot = small_pool(sizes)
    newcomer = {
        "suspended": expert("N", "civil", "cost", status=ExpertStatus.suspended),
        "bidder": expert("N", "civil", shareholdings=frozenset(req.bidder_usccs)),
        "region": expert("N", "civil", region="110101"),
        "monthly": expert("N", "cost", draws_this_month=99),
        "no_specialty": expert("N", "geology"),
    }[which]
    before, after = draw(snapshot, req, seed), draw(PoolSnapshot.of([*snapshot.experts, newcomer]), req, seed)
    assert picked(after) == picked(before)
    assert after.snapshot_digest != before.snapshot_digest


@settings(max_examples=80, deadline=None)
@given(seed=seeds, sizes=pool_sizes, specialties=st.sampled_from([("civil",), ("cost",), ("civil", "cost")]))
def test_adding_an_eligible_expert_changes_the_result_only_if_drawn(seed: bytes, sizes: tuple, specialties: tuple) -> None:
    req = request(**SMALL)
    snapshot = small_pool(sizes)
    before = draw(snapshot, req, seed)
    after = draw(PoolSnapshot.of([*snapshot.experts, expert("N", *specialties)]), req, seed)
    if "N" in {i for i, _ in picked(after)}:
        assert picked(after) != picked(before)
    else:
        assert picked(after) == picked(before)


@settings(max_examples=40, deadline=None)
@given(seed=seeds, sizes=pool_sizes)
def test_an_expert_sits_for_one_specialty_only(seed: bytes, sizes: tuple) -> None:
    outcome = draw(small_pool((sizes[0], sizes[1], sizes[2] + 6)), request(**SMALL), seed)
    ids = [i for i, _ in picked(outcome)]
    assert len(ids) == len(set(ids))


def test_too_few_eligible_experts_is_refused() -> None:
    with pytest.raises(InsufficientExperts) as caught:
        draw(pool(civil=3, cost=5), request(), SEED)
    assert caught.value.field == "seats.civil" and caught.value.params["missing"] == 1


def test_reserve_shortfall_is_recorded() -> None:
    outcome = draw(pool(civil=5, cost=2), request(), SEED)  # civil: 4 seats + 1 of 2 reserves; cost: 2 + 0 of 1
    assert outcome.reserve_shortfall == (("civil", 1), ("cost", 1))


def test_a_decline_is_replaced_by_the_next_reserve_in_order() -> None:
    snapshot, req = pool(), request()
    first = draw(snapshot, req, SEED)
    civil_reserves = [d for d in first.reserves if d.specialty == "civil"]
    declined = first.seats[1].expert_id
    second = supplement(snapshot, req, SEED, first, declined)
    assert declined not in second.committee_ids and civil_reserves[0].expert_id in second.committee_ids
    assert [(r.declined, r.replaced_by, r.round) for r in second.replacements] == [(declined, civil_reserves[0].expert_id, 1)]
    assert second.declines == (declined,)
    assert civil_reserves[0] not in second.reserves and civil_reserves[1] in second.reserves
    assert second.rounds == 1 and len(second.seats) == 6


def test_when_reserves_run_out_a_new_round_draws_from_the_seed_chain() -> None:
    snapshot, req = pool(), request()
    outcome = draw(snapshot, req, SEED)
    round_one = {d.expert_id for d in (*outcome.seats, *outcome.reserves)}
    for _ in range(2):  # cost has one reserve: the second decline needs a new round
        outcome = supplement(snapshot, req, SEED, outcome, next(d.expert_id for d in outcome.seats if d.specialty == "cost"))
    assert outcome.rounds == 2
    last = outcome.replacements[-1]
    assert last.round == 2 and last.specialty == "cost" and last.replaced_by not in round_one
    assert not set(outcome.declines) & set(outcome.committee_ids)
    # The new round is the ranking under seed_2 of the cost experts not drawn before.
    key, context = round_seed(SEED, 2), rank_context(req, "cost", 2)
    left = sorted((hmac.digest(key, context + e.id.encode(), "sha256"), e.id) for e in snapshot.experts
                  if "cost" in e.specialties and e.id not in round_one)
    assert last.replaced_by == left[0][1]
    assert [d.expert_id for d in outcome.reserves if d.round == 2] == [left[1][1]]
    # Same inputs, same replays.
    assert run_draw(snapshot, req, SEED, outcome.declines) == outcome


def test_a_decline_by_someone_not_seated_is_refused() -> None:
    snapshot, req = pool(), request()
    outcome = draw(snapshot, req, SEED)
    for who in (outcome.reserves[0].expert_id, "nobody"):
        with pytest.raises(InvalidDecline):
            supplement(snapshot, req, SEED, outcome, who)
    declined = outcome.seats[0].expert_id
    after = supplement(snapshot, req, SEED, outcome, declined)
    with pytest.raises(InvalidDecline):
        supplement(snapshot, req, SEED, after, declined)


def test_new_rounds_run_out_when_the_pool_does() -> None:
    snapshot, req = pool(civil=20, cost=3), request(reserves={"civil": 2, "cost": 0})
    outcome = draw(snapshot, req, SEED)
    outcome = supplement(snapshot, req, SEED, outcome, next(d.expert_id for d in outcome.seats if d.specialty == "cost"))
    with pytest.raises(InsufficientExperts):
        supplement(snapshot, req, SEED, outcome, next(d.expert_id for d in outcome.seats if d.specialty == "cost"))


def test_the_seed_is_32_bytes_and_its_commitment_is_sha256() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        draw(pool(), request(), b"short")
    assert seed_commitment(SEED) == hashlib.sha256(SEED).hexdigest()
