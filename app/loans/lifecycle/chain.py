"""Extension and renewal (2.3): the loan's chain."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from app.domain import schedule, subsidy
from app.domain.classification import (
    RiskClass,
    carried_by_renewal,
)
from app.domain.loan_status import LoanStatus
from app.domain.money import ZERO
from app.domain.policy import RepaymentMethod
from app.loans.lifecycle.classification import _restructure
from app.loans.lifecycle.position import _settle_position, instalments
from app.loans.lifecycle.repayment import _replace_from
from app.loans.lifecycle.status import Contract, _end, activate, contract
from app.loans.models import Loan


def extend(
    session: Session,
    loan: Loan,
    *,
    months: int,
    day: date,
    restructuring: bool,
    new_terms: subsidy.SubsidyTerms | None = None,
    new_policy_version: str | None = None,
) -> None:
    """The unpaid principal, overdue included, is rescheduled over the remaining periods plus
    the extension; overdue interest stays due. `new_terms`: a legacy loan's extension period is
    subsidised under the 2026 terms (2.3, 5.2); it keeps its own terms for its contract period."""
    assert loan.maturity_date is not None and loan.value_date is not None
    if new_terms is not None:
        loan.extension_from = loan.maturity_date
        loan.extension_policy_version = new_policy_version
        loan.extension_central_rate = new_terms.central_rate
        loan.extension_local_rate = new_terms.local_rate
        loan.extension_subsidised_principal = new_terms.subsidised_principal
        loan.extension_local_subsidised_principal = new_terms.local_principal
    rows = instalments(session, loan.id)
    for row in rows:
        if row.due_date <= day:
            row.principal_due = row.principal_paid
    current = next(r for r in rows if r.period_start <= day < r.due_date)
    fresh = schedule.reschedule(
        loan.principal_outstanding,
        loan.annual_rate,
        RepaymentMethod(loan.repayment_method),
        loan.value_date,
        current.number,
        rows[-1].number + months,
    )
    for added in _replace_from(loan, rows, fresh, day):
        session.add(added)
        rows.append(added)
    loan.maturity_date = fresh[-1].due_date
    loan.extension_months += months
    loan.chain_actions += 1
    _settle_position(loan, rows, day)
    if restructuring:
        session.flush()
        _restructure(session, loan, day, RiskClass(loan.risk_class))


def renew(
    session: Session,
    old: Loan,
    *,
    day: date,
    months: int,
    repayment_method: str,
    terms: subsidy.SubsidyTerms,
    policy_version: str,
    contracted_by: str,
    restructuring: bool,
) -> Loan:
    """The old loan closes as renewed; a new one under the 2026 terms takes its principal,
    active from `day`. The renewal alone never worsens nor improves the class (3.1); a borrower
    in difficulty is restructured on top."""
    amount = old.principal_outstanding
    for instalment in instalments(session, old.id):
        instalment.principal_paid = instalment.principal_due
    before = RiskClass(old.risk_class)
    carried, override = carried_by_renewal(
        before, RiskClass(old.risk_class_override) if old.risk_class_override else None
    )
    _end(session, old, LoanStatus.renewed)
    old.closed_on = day
    old.principal_outstanding = old.overdue_principal = ZERO
    old.oldest_overdue_due = old.current_instalment = old.current_due_date = None
    session.flush()
    new = contract(
        session,
        Contract(
            household_id=old.household_id,
            borrower_member_id=old.borrower_member_id,
            region_code=old.region_code,
            policy_version=policy_version,
            principal=amount,
            annual_rate=terms.annual_rate,
            term_months=months,
            repayment_method=repayment_method,
            purpose=old.purpose,
            large_production=old.large_production,
            terms=terms,
            roster_household=old.roster_household,
            signed_on=day,
            contracted_by=contracted_by,
            officer=old.officer,
            chain_id=old.chain_id or old.id,
            renewed_from_id=old.id,
            chain_actions=old.chain_actions + 1,
            risk_class=carried,
            risk_class_override=override,
        ),
    )
    session.flush()
    activate(session, new, day)
    if restructuring:
        session.flush()
        _restructure(session, new, day, before)
    return new
