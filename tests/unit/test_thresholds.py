"""Thresholds of app/domain at both sides, one fen / one day / one basis point apart, and the
half-fen rounding cases, with hand-worked figures (half-up, written out)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.domain import regional
from app.domain.accrual import (
    accrual_on,
    accrued_through,
    daily_misuse_penalty,
    daily_penalty,
    misuse_rate,
    penalty_rate,
)
from app.domain.money import daily_interest, fen, precise_div, prorate, spread
from app.domain.policy import (
    ASSIST_2026,
    LEGACY_2021,
    LprQuote,
    legacy_contract_problems,
    policy_by_code,
    policy_for,
)
from app.domain.portfolio import compensation, npl_tolerance
from app.domain.schedule import annuity_payment

D = Decimal
LIMITS = regional.Thresholds(
    alert_overdue_ratio=D("0.05"),
    alert_overdue_growth=D("0.02"),
    suspend_overdue_ratio=D("0.15"),
    suspend_npl_ratio=D("0.10"),
)


def figures(overdue: str, npl: str = "0") -> regional.Figures:
    return regional.Figures(D("1000000"), D(overdue), D(npl))


# --- 4.3 regional alert and suspension levels ----------------------------------------------


@pytest.mark.parametrize(
    ("overdue", "alert", "suspend"),
    [
        ("49999", False, False),
        ("50000", True, False),
        ("149999", True, False),
        ("150000", True, True),
    ],
)
def test_clause_4_3_overdue_levels(overdue: str, alert: bool, suspend: bool) -> None:
    found = regional.assess(figures(overdue), None, LIMITS)
    assert (found.alert, found.suspension_recommended) == (alert, suspend)
    assert found.overdue_ratio == D(overdue) / D("1000000")
    assert found.overdue_growth is None and found.npl_growth is None


@pytest.mark.parametrize(("npl", "suspend"), [("99999", False), ("100000", True)])
def test_clause_4_3_npl_suspension_level(npl: str, suspend: bool) -> None:
    found = regional.assess(figures("0", npl), None, LIMITS)
    assert (found.alert, found.suspension_recommended, found.npl_ratio) == (
        suspend,
        suspend,
        D(npl) / D("1000000"),
    )
    if suspend:  # the reason names the level
        assert [r.en for r in found.reasons] == ["4.3 NPL ratio 0.100000 ≥ suspension level 0.10"]
        assert [r.zh for r in found.reasons] == ["4.3 不良率 10.00%，达到暂停线 10.00%"]


@pytest.mark.parametrize(("before", "alert"), [("20001", False), ("20000", True)])
def test_clause_4_3_growth_in_a_month(before: str, alert: bool) -> None:
    # now 4% overdue (below the 5% level): alert only if it rose by 2 points or more
    found = regional.assess(figures("40000", "30000"), figures(before, "10000"), LIMITS)
    assert found.alert is alert
    assert found.overdue_growth == D("0.04") - D(before) / D("1000000")
    assert found.npl_growth == D("0.02")
    if alert:
        assert [r.en for r in found.reasons] == [
            "4.3 overdue ratio rose 0.020000 in a month (≥ 0.02)"
        ]


def test_ratio_of_nothing_is_zero() -> None:
    assert regional.ratio(D("5"), D("0")) == 0
    assert regional.ratio(D("1"), D("3")) == D("0.333333")
    assert regional.ratio(D("0.5"), D("1")) == D("0.5")


# --- 3.1 NPL tolerance and 4.4 compensation ---------------------------------------------------


@pytest.mark.parametrize(("product", "within"), [("0.0425", True), ("0.042501", False)])
def test_clause_3_1_tolerance_is_bank_plus_three_points(product: str, within: bool) -> None:
    found = npl_tolerance(D(product), D("0.0125"))
    assert (found.limit, found.within, found.clause) == (D("0.0425"), within, "3.1")
    # 4.4: 50% of 12,345.67 = 6,172.835 → 6,172.84 (half-up), only within the tolerance
    assert compensation(D("12345.67"), D("0.5"), found) == (D("6172.84") if within else 0)


@pytest.mark.parametrize("share", ["-0.01", "1.01"])
def test_clause_4_4_a_fund_share_outside_0_to_1_claims_nothing(share: str) -> None:
    assert compensation(D("100"), D(share), npl_tolerance(D("0"), D("0.01"))) == 0


# --- 5.2 the notice date and legacy contracts ---------------------------------------------


def test_clause_5_2_the_notice_day_switches_the_terms() -> None:
    assert policy_for(date(2026, 2, 23)) is LEGACY_2021
    assert policy_for(date(2026, 2, 24)) is ASSIST_2026
    assert policy_for(date(2021, 3, 1)) is LEGACY_2021
    with pytest.raises(ValueError, match="no assistance-loan policy was in force on 2021-02-28"):
        policy_for(date(2021, 2, 28))
    assert policy_by_code("LEGACY_2021") is LEGACY_2021
    with pytest.raises(KeyError, match="NOPE"):
        policy_by_code("NOPE")


QUOTE = LprQuote(date(2025, 5, 20), D("0.03"), D("0.035"))


def problems(**changes: object) -> list[str]:
    terms: dict[str, object] = {
        "signed_on": date(2025, 6, 1),
        "principal": D("50000.00"),
        "term_months": 36,
        "annual_rate": D("0.035"),
        "central_rate": D("0.02"),
        "local_rate": D("0.015"),
        "subsidised_principal": D("50000.00"),
        "lpr": QUOTE,
    }
    found = legacy_contract_problems(**{**terms, **changes})  # type: ignore[arg-type]
    # each reason is said in Chinese too, under the same clause
    assert all(p.zh.split(" ")[0] == p.en.split(" ")[0] for p in found)
    return [p.en for p in found]


@pytest.mark.parametrize(
    ("changes", "found"),
    [
        ({}, []),
        ({"signed_on": date(2026, 2, 23)}, []),
        (
            {"signed_on": date(2026, 2, 24)},
            ["5.2 signed on 2026-02-24, on or after the notice: not a legacy loan"],
        ),
        (
            {"principal": D("50000.01")},
            [
                "5.2 legacy amounts are at most 50000.00",
                "1.6 the subsidised principal must be within the principal",
            ][:1],
        ),
        ({"principal": D("0.01"), "subsidised_principal": D("0")}, []),
        (
            {"principal": D("0"), "subsidised_principal": D("0")},
            ["5.2 legacy amounts are at most 50000.00"],
        ),
        ({"term_months": 1, "annual_rate": D("0.03"), "local_rate": D("0.01")}, []),
        (
            {"term_months": 0, "annual_rate": D("0.03"), "local_rate": D("0.01")},
            ["5.2 legacy terms are at most 36 months"],
        ),
        ({"term_months": 37}, ["5.2 legacy terms are at most 36 months"]),
        (
            {"local_rate": D("0.0151")},
            ["1.6 subsidy rates must be non-negative and within the contract rate"],
        ),
        ({"central_rate": D("0"), "local_rate": D("0")}, []),
        (
            {"central_rate": D("-0.0001"), "local_rate": D("0")},
            ["1.6 subsidy rates must be non-negative and within the contract rate"],
        ),
        (
            {"local_rate": D("-0.0001")},
            ["1.6 subsidy rates must be non-negative and within the contract rate"],
        ),
        ({"subsidised_principal": D("0")}, []),
        (
            {"subsidised_principal": D("50000.01")},
            ["1.6 the subsidised principal must be within the principal"],
        ),
        (
            {"subsidised_principal": D("-0.01")},
            ["1.6 the subsidised principal must be within the principal"],
        ),
        (
            {"term_months": 12},
            ["5.2 the rate 0.035 exceeds the 1-year LPR 0.03 in force on 2025-06-01 (2025-05-20)"],
        ),
        (
            {"annual_rate": D("0.0351")},
            [
                "5.2 the rate 0.0351 exceeds the 5-year LPR 0.035 in force on 2025-06-01"
                " (2025-05-20)"
            ],
        ),
        ({"lpr": None}, ["5.2 no loan prime rate is recorded for 2025-06-01"]),
    ],
)
def test_clause_5_2_legacy_contract_limits(changes: dict[str, object], found: list[str]) -> None:
    assert problems(**changes) == found


# --- money: rounding half-up, once ---------------------------------------------------------


def test_a_half_fen_rounds_up() -> None:
    # 3,000 at 3.65% for a month: 3,000 × 0.0365 / 12 = 9.125 → 9.13 (banker's: 9.12)
    assert fen(D("3000") * D("0.0365") / 12) == D("9.13")
    assert fen(D("9.124999")) == D("9.12")
    assert fen(D("-9.125")) == D("-9.13")
    # 3,000 at 3.65% for 30 days on 360: 9.125 → 9.13
    assert daily_interest(D("3000"), D("0.0365"), 30) == D("9.13")
    # 1,000 at 3% × 1.5 for a day: 0.125 → 0.13; misuse at 3% × 0.5: 0.0416… → 0.04
    assert daily_penalty(D("1000"), D("0.03"), D("0.5")) == D("0.13")
    assert daily_misuse_penalty(D("1000"), D("0.03"), D("0.5")) == D("0.04")


def test_precision_is_forty_digits_before_the_one_rounding() -> None:
    third = precise_div(D(1), D(3))
    assert len(third.as_tuple().digits) == 40
    assert prorate(D("0.05"), 1, 2) == D("0.03")  # 0.025 → 0.03
    assert prorate(D("100"), 1, 3) == D("33.33")
    assert spread(D("0.05"), 2) == [D("0.03"), D("0.02")]
    assert spread(D("10.00"), 3) == [D("3.33"), D("3.34"), D("3.33")]
    # 12 months of 10,000 at 0% is 833.33 a month; at 3.65% (i = 0.0030416…):
    # 10,000 × i × (1+i)^12 / ((1+i)^12 − 1) = 850.…
    assert annuity_payment(D("10000"), D("0"), 12) == D("833.33")


@pytest.mark.parametrize(
    ("markup", "ok"), [("0.29", False), ("0.3", True), ("0.5", True), ("0.51", False)]
)
def test_overdue_penalty_markup_range(markup: str, ok: bool) -> None:
    if ok:
        assert penalty_rate(D("0.04"), D(markup)) == D("0.04") * (1 + D(markup))
    else:
        with pytest.raises(ValueError, match=r"0\.3–0\.5"):
            penalty_rate(D("0.04"), D(markup))


@pytest.mark.parametrize(
    ("markup", "ok"), [("0.49", False), ("0.5", True), ("1.0", True), ("1.01", False)]
)
def test_misuse_penalty_markup_range(markup: str, ok: bool) -> None:
    if ok:
        assert misuse_rate(D("0.04"), D(markup)) == D("0.04") * (1 + D(markup))
    else:
        with pytest.raises(ValueError, match=r"0\.5–1\.0"):
            misuse_rate(D("0.04"), D(markup))


def test_accrual_days_count_from_the_period_start_and_stop_before_the_due_date() -> None:
    # 30.00 over 2026-06-01 .. 07-01 (30 days): 1.00 a day
    start, due = date(2026, 6, 1), date(2026, 7, 1)
    assert accrued_through(D("30.00"), start, due, date(2026, 5, 31)) == 0
    assert accrued_through(D("30.00"), start, due, start) == D("1.00")
    assert accrued_through(D("30.00"), start, due, date(2026, 6, 30)) == D("30.00")
    assert accrued_through(D("30.00"), start, due, due) == D("30.00")
    assert accrual_on(D("30.00"), start, due, start) == D("1.00")
    assert accrual_on(D("30.00"), start, due, date(2026, 6, 30)) == D("1.00")
    assert accrual_on(D("30.00"), start, due, due) == 0  # the due date starts the next period
    assert accrual_on(D("30.00"), start, due, date(2026, 5, 31)) == 0
    # 9.125 over 2 days: 4.5625 → 4.56, then 9.13 − 4.56 = 4.57 (the total is rounded once)
    two = date(2026, 6, 3)
    assert accrual_on(D("9.13"), start, two, start) == D("4.57")  # 4.565 → 4.57
    assert accrued_through(D("9.13"), start, two, date(2026, 6, 2)) == D("9.13")
