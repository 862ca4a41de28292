"""Citizen IDs (GB 11643-1999), masking, and the row checks that need no database."""

from __future__ import annotations

from datetime import date

import pytest

from expert_pool import csv_io
from expert_pool.national_id import (
    NationalIdError,
    make_national_id,
    mask_national_id,
    validate_national_id,
)
from tests.experts.pool_testlib import EMPLOYER, csv_of, person, row

TODAY = date(2026, 11, 27)


def test_a_valid_id_passes_and_x_is_upper_cased() -> None:
    assert validate_national_id("11010519491231002X", today=TODAY) == "11010519491231002X"
    assert validate_national_id(" 11010519491231002x ", today=TODAY) == "11010519491231002X"
    assert validate_national_id(person(3), today=TODAY) == person(3)


def test_a_wrong_check_character_is_refused() -> None:
    good = make_national_id("46010019800101123")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(NationalIdError, match="check character is wrong"):
        validate_national_id(bad, today=TODAY)


@pytest.mark.parametrize("birth", ["19800230", "19801301", "18991231", "20301231"])
def test_an_impossible_birth_date_is_refused(birth: str) -> None:
    with pytest.raises(NationalIdError, match="birth date"):
        validate_national_id(make_national_id(f"460100{birth}123"), today=TODAY)


@pytest.mark.parametrize("value", ["4601001980010112", "46010019800101123Y", "A60100198001011234"])
def test_wrong_length_or_characters_are_refused(value: str) -> None:
    with pytest.raises(NationalIdError):
        validate_national_id(value, today=TODAY)


def test_mask_keeps_region_and_last_four() -> None:
    assert mask_national_id("110101199003071234") == "110101********1234"


def test_rows_report_each_field_and_rule() -> None:
    raw = csv_of(
        row(1),
        row(2, national_id=person(2)[:17] + ("1" if person(2)[17] == "0" else "0")),
        row(3, employer_uscc=EMPLOYER[:17] + ("1" if EMPLOYER[17] == "0" else "0")),
        row(4, status="suspended"),
        row(5, relationships="cousin|x||"),
        row(6, specialties=""),
    )
    rows, file_errors = csv_io.parse(raw, TODAY)
    assert not file_errors
    fields = {n: [e.field for e in errs] for n, _, errs in rows}
    assert fields[2] == []  # the first data row is line 2, and it is good
    assert fields[3] == ["row[3].national_id"]
    assert fields[4] == ["row[4].employer_uscc"]
    assert fields[5] == ["row[5].suspension_reason", "row[5].suspended_until"]
    assert "row[6].relationships.0.kind" in fields[6]
    assert fields[7] == ["row[7].specialties"]
    check = next(e for n, _, errs in rows if n == 3 for e in errs)
    assert "GB 11643-1999" in check.message


def test_a_bad_header_is_a_file_error() -> None:
    rows, file_errors = csv_io.parse(b"name,national_id\r\nx,y\r\n", TODAY)
    assert rows == [] and file_errors[0].field == "body.header"
    assert "employer_uscc" in file_errors[0].message
