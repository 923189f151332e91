"""The documents' pure pieces (issue 30): amounts in capitals, when a document may be issued,
and every template version complete."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.documents import templates
from app.domain.documents import (
    CURRENT_TEMPLATE,
    TEMPLATES,
    DocumentKind,
    amount_in_capitals,
    refusal,
)
from app.domain.loan_status import LoanStatus

_DIGIT = {c: n for n, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
_SMALL = {"拾": 10, "佰": 100, "仟": 1000}


def _read_back(capitals: str) -> D:
    """An independent reading of capitals, as a teller checks a voucher."""
    assert capitals.startswith("人民币")
    text = capitals.removeprefix("人民币")
    yuan_part, _, fraction = text.partition("元") if "元" in text else ("", "", text)
    total, section, digit = 0, 0, 0
    for char in yuan_part:
        if char in _DIGIT:
            digit = _DIGIT[char]
        elif char in _SMALL:
            section += digit * _SMALL[char]
            digit = 0
        elif char == "万":
            total += (section + digit) * 10_000
            section = digit = 0
        else:
            raise AssertionError(f"unexpected {char!r} in {capitals}")
    yuan = total + section + digit
    jiao = fen = 0
    fraction = fraction.removeprefix("零")
    if "角" in fraction:
        jiao = _DIGIT[fraction[fraction.index("角") - 1]]
    if "分" in fraction:
        fen = _DIGIT[fraction[fraction.index("分") - 1]]
    if fraction == "整":
        assert jiao == fen == 0
    return D(yuan) + D(jiao) / 10 + D(fen) / 100


@pytest.mark.parametrize(
    ("amount", "capitals"),
    [
        ("30000.00", "人民币叁万元整"),
        ("100000.00", "人民币壹拾万元整"),
        ("100005.10", "人民币壹拾万零伍元壹角"),
        ("10.05", "人民币壹拾元零伍分"),
        ("1010.01", "人民币壹仟零壹拾元零壹分"),
        ("0.50", "人民币伍角"),
    ],
)
def test_amounts_in_capitals_as_vouchers_write_them(amount: str, capitals: str) -> None:
    assert amount_in_capitals(D(amount)) == capitals


@given(st.decimals(min_value=D("0.01"), max_value=D("100000.00"), places=2))
def test_every_loan_amount_reads_back_to_itself_in_capitals(amount: D) -> None:
    assert _read_back(amount_in_capitals(amount)) == amount


def test_an_amount_in_capitals_is_never_negative() -> None:
    with pytest.raises(ValueError):
        amount_in_capitals(D("-0.01"))


def test_a_schedule_is_printed_once_paid_out_and_a_settlement_once_repaid() -> None:
    for kind in (DocumentKind.contract, DocumentKind.subsidy_notice):
        assert all(refusal(kind, status, False) is None for status in LoanStatus)
    assert refusal(DocumentKind.schedule, LoanStatus.contracted, False) is not None
    assert refusal(DocumentKind.schedule, LoanStatus.active, True) is None
    assert refusal(DocumentKind.schedule, LoanStatus.closed, True) is None
    for status in LoanStatus:
        refused = refusal(DocumentKind.settlement, status, True)
        assert (refused is None) == (status is LoanStatus.closed)


def test_every_template_version_prints_every_document() -> None:
    assert CURRENT_TEMPLATE.code in TEMPLATES
    assert set(templates._VERSIONS) == set(TEMPLATES)
    for builders in templates._VERSIONS.values():
        assert set(builders) == set(DocumentKind)
