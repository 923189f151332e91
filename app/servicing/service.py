"""Repayments posted by core banking, allocated by the domain's order and applied to the loan's
instalments. A prepayment re-amortises the rest of the schedule over the same term and moves
the current period's accrual basis to the value date, so the ledger stays exact."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.core.auth import Principal
from app.core.problems import RuleFailure, conflict
from app.domain import repayment as allocation
from app.domain import schedule, subsidy
from app.domain.accrual import accrued_through
from app.domain.loan_status import LoanStatus
from app.domain.money import ZERO
from app.domain.policy import RepaymentMethod
from app.jobs import calendar
from app.loans import schemas
from app.loans import service as loans
from app.loans.models import Instalment, Loan
from app.servicing.models import Accrual, Repayment


def post(
    session: Session, principal: Principal, loan_id: uuid.UUID, body: schemas.RepaymentIn
) -> tuple[Repayment, bool]:
    """The repayment and whether it was new. The same core transaction again returns the
    first result and posts nothing. Scope first: a loan, or a repeated transaction's loan,
    outside the caller's regions does not exist for them (404)."""
    loan = loans.get(session, principal, loan_id)
    previous = _posted(session, principal, body.core_transaction_id)
    if previous is not None:
        return _replay(previous, loan_id, body), False
    calendar.lock_region_shared(session, loan.region_code)
    loan = loans.get(session, principal, loan_id, for_update=True)
    # Postings on a loan are serialised by its row lock: a repeat that raced the first one
    # sees it now, and answers with it.
    previous = _posted(session, principal, body.core_transaction_id)
    if previous is not None:
        return _replay(previous, loan_id, body), False
    if loan.status != LoanStatus.active:
        raise conflict(
            f"The loan is {loan.status}; repayments are posted on active loans",
            slug="invalid-transition",
        )
    open_date = calendar.open_date(session, loan.region_code)
    if body.value_date != open_date:
        raise conflict(
            f"Repayments are posted on the region's open business date {open_date}",
            slug="closed-business-day",
        )
    rows = loans.instalments(session, loan.id)
    owed = _owed(loan, rows, body.value_date)
    try:
        split = allocation.allocate(body.amount, owed)
    except allocation.OverpaymentError as exc:
        raise conflict(
            f"The amount {body.amount} exceeds everything owed ({exc.owed}); nothing posted",
            [RuleFailure(code="no_overpayment", clause=None, message=str(exc))],
            slug="overpayment",
        ) from exc
    _apply(session, loan, rows, split, body.value_date)
    posted = Repayment(
        id=uuid.uuid4(),
        loan_id=loan.id,
        core_transaction_id=body.core_transaction_id,
        value_date=body.value_date,
        amount=body.amount,
        penalty=split.penalty,
        overdue_interest=split.overdue_interest,
        overdue_principal=split.overdue_principal,
        interest_due=split.interest_due,
        principal_due=split.principal_due,
        prepaid_principal=split.prepaid_principal,
        prepayment_interest=split.prepayment_interest,
        posted_by=principal.subject,
    )
    session.add(posted)
    session.flush()
    audit.record(
        session,
        principal,
        "loan.repayment",
        "loan",
        loan.id,
        region_code=loan.region_code,
        after={
            "repayment_id": str(posted.id),
            "amount": str(body.amount),
            "principal_outstanding": str(loan.principal_outstanding),
            "status": loan.status,
        },
    )
    return posted, True


def _posted(session: Session, principal: Principal, transaction_id: str) -> Repayment | None:
    found = session.execute(
        select(Repayment, Loan.region_code)
        .join(Loan, Loan.id == Repayment.loan_id)
        .where(Repayment.core_transaction_id == transaction_id)
    ).one_or_none()
    if found is None:
        return None
    repayment, region_code = found
    principal.ensure_region(region_code, "Loan")
    return repayment


