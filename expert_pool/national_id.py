"""Citizen identity numbers (公民身份号码), GB 11643-1999: 18 characters.

Address code (6 digits), birth date (8 digits, YYYYMMDD), sequence (3 digits), check
character: ISO 7064 MOD 11-2 over the first 17, written ``X`` for 10.
"""

from __future__ import annotations

from datetime import date

WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2
CHECK = "10X98765432"  # the check character for each remainder of Σ digit × weight mod 11


class NationalIdError(ValueError):
    pass


def check_character(first17: str) -> str:
    return CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def validate_national_id(value: str, *, today: date | None = None) -> str:
    """The number in canonical form (upper-case ``X``), or ``NationalIdError`` saying why."""
    value = value.strip().upper()
    if len(value) != 18:
        raise NationalIdError(f"a citizen identity number has 18 characters, this one has {len(value)}")
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise NationalIdError("the first 17 characters must be digits and the last a digit or X")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise NationalIdError("characters 7 to 14 must be a real birth date (YYYYMMDD)") from exc
    if born.year < 1900 or born > (today or date.today()):
        raise NationalIdError("characters 7 to 14 must be a birth date between 1900 and today")
    expected = check_character(value[:17])
    if value[17] != expected:
        raise NationalIdError(f"the check character is wrong (GB 11643-1999): expected {expected}, found {value[17]}")
    return value


def make_national_id(first17: str) -> str:
    """Complete 17 digits with their check character (demo data and tests)."""
    return first17 + check_character(first17)


def mask_national_id(value: str) -> str:
    """``110101********1234``: the region and the last four, the birth date hidden."""
    return value[:6] + "*" * 8 + value[14:] if len(value) == 18 else "*" * len(value)
