"""A repayment allocated to the schedule; a prepayment re-amortises the rest."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from app.domain import position as arithmetic
from app.domain import repayment as allocation
from app.domain import schedule, subsidy
from app.domain.loan_status import LoanStatus
from app.domain.money import ZERO
from app.domain.policy import RepaymentMethod
from app.loans.lifecycle.position import (
    _accrued_so_far,
    _adjust_accrual,
    _changed,
    _settle_position,
    _snapshot,
    instalments,
    owed,
    terms_of,
)
from app.loans.lifecycle.status import _close
from app.loans.models import Instalment, Loan, Repayment


def apply_repayment(
    session: Session,
    loan: Loan,
    *,
    amount: Decimal,
    day: date,
    transaction_id: str,
    posted_by: str,
) -> Repayment:
    """Allocate `amount` (penalty, overdue interest, overdue principal, interest due, principal
    due, then prepayment) and post it. More than everything owed raises OverpaymentError and
    writes nothing."""
    rows = instalments(session, loan.id)
    split = allocation.allocate(amount, owed(loan, rows, day))
    before = _snapshot(rows)
    past = [r for r in rows if r.due_date < day]
    today = [r for r in rows if r.due_date == day]
    loan.penalty_outstanding -= split.penalty
    _pay(past, split.overdue_interest, "interest")
    _pay(past, split.overdue_principal, "principal")
    _pay(today, split.interest_due, "interest")
    _pay(today, split.principal_due, "principal")
    if split.pays_off:
        _pay_off(session, loan, rows, split, day)
    elif split.prepaid_principal > 0:
        _reamortise(loan, rows, split, day)
    _settle_position(loan, rows, day)
    if (
        loan.principal_outstanding == 0
        and loan.penalty_outstanding == 0
        and all(
            arithmetic.unpaid_interest(r) == 0 and arithmetic.unpaid_principal(r) == 0
            for r in past + today
        )
    ):
        _close(session, loan, day)
    posting = Repayment(
        id=uuid.uuid4(),
        loan_id=loan.id,
        kind="posting",
        core_transaction_id=transaction_id,
        value_date=day,
        amount=amount,
        penalty=split.penalty,
        overdue_interest=split.overdue_interest,
        overdue_principal=split.overdue_principal,
        interest_due=split.interest_due,
        principal_due=split.principal_due,
        prepaid_principal=split.prepaid_principal,
        prepayment_interest=split.prepayment_interest,
        posted_by=posted_by,
        effect={
            "instalments": _changed(before, rows),
            "chain_actions": loan.chain_actions,
            "closed": loan.status == LoanStatus.closed,
        },
    )
    session.add(posting)
    return posting


def _pay(rows: list[Instalment], amount: Decimal, field: str) -> None:
    """Pay `field` ('interest' or 'principal') of `rows`, oldest first."""
    unpaid = [getattr(r, f"{field}_due") - getattr(r, f"{field}_paid") for r in rows]
    for row, taken in zip(rows, arithmetic.oldest_first(unpaid, amount), strict=True):
        setattr(row, f"{field}_paid", getattr(row, f"{field}_paid") + taken)


def _reamortise(
    loan: Loan, rows: list[Instalment], split: allocation.Allocation, day: date
) -> None:
    future = [r for r in rows if r.due_date > day]
    balance = sum((arithmetic.unpaid_principal(r) for r in future), ZERO) - split.prepaid_principal
    old = [
        schedule.PlannedInstalment(
            r.number, r.period_start, r.due_date, r.principal_due, r.interest_due, ZERO
        )
        for r in future
    ]
    fresh = schedule.reamortise(
        balance, loan.annual_rate, RepaymentMethod(loan.repayment_method), old
    )
    _replace_from(loan, rows, fresh, day, prepayment_interest=split.prepayment_interest)


def _replace_from(
    loan: Loan,
    rows: list[Instalment],
    fresh: list[schedule.PlannedInstalment],
    day: date,
    *,
    prepayment_interest: Decimal = ZERO,
) -> list[Instalment]:
    """Put `fresh` in place of the instalments with the same numbers (adding new ones). The
    current period keeps what it accrued on the old basis up to `day` and accrues the rest of
    its new interest from `day`, so each period's accrual equals what it charges. Returns the
    instalments that did not exist before."""
    by_number = {r.number: r for r in rows}
    current = arithmetic.current(rows, day)
    added = []
    for new in fresh:
        row = by_number.get(new.number)
        if row is None:
            row = Instalment(
                loan_id=loan.id,
                number=new.number,
                period_start=new.period_start,
                due_date=new.due_date,
                prepaid_interest=ZERO,
                accrual_start=new.period_start,
                accrued_interest_before=ZERO,
                accrued_central_before=ZERO,
                accrued_local_before=ZERO,
                principal_paid=ZERO,
                interest_paid=ZERO,
            )
            added.append(row)
        if row is current:
            before, central, local = _accrued_so_far(row, day)
            row.prepaid_interest += prepayment_interest
            row.accrued_interest_before = before
            row.accrued_central_before, row.accrued_local_before = central, local
            row.accrual_start = day
        row.due_date = new.due_date
        row.interest_due, row.principal_due = new.interest, new.principal
        shares = subsidy.shares(
            row.interest_due + row.prepaid_interest, terms_of(loan, row.due_date)
        )
        row.central_share, row.local_share = shares.central, shares.local
    return added


def _pay_off(
    session: Session, loan: Loan, rows: list[Instalment], split: allocation.Allocation, day: date
) -> None:
    """Everything is repaid: the current period's interest becomes the interest on the prepaid
    principal to the value date, and the difference to what had accrued is posted now."""
    current = arithmetic.current(rows, day)
    trued = (ZERO, ZERO, ZERO)
    if current is not None:
        interest, central, local = _accrued_so_far(current, day)
        shares = subsidy.shares(split.prepayment_interest, terms_of(loan, current.due_date))
        forfeited = loan.subsidy_forfeited_from is not None
        trued = (
            split.prepayment_interest - interest,
            ZERO if forfeited else shares.central - central,
            ZERO if forfeited else shares.local - local,
        )
        current.prepaid_interest += split.prepayment_interest
        current.interest_due = ZERO
        current.accrued_interest_before = split.prepayment_interest
        current.central_share, current.local_share = shares.central, shares.local
        current.accrued_central_before, current.accrued_local_before = (
            shares.central,
            shares.local,
        )
        current.accrual_start = current.due_date
    for row in rows:
        if row.due_date > day:
            row.principal_paid = row.principal_due
            if row is not current:
                row.interest_due = ZERO
                row.central_share = row.local_share = ZERO
    _adjust_accrual(session, loan, day, "payoff", *trued)
