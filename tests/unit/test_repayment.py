"""Repayment allocation order and prepayment (issue 5)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.repayment import OverpaymentError, Owed, allocate

D = Decimal
OWED = Owed(
    penalty=D("1.50"),
    overdue_interest=D("40.00"),
    overdue_principal=D("900.00"),
    interest_due=D("36.00"),
    principal_due=D("910.00"),
    future_principal=D("9000.00"),
    annual_rate=D("0.036"),
    days_into_period=0,
)


def test_allocation_order() -> None:
    paid = allocate(D("950.00"), OWED)
    assert (paid.penalty, paid.overdue_interest, paid.overdue_principal, paid.interest_due) == (
        D("1.50"),
        D("40.00"),
        D("900.00"),
        D("8.50"),
    )
    assert paid.principal_due == paid.prepaid_principal == 0
    assert not paid.pays_off


def test_prepayment_pays_interest_on_the_prepaid_principal_to_the_value_date() -> None:
    owed = Owed(D("0"), D("0"), D("0"), D("0"), D("0"), D("10000.00"), D("0.036"), 10)
    paid = allocate(D("5005.00"), owed)
    # X + X × 0.036 × 10 / 360 = 5005 → X = 5000, interest 5.00
    assert (paid.prepaid_principal, paid.prepayment_interest) == (D("5000.00"), D("5.00"))


def test_full_payoff_and_overpayment() -> None:
    owed = Owed(D("0"), D("0"), D("0"), D("0"), D("0"), D("10000.00"), D("0.036"), 10)
    assert owed.total == D("10010.00")
    paid = allocate(D("10010.00"), owed)
    assert paid.pays_off and paid.prepaid_principal == D("10000.00")
    with pytest.raises(OverpaymentError):
        allocate(D("10010.01"), owed)


money = st.decimals(min_value=D("0"), max_value=D("20000"), places=2)


@given(
    penalty=money,
    oi=money,
    op=money,
    idue=money,
    pdue=money,
    future=money,
    rate=st.decimals(min_value=D("0"), max_value=D("0.24"), places=4),
    days=st.integers(0, 31),
    share=st.integers(1, 100),
)
def test_property_allocation_reconciles(
    penalty: Decimal,
    oi: Decimal,
    op: Decimal,
    idue: Decimal,
    pdue: Decimal,
    future: Decimal,
    rate: Decimal,
    days: int,
    share: int,
) -> None:
    owed = Owed(penalty, oi, op, idue, pdue, future, rate, days)
    amount = max(D("0.01"), (owed.total * share / 100).quantize(D("0.01")))
    if amount > owed.total:
        return
    paid = allocate(amount, owed)
    assert paid.total == amount
    assert 0 <= paid.prepaid_principal <= future
    assert min(paid.penalty, paid.overdue_interest, paid.prepayment_interest) >= 0
    assert paid.penalty <= penalty and paid.overdue_principal <= op
