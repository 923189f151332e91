"""Clause 2.2: the scorecard is explainable and its line never exceeds capacity or caps."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from app.domain.rating import RatingInputs, VillageOpinion, rate

D = Decimal
GOOD = RatingInputs(
    annual_household_income=D("60000"),
    annual_production_income=D("45000"),
    assets=D("150000"),
    liabilities=D("10000"),
    annual_existing_repayments=D("3000"),
    production_experience_years=8,
    bureau_current_overdue=False,
    bureau_worst_days_past_due_24m=0,
    bureau_major_bad_record=False,
    village_opinion=VillageOpinion.positive,
    production_cycle_months=12,
)


def test_a_strong_household_gets_aaa_and_a_capacity_bound_line() -> None:
    rating = rate(GOOD, date(2026, 6, 1))
    assert rating.score == 100 and rating.grade == "AAA"
    # capacity: (60,000 × 0.6 − 3,000) × 2 = 66,000 < the AAA cap of 100,000
    assert rating.credit_limit == D("66000.00")
    assert rating.valid_until == date(2027, 5, 31)
    assert sum(r.max_points for r in rating.reasons) == 100
    assert {r.code for r in rating.reasons} >= {
        "debt_service_ratio",
        "credit_bureau",
        "credit_line",
    }


def test_major_bad_record_knocks_out() -> None:
    rating = rate(replace(GOOD, bureau_major_bad_record=True), date(2026, 6, 1))
    assert rating.grade == "C" and rating.credit_limit == 0
    assert "major_bad_record" in {r.code for r in rating.reasons}


def test_rating_is_valid_for_one_production_cycle() -> None:
    rating = rate(replace(GOOD, production_cycle_months=6), date(2026, 1, 31))
    assert rating.valid_until == date(2026, 7, 30)


money = st.decimals(min_value=D("0"), max_value=D("1000000"), places=2)


@given(
    income=money,
    production=money,
    assets=money,
    liabilities=money,
    repayments=money,
    years=st.integers(0, 40),
    worst=st.integers(0, 400),
    overdue=st.booleans(),
    bad=st.booleans(),
    opinion=st.sampled_from(list(VillageOpinion)),
)
def test_property_line_within_caps_and_score_explained(
    income: Decimal,
    production: Decimal,
    assets: Decimal,
    liabilities: Decimal,
    repayments: Decimal,
    years: int,
    worst: int,
    overdue: bool,
    bad: bool,
    opinion: VillageOpinion,
) -> None:
    inputs = RatingInputs(
        income, production, assets, liabilities, repayments, years, overdue, worst, bad, opinion, 12
    )
    rating = rate(inputs, date(2026, 6, 1))
    assert 0 <= rating.credit_limit <= D("100000")
    assert rating.credit_limit <= max(income * D("0.6") - repayments, D(0)) * 2
    assert rating.score == sum(r.points for r in rating.reasons)
    assert 0 <= rating.score <= 100
