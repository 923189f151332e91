"""Daily interest accrual and penalty interest.

* A scheduled period's interest accrues evenly over the period's days: day k of d accrues
  round(I·k/d) − round(I·(k−1)/d). Every day's amount is within a fen of I/d, none is negative,
  and the last day lands the total exactly on the schedule's interest (it takes the rounding
  remainder), so a full period's accrual equals the schedule to the fen.
* Interest outside the schedule (prepayment interest to the value date, penalty) is
  balance × annual rate / 360 per day.
* Penalty (银发〔2003〕251号): overdue principal at contract rate × (1 + markup), markup 30–50%
  (bank setting, default 50%); misused funds at contract rate × (1 + 50–100%). Never subsidised.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Protocol

from app.domain.money import ZERO, daily_interest, prorate
from app.domain.schedule import PlannedInstalment

OVERDUE_MARKUP_RANGE = (Decimal("0.3"), Decimal("0.5"))
MISUSE_MARKUP_RANGE = (Decimal("0.5"), Decimal("1.0"))


def accrued_through(
    amount: Decimal, period_start: date, period_end: date, through: date
) -> Decimal:
    """Cumulative accrual of a period's `amount` for the days from period_start up to and
    including `through` (period_end is exclusive: the due date starts the next period)."""
    days = (period_end - period_start).days
    elapsed = min(max((through - period_start).days + 1, 0), days)
    return prorate(amount, elapsed, days)


def accrual_on(amount: Decimal, period_start: date, period_end: date, day: date) -> Decimal:
    """The accrual posted for `day` alone."""
    if not period_start <= day < period_end:
        return ZERO
    previous = accrued_through(
        amount, period_start, period_end, day.fromordinal(day.toordinal() - 1)
    )
    return accrued_through(amount, period_start, period_end, day) - previous


def scheduled_accrual_on(instalment: PlannedInstalment, day: date) -> Decimal:
    return accrual_on(instalment.interest, instalment.period_start, instalment.due_date, day)


def penalty_rate(annual_rate: Decimal, markup: Decimal) -> Decimal:
    low, high = OVERDUE_MARKUP_RANGE
    if not low <= markup <= high:
        raise ValueError(f"overdue penalty markup must be within {low}–{high}")
    return annual_rate * (1 + markup)


def misuse_rate(annual_rate: Decimal, markup: Decimal) -> Decimal:
    low, high = MISUSE_MARKUP_RANGE
    if not low <= markup <= high:
        raise ValueError(f"misuse penalty markup must be within {low}–{high}")
    return annual_rate * (1 + markup)


def daily_penalty(overdue_principal: Decimal, annual_rate: Decimal, markup: Decimal) -> Decimal:
    """One day's penalty interest on overdue principal: at the contract rate × (1 + markup),
    rounded half-up once (never subsidised). The end-of-day batch's SQL states the same
    (a test holds them equal)."""
    return daily_interest(overdue_principal, penalty_rate(annual_rate, markup))


def daily_misuse_penalty(misused: Decimal, annual_rate: Decimal, markup: Decimal) -> Decimal:
    """One day's penalty on misused funds, on top of the contract interest that keeps
    accruing: the misuse rate's excess over the contract rate, contract rate × markup."""
    return daily_interest(misused, misuse_rate(annual_rate, markup) - annual_rate)


def daily_detail_from(open_date: date, months: int) -> date:
    """The first day whose daily accrual rows are still kept while `open_date` is open: the
    first of the month `months` months before the open one (the batch deletes older ones at a
    month's end, once the month-end totals hold them)."""
    month = open_date.year * 12 + open_date.month - 1 - months
    return date(month // 12, month % 12 + 1, 1)


class AccrualBasis(Protocol):
    """An instalment's accrual basis: what its period charges, what it had accrued before
    `accrual_start` (a prepayment moves the start to its value date), and its due date."""

    @property
    def due_date(self) -> date: ...
    @property
    def interest_due(self) -> Decimal: ...
    @property
    def prepaid_interest(self) -> Decimal: ...
    @property
    def central_share(self) -> Decimal: ...
    @property
    def local_share(self) -> Decimal: ...
    @property
    def accrual_start(self) -> date: ...
    @property
    def accrued_interest_before(self) -> Decimal: ...
    @property
    def accrued_central_before(self) -> Decimal: ...
    @property
    def accrued_local_before(self) -> Decimal: ...


@dataclass(frozen=True, slots=True)
class Basis:
    """An accrual basis as it stood (a reversal compares the restored one with it)."""

    due_date: date
    interest_due: Decimal
    prepaid_interest: Decimal
    central_share: Decimal
    local_share: Decimal
    accrual_start: date
    accrued_interest_before: Decimal
    accrued_central_before: Decimal
    accrued_local_before: Decimal


BASIS_FIELDS = tuple(f.name for f in fields(Basis))


def accrued_on_basis(row: AccrualBasis, through: date) -> tuple[Decimal, Decimal, Decimal]:
    """(interest, central, local) the period has accrued through `through`: what it had before
    its accrual start, and the rest spread evenly from the start to the due date."""
    if row.accrual_start >= row.due_date:  # paid off: all it charges was accrued
        return row.accrued_interest_before, row.accrued_central_before, row.accrued_local_before

    def part(total: Decimal, before: Decimal) -> Decimal:
        return before + accrued_through(total - before, row.accrual_start, row.due_date, through)

    return (
        part(row.interest_due + row.prepaid_interest, row.accrued_interest_before),
        part(row.central_share, row.accrued_central_before),
        part(row.local_share, row.accrued_local_before),
    )
