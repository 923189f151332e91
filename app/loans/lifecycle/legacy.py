"""Loans brought over from the earlier system (5.2)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from app.domain.accrual import accrued_through
from app.domain.loan_status import LifecycleError
from app.domain.wording import Said
from app.loans.lifecycle.position import _settle_position, instalments
from app.loans.models import Loan


def take_over(session: Session, loan: Loan, *, paid: int, day: date) -> None:
    """An activated legacy loan as the earlier system hands it over on `day`: of the
    instalments due before `day` the first `paid` were paid there, the rest are overdue. The
    current period accrues here from `day` on (what it accrued before was the earlier
    system's)."""
    rows = instalments(session, loan.id)
    past = [r for r in rows if r.due_date < day]
    if paid > len(past):
        raise LifecycleError(
            Said(
                f"已还期数 {paid} 超过 {day} 之前到期的 {len(past)} 期",
                f"instalments_paid {paid} exceeds the {len(past)} due before {day}",
            )
        )
    for row in past[:paid]:
        row.principal_paid, row.interest_paid = row.principal_due, row.interest_due
    _settle_position(loan, rows, day)
    if loan.principal_outstanding == 0:
        raise LifecycleError(Said("该贷款已还清", "the loan is already repaid"))
    upcoming = [r for r in rows if r.due_date >= day]
    if upcoming and upcoming[0].period_start < day:
        row = upcoming[0]
        before = day - timedelta(days=1)
        row.accrued_interest_before = accrued_through(
            row.interest_due, row.period_start, row.due_date, before
        )
        row.accrued_central_before = accrued_through(
            row.central_share, row.period_start, row.due_date, before
        )
        row.accrued_local_before = accrued_through(
            row.local_share, row.period_start, row.due_date, before
        )
        row.accrual_start = day
