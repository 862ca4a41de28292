"""Unified social credit codes (统一社会信用代码), GB 32100-2015.

18 characters: registration authority (1), organisation category (1), administrative
division (6 digits), organisation code (9), check character (1). The check character is
31 - (Σ value × weight mod 31), over an alphabet that leaves out I, O, Z, S and V.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


class UsccError(ValueError):
    pass


def check_character(first17: str) -> str:
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate_uscc(code: str) -> str:
    """Return the code in canonical (upper-case) form, or raise ``UsccError`` saying why."""
    code = code.strip().upper()
    if len(code) != 18:
        raise UsccError(f"a unified social credit code has 18 characters, this one has {len(code)}")
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        raise UsccError(f"characters {''.join(bad)!r} are not allowed (GB 32100-2015 leaves out I, O, Z, S, V)")
    if not code[2:8].isdigit():
        raise UsccError("characters 3 to 8 must be the 6-digit administrative division code")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise UsccError(f"the check character is wrong (GB 32100-2015): expected {expected}, found {code[17]}")
    return code


def make_uscc(first17: str) -> str:
    """Complete 17 characters with their check character (demo data and tests)."""
    return first17 + check_character(first17)
