"""A loan's risk class (3.1): from days past due, overridden, restructured."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from app.domain import position as arithmetic
from app.domain.classification import (
    Restructuring,
    RiskClass,
    classify,
    observation_period,
    restructured_floor,
    worst,
)
from app.loans.lifecycle.position import instalments
from app.loans.models import Loan, RiskClassChange


def _reclassify(session: Session, loan: Loan, day: date) -> None:
    """Days past due and the class as the batch had them at last night's close, had the
    reversed repayment never been posted."""
    last_close = day - timedelta(days=1)
    dpd = arithmetic.days_past_due(loan.oldest_overdue_due, last_close)
    loan.days_past_due = dpd
    restructuring = (
        Restructuring(
            RiskClass(loan.restructure_floor),
            loan.observation_start,
            loan.observation_end,
            loan.observation_breached,
        )
        if loan.restructure_floor and loan.observation_start and loan.observation_end
        else None
    )
    override = RiskClass(loan.risk_class_override) if loan.risk_class_override else None
    _set_class(
        session,
        loan,
        classify(dpd, last_close, override=override, restructuring=restructuring),
        day,
        "repayment_reversal",
    )


def _set_class(session: Session, loan: Loan, to: RiskClass, day: date, reason: str) -> None:
    if to.value == loan.risk_class:
        return
    session.add(
        RiskClassChange(
            loan_id=loan.id,
            business_date=day,
            from_class=loan.risk_class,
            to_class=to.value,
            days_past_due=loan.days_past_due,
            reason=reason,
        )
    )
    loan.risk_class = to.value


def override_class(session: Session, loan: Loan, to: RiskClass, day: date) -> None:
    """A risk manager's worse class (checked by the caller against 3.1), kept as an override."""
    loan.risk_class_override = to.value
    _set_class(session, loan, to, day, "override")


def _restructure(session: Session, loan: Loan, day: date, before: RiskClass) -> None:
    """3.1 and the 2023 rules: at least special mention and never better than `before`,
    observed from the first repayment date after the change for two periods and a year."""
    start, end = observation_period(day, [r.due_date for r in instalments(session, loan.id)])
    floor = restructured_floor(before)
    loan.restructured_on, loan.restructure_floor = day, floor.value
    loan.observation_start, loan.observation_end = start, end
    loan.observation_breached = False
    _set_class(session, loan, worst(RiskClass(loan.risk_class), floor), day, "restructuring")
