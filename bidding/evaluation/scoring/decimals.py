"""Exact arithmetic on yuan and points: two decimal places, rounded half up, never a float.

Means and the price formula are computed as exact fractions and rounded once, so the result
cannot depend on a ``decimal`` context's precision or on the order the numbers came in.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction


def has_two_places(value: Decimal) -> bool:
    """A finite number with at most two decimal places (30, 30.5, 30.50; not 30.505)."""
    return value.is_finite() and (Fraction(value) * 100).denominator == 1


def round_half_up(value: Fraction) -> Decimal:
    """``value`` (not negative) rounded to two places, halves up: 2/3 → 0.67, 0.125 → 0.13."""
    if value < 0:
        raise ValueError("only non-negative amounts are rounded here")
    hundredths = (value * 100 * 2 + 1) // 2  # floor(x + 1/2), exact on fractions
    return Decimal(hundredths).scaleb(-2)


def text(value: Decimal) -> str:
    """The canonical text of an amount of at most two places: ``30`` → ``"30.00"``."""
    hundredths = Fraction(value) * 100
    if hundredths.denominator != 1:
        raise ValueError(f"{value} has more than two decimal places")
    return f"{Decimal(hundredths.numerator).scaleb(-2):f}"