def _replay(previous: Repayment, loan_id: uuid.UUID, body: schemas.RepaymentIn) -> Repayment:
    if (previous.loan_id, previous.amount, previous.value_date) != (
        loan_id,
        body.amount,
        body.value_date,
    ):
        raise conflict(
            "This core transaction id was already posted with other details",
            slug="transaction-id-reused",
        )
    return previous


def _unpaid_interest(row: Instalment) -> Decimal:
    return row.interest_due - row.interest_paid


def _unpaid_principal(row: Instalment) -> Decimal:
    return row.principal_due - row.principal_paid


def _current(rows: list[Instalment], day: date) -> Instalment | None:
    return next((r for r in rows if r.period_start <= day < r.due_date), None)


def _owed(loan: Loan, rows: list[Instalment], day: date) -> allocation.Owed:
    past = [r for r in rows if r.due_date < day]
    today = [r for r in rows if r.due_date == day]
    future = [r for r in rows if r.due_date > day]
    current = _current(rows, day)
    return allocation.Owed(
        penalty=loan.penalty_outstanding,
        overdue_interest=sum((_unpaid_interest(r) for r in past), ZERO),
        overdue_principal=sum((_unpaid_principal(r) for r in past), ZERO),
        interest_due=sum((_unpaid_interest(r) for r in today), ZERO),
        principal_due=sum((_unpaid_principal(r) for r in today), ZERO),
        future_principal=sum((_unpaid_principal(r) for r in future), ZERO),
        annual_rate=loan.annual_rate,
        days_into_period=(day - current.period_start).days if current else 0,
    )


def _pay(rows: list[Instalment], amount: Decimal, field: str) -> None:
    """Pay `field` ('interest' or 'principal') of `rows`, oldest first."""
    for row in rows:
        if amount <= 0:
            return
        unpaid = getattr(row, f"{field}_due") - getattr(row, f"{field}_paid")
        taken = min(unpaid, amount)
        setattr(row, f"{field}_paid", getattr(row, f"{field}_paid") + taken)
        amount -= taken


def _apply(
    session: Session, loan: Loan, rows: list[Instalment], split: allocation.Allocation, day: date
) -> None:
    past = [r for r in rows if r.due_date < day]
    today = [r for r in rows if r.due_date == day]
    loan.penalty_outstanding -= split.penalty
    _pay(past, split.overdue_interest, "interest")
    _pay(past, split.overdue_principal, "principal")
    _pay(today, split.interest_due, "interest")
    _pay(today, split.principal_due, "principal")
    loan.overdue_interest -= split.overdue_interest
    loan.overdue_principal -= split.overdue_principal
    unpaid_past = [r for r in past if _unpaid_interest(r) > 0 or _unpaid_principal(r) > 0]
    loan.oldest_overdue_due = unpaid_past[0].due_date if unpaid_past else None
    loan.principal_outstanding -= (
        split.overdue_principal + split.principal_due + split.prepaid_principal
    )
    if split.pays_off:
        _pay_off(session, loan, rows, split, day)
    elif split.prepaid_principal > 0:
        _reamortise(loan, rows, split, day)
    if (
        loan.principal_outstanding == 0
        and loan.penalty_outstanding == 0
        and all(
            _unpaid_interest(r) == 0 and _unpaid_principal(r) == 0
            for r in rows
            if r.due_date <= day
        )
    ):
        _close(loan, day)


def _accrued_so_far(row: Instalment, day: date) -> tuple[Decimal, Decimal, Decimal]:
    """(interest, central, local) accrued on the period through the day before `day`."""
    through = day - timedelta(days=1)

    def part(total: Decimal, before: Decimal) -> Decimal:
        return before + accrued_through(total - before, row.accrual_start, row.due_date, through)

    return (
        part(row.interest_due + row.prepaid_interest, row.accrued_interest_before),
        part(row.central_share, row.accrued_central_before),
        part(row.local_share, row.accrued_local_before),
    )


