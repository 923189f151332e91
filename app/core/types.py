"""Money and rates on the wire: decimal strings in and out, never JSON numbers (floats lose
fen). The OpenAPI schema states exactly what is accepted."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

MONEY_PATTERN = r"^\d{1,12}(\.\d{1,2})?$"
POSITIVE_MONEY_PATTERN = r"^(0\.(0[1-9]|[1-9]\d?)|[1-9]\d{0,11}(\.\d{1,2})?)$"
RATE_PATTERN = r"^0(\.\d{1,10})?$"


def _parser(pattern: str, what: str, example: str) -> Any:
    """A decimal string matching `pattern`; a mismatch is a `decimal_format` error whose words
    name what is expected by example (app/core/problems.py has them in Chinese), never the
    regular expression: the API document states that."""
    compiled = re.compile(pattern)
    kind = {"A rate": "rate", "A positive amount": "positive_amount"}.get(what, "amount")

    def refuse() -> PydanticCustomError:
        return PydanticCustomError(
            f"{kind}_format",
            '{what} must be a decimal string such as "{example}"',
            {"what": what, "example": example},
        )

    def parse(value: object) -> Decimal:
        if isinstance(value, Decimal):
            return value
        if not isinstance(value, str) or not compiled.fullmatch(value):
            raise refuse()
        try:
            return Decimal(value)
        except InvalidOperation as exc:  # pragma: no cover (the pattern admits only decimals)
            raise ValueError(f"{what} is not a decimal") from exc

    return parse


def _money_out(value: Decimal) -> str:
    return f"{value:.2f}"


def _rate_out(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


Money = Annotated[
    Decimal,
    BeforeValidator(_parser(MONEY_PATTERN, "An amount", "50000.00")),
    PlainSerializer(_money_out, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["50000.00"]}),
]
PositiveMoney = Annotated[
    Decimal,
    BeforeValidator(_parser(POSITIVE_MONEY_PATTERN, "A positive amount", "50000.00")),
    PlainSerializer(_money_out, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": POSITIVE_MONEY_PATTERN, "examples": ["50000.00"]}),
]
# Amounts in answers (may be negative, e.g. a difference).
MoneyOut = Annotated[
    Decimal,
    PlainSerializer(_money_out, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+\.\d{2}$", "examples": ["1023.72"]}),
]
Rate = Annotated[
    Decimal,
    BeforeValidator(_parser(RATE_PATTERN, "A rate", "0.0435")),
    PlainSerializer(_rate_out, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": RATE_PATTERN, "examples": ["0.0435"]}),
]
RateOut = Annotated[
    Decimal,
    PlainSerializer(_rate_out, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "examples": ["0.025"]}),
]


EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)


DATE_PATTERN = r"^(19|20|21)\d{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
_DATE_RE = re.compile(DATE_PATTERN)


def _iso_date(value: object) -> object:
    """Only YYYY-MM-DD (no numbers as timestamps, no other formats)."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        raise ValueError("a date is YYYY-MM-DD, between 1900 and 2199")
    return value


def _plausible_date(value: date) -> date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(f"dates must be between {EARLIEST_DATE} and {LATEST_DATE}")
    return value


# A calendar date the service can compute with (schedules add up to 36 months and more).
Day = Annotated[
    date,
    BeforeValidator(_iso_date),
    AfterValidator(_plausible_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN}),
]


def _json_integer(value: object) -> object:
    """JSON integers only: no booleans, no strings ("12"); 12.0 is an integer in JSON Schema."""
    if isinstance(value, bool | str):
        raise ValueError("an integer is expected")
    return value


Int = Annotated[int, BeforeValidator(_json_integer)]


_INSTANT_RE = re.compile(
    r"^(19|20|21)\d{2}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"
)


def _iso_instant(value: object) -> object:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _INSTANT_RE.fullmatch(value):
        raise ValueError("a time is ISO 8601, e.g. 2026-09-30T00:00:00+08:00")
    return value


# A point in time given as ISO 8601 (no bare numbers as timestamps).
Instant = Annotated[
    datetime,
    BeforeValidator(_iso_instant),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": _INSTANT_RE.pattern}),
]
