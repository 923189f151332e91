"""Amounts, rates and dates as people in a county bank write them (issue 28), read into what
the API takes: `58,000`, `5.8万`, `58000元` → 58000.00; `3.45%` or `3.45` → 0.0345; `2024/5/10`,
`2024-5-10`, `2024年5月10日` → 2024-05-10. The console's forms and the imports read every typed
value through here; what is stored stays a decimal and an ISO date.

A rate without `%` is read as percent points when it is 1 or more (`3.45`) and as a decimal
below that (`0.0345`): nobody lends at under one percent a year or at 100% or more, so the two
never meet. Each refusal says in Chinese what is expected, by example."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

AMOUNT_EXAMPLES = "58000、58,000、5.8万 或 58000元"
RATE_EXAMPLES = "3.45% 或 3.45"
DATE_EXAMPLES = "2024-05-10、2024/5/10 或 2024年5月10日"

_TEN_THOUSAND = Decimal(10_000)
_FEN = Decimal("0.01")
_MAX_AMOUNT = Decimal("999999999999.99")
_AMOUNT = re.compile(r"^[¥￥]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?(万)?(元)?$")
_RATE = re.compile(r"^(\d{1,3})(\.\d{1,8})?(%)?$")
_DATE = re.compile(r"^(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


class InputError(ValueError):
    """What was typed cannot be read; the message (Chinese) says what is expected."""


def _plain(text: str) -> str:
    """Full-width digits and signs as ASCII (NFKC), Chinese commas as commas, no spaces."""
    folded = unicodedata.normalize("NFKC", text).replace("，", ",")
    return re.sub(r"\s+", "", folded)


def amount(text: str) -> Decimal:
    """An amount in yuan, to the fen: `58,000`, `58000.5`, `5.8万`, `58000元`, `¥58,000.00`."""
    plain = _plain(text)
    found = _AMOUNT.fullmatch(plain)
    if not found:
        raise InputError(f"应为金额（元），如 {AMOUNT_EXAMPLES}")
    try:
        value = Decimal(found.group(1).replace(",", "") + (found.group(3) or ""))
    except InvalidOperation as exc:  # pragma: no cover (the pattern admits only decimals)
        raise InputError(f"应为金额（元），如 {AMOUNT_EXAMPLES}") from exc
    if found.group(4):
        value *= _TEN_THOUSAND
    if value != value.quantize(_FEN):
        raise InputError("金额至多精确到分（两位小数）")
    if value > _MAX_AMOUNT:
        raise InputError("金额过大")
    return value.quantize(_FEN)


def rate(text: str) -> Decimal:
    """A yearly rate as a decimal: `3.45%` and `3.45` are 0.0345; `0.0345` stays."""
    plain = _plain(text)
    found = _RATE.fullmatch(plain)
    if not found:
        raise InputError(f"应为年利率，如 {RATE_EXAMPLES}")
    value = Decimal(found.group(1) + (found.group(2) or ""))
    if found.group(3) or value >= 1:
        value /= 100
    if value >= 1:
        raise InputError(f"年利率应小于 100%，如 {RATE_EXAMPLES}")
    return value.normalize() if value else Decimal(0)


def day(text: str) -> date:
    """A date: `2024-05-10`, `2024-5-10`, `2024/5/10`, `2024.5.10`, `2024年5月10日`,
    `20240510`."""
    plain = _plain(text)
    found = _DATE.fullmatch(plain) or _COMPACT_DATE.fullmatch(plain)
    if not found:
        raise InputError(f"应为日期，如 {DATE_EXAMPLES}")
    year, month, dom = (int(part) for part in found.groups())
    try:
        return date(year, month, dom)
    except ValueError as exc:
        raise InputError(f"{year}年{month}月{dom}日不是有效日期") from exc


def whole(text: str) -> int:
    """A count (months, years, days): `24`, `24个月`, `８`."""
    plain = _plain(text).removesuffix("个月").removesuffix("月").removesuffix("年")
    plain = plain.removesuffix("天").removesuffix("日")
    if not plain.isdigit() or len(plain) > 6:
        raise InputError("应为整数，如 24")
    return int(plain)


def money_text(value: object) -> str:
    """An amount as the bank shows it: `58,000.00` (the column or label says 元)."""
    if value in (None, ""):
        return "—"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{number:,.2f}"


def rate_text(value: object, places: int = 2) -> str:
    """A rate as a percent: 0.0345 → `3.45%` (more places where the rate has them)."""
    if value in (None, ""):
        return "—"
    try:
        number = Decimal(str(value)) * 100
    except InvalidOperation:
        return str(value)
    shown = f"{number:.{places}f}"
    exact = format(number.normalize(), "f")
    if "." in exact and len(exact.split(".")[1]) > places:
        shown = exact
    return shown + "%"
