"""Expected figures worked out independently of the code under test: the textbook formulas,
rounded half-up explicitly (Decimal.quantize's default is banker's rounding, which would hide
half-fen cases). Tests take their expected money from here or from literals, never from app/."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, getcontext

getcontext().prec = 40
CENT = Decimal("0.01")


def half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def same_day_months_later(start: date, months: int) -> date:
    year, month = divmod(start.month - 1 + months, 12)
    year, month = start.year + year, month + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Row:
    number: int
    due_date: date
    principal: Decimal
    interest: Decimal

    @property
    def payment(self) -> Decimal:
        return self.principal + self.interest


def equal_instalments(
    principal: Decimal, annual_rate: Decimal, months: int, start: date
) -> list[Row]:
    """等额本息: payment P·i(1+i)^n / ((1+i)^n − 1) with i = annual rate / 12, each month's
    interest on the balance, the last month clearing the balance."""
    i = annual_rate / 12
    growth = (1 + i) ** months
    payment = half_up(principal * i * growth / (growth - 1))
    balance, rows = principal, []
    for k in range(1, months + 1):
        interest = half_up(balance * i)
        paid = balance if k == months else payment - interest
        balance -= paid
        rows.append(Row(k, same_day_months_later(start, k), paid, interest))
    return rows


def subsidy_share(interest: Decimal, share_rate: Decimal, contract_rate: Decimal) -> Decimal:
    """A subsidy's part of fully subsidised interest: interest × its rate / the contract rate."""
    return half_up(interest * share_rate / contract_rate)


def accrued_by(total: Decimal, period_start: date, due_date: date, through: date) -> Decimal:
    """A period's amount accrued evenly by day, through `through`: total × days elapsed / days
    in the period, rounded half-up once (the due date starts the next period)."""
    days = (due_date - period_start).days
    elapsed = min(max((through - period_start).days + 1, 0), days)
    return half_up(total * elapsed / days)
