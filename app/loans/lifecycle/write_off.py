"""Write-off and recovery (2.1 核销, 账销案存)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.loan_status import LifecycleError, LoanStatus
from app.domain.money import ZERO
from app.domain.position import WrittenOff, written_off
from app.domain.wording import Said
from app.loans.lifecycle.position import instalments, owed
from app.loans.lifecycle.status import _close, _end
from app.loans.models import Loan, LoanRecovery


def write_off(session: Session, loan: Loan, day: date) -> WrittenOff:
    """The loan leaves the book: no more accrual or classification by the batch (it serves
    active loans); what it owed on `day` stays owed, as the claim recoveries are set against."""
    amounts = written_off(
        loan.principal_outstanding, owed(loan, instalments(session, loan.id), day)
    )
    _end(session, loan, LoanStatus.written_off)
    # it leaves the book today: this month's totals still count it, so the subsidy it earned
    # since the last month end is claimed (1.6), and later months' do not
    loan.closed_on = day
    loan.current_instalment = None
    loan.current_due_date = None
    return amounts


def record_recovery(
    session: Session,
    loan: Loan,
    *,
    write_off_id: uuid.UUID,
    claim: Decimal,
    core_transaction_id: str,
    amount: Decimal,
    value_date: date,
    posted_by: str,
) -> tuple[LoanRecovery, Decimal]:
    """A recovery against a written-off loan's claim; the one that completes it closes the
    loan (the household may then borrow again, 1.1). Returns it and what is still owed. More
    than is still owed is refused."""
    if loan.status != LoanStatus.written_off:
        raise LifecycleError(
            Said("只对已核销贷款登记收回", "Recoveries are recorded on written-off loans"),
            "not-written-off",
        )
    recovered = session.scalar(
        select(func.coalesce(func.sum(LoanRecovery.amount), 0)).where(
            LoanRecovery.loan_id == loan.id
        )
    )
    remaining = claim - (recovered or ZERO)
    if amount > remaining:
        raise LifecycleError(
            Said(
                f"{amount} 超过该核销贷款尚欠的 {remaining}",
                f"{amount} is more than the {remaining} still owed on the written-off loan",
            ),
            "overpayment",
        )
    recovery = LoanRecovery(
        id=uuid.uuid4(),
        loan_id=loan.id,
        write_off_id=write_off_id,
        core_transaction_id=core_transaction_id,
        amount=amount,
        value_date=value_date,
        posted_by=posted_by,
    )
    session.add(recovery)
    remaining -= amount
    if remaining == ZERO:
        _close(session, loan, value_date)
    return recovery, remaining
