"""Clause 1.6: central and local subsidy, subsidised principal, interest shares."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.policy import ASSIST_2026, LEGACY_2021
from app.domain.subsidy import LegacySubsidyError, shares, split

D = Decimal


@pytest.mark.parametrize(
    ("rate", "central"),
    [
        ("0.0300", "0.02100"),
        ("0.035714", "0.0249998"),  # just under the crossing: 70% of the rate
        ("0.0357142857", "0.02499999999"),
        ("0.035715", "0.025"),  # just over: capped at 2.5 points
        ("0.0435", "0.025"),
        ("0", "0"),
    ],
)
def test_clause_1_6_central_rate_is_70_percent_capped_at_2_5_points(
    rate: str, central: str
) -> None:
    result = split(D(rate), D("50000"), False, D("0"), ASSIST_2026)
    assert result.terms.central_rate == D(central)


@pytest.mark.parametrize(
    ("amount", "large", "subsidised"),
    [
        ("30000", False, "30000"),
        ("50000", False, "50000.00"),
        ("80000", False, "50000.00"),
        ("80000", True, "80000"),
        ("100000", True, "100000"),
    ],
)
def test_clause_1_6_subsidised_principal_50k_or_100k_for_large_production(
    amount: str, large: bool, subsidised: str
) -> None:
    result = split(D("0.04"), D(amount), large, D("0"), ASSIST_2026)
    assert result.terms.subsidised_principal == D(subsidised)
    assert result.unsubsidised_principal == D(amount) - D(subsidised)


def test_clause_1_6_local_rate_capped_so_central_plus_local_never_exceeds_rate() -> None:
    result = split(D("0.04"), D("50000"), False, D("0.02"), ASSIST_2026)
    assert result.terms.central_rate == D("0.025")
    assert result.terms.local_rate == D("0.015")
    assert result.terms.borrower_rate_on_subsidised == 0
    codes = [w.split(":")[0] for w in result.warnings]
    assert codes == ["local_rate_capped", "borrower_bears_no_interest"]


def test_clause_1_6_borrower_bearing_part_raises_no_warning() -> None:
    result = split(D("0.04"), D("50000"), False, D("0.01"), ASSIST_2026)
    assert result.terms.borrower_rate_on_subsidised == D("0.005")
    assert result.warnings == []


def test_clause_5_2_legacy_contracts_keep_their_recorded_subsidy() -> None:
    with pytest.raises(LegacySubsidyError):
        split(D("0.04"), D("50000"), False, D("0"), LEGACY_2021)


def test_clause_1_6_unsubsidised_principal_interest_is_borne_by_the_borrower() -> None:
    terms = split(D("0.04"), D("80000"), False, D("0.005"), ASSIST_2026).terms
    # 300.00 of interest: 5/8 is on subsidised principal (187.50), split by rate 2.5 : 0.5 : 1.
    result = shares(D("300.00"), terms)
    assert result.central == D("117.19")  # 187.50 × 0.025 / 0.04 = 117.1875
    assert result.local == D("23.44")  # 187.50 × 0.005 / 0.04 = 23.4375
    assert result.borrower == D("159.37")


rates = st.decimals(min_value=D("0"), max_value=D("0.24"), places=6)
amounts = st.decimals(min_value=D("0.01"), max_value=D("100000"), places=2)


@given(
    rate=rates,
    amount=amounts,
    large=st.booleans(),
    local=rates,
    interest=st.decimals(min_value=D("0"), max_value=D("50000"), places=2),
)
def test_property_shares_sum_to_the_interest_and_are_never_negative(
    rate: Decimal, amount: Decimal, large: bool, local: Decimal, interest: Decimal
) -> None:
    result = split(rate, amount, large, local, ASSIST_2026)
    terms = result.terms
    assert terms.central_rate + terms.local_rate <= rate
    assert terms.central_rate <= D("0.025")
    assert terms.subsidised_principal <= amount
    portion = shares(interest, terms)
    assert portion.total == interest
    assert min(portion.central, portion.local, portion.borrower) >= 0