def _reamortise(
    loan: Loan, rows: list[Instalment], split: allocation.Allocation, day: date
) -> None:
    future = [r for r in rows if r.due_date > day]
    balance = sum((_unpaid_principal(r) for r in future), ZERO) - split.prepaid_principal
    old = [
        schedule.Installment(
            r.number, r.period_start, r.due_date, r.principal_due, r.interest_due, ZERO
        )
        for r in future
    ]
    fresh = schedule.reamortise(
        balance, loan.annual_rate, RepaymentMethod(loan.repayment_method), old
    )
    replace_from(loan, rows, fresh, day, prepayment_interest=split.prepayment_interest)


def replace_from(
    loan: Loan,
    rows: list[Instalment],
    fresh: list[schedule.Installment],
    day: date,
    *,
    prepayment_interest: Decimal = ZERO,
) -> list[Instalment]:
    """Put `fresh` in place of the instalments with the same numbers (adding new ones). The
    current period keeps what it accrued on the old basis up to `day` and accrues the rest of
    its new interest from `day`, so each period's accrual equals what it charges. Returns the
    instalments that did not exist before."""
    by_number = {r.number: r for r in rows}
    current = _current(rows, day)
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
            row.interest_due + row.prepaid_interest, loans.terms_of(loan, row.due_date)
        )
        row.central_share, row.local_share = shares.central, shares.local
    return added


def _pay_off(
    session: Session, loan: Loan, rows: list[Instalment], split: allocation.Allocation, day: date
) -> None:
    """Everything is repaid: the current period's interest becomes the interest on the prepaid
    principal to the value date, and the difference to what had accrued is posted now."""
    current = _current(rows, day)
    trued = (ZERO, ZERO, ZERO)
    if current is not None:
        interest, central, local = _accrued_so_far(current, day)
        shares = subsidy.shares(split.prepayment_interest, loans.terms_of(loan, current.due_date))
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
    if any(trued):
        session.add(
            Accrual(
                business_date=day,
                loan_id=loan.id,
                kind="payoff",
                region_code=loan.region_code,
                interest=trued[0],
                central_subsidy=trued[1],
                local_subsidy=trued[2],
                borrower_interest=trued[0] - trued[1] - trued[2],
                penalty=ZERO,
            )
        )
        loan.interest_accrued += trued[0]
        loan.central_accrued += trued[1]
        loan.local_accrued += trued[2]


def forfeit_subsidy(session: Session, loan: Loan, since: date, on: date) -> Decimal:
    """1.6, 3.3: no subsidy from a confirmed misuse's start on. What was accrued from `since`
    is reversed by a new accrual row dated `on` (the open business date), which the next claim
    shows as a negative adjustment; the batch accrues none from then on. Returns the central
    plus local subsidy reversed."""
    if loan.subsidy_forfeited_from is not None and loan.subsidy_forfeited_from <= since:
        return ZERO
    loan.subsidy_forfeited_from = since
    central, local = session.execute(
        select(
            func.coalesce(func.sum(Accrual.central_subsidy), 0),
            func.coalesce(func.sum(Accrual.local_subsidy), 0),
        ).where(Accrual.loan_id == loan.id, Accrual.business_date >= since)
    ).one()
    if central == 0 and local == 0:
        return ZERO
    session.add(
        Accrual(
            business_date=on,
            loan_id=loan.id,
            kind="reversal",
            region_code=loan.region_code,
            interest=ZERO,
            central_subsidy=-central,
            local_subsidy=-local,
            borrower_interest=central + local,
            penalty=ZERO,
        )
    )
    loan.central_accrued -= central
    loan.local_accrued -= local
    return Decimal(central + local)


def _close(loan: Loan, day: date) -> None:
    loans.move(loan, LoanStatus.closed)
    loan.closed_on = day
    loan.current_instalment = None
    loan.current_due_date = None
    loan.days_past_due = 0
