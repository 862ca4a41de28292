import pytest
from hypothesis import given
from hypothesis import strategies as st

from procurement.identity.uscc import ALPHABET, UsccError, make_uscc, validate_uscc

# Codes published by real organisations (their check characters are right).
REAL_CODES = ["91350100M000100Y43", "91110000802100433B", "12100000400000624D"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_accepted(code: str) -> None:
    assert validate_uscc(code.lower()) == code


def test_wrong_check_character_is_refused_with_the_reason() -> None:
    with pytest.raises(UsccError, match="check character is wrong.*expected 3, found 4"):
        validate_uscc("91350100M000100Y44")


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("9135010", "18 characters"),
        ("91350100M000100YI3", "not allowed"),
        ("91ABCDEFM000100Y43", "administrative division"),
    ],
)
def test_malformed_codes_say_why(code: str, reason: str) -> None:
    with pytest.raises(UsccError, match=reason):
        validate_uscc(code)


@given(st.text(alphabet=ALPHABET, min_size=2, max_size=2), st.from_regex(r"\A[0-9]{6}\Z"), st.text(alphabet=ALPHABET, min_size=9, max_size=9))
def test_any_single_character_change_is_caught(head: str, region: str, body: str) -> None:
    code = make_uscc(head + region + body)
    assert validate_uscc(code) == code
    for position in range(18):
        for replacement in ALPHABET[:5]:
            if replacement == code[position] or (2 <= position < 8 and not replacement.isdigit()):
                continue
            changed = code[:position] + replacement + code[position + 1 :]
            with pytest.raises(UsccError):
                validate_uscc(changed)
