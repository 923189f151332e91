"""The loan's owner, driven directly: a year of a loan in milliseconds, and reversals that
restore exactly what a posting changed."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.loan_status import InvalidTransitionError, LoanStatus
from app.domain.repayment import OverpaymentError
from app.domain.subsidy import SubsidyTerms
from app.households.models import Member
from app.loans import lifecycle
from app.loans.models import Instalment, Loan, Repayment

D = Decimal
VALUE_DATE = date(2026, 3, 10)


def signed(session: Session, borrower: Member, principal: str = "12000.00") -> Loan:
    loan = lifecycle.contract(
        session,
        lifecycle.Contract(
            household_id=borrower.household_id,
            borrower_member_id=borrower.id,
            region_code="519999",
            policy_version="2026",
            principal=D(principal),
            annual_rate=D("0.0435"),
            term_months=12,
            repayment_method="equal_installment",
            purpose="planting",
            large_production=False,
            terms=SubsidyTerms(
                annual_rate=D("0.0435"),
                central_rate=D("0.02"),
                local_rate=D("0.005"),
                principal=D(principal),
                subsidised_principal=D(principal),
            ),
            roster_household=None,
            signed_on=VALUE_DATE,
            contracted_by="officer",
        ),
    )
    session.flush()
    return loan


def active(session: Session, borrower: Member) -> Loan:
    loan = signed(session, borrower)
    lifecycle.activate(session, loan, VALUE_DATE)
    session.flush()
    return loan


def pay(session: Session, loan: Loan, amount: Decimal, day: date, n: int) -> Repayment:
    posted = lifecycle.apply_repayment(
        session, loan, amount=amount, day=day, transaction_id=f"T-{loan.id}-{n}", posted_by="cbs"
    )
    session.flush()
    return posted


def rows(session: Session, loan: Loan) -> list[dict[str, object]]:
    return [
        {c: getattr(r, c) for c in lifecycle._SCHEDULE_FIELDS}
        for r in lifecycle.instalments(session, loan.id)
    ]


def test_a_loan_repaid_on_every_due_date_closes_and_reconciles(
    session: Session, borrower: Member
) -> None:
    loan = active(session, borrower)
    schedule = lifecycle.instalments(session, loan.id)
    for n, row in enumerate(schedule):
        pay(session, loan, row.principal_due + row.interest_due, row.due_date, n)
    assert (loan.status, loan.closed_on) == (LoanStatus.closed, schedule[-1].due_date)
    assert loan.principal_outstanding == loan.overdue_principal == loan.overdue_interest == 0
    principal, interest, count = session.execute(
        select(
            func.sum(Repayment.principal_due),
            func.sum(Repayment.interest_due),
            func.count(),
        ).where(Repayment.loan_id == loan.id)
    ).one()
    assert (principal, count) == (D("12000.00"), 12)
    assert interest == sum((r.interest_due for r in schedule), D(0))


def test_a_signed_loan_moves_only_along_its_transitions(session: Session, borrower: Member) -> None:
    loan = signed(session, borrower)
    lifecycle.start_disbursing(loan)
    lifecycle.return_to_contracted(loan)
    with pytest.raises(InvalidTransitionError):
        lifecycle._close(session, loan, VALUE_DATE)
    assert loan.status == LoanStatus.contracted


def test_more_than_everything_owed_writes_nothing(session: Session, borrower: Member) -> None:
    loan = active(session, borrower)
    before = rows(session, loan)
    with pytest.raises(OverpaymentError):
        pay(session, loan, D("20000.00"), VALUE_DATE + timedelta(days=5), 0)
    assert rows(session, loan) == before
    assert loan.principal_outstanding == D("12000.00")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    amount=st.decimals(min_value=D("0.01"), max_value=D("13000.00"), places=2),
    days=st.integers(min_value=0, max_value=360),
)
def test_a_reversal_restores_what_any_posting_changed(
    session: Session, borrower: Member, amount: Decimal, days: int
) -> None:
    """Any amount on any day — an instalment, part of one, a prepayment, a pay-off — and its
    reversal the same day leave the schedule and the balances as they were."""
    with session.begin_nested() as example:
        loan = active(session, borrower)
        day = VALUE_DATE + timedelta(days=days)
        before = rows(session, loan)
        balances = (loan.principal_outstanding, loan.status, loan.current_instalment)
        try:
            posting = pay(session, loan, amount, day, 0)
        except OverpaymentError:
            example.rollback()
            return
        assert (
            balances[0] - loan.principal_outstanding
            == posting.overdue_principal + posting.principal_due + posting.prepaid_principal
        )
        lifecycle.reverse_repayment(
            session,
            loan,
            posting,
            day=day,
            transaction_id=f"R-{loan.id}",
            reversed_by="cbs",
            reason="test",
            subsidise_overdue_days=False,
        )
        session.flush()
        assert rows(session, loan) == before
        # balances as the owner derives them on that day (what fell due before it is overdue)
        assert loan.principal_outstanding == balances[0]
        assert loan.status == LoanStatus.active
        assert loan.interest_accrued == 0  # a same-day correction nets the pay-off true-up
        example.rollback()


def test_an_extension_moves_maturity_and_keeps_the_principal(
    session: Session, borrower: Member
) -> None:
    loan = active(session, borrower)
    day = VALUE_DATE + timedelta(days=200)
    lifecycle.extend(session, loan, months=6, day=day, restructuring=False)
    session.flush()
    schedule = lifecycle.instalments(session, loan.id)
    assert len(schedule) == 18 and loan.maturity_date == schedule[-1].due_date
    assert sum((r.principal_due for r in schedule), D(0)) == D("12000.00")
    assert loan.chain_actions == 1 and loan.overdue_principal == 0
    assert session.scalar(select(func.count()).select_from(Instalment)) >= 18
