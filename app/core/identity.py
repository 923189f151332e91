"""Resident ID numbers (GB 11643) with python-stdnum: check character, birth date, region."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from app.domain.wording import Said


class InvalidIdNumberError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class IdNumber:
    value: str
    birth_date: date
    region_known: bool  # False: an old or unknown region code (a warning, not a rejection)


_COMPACT = re.compile(r"^\d{17}[\dX]$")


def parse_id_number(raw: str, today: date | None = None) -> IdNumber:
    """Validate with python-stdnum's check character and region table. Numbers that are
    already compact skip stdnum's Unicode clean-up, which costs more than the rest together
    (it matters for million-row roster imports)."""
    number = raw.strip().upper()
    if not _COMPACT.fullmatch(number):
        number = ric.compact(number).upper()
    if len(number) != 18:
        raise InvalidIdNumberError(Said("身份证号应为 18 位", "an ID number has 18 characters"))
    if not _COMPACT.fullmatch(number):
        raise InvalidIdNumberError(
            Said(
                "身份证号应为 17 位数字加一位数字或 X", "an ID number is 17 digits and a digit or X"
            )
        )
    if number[-1] != ric.calc_check_digit(number):
        raise InvalidIdNumberError(Said("身份证号校验码不符", "the check character does not match"))
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise InvalidIdNumberError(
            Said(
                "身份证号中的出生日期不是有效日期", "the birth date in the ID number is not a date"
            )
        ) from exc
    if birth.year < 1900 or (today is not None and birth > today):
        raise InvalidIdNumberError(
            Said("身份证号中的出生日期不合理", "the birth date in the ID number is not plausible")
        )
    return IdNumber(number, birth, _region_known(number[:6], birth.year))


@lru_cache(maxsize=65536)
def _region_known(prefix: str, year: int) -> bool:
    probe = prefix + f"{year:04d}0101" + "000"
    probe += ric.calc_check_digit(probe + "0")
    try:
        ric.get_birth_place(probe)
    except (ValidationError, KeyError):  # stdnum 2.2 raises KeyError for partial entries
        return False
    return True


@lru_cache(maxsize=65536)
def region_code_known(code: str) -> bool:
    """Whether a 6-digit GB/T 2260 code is in stdnum's table (current or historical)."""
    if len(code) != 6 or not code.isdigit():
        return False
    return _region_known(code, 2000) or _region_known(code, 1990)


_VALIDITY = re.compile(r"^\[[^\]]*\]")


@lru_cache(maxsize=4096)
def region_name(code: str) -> str | None:
    """A county's (or city's, province's) name in GB/T 2260, from python-stdnum's table: its
    current name where the code was renamed. None for a code not in the table."""
    if len(code) != 6 or not code.isdigit():
        return None
    from stdnum import numdb

    found = dict(numdb.get("cn/loc").info(code))
    province = found.get(code[:2], {}).get("province")
    county = found.get(code[2:], {}).get("county")
    if county is None:
        return str(province) if province and code[2:] == "0000" else None
    return _VALIDITY.sub("", str(county).split(",")[-1].strip())
