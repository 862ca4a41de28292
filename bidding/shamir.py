"""Shamir's secret sharing over GF(256), byte by byte: split a secret into n shares, any k rebuild it.

Pure (standard library only). Each byte of the secret is the constant term of its own random
polynomial of degree k − 1 over GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1
(0x11B); share x (1 … 255) holds every polynomial's value at x. Any k shares give the secret
by Lagrange interpolation at 0; k − 1 shares are consistent with every possible secret
equally (each byte of the result is uniform), so they say nothing about it.

Decisions:
- k ≥ 2. With k = 1 every share *is* the secret: nothing is split, and one custodian alone
  could open every bid. A caller that wants that does not need this module.
- n ≤ 255: there are 255 non-zero points in GF(256); x = 0 would be the secret itself.
- Coefficients come from ``os.urandom`` (injectable as ``rng`` so tests can fix them). A
  zero top coefficient is allowed on purpose: coefficients must be uniform for the k − 1
  shares to be independent of the secret.
- ``combine`` cannot know k: given fewer shares than the threshold it returns a value that is
  not the secret (with overwhelming probability), never an error. Callers check the result
  against something public (here: the opening key's public key).
- The arithmetic uses table look-ups indexed by secret bytes, so it is not constant-time;
  it runs once per tender on the server, never on attacker-timed input.
- Secret bytes are only ever Python small ints (interned, not copies) or items of the
  caller's buffer: ``split`` reads from any bytes-like object, and ``combine_into`` writes into
  a caller-owned ``bytearray`` that the caller can wipe.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Rng = Callable[[int], bytes]

MAX_SHARES = 255

_EXP = [0] * 510
_LOG = [0] * 256


def _build_tables() -> None:
    value = 1
    for power in range(255):
        _EXP[power] = _EXP[power + 255] = value
        _LOG[value] = power
        # multiply by the generator 0x03 = x + 1: value·x ⊕ value, reduced by 0x11B
        doubled = value << 1
        if doubled & 0x100:
            doubled ^= 0x11B
        value = doubled ^ value


_build_tables()


def gf_mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return _EXP[_LOG[a] + _LOG[b]]


def gf_div(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError("division by zero in GF(256)")
    if a == 0:
        return 0
    return _EXP[_LOG[a] - _LOG[b] + 255]


@dataclass(frozen=True)
class Share:
    """One custodian's point: x in 1 … 255, and y, one byte per byte of the secret."""

    x: int
    y: bytes

    def __post_init__(self) -> None:
        if not 1 <= self.x <= MAX_SHARES:
            raise ValueError(f"a share's x coordinate is 1 … 255, not {self.x}")
        if not self.y:
            raise ValueError("a share holds at least one byte")


def split(secret: bytes | bytearray | memoryview, n: int, k: int, *, rng: Rng = os.urandom) -> list[Share]:
    """n shares of ``secret`` (x = 1 … n), any k of which rebuild it."""
    if not secret:
        raise ValueError("the secret is empty")
    if not 2 <= k <= n:
        raise ValueError(f"the threshold must be 2 ≤ k ≤ n; k = {k}, n = {n}")
    if n > MAX_SHARES:
        raise ValueError(f"at most {MAX_SHARES} shares over GF(256), not {n}")
    length = len(secret)
    coefficients = rng((k - 1) * length)
    if len(coefficients) != (k - 1) * length:
        raise ValueError("the random source returned too few bytes")
    ys = [bytearray(length) for _ in range(n)]
    for position in range(length):
        # Horner from the highest coefficient down to the secret byte (the constant term).
        poly = [coefficients[position * (k - 1) + j] for j in range(k - 1)]
        for index in range(n):
            x = index + 1
            value = 0
            for coefficient in reversed(poly):
                value = gf_mul(value, x) ^ coefficient
            ys[index][position] = gf_mul(value, x) ^ secret[position]
    return [Share(index + 1, bytes(y)) for index, y in enumerate(ys)]


def _check(shares: Sequence[Share]) -> int:
    if len(shares) < 2:
        raise ValueError("at least two shares are needed (a threshold is at least 2)")
    xs = [share.x for share in shares]
    if len(set(xs)) != len(xs):
        raise ValueError(f"two shares have the same x coordinate: {sorted(x for x in set(xs) if xs.count(x) > 1)}")
    lengths = {len(share.y) for share in shares}
    if len(lengths) != 1:
        raise ValueError("the shares are of different lengths: they do not come from one secret")
    return lengths.pop()


def combine_into(shares: Sequence[Share], out: bytearray) -> None:
    """Interpolate at x = 0 into ``out`` (the caller's buffer, which it can wipe afterwards)."""
    length = _check(shares)
    if len(out) != length:
        raise ValueError(f"the output buffer has {len(out)} bytes; the shares have {length}")
    # Lagrange basis at 0: l_i = Π_{j≠i} x_j / (x_j ⊕ x_i)   (subtraction is xor in GF(2^8))
    weights = []
    for share in shares:
        weight = 1
        for other in shares:
            if other.x != share.x:
                weight = gf_mul(weight, gf_div(other.x, other.x ^ share.x))
        weights.append(weight)
    for position in range(length):
        value = 0
        for share, weight in zip(shares, weights, strict=True):
            value ^= gf_mul(share.y[position], weight)
        out[position] = value


def combine(shares: Sequence[Share]) -> bytes:
    """The secret from k (or more) shares; fewer than k give a wrong value, not an error."""
    out = bytearray(_check(shares))
    combine_into(shares, out)
    return bytes(out)
