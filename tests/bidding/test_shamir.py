"""Shamir's scheme over GF(256): any k shares rebuild the secret, fewer give nothing, bad input is refused."""

from __future__ import annotations

import itertools
import os
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bidding import shamir


@st.composite
def splits(draw: st.DrawFn) -> tuple[bytes, int, int, list[shamir.Share]]:
    secret = draw(st.binary(min_size=1, max_size=40))
    n = draw(st.integers(min_value=2, max_value=12))
    k = draw(st.integers(min_value=2, max_value=n))
    coefficients = draw(st.binary(min_size=(k - 1) * len(secret), max_size=(k - 1) * len(secret)))
    return secret, n, k, shamir.split(secret, n, k, rng=lambda size: coefficients[:size])


def test_the_field_is_gf256_with_the_aes_polynomial() -> None:
    assert shamir.gf_mul(0x57, 0x83) == 0xC1  # FIPS-197 §4.2
    assert shamir.gf_mul(0x57, 0x13) == 0xFE
    for a in range(1, 256):
        assert shamir.gf_mul(a, shamir.gf_div(1, a)) == 1
        assert shamir.gf_div(shamir.gf_mul(a, 0x53), 0x53) == a


@settings(max_examples=200, deadline=None)
@given(splits(), st.randoms(use_true_random=False))
def test_any_k_shares_in_any_order_rebuild_the_secret(case, rnd: random.Random) -> None:
    secret, n, k, shares = case
    assert [s.x for s in shares] == list(range(1, n + 1))
    assert all(len(s.y) == len(secret) for s in shares)
    chosen = rnd.sample(shares, rnd.randint(k, n))
    assert shamir.combine(chosen) == secret
    out = bytearray(len(secret))
    shamir.combine_into(chosen, out)
    assert bytes(out) == secret


@settings(max_examples=100, deadline=None)
@given(splits(), st.randoms(use_true_random=False))
def test_k_minus_one_shares_do_not_give_a_32_byte_secret(case, rnd: random.Random) -> None:
    _, n, k, _ = case
    if k < 3:
        return  # one share cannot be combined; covered by the refusal below
    secret = bytes(range(32))
    shares = shamir.split(secret, n, k)
    assert shamir.combine(rnd.sample(shares, k - 1)) != secret


def test_fewer_than_k_shares_never_give_a_fixed_secret() -> None:
    secret = bytes.fromhex("4eee0d1eb34845bf61a7a4dddd0a905430ebafb1e2808dcc43dc9bf811de1d5f")
    rnd = random.Random(20261127)
    for _ in range(2000):
        shares = shamir.split(secret, 7, 4)
        for subset in (rnd.sample(shares, 3), rnd.sample(shares, 2)):
            assert shamir.combine(subset) != secret
        assert shamir.combine(rnd.sample(shares, 4)) == secret


def test_k_minus_one_shares_leave_every_secret_byte_equally_likely() -> None:
    """Perfect secrecy, measured: what two of three-of-n shares interpolate to is uniform, whatever the secret."""
    counts: Counter[int] = Counter()
    rounds = 256 * 40
    for _ in range(rounds):
        shares = shamir.split(b"\x2a", 5, 3)
        counts[shamir.combine(shares[1:3])[0]] += 1
    # Chi-square with 255 degrees of freedom: the 99.99th percentile is about 346.
    expected = rounds / 256
    chi_square = sum((counts[v] - expected) ** 2 / expected for v in range(256))
    assert chi_square < 346, chi_square
    # A single share of a 2-of-n split is uniform too.
    singles = Counter(shamir.split(b"\x00", 2, 2)[0].y[0] for _ in range(rounds))
    assert sum((singles[v] - expected) ** 2 / expected for v in range(256)) < 346


def test_coefficients_come_from_the_injected_source() -> None:
    asked: list[int] = []

    def rng(size: int) -> bytes:
        asked.append(size)
        return bytes(size)  # all-zero coefficients: every share is the secret

    shares = shamir.split(b"secret!!", 4, 3, rng=rng)
    assert asked == [16] and all(s.y == b"secret!!" for s in shares)
    assert {s.y for s in shamir.split(b"secret!!", 4, 3)} != {b"secret!!"}  # os.urandom by default


@pytest.mark.parametrize(("n", "k"), [(3, 1), (3, 0), (3, 4), (256, 2), (1, 1)])
def test_thresholds_out_of_range_are_refused(n: int, k: int) -> None:
    with pytest.raises(ValueError):
        shamir.split(os.urandom(32), n, k)


def test_the_largest_split_works() -> None:
    secret = os.urandom(32)
    shares = shamir.split(secret, 255, 2)
    assert shares[-1].x == 255 and shamir.combine([shares[0], shares[-1]]) == secret


def test_bad_shares_are_refused() -> None:
    shares = shamir.split(os.urandom(32), 4, 2)
    with pytest.raises(ValueError, match="same x"):
        shamir.combine([shares[0], shamir.Share(shares[0].x, shares[1].y)])
    with pytest.raises(ValueError, match="different lengths"):
        shamir.combine([shares[0], shamir.Share(2, shares[1].y[:16])])
    with pytest.raises(ValueError, match="at least two"):
        shamir.combine(shares[:1])
    for x in (0, 256):
        with pytest.raises(ValueError, match="x coordinate"):
            shamir.Share(x, b"\x01")
    with pytest.raises(ValueError):
        shamir.split(b"", 3, 2)
    with pytest.raises(ValueError, match="too few"):
        shamir.split(b"abc", 3, 2, rng=lambda size: b"\x01")
    with pytest.raises(ValueError, match="buffer"):
        shamir.combine_into(shares[:2], bytearray(31))


def test_every_pair_of_a_two_of_n_split_rebuilds_and_no_single_share_equals_the_secret() -> None:
    secret = os.urandom(32)
    shares = shamir.split(secret, 6, 2)
    assert all(shamir.combine(list(pair)) == secret for pair in itertools.combinations(shares, 2))
    assert all(share.y != secret for share in shares)
