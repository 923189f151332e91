"""The edges of app/domain that mutation testing found unguarded: roster dates, leap years,
a purpose a version lists nowhere, reschedules and re-amortisations written out by hand,
allocation and share boundaries, and the messages raised."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain import eligibility as e
from app.domain import repayment, subsidy
from app.domain.classification import observation_period
from app.domain.eligibility import RosterStatus as R
from app.domain.monitoring import FundUse, is_misuse, next_visit_due
from app.domain.policy import ASSIST_2026, LEGACY_2021, Purpose, RepaymentMethod
from app.domain.portfolio import compensation, npl_tolerance, period_npl_ratio
from app.domain.rating import SCORECARD_2026_1, rate
from app.domain.regional import ratio
from app.domain.renewal import ChainAction, LoanChainFacts, evaluate
from app.domain.rules import failures, rule
from app.domain.schedule import PlannedInstalment, build, reamortise, reschedule
from tests.unit.test_rating_boundaries import BEST

D = Decimal
ZERO = D("0.00")


# --- 1.1 roster status ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "removed", "status"),
    [
        (None, None, R.not_listed),
        ("monitoring_target", None, R.monitoring_target),
        ("continued_support", date(2026, 6, 2), R.continued_support),  # removed tomorrow
        ("continued_support", date(2026, 6, 1), R.removed),  # removed today
    ],
)
def test_clause_1_1_a_persons_status_on_a_date(
    category: str | None, removed: date | None, status: R
) -> None:
    assert e.person_roster_status(category, removed, date(2026, 6, 1)) is status


@pytest.mark.parametrize(
    ("members", "household"),
    [
        ([R.not_listed, R.continued_support, R.monitoring_target], R.monitoring_target),
        ([R.removed, R.continued_support], R.continued_support),
        ([R.not_listed, R.removed], R.removed),
        ([R.not_listed], R.not_listed),
        ([], R.not_listed),
    ],
)
def test_clause_1_1_a_households_status(members: list[R], household: R) -> None:
    assert e.household_roster_status(members) is household


# --- 1.9 age, leap years ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(2000, 2, 29), date(2026, 2, 28), 25),  # common year: the birthday is 1 March
        (date(2000, 2, 29), date(2026, 3, 1), 26),
        (date(2000, 2, 29), date(2028, 2, 29), 28),  # leap year
        (date(2004, 2, 29), date(2100, 2, 28), 95),  # 2100 is not a leap year (÷100)
        (date(2004, 2, 29), date(2100, 3, 1), 96),
        (date(1996, 2, 29), date(2000, 2, 29), 4),  # 2000 is (÷400)
        (date(1996, 2, 29), date(2000, 2, 28), 3),
        (date(1960, 3, 29), date(2026, 3, 28), 65),  # an ordinary birthday near the end of March
        (date(1960, 3, 29), date(2026, 3, 29), 66),
        (date(1960, 3, 1), date(2026, 3, 1), 66),
        (date(1960, 3, 1), date(2026, 2, 28), 65),
    ],
)
def test_clause_1_9_age_in_completed_years(born: date, on: date, age: int) -> None:
    assert e.age_on(born, on) == age


def test_clause_1_8_a_purpose_a_version_lists_nowhere_is_refused() -> None:
    narrow = replace(
        ASSIST_2026,
        productive_purposes=ASSIST_2026.productive_purposes - {Purpose.other_production},
    )
    loan = e.LoanRequest(D("1000"), 12, Purpose.other_production, False, False)
    assert not e.check_purpose(loan, narrow).passed
    assert e.check_purpose(loan, ASSIST_2026).passed


def test_clause_4_3_both_counties_suspended_are_named() -> None:
    both = e.HouseholdFacts(R.monitoring_target, "520102", False, True, "520103", True)
    found = e.check_region(both)
    assert "520102、520103" in found.message_zh
    assert found.message_en.endswith("region 520102, 520103")
    same = replace(both, roster_region_code="520102")
    assert e.suspended_counties(same) == ["520102"]


# --- 4.2 monitoring ---------------------------------------------------------------------------


def test_clause_4_2_visits_fall_due_from_the_last_visit_or_the_disbursement() -> None:
    assert next_visit_due(None, date(2026, 6, 1), 180) == date(2026, 11, 28)
    assert next_visit_due(date(2026, 7, 1), date(2026, 6, 1), 180) == date(2026, 12, 28)
    assert [f for f in FundUse if is_misuse(f)] == [
        FundUse.diverted_to_enterprise,
        FundUse.non_productive_use,
    ]


# --- schedules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "months", "rate"), [("0", 12, "0.04"), ("100", 0, "0.04"), ("100", 12, "-0.01")]
)
def test_a_schedule_needs_principal_a_term_and_a_rate(
    principal: str, months: int, rate: str
) -> None:
    with pytest.raises(
        ValueError, match=r"^principal > 0, term ≥ 1 month and rate ≥ 0 are required$"
    ):
        build(D(principal), D(rate), months, RepaymentMethod.equal_principal, date(2026, 1, 31))


def test_a_schedule_keeps_its_terms_and_numbers_its_periods() -> None:
    plan = build(D("3000"), D("0.0365"), 3, RepaymentMethod.equal_principal, date(2026, 1, 31))
    assert (plan.principal, plan.annual_rate, plan.term_months, plan.method, plan.start_date) == (
        D("3000"),
        D("0.0365"),
        3,
        RepaymentMethod.equal_principal,
        date(2026, 1, 31),
    )
    # 3,000 at 3.65%: i = 0.0030416…; month 1 interest 9.125 → 9.13; month 2 on 2,000:
    # 6.0833 → 6.08; month 3 on 1,000: 3.0416 → 3.04. Due dates clamp to month ends.
    assert [(i.number, i.due_date, i.principal, i.interest) for i in plan.instalments] == [
        (1, date(2026, 2, 28), D("1000.00"), D("9.13")),
        (2, date(2026, 3, 31), D("1000.00"), D("6.08")),
        (3, date(2026, 4, 30), D("1000.00"), D("3.04")),
    ]
    bullet = build(D("3000"), D("0.0365"), 1, RepaymentMethod.bullet, date(2026, 1, 1))
    # 31 days: 3,000 × 3.65% × 31 / 360 = 9.4291… → 9.43
    assert [(i.number, i.principal, i.interest) for i in bullet.instalments] == [
        (1, D("3000"), D("9.43"))
    ]


def _rows(plan: list[PlannedInstalment]) -> list[tuple[object, ...]]:
    return [
        (i.number, i.period_start, i.due_date, i.principal, i.interest, i.remaining_principal)
        for i in plan
    ]


REMAINING = [
    PlannedInstalment(3, date(2026, 3, 15), date(2026, 4, 15), D("1000"), D("9.00"), D("2000")),
    PlannedInstalment(4, date(2026, 4, 15), date(2026, 5, 15), D("1000"), D("6.00"), D("1000")),
    PlannedInstalment(5, date(2026, 5, 15), date(2026, 6, 15), D("1000"), D("3.00"), D("0")),
]


def test_equal_principal_after_a_prepayment_keeps_numbers_and_dates() -> None:
    # 1,500 left over the same 3 periods at 3.65%: 500 each; interest 1,500 × 0.0030416 =
    # 4.5625 → 4.56, then 1,000 → 3.04, then 500 → 1.52 (1.5208)
    found = reamortise(D("1500"), D("0.0365"), RepaymentMethod.equal_principal, REMAINING)
    assert _rows(found) == [
        (3, date(2026, 3, 15), date(2026, 4, 15), D("500.00"), D("4.56"), D("1000.00")),
        (4, date(2026, 4, 15), date(2026, 5, 15), D("500.00"), D("3.04"), D("500.00")),
        (5, date(2026, 5, 15), date(2026, 6, 15), D("500.00"), D("1.52"), D("0.00")),
    ]


def test_re_amortisation_by_method_and_of_nothing() -> None:
    interest_only = reamortise(
        D("1500"), D("0.0365"), RepaymentMethod.interest_then_principal, REMAINING
    )
    assert [(i.principal, i.interest) for i in interest_only] == [
        (ZERO, D("4.56")),
        (ZERO, D("4.56")),
        (D("1500"), D("4.56")),
    ]
    annuity = reamortise(D("1500"), D("0.0365"), RepaymentMethod.equal_installment, REMAINING)
    # annuity 1,500 × i(1+i)^3/((1+i)^3 − 1) = 503.0447… → 503.04: principal 498.48 first
    assert (annuity[0].principal, annuity[0].interest) == (D("498.48"), D("4.56"))
    bullet = reamortise(D("1500"), D("0.0365"), RepaymentMethod.bullet, REMAINING)
    # 1,500 × 3.65% × 31 days / 360 = 4.7145… → 4.71, all in the first remaining period
    assert _rows(bullet) == [(3, date(2026, 3, 15), date(2026, 4, 15), D("1500"), D("4.71"), ZERO)]
    for balance in (D("0"), D("-1")):
        nothing = reamortise(balance, D("0.0365"), RepaymentMethod.equal_principal, REMAINING)
        assert _rows(nothing) == [
            (i.number, i.period_start, i.due_date, ZERO, ZERO, ZERO) for i in REMAINING
        ]
    assert reamortise(D("10"), D("0.0365"), RepaymentMethod.equal_principal, []) == []


def test_an_extension_reschedules_from_the_value_dates_day_of_month() -> None:
    # value date 2026-01-31; period k runs from k−1 to k months after it (clamped), so the
    # extended periods 3..5 run 03-31 → 04-30 → 05-31 → 06-30
    found = reschedule(
        D("1500"), D("0.0365"), RepaymentMethod.equal_principal, date(2026, 1, 31), 3, 5
    )
    assert _rows(found) == [
        (3, date(2026, 3, 31), date(2026, 4, 30), D("500.00"), D("4.56"), D("1000.00")),
        (4, date(2026, 4, 30), date(2026, 5, 31), D("500.00"), D("3.04"), D("500.00")),
        (5, date(2026, 5, 31), date(2026, 6, 30), D("500.00"), D("1.52"), D("0.00")),
    ]
    bullet = reschedule(D("1500"), D("0.0365"), RepaymentMethod.bullet, date(2026, 1, 31), 1, 3)
    # 2026-01-31 .. 04-30: 89 days: 1,500 × 3.65% × 89 / 360 = 13.535… → 13.54
    assert _rows(bullet) == [(1, date(2026, 1, 31), date(2026, 4, 30), D("1500"), D("13.54"), ZERO)]
    interest_only = reschedule(
        D("1500"), D("0.0365"), RepaymentMethod.interest_then_principal, date(2026, 1, 31), 2, 3
    )
    assert [(i.number, i.principal) for i in interest_only] == [(2, ZERO), (3, D("1500"))]
    annuity = reschedule(
        D("1500"), D("0.0365"), RepaymentMethod.equal_installment, date(2026, 1, 31), 2, 3
    )
    assert [i.number for i in annuity] == [2, 3]
    # 1,500 over 2 months: 753.4236… → 753.42, of which 4.56 interest
    assert (annuity[0].principal, annuity[0].interest) == (D("748.86"), D("4.56"))


# --- repayment allocation ------------------------------------------------------------------


def owed(**changes: Decimal | int) -> repayment.Owed:
    base = repayment.Owed(
        penalty=ZERO,
        overdue_interest=ZERO,
        overdue_principal=ZERO,
        interest_due=ZERO,
        principal_due=ZERO,
        future_principal=D("1000"),
        annual_rate=D("0.036"),
        days_into_period=10,
    )
    return replace(base, **changes)


def test_a_repayment_must_be_positive_and_within_what_is_owed() -> None:
    for amount in (D("0"), D("-0.01")):
        with pytest.raises(ValueError, match=r"^a repayment must be positive$"):
            repayment.allocate(amount, owed())
    # paying off 1,000 after 10 days at 3.6%: 1,000 + 1.00 of interest = 1,001.00
    assert owed().total == D("1001.00")
    with pytest.raises(repayment.OverpaymentError) as refused:
        repayment.allocate(D("1001.01"), owed())
    assert refused.value.owed == D("1001.00")
    assert str(refused.value) == "the amount exceeds everything owed (1001.00)"
    paid_off = repayment.allocate(D("1001.00"), owed())
    assert (paid_off.prepaid_principal, paid_off.prepayment_interest, paid_off.pays_off) == (
        D("1000"),
        D("1.00"),
        True,
    )
    # a fen: principal 0.01 / 1.001 = 0.00999 → 0.01, interest the rest 0.00
    cent = repayment.allocate(D("0.01"), owed())
    assert (cent.prepaid_principal, cent.prepayment_interest) == (D("0.01"), ZERO)
    # 999.00: 999 / 1.001 = 998.0019… → 998.00 of principal and 1.00 of interest
    part = repayment.allocate(D("999.00"), owed())
    assert (part.prepaid_principal, part.prepayment_interest, part.pays_off) == (
        D("998.00"),
        D("1.00"),
        False,
    )
    # 1.00: 1 / 1.001 = 0.999 → 1.00 of principal
    one = repayment.allocate(D("1.00"), owed())
    assert (one.prepaid_principal, one.prepayment_interest) == (D("1.00"), ZERO)


# --- subsidy and portfolio edges ---------------------------------------------------------


def test_clause_1_6_split_warnings_and_legacy_terms() -> None:
    capped = subsidy.split(D("0.03"), D("1000"), False, D("0.02"), ASSIST_2026)
    # central 70% × 3% = 2.1%; the local 2% is cut to the 0.9% left
    assert capped.terms.local_rate == D("0.009")
    assert capped.warnings == [
        "local_rate_capped: local subsidy rate cut from 0.02 to 0.009 so that central + local"
        " does not exceed the contract rate (1.6)",
        "borrower_bears_no_interest: the notice asks the borrower to bear part of the"
        " interest (1.6)",
    ]
    assert subsidy.split(D("0"), D("1000"), False, D("0"), ASSIST_2026).warnings == []
    with pytest.raises(subsidy.LegacySubsidyError, match=r"LEGACY_2021 loans keep the subsidy"):
        subsidy.split(D("0.03"), D("1000"), False, D("0"), LEGACY_2021)


@pytest.mark.parametrize(
    ("interest", "principal", "central", "local"),
    [
        ("0.00", "1000", "0.00", "0.00"),
        # 0.50 of interest at 4.35% with 2.5 + 1 points: 0.287… → 0.29, 0.1149… → 0.11
        ("0.50", "1000", "0.29", "0.11"),
        ("1.00", "1", "0.57", "0.23"),  # 1.00 × 2.5/4.35 = 0.5747 → 0.57; × 1/4.35 = 0.2298
    ],
)
def test_clause_1_6_shares_of_small_amounts(
    interest: str, principal: str, central: str, local: str
) -> None:
    terms = subsidy.SubsidyTerms(D("0.0435"), D("0.025"), D("0.01"), D(principal), D(principal))
    found = subsidy.shares(D(interest), terms)
    assert (found.central, found.local) == (D(central), D(local))
    assert found.total == D(interest)


def test_clause_1_6_no_principal_no_shares() -> None:
    terms = subsidy.SubsidyTerms(D("0.0435"), D("0.025"), D("0.01"), D("0"), D("0"))
    found = subsidy.shares(D("1.00"), terms)
    assert (found.central, found.local, found.borrower) == (ZERO, ZERO, D("1.00"))


@pytest.mark.parametrize(("share", "claim"), [("0", "0.00"), ("1", "1000.00")])
def test_clause_4_4_fund_shares_at_the_ends(share: str, claim: str) -> None:
    tolerance = npl_tolerance(D("0.01"), D("0.02"))
    assert (tolerance.product_npl_ratio, tolerance.bank_npl_ratio) == (D("0.01"), D("0.02"))
    assert compensation(D("1000"), D(share), tolerance) == D(claim)


# --- the rest ---------------------------------------------------------------------------------


def test_failures_are_the_rules_that_failed() -> None:
    ok, bad = rule("a", "1.1", True, "", ""), rule("b", "1.2", False, "", "")
    assert failures([ok, bad]) == [bad]


def test_an_extension_asked_without_months_fails_the_length_rule() -> None:
    facts = LoanChainFacts(
        "ASSIST_2026",
        date(2026, 4, 1),
        date(2027, 4, 1),
        12,
        0,
        R.monitoring_target,
        False,
        False,
    )
    decision = evaluate(facts, ChainAction.extension)
    assert [r.code for r in decision.rules if not r.passed] == ["extension_length"]


def test_observation_needs_a_repayment_after_the_change() -> None:
    with pytest.raises(ValueError, match=r"^no repayment date after the change$"):
        observation_period(date(2030, 1, 1), [date(2029, 1, 1)])


def test_the_rating_names_its_scorecard_and_its_small_incomes() -> None:
    small = rate(
        replace(BEST, annual_household_income=D("0.50"), annual_production_income=D("0.50")),
        date(2026, 6, 1),
    )
    assert small.scorecard_version == "SCORECARD_2026_1"
    share = next(r for r in small.reasons if r.code == "production_income_share")
    assert (share.points, share.detail) == (15, "production income 100%")
    # negative free cash: a capacity of 0.00, and no line
    broke = rate(replace(BEST, annual_existing_repayments=D("70000")), date(2026, 6, 1))
    assert broke.credit_limit == ZERO
    assert broke.reasons[-1].detail == (
        "min(grade cap 80000, capacity 0.00, product cap 100000.00)"
    )
    with pytest.raises(ValueError, match=r"^the production cycle must be 1–12 months$"):
        rate(replace(BEST, production_cycle_months=0), date(2026, 6, 1))


def test_clause_1_6_a_half_fen_share_rounds_up() -> None:
    # 0.20 of interest at 4%: central 2.5 points → 0.20 × 0.625 = 0.125 → 0.13 (banker's 0.12);
    # local 1 point → 0.05; the borrower keeps the rest, 0.02
    terms = subsidy.SubsidyTerms(D("0.04"), D("0.025"), D("0.01"), D("1000"), D("1000"))
    found = subsidy.shares(D("0.20"), terms)
    assert (found.central, found.local, found.borrower) == (D("0.13"), D("0.05"), D("0.02"))


def test_no_line_passes_the_product_cap_whatever_a_scorecard_allows() -> None:
    generous = replace(
        SCORECARD_2026_1, grade_caps={**SCORECARD_2026_1.grade_caps, "AAA": D("150000")}
    )
    # capacity 2 × 60% × 100,000 = 120,000 and a 150,000 grade cap: the product cap (1.2) wins
    assert rate(BEST, date(2026, 6, 1), generous).credit_limit == D("100000.00")


@given(
    npl=st.decimals(min_value=0, max_value=10**9, places=2),
    performing=st.decimals(min_value=0, max_value=10**9, places=2),
    written_off=st.decimals(min_value=0, max_value=10**9, places=2),
)
def test_clause_3_1_writing_off_never_lowers_a_periods_npl_ratio(
    npl: Decimal, performing: Decimal, written_off: Decimal
) -> None:
    """Issue 25 finding 1: what a county wrote off in the period counts as non-performing in
    that period's test, so the ratio with it is never below the ratio of what is still on the
    book (and is the same when nothing was written off)."""
    balance = npl + performing
    on_book = period_npl_ratio(npl, balance, Decimal(0))
    assert period_npl_ratio(npl, balance, written_off) >= on_book
    if written_off == 0:
        assert on_book == ratio(npl, balance)
