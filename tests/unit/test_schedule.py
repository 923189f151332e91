"""Repayment schedules and daily accrual: known figures and properties for every method."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.accrual import (
    accrual_on,
    daily_penalty,
    misuse_rate,
    penalty_rate,
    scheduled_accrual_on,
)
from app.domain.money import spread
from app.domain.policy import RepaymentMethod
from app.domain.schedule import add_months, annuity_payment, build, reamortise

D = Decimal


def test_annuity_payment_matches_the_textbook_figure() -> None:
    # 10,000 at 12% a year over 12 months: 888.49 a month.
    assert annuity_payment(D("10000"), D("0.12"), 12) == D("888.49")


def test_equal_installment_last_payment_clears_the_balance() -> None:
    schedule = build(D("10000"), D("0.12"), 12, RepaymentMethod.equal_installment, date(2026, 3, 1))
    payments = [i.payment for i in schedule.instalments]
    assert payments[:-1] == [D("888.49")] * 11
    assert schedule.instalments[0].interest == D("100.00")
    assert schedule.instalments[-1].remaining_principal == 0
    assert schedule.total_principal == D("10000")


def test_equal_principal_pays_even_principal_and_the_remainder_last() -> None:
    schedule = build(D("10000"), D("0.06"), 3, RepaymentMethod.equal_principal, date(2026, 3, 1))
    assert [i.principal for i in schedule.instalments] == [
        D("3333.33"),
        D("3333.33"),
        D("3333.34"),
    ]
    assert [i.interest for i in schedule.instalments] == [D("50.00"), D("33.33"), D("16.67")]


def test_interest_then_principal() -> None:
    schedule = build(
        D("20000"), D("0.045"), 6, RepaymentMethod.interest_then_principal, date(2026, 3, 15)
    )
    assert [i.interest for i in schedule.instalments] == [D("75.00")] * 6
    assert [i.principal for i in schedule.instalments] == [D("0")] * 5 + [D("20000")]


def test_bullet_pays_actual_days_over_360_at_maturity() -> None:
    schedule = build(D("10000"), D("0.036"), 12, RepaymentMethod.bullet, date(2026, 3, 1))
    (only,) = schedule.instalments
    assert only.due_date == date(2027, 3, 1)
    assert only.interest == D("365.00")  # 10,000 × 3.6% × 365 / 360
    assert only.payment == D("10365.00")


def test_due_dates_clamp_to_the_end_of_short_months() -> None:
    schedule = build(D("1200"), D("0.05"), 4, RepaymentMethod.equal_principal, date(2026, 1, 31))
    assert [i.due_date for i in schedule.instalments] == [
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
    ]
    assert add_months(date(2027, 12, 31), 2) == date(2028, 2, 29)


def test_tiny_principal_over_many_months_never_goes_negative() -> None:
    schedule = build(D("1.00"), D("0.24"), 36, RepaymentMethod.equal_principal, date(2026, 3, 1))
    assert min(i.principal for i in schedule.instalments) >= 0
    assert schedule.total_principal == D("1.00")


principals = st.decimals(min_value=D("0.01"), max_value=D("100000"), places=2)
rates = st.decimals(min_value=D("0"), max_value=D("0.24"), places=4)
terms = st.integers(min_value=1, max_value=36)
starts = st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31))
methods = st.sampled_from(list(RepaymentMethod))


@settings(max_examples=300)
@given(principal=principals, rate=rates, term=terms, method=methods, start=starts)
def test_property_every_schedule_reconciles(
    principal: Decimal, rate: Decimal, term: int, method: RepaymentMethod, start: date
) -> None:
    schedule = build(principal, rate, term, method, start)
    rows = schedule.instalments
    assert schedule.total_principal == principal
    assert all(i.principal >= 0 and i.interest >= 0 and i.remaining_principal >= 0 for i in rows)
    balances = [principal] + [i.remaining_principal for i in rows]
    assert all(a >= b for a, b in itertools.pairwise(balances))
    assert rows[-1].remaining_principal == 0
    dues = [i.due_date for i in rows]
    assert all(a < b for a, b in itertools.pairwise(dues))
    assert dues[-1] == add_months(start, term)
    assert all(i.principal == i.principal.quantize(D("0.01")) for i in rows)
    assert all(i.payment == i.principal + i.interest for i in rows)


@settings(max_examples=200)
@given(
    principal=principals,
    rate=rates,
    term=terms,
    method=methods,
    start=starts,
    paid_share=st.integers(min_value=1, max_value=99),
)
def test_property_reamortised_remainder_sums_to_the_balance(
    principal: Decimal,
    rate: Decimal,
    term: int,
    method: RepaymentMethod,
    start: date,
    paid_share: int,
) -> None:
    rows = build(principal, rate, term, method, start).instalments
    balance = (principal * paid_share / 100).quantize(D("0.01"))
    again = reamortise(balance, rate, method, rows)
    assert sum((i.principal for i in again), D(0)) == balance
    assert [i.due_date for i in again] == [i.due_date for i in rows]
    assert all(i.principal >= 0 and i.interest >= 0 for i in again)


@settings(max_examples=200)
@given(principal=principals, rate=rates, term=terms, method=methods, start=starts)
def test_property_a_full_period_accrues_exactly_the_scheduled_interest(
    principal: Decimal, rate: Decimal, term: int, method: RepaymentMethod, start: date
) -> None:
    for row in build(principal, rate, term, method, start).instalments[:3]:
        days = [row.period_start + timedelta(days=k) for k in range(row.days)]
        daily = [scheduled_accrual_on(row, day) for day in days]
        assert sum(daily, D(0)) == row.interest
        assert all(amount >= 0 for amount in daily)
        assert max(daily) - min(daily) <= D("0.01")
        assert scheduled_accrual_on(row, row.due_date) == 0


@given(
    total=st.decimals(min_value=D("0"), max_value=D("100000"), places=2),
    parts=st.integers(min_value=1, max_value=400),
)
def test_property_spread_is_even_and_exact(total: Decimal, parts: int) -> None:
    amounts = spread(total, parts)
    assert sum(amounts, D(0)) == total
    assert all(a >= 0 for a in amounts)
    assert max(amounts) - min(amounts) <= D("0.01")


def test_accrual_outside_the_period_is_zero() -> None:
    assert accrual_on(D("10"), date(2026, 3, 1), date(2026, 4, 1), date(2026, 4, 1)) == 0
    assert accrual_on(D("10"), date(2026, 3, 1), date(2026, 4, 1), date(2026, 2, 28)) == 0


def test_penalty_is_contract_rate_plus_markup_over_360() -> None:
    assert penalty_rate(D("0.04"), D("0.5")) == D("0.060")
    assert daily_penalty(D("1000.00"), D("0.036"), D("0.5")) == D("0.15")  # 1000×0.054/360
    assert misuse_rate(D("0.04"), D("1.0")) == D("0.080")
    with pytest.raises(ValueError, match=r"0\.3"):
        penalty_rate(D("0.04"), D("0.6"))
    with pytest.raises(ValueError, match=r"0\.5"):
        misuse_rate(D("0.04"), D("0.4"))


@settings(max_examples=200)
@given(
    principal=principals,
    rate=rates,
    method=methods,
    start=starts,
    first=st.integers(1, 24),
    extra=st.integers(1, 18),
)
def test_property_rescheduled_periods_keep_the_anchor_and_sum_to_the_balance(
    principal: Decimal,
    rate: Decimal,
    method: RepaymentMethod,
    start: date,
    first: int,
    extra: int,
) -> None:
    from app.domain.schedule import reschedule

    rows = reschedule(principal, rate, method, start, first, first + extra)
    assert sum((r.principal for r in rows), D(0)) == principal
    assert rows[-1].due_date == add_months(start, first + extra)
    assert rows[0].period_start == add_months(start, first - 1)
    assert all(r.principal >= 0 and r.interest >= 0 for r in rows)


def test_regional_assessment_clause_4_3() -> None:
    from app.domain.regional import Figures, Thresholds, assess

    calm = assess(Figures(D("1000000"), D("10000"), D("0")), None, Thresholds())
    assert (calm.overdue_ratio, calm.alert, calm.suspension_recommended) == (
        D("0.01"),
        False,
        False,
    )
    rising = assess(
        Figures(D("1000000"), D("40000"), D("0")),
        Figures(D("1000000"), D("10000"), D("0")),
        Thresholds(),
    )
    assert rising.alert and not rising.suspension_recommended
    assert rising.overdue_growth == D("0.03")
    bad = assess(Figures(D("1000000"), D("200000"), D("120000")), None, Thresholds())
    assert bad.alert and bad.suspension_recommended
    assert all(reason.zh.startswith("4.3 ") for reason in bad.reasons)
    assert all(reason.en.startswith("4.3 ") for reason in bad.reasons)
    assert assess(Figures(D("0"), D("0"), D("0")), None, Thresholds()).overdue_ratio == 0
