"""Amounts, rates and dates as a county bank writes them (issue 28): read into what the API
takes, and refused in Chinese with an example of what is expected."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core import zh_input
from app.core.zh_input import InputError

FEN = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2)


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("58,000", "58000.00"),
        ("58，000", "58000.00"),
        ("5.8万", "58000.00"),
        ("5.8 万元", "58000.00"),
        ("58000元", "58000.00"),
        ("¥58,000.50", "58000.50"),
        ("￥１２３", "123.00"),
        (" 1,234,567.8 ", "1234567.80"),
        ("0.01", "0.01"),
    ],
)
def test_amounts_as_people_type_them(typed: str, amount: str) -> None:
    assert zh_input.amount(typed) == Decimal(amount)


@pytest.mark.parametrize(
    "typed", ["", "五万", "58,00", "5.8千", "-100", "1.234", "5.1234567万", "1e5"]
)
def test_an_amount_that_cannot_be_read_says_what_is_expected(typed: str) -> None:
    with pytest.raises(InputError) as refused:
        zh_input.amount(typed)
    message = str(refused.value)
    assert message.startswith(("应为金额", "金额至多")), message
    assert "^" not in message and "\\d" not in message  # never a regular expression


@given(FEN)
def test_any_amount_written_with_separators_or_in_wan_reads_back_to_the_fen(value: Decimal) -> None:
    assert zh_input.amount(f"{value:,.2f}") == value
    assert zh_input.amount(f"{value}元") == value
    wan = value / 10_000
    assert zh_input.amount(f"{wan.normalize():f}万") == value
    assert zh_input.amount(zh_input.money_text(value)) == value


@pytest.mark.parametrize(
    ("typed", "rate"),
    [("3.45%", "0.0345"), ("3.45", "0.0345"), ("0.0345", "0.0345"), ("4", "0.04"), ("0", "0")],
)
def test_rates_as_percents_or_decimals(typed: str, rate: str) -> None:
    assert zh_input.rate(typed) == Decimal(rate)


@pytest.mark.parametrize("typed", ["百分之三", "3.45‰", "100", "150%", "-3%", ""])
def test_a_rate_that_cannot_be_read_is_refused_in_chinese(typed: str) -> None:
    with pytest.raises(InputError, match="年利率"):
        zh_input.rate(typed)


@given(st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("0.9999"), places=4))
def test_a_rate_shown_as_a_percent_reads_back(value: Decimal) -> None:
    assert zh_input.rate(zh_input.rate_text(value)) == value


@pytest.mark.parametrize(
    "typed",
    [
        "2024-05-10",
        "2024-5-10",
        "2024/5/10",
        "2024.5.10",
        "2024年5月10日",
        "2024 年 5 月 10 日",
        "20240510",
    ],
)
def test_dates_as_people_write_them(typed: str) -> None:
    assert zh_input.day(typed) == date(2024, 5, 10)


@pytest.mark.parametrize("typed", ["2024/2/30", "10/5/2024", "五月十日", "2024-13-01"])
def test_a_date_that_cannot_be_read_says_what_is_expected(typed: str) -> None:
    with pytest.raises(InputError) as refused:
        zh_input.day(typed)
    assert "日期" in str(refused.value) and "YYYY" not in str(refused.value)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)))
def test_any_date_in_any_of_the_forms_reads_back(day: date) -> None:
    for form in (f"{day.year}/{day.month}/{day.day}", f"{day.year}年{day.month}月{day.day}日"):
        assert zh_input.day(form) == day


def test_amounts_and_rates_are_shown_as_the_bank_writes_them() -> None:
    assert zh_input.money_text("69000") == "69,000.00"
    assert zh_input.money_text(Decimal("47984.72")) == "47,984.72"
    assert zh_input.rate_text("0.0345") == "3.45%"
    assert zh_input.rate_text("0.043125") == "4.3125%"
    assert zh_input.money_text(None) == zh_input.rate_text("") == "—"
