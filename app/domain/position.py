"""What a loan owes, from its instalments (issue 27): the one statement of the arithmetic the
loan's owner (app/loans/lifecycle/), a renewal's check (2.3) and the loan view read, and that
the end-of-day batch's SQL is checked against (tests/batch/test_batch_rules.py).

As of an open business date `day`: an instalment that fell due before `day` and is unpaid is
overdue (the batch makes it so at the close of its due date); one due on `day` is due; the
current instalment is the first not yet past due; the current period is the one `day` lies in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol, TypeVar

from app.domain.money import ZERO
from app.domain.repayment import Owed


class ScheduleRow(Protocol):
    """An instalment as the arithmetic reads it (the stored row, or a plan's)."""

    @property
    def number(self) -> int: ...
    @property
    def period_start(self) -> date: ...
    @property
    def due_date(self) -> date: ...
    @property
    def principal_due(self) -> Decimal: ...
    @property
    def principal_paid(self) -> Decimal: ...
    @property
    def interest_due(self) -> Decimal: ...
    @property
    def interest_paid(self) -> Decimal: ...


R = TypeVar("R", bound=ScheduleRow)


def unpaid_principal(row: ScheduleRow) -> Decimal:
    return row.principal_due - row.principal_paid


def unpaid_interest(row: ScheduleRow) -> Decimal:
    return row.interest_due - row.interest_paid


def has_unpaid(row: ScheduleRow) -> bool:
    return unpaid_principal(row) > 0 or unpaid_interest(row) > 0


def current(rows: Sequence[R], day: date) -> R | None:
    """The instalment whose period `day` lies in."""
    return next((r for r in rows if r.period_start <= day < r.due_date), None)


@dataclass(frozen=True, slots=True)
class Position:
    overdue_principal: Decimal
    overdue_interest: Decimal
    oldest_overdue_due: date | None
    principal_outstanding: Decimal
    current_instalment: int | None
    current_due_date: date | None


def position(rows: Sequence[ScheduleRow], day: date) -> Position:
    """The loan's balances as of its open business date `day` (rows in instalment order)."""
    past = [r for r in rows if r.due_date < day]
    unpaid = [r for r in past if has_unpaid(r)]
    upcoming = next((r for r in rows if r.due_date >= day), None)
    return Position(
        overdue_principal=sum((unpaid_principal(r) for r in past), ZERO),
        overdue_interest=sum((unpaid_interest(r) for r in past), ZERO),
        oldest_overdue_due=unpaid[0].due_date if unpaid else None,
        principal_outstanding=sum((unpaid_principal(r) for r in rows), ZERO),
        current_instalment=upcoming.number if upcoming else None,
        current_due_date=upcoming.due_date if upcoming else None,
    )


def owed(rows: Sequence[ScheduleRow], day: date, penalty: Decimal, annual_rate: Decimal) -> Owed:
    """What a repayment dated `day` is allocated against (app/domain/repayment.py)."""
    past = [r for r in rows if r.due_date < day]
    today = [r for r in rows if r.due_date == day]
    future = [r for r in rows if r.due_date > day]
    period = current(rows, day)
    return Owed(
        penalty=penalty,
        overdue_interest=sum((unpaid_interest(r) for r in past), ZERO),
        overdue_principal=sum((unpaid_principal(r) for r in past), ZERO),
        interest_due=sum((unpaid_interest(r) for r in today), ZERO),
        principal_due=sum((unpaid_principal(r) for r in today), ZERO),
        future_principal=sum((unpaid_principal(r) for r in future), ZERO),
        annual_rate=annual_rate,
        days_into_period=(day - period.period_start).days if period else 0,
    )


def days_past_due(oldest_overdue_due: date | None, closed: date) -> int:
    """Days past due at the close of `closed`: from the oldest unpaid due date (3.1), never
    negative; none without an overdue instalment."""
    if oldest_overdue_due is None:
        return 0
    return max((closed - oldest_overdue_due).days, 0)


def unpaid_interest_through(rows: Sequence[ScheduleRow], day: date) -> Decimal:
    """Interest of the instalments due on or before `day` still unpaid (2.3: a renewal or an
    extension needs it settled)."""
    return sum((unpaid_interest(r) for r in rows if r.due_date <= day), ZERO)


def maturing_principal(rows: Sequence[ScheduleRow], maturity: date, day: date) -> Decimal:
    """The unpaid principal of instalments that fell due at maturity (by `day`): what a renewal
    takes over, not an overdue amount of a borrower in difficulty (3.1)."""
    return sum(
        (unpaid_principal(r) for r in rows if r.due_date == maturity and r.due_date <= day), ZERO
    )


def oldest_first(unpaid: Sequence[Decimal], amount: Decimal) -> list[Decimal]:
    """What `amount` pays of each unpaid amount, oldest first (never more than is unpaid)."""
    taken = []
    for owed_here in unpaid:
        part = max(min(owed_here, amount), ZERO)
        taken.append(part)
        amount -= part
    return taken


@dataclass(frozen=True, slots=True)
class WrittenOff:
    """What a loan written off owed (2.1 账销案存): recoveries are set against it."""

    principal: Decimal
    interest: Decimal  # overdue, due today and accrued in the current period
    penalty: Decimal

    @property
    def claim(self) -> Decimal:
        return self.principal + self.interest + self.penalty


def written_off(principal_outstanding: Decimal, due: Owed) -> WrittenOff:
    """What stays owed when a loan leaves the book on the day `due` is owed as of."""
    return WrittenOff(
        principal=principal_outstanding,
        interest=due.overdue_interest + due.interest_due + due.payoff_interest,
        penalty=due.penalty,
    )
