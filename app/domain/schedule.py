"""Repayment schedules for the four methods (DESIGN §5), monthly periods.

Conventions: due dates fall on the start date's day of month, clamped to the month's last day;
monthly rate = annual / 12; every posted amount is rounded half-up to the fen once; the last
instalment clears whatever principal remains, so principal always sums to the loan exactly.
"""

from __future__ import annotations

import calendar
import itertools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from app.domain.money import MONTHS_IN_YEAR, ZERO, daily_interest, fen
from app.domain.policy import RepaymentMethod


@dataclass(frozen=True, slots=True)
class PlannedInstalment:
    number: int
    period_start: date  # interest accrues from this day (inclusive) ...
    due_date: date  # ... to the due date (exclusive)
    principal: Decimal
    interest: Decimal
    remaining_principal: Decimal

    @property
    def payment(self) -> Decimal:
        return self.principal + self.interest

    @property
    def days(self) -> int:
        return (self.due_date - self.period_start).days


@dataclass(frozen=True, slots=True)
class Schedule:
    principal: Decimal
    annual_rate: Decimal
    term_months: int
    method: RepaymentMethod
    start_date: date
    instalments: list[PlannedInstalment]

    @property
    def total_principal(self) -> Decimal:
        return sum((i.principal for i in self.instalments), ZERO)

    @property
    def total_interest(self) -> Decimal:
        return sum((i.interest for i in self.instalments), ZERO)

    @property
    def maturity_date(self) -> date:
        return self.instalments[-1].due_date


def add_months(start: date, months: int) -> date:
    """Same day of month `months` later, clamped to that month's last day."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def monthly_rate(annual_rate: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 40
        return annual_rate / MONTHS_IN_YEAR


def annuity_payment(principal: Decimal, annual_rate: Decimal, term_months: int) -> Decimal:
    """等额本息 instalment: P·r(1+r)^n / ((1+r)^n − 1), rounded half-up to the fen."""
    r = monthly_rate(annual_rate)
    if r == 0:
        return fen(principal / term_months)
    with localcontext() as ctx:
        ctx.prec = 40
        growth = (1 + r) ** term_months
        return fen(principal * r * growth / (growth - 1))


def build(
    principal: Decimal,
    annual_rate: Decimal,
    term_months: int,
    method: RepaymentMethod,
    start_date: date,
) -> Schedule:
    if principal <= 0 or term_months < 1 or annual_rate < 0:
        raise ValueError("principal > 0, term ≥ 1 month and rate ≥ 0 are required")
    builders = {
        RepaymentMethod.equal_installment: _equal_installment,
        RepaymentMethod.equal_principal: _equal_principal,
        RepaymentMethod.interest_then_principal: _interest_then_principal,
        RepaymentMethod.bullet: _bullet,
    }
    instalments = builders[method](principal, annual_rate, term_months, start_date)
    return Schedule(principal, annual_rate, term_months, method, start_date, instalments)


def _periods(start: date, term_months: int) -> list[tuple[date, date]]:
    dates = [add_months(start, k) for k in range(term_months + 1)]
    return list(itertools.pairwise(dates))


def _amortise(
    principal: Decimal,
    annual_rate: Decimal,
    term_months: int,
    start: date,
    principal_due: list[Decimal | None],
) -> list[PlannedInstalment]:
    """Monthly interest on the balance; `principal_due[k]` is the k-th principal (None: the
    annuity remainder), capped by the balance; the last period clears the balance."""
    r = monthly_rate(annual_rate)
    annuity = annuity_payment(principal, annual_rate, term_months)
    balance = principal
    rows: list[PlannedInstalment] = []
    for k, (period_start, due) in enumerate(_periods(start, term_months)):
        interest = fen(balance * r)
        wanted = principal_due[k]
        if wanted is None:
            wanted = annuity - interest
        paid = balance if k == term_months - 1 else min(max(wanted, ZERO), balance)
        balance -= paid
        rows.append(PlannedInstalment(k + 1, period_start, due, paid, interest, balance))
    return rows


def _equal_installment(p: Decimal, rate: Decimal, n: int, start: date) -> list[PlannedInstalment]:
    return _amortise(p, rate, n, start, [None] * n)


def _equal_principal(p: Decimal, rate: Decimal, n: int, start: date) -> list[PlannedInstalment]:
    return _amortise(p, rate, n, start, [fen(p / n)] * n)


def _interest_then_principal(
    p: Decimal, rate: Decimal, n: int, start: date
) -> list[PlannedInstalment]:
    return _amortise(p, rate, n, start, [ZERO] * n)


def _bullet(p: Decimal, rate: Decimal, n: int, start: date) -> list[PlannedInstalment]:
    """利随本清: principal plus actual-days interest (annual / 360) at maturity."""
    maturity = add_months(start, n)
    interest = daily_interest(p, rate, (maturity - start).days)
    return [PlannedInstalment(1, start, maturity, p, interest, ZERO)]


def reamortise(
    balance: Decimal,
    annual_rate: Decimal,
    method: RepaymentMethod,
    remaining: list[PlannedInstalment],
) -> list[PlannedInstalment]:
    """After a partial prepayment: the same due dates and method, over the remaining periods,
    for the lower balance (the term does not change)."""
    if not remaining or balance <= 0:
        return [
            PlannedInstalment(i.number, i.period_start, i.due_date, ZERO, ZERO, ZERO)
            for i in remaining
        ]
    n = len(remaining)
    first = remaining[0]
    if method is RepaymentMethod.bullet:
        interest = daily_interest(balance, annual_rate, (first.due_date - first.period_start).days)
        return [
            PlannedInstalment(
                first.number, first.period_start, first.due_date, balance, interest, ZERO
            )
        ]
    plan: list[Decimal | None]
    if method is RepaymentMethod.equal_installment:
        plan = [None] * n
    elif method is RepaymentMethod.equal_principal:
        plan = [fen(balance / n)] * n
    else:
        plan = [ZERO] * n
    rows = _amortise(balance, annual_rate, n, first.period_start, plan)
    # Keep the original numbering and due dates (the clamping of day-of-month may differ
    # when the remaining periods start on a clamped date).
    return [
        PlannedInstalment(
            orig.number,
            orig.period_start,
            orig.due_date,
            new.principal,
            new.interest,
            new.remaining_principal,
        )
        for orig, new in zip(remaining, rows, strict=True)
    ]


def reschedule(
    balance: Decimal,
    annual_rate: Decimal,
    method: RepaymentMethod,
    anchor: date,
    first: int,
    last: int,
) -> list[PlannedInstalment]:
    """Periods first..last of a loan whose due dates fall on `anchor`'s day of month (its
    value date), amortising `balance` over them: an extension lengthens the schedule this way.
    Bullet loans get one period from period `first`'s start to the new maturity."""
    start = add_months(anchor, first - 1)
    if method is RepaymentMethod.bullet:
        maturity = add_months(anchor, last)
        interest = daily_interest(balance, annual_rate, (maturity - start).days)
        return [PlannedInstalment(first, start, maturity, balance, interest, ZERO)]
    n = last - first + 1
    plan: list[Decimal | None]
    if method is RepaymentMethod.equal_installment:
        plan = [None] * n
    elif method is RepaymentMethod.equal_principal:
        plan = [fen(balance / n)] * n
    else:
        plan = [ZERO] * n
    rows = _amortise(balance, annual_rate, n, start, plan)
    return [
        PlannedInstalment(
            first + i,
            add_months(anchor, first + i - 1),
            add_months(anchor, first + i),
            row.principal,
            row.interest,
            row.remaining_principal,
        )
        for i, row in enumerate(rows)
    ]
