"""Scorecard SCORECARD_2026_1 (clause 2.2) at both sides of every tier, grade floor and
knock-out, with the reasons an officer reads, written out by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from app.domain.rating import RatingInputs, Reason, VillageOpinion, rate

D = Decimal
ON = date(2026, 6, 1)
# 100 points: income 100,000 with no repayments, all production, 150,000 net, 8 years, a clean
# bureau and a positive village committee.
BEST = RatingInputs(
    annual_household_income=D("100000"),
    annual_production_income=D("100000"),
    assets=D("160000"),
    liabilities=D("10000"),
    annual_existing_repayments=D("0"),
    production_experience_years=8,
    bureau_current_overdue=False,
    bureau_worst_days_past_due_24m=0,
    bureau_major_bad_record=False,
    village_opinion=VillageOpinion.positive,
    production_cycle_months=12,
)


def reason(inputs: RatingInputs, code: str) -> Reason:
    return next(r for r in rate(inputs, ON).reasons if r.code == code)


@pytest.mark.parametrize(
    ("repayments", "points", "detail"),
    [
        ("20000", 25, "existing repayments 20% of income"),  # ≤ 20%
        ("20001", 15, "existing repayments 20% of income"),  # 20.001%
        ("40000", 15, "existing repayments 40% of income"),
        ("40001", 5, "existing repayments 40% of income"),
        ("60000", 5, "existing repayments 60% of income"),
        ("60001", 0, "existing repayments 60% of income"),
    ],
)
def test_debt_service_tiers(repayments: str, points: int, detail: str) -> None:
    inputs = replace(BEST, annual_existing_repayments=D(repayments))
    assert reason(inputs, "debt_service_ratio") == Reason("debt_service_ratio", points, 25, detail)


@pytest.mark.parametrize(
    ("production", "points"), [("50000", 15), ("49999", 8), ("25000", 8), ("24999", 0)]
)
def test_production_share_tiers(production: str, points: int) -> None:
    found = reason(replace(BEST, annual_production_income=D(production)), "production_income_share")
    assert (found.points, found.max_points) == (points, 15)


def test_no_income_scores_nothing_on_both_income_factors() -> None:
    inputs = replace(BEST, annual_household_income=D("0"), annual_production_income=D("0"))
    assert reason(inputs, "debt_service_ratio") == Reason(
        "debt_service_ratio", 0, 25, "no household income declared"
    )
    assert reason(inputs, "production_income_share") == Reason(
        "production_income_share", 0, 15, "no household income declared"
    )
    # a fen of income is income: 0 repayments of it score full
    assert (
        reason(replace(inputs, annual_household_income=D("0.01")), "debt_service_ratio").points
        == 25
    )


@pytest.mark.parametrize(
    ("assets", "points"),
    [("110000", 15), ("109999", 10), ("40000", 10), ("39999", 5), ("10000", 5), ("9999", 0)],
)
def test_net_worth_tiers(assets: str, points: int) -> None:
    found = reason(replace(BEST, assets=D(assets)), "net_worth")  # less 10,000 of liabilities
    assert (found.points, found.max_points, found.detail) == (
        points,
        15,
        f"assets less liabilities {D(assets) - D('10000')}",
    )


@pytest.mark.parametrize(("years", "points"), [(5, 15), (4, 10), (2, 10), (1, 5), (0, 0)])
def test_experience_tiers(years: int, points: int) -> None:
    found = reason(replace(BEST, production_experience_years=years), "production_experience")
    assert found == Reason("production_experience", points, 15, f"{years} years of production")


@pytest.mark.parametrize(
    ("current", "worst", "points"),
    [
        (False, 0, 20),
        (False, 1, 12),
        (False, 30, 12),
        (False, 31, 5),
        (False, 90, 5),
        (False, 91, 0),
        (True, 0, 0),
    ],
)
def test_bureau_tiers_and_knock_out_window(current: bool, worst: int, points: int) -> None:
    inputs = replace(BEST, bureau_current_overdue=current, bureau_worst_days_past_due_24m=worst)
    assert reason(inputs, "credit_bureau") == Reason(
        "credit_bureau", points, 20, f"current overdue {current}, worst {worst} days in 24 months"
    )


@pytest.mark.parametrize(
    ("opinion", "points"),
    [(VillageOpinion.positive, 10), (VillageOpinion.neutral, 5), (VillageOpinion.negative, 0)],
)
def test_village_opinion(opinion: VillageOpinion, points: int) -> None:
    assert reason(replace(BEST, village_opinion=opinion), "village_committee_opinion") == Reason(
        "village_committee_opinion", points, 10, f"opinion {opinion}"
    )


@pytest.mark.parametrize(
    # Lowering the score from 100 by the village opinion (−5/−10) and experience steps.
    ("changes", "score", "grade"),
    [
        ({}, 100, "AAA"),
        ({"production_experience_years": 0, "village_opinion": VillageOpinion.neutral}, 80, "AA"),
        # 85 = AAA floor exactly: 100 − 15 (no experience)
        ({"production_experience_years": 0}, 85, "AAA"),
        # 100 − 10 (one year of experience) − 5 (neutral)
        ({"production_experience_years": 1, "village_opinion": VillageOpinion.neutral}, 85, "AAA"),
        ({"production_experience_years": 0, "village_opinion": VillageOpinion.negative}, 75, "AA"),
        (
            {
                "production_experience_years": 0,
                "bureau_worst_days_past_due_24m": 31,
                "village_opinion": VillageOpinion.positive,
            },
            70,
            "AA",
        ),
        (
            {
                "production_experience_years": 0,
                "bureau_worst_days_past_due_24m": 31,
                "village_opinion": VillageOpinion.neutral,
            },
            65,
            "A",
        ),
        (
            {
                "production_experience_years": 0,
                "bureau_worst_days_past_due_24m": 91,
                "village_opinion": VillageOpinion.positive,
            },
            65,
            "A",
        ),
        (
            {
                "production_experience_years": 0,
                "bureau_worst_days_past_due_24m": 91,
                "village_opinion": VillageOpinion.negative,
            },
            55,
            "A",
        ),
        (
            {
                "production_experience_years": 0,
                "bureau_worst_days_past_due_24m": 91,
                "village_opinion": VillageOpinion.negative,
                "assets": D("109999"),
            },
            50,
            "B",
        ),
        (
            {
                "production_experience_years": 0,
                "bureau_worst_days_past_due_24m": 91,
                "village_opinion": VillageOpinion.negative,
                "assets": D("9999"),
                "annual_production_income": D("49999"),
            },
            33,
            "C",
        ),
    ],
)
def test_grade_floors(changes: dict[str, object], score: int, grade: str) -> None:
    found = rate(replace(BEST, **changes), ON)  # type: ignore[arg-type]
    assert (found.score, found.grade) == (score, grade)


def test_b_starts_at_40_points() -> None:
    # 5 (repayments 60%) + 8 (production 25%) + 10 (net 30,000) + 5 (1 year) + 12 (worst 30
    # days) + 0 (negative opinion) = 40: B. Two less years' worth … 0 experience: 35, C.
    forty = replace(
        BEST,
        annual_existing_repayments=D("60000"),
        annual_production_income=D("25000"),
        assets=D("40000"),
        production_experience_years=1,
        bureau_worst_days_past_due_24m=30,
        village_opinion=VillageOpinion.negative,
    )
    assert (rate(forty, ON).score, rate(forty, ON).grade) == (40, "B")
    below = rate(replace(forty, production_experience_years=0), ON)
    assert (below.score, below.grade) == (35, "C")


def test_a_major_bad_record_knocks_out_to_c_with_no_line() -> None:
    found = rate(replace(BEST, bureau_major_bad_record=True), ON)
    assert (found.score, found.grade, found.credit_limit) == (100, "C", D("0.00"))
    assert Reason("major_bad_record", 0, 0, "knock-out: major bad credit record") in found.reasons


@pytest.mark.parametrize(
    ("income", "repayments", "line"),
    [
        # 2 × (60% × 100,000 − 0) = 120,000 → grade cap 100,000
        ("100000", "0", "100000.00"),
        # 2 × (60% × 50,000 − 0) = 60,000
        ("50000", "0", "60000.00"),
        # 2 × (60% × 50,000 − 4,000) = 52,000 (repayments 8%: still 25 points)
        ("50000", "4000", "52000.00"),
        # 2 × (60% × 50,000 − 4,400.5) = 51,199 → whole thousands: 51,000
        ("50000", "4400.50", "51000.00"),
    ],
)
def test_credit_line_is_capacity_in_whole_thousands(
    income: str, repayments: str, line: str
) -> None:
    inputs = replace(
        BEST,
        annual_household_income=D(income),
        annual_production_income=D(income),
        annual_existing_repayments=D(repayments),
    )
    found = rate(inputs, ON)
    assert found.credit_limit == D(line)
    assert found.reasons[-1].code == "credit_line"


@pytest.mark.parametrize(("cycle", "until"), [(12, date(2027, 5, 31)), (1, date(2026, 6, 30))])
def test_a_rating_lasts_one_production_cycle(cycle: int, until: date) -> None:
    found = rate(replace(BEST, production_cycle_months=cycle), ON)
    assert (found.valid_from, found.valid_until) == (ON, until)


@pytest.mark.parametrize("cycle", [0, 13])
def test_a_cycle_outside_a_year_is_refused(cycle: int) -> None:
    with pytest.raises(ValueError, match="1–12 months"):
        rate(replace(BEST, production_cycle_months=cycle), ON)


def test_every_reason_says_what_was_found_in_chinese_too() -> None:
    import re

    knocked_out = replace(
        BEST, bureau_major_bad_record=True, village_opinion=VillageOpinion.neutral
    )
    for inputs in (BEST, knocked_out):
        found = rate(inputs, date(2026, 6, 1))
        assert all(re.search(r"[\u4e00-\u9fff]", r.detail_zh) for r in found.reasons), found
