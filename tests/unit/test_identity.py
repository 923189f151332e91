"""ID numbers: python-stdnum's check character, the birth date, and region warnings."""

from __future__ import annotations

from datetime import date

import pytest
from stdnum.cn import ric

from app.core.identity import InvalidIdNumberError, parse_id_number, region_code_known
from app.core.masking import mask_id_number, mask_phone, mask_text


def make(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


def test_valid_number_with_its_birth_date() -> None:
    number = make("52010219900101123")
    parsed = parse_id_number(number)
    assert parsed.birth_date == date(1990, 1, 1) and parsed.region_known
    assert parse_id_number(" " + number.lower() + " ").value == number
    assert ric.is_valid(number)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("5201021990010112", "18 characters"),
        ("52010219900101123Y", "17 digits"),
        (make("52010219900230123"), "not a date"),
        (make("52010218500101123"), "plausible"),
    ],
)
def test_invalid_numbers(raw: str, reason: str) -> None:
    with pytest.raises(InvalidIdNumberError, match=reason):
        parse_id_number(raw)


def test_wrong_check_character() -> None:
    number = make("52010219900101123")
    wrong = number[:-1] + ("1" if number[-1] != "1" else "2")
    with pytest.raises(InvalidIdNumberError, match="check character"):
        parse_id_number(wrong)


def test_unknown_region_is_kept_with_a_warning_flag() -> None:
    assert parse_id_number(make("59999919900101123")).region_known is False
    # prefixes on which python-stdnum's own lookup raises KeyError rather than a ValidationError
    for prefix in ("550001", "551234", "559999"):
        assert parse_id_number(make(prefix + "19900101123")).region_known is False
    assert region_code_known("520102") and not region_code_known("599999")


def test_masks() -> None:
    assert mask_id_number("52010219900101123X") == "5201**********123X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_text("id 52010219900101123X tel 13812345678") == (
        "id 5201**********123X tel 138****5678"
    )
