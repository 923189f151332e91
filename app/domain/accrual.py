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

from datetime import date
from decimal import Decimal

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
