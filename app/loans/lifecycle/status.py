"""A loan's status: contracted, paid out, active, ended; and who looks after it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.core.scoping import prefixes_filter
from app.core.settings import get_settings
from app.decisions import service as decisions
from app.domain import schedule, subsidy
from app.domain.classification import (
    RiskClass,
)
from app.domain.documents import CURRENT_TEMPLATE
from app.domain.labels import label
from app.domain.loan_status import InvalidTransitionError, LoanStatus
from app.domain.money import ZERO
from app.domain.policy import RepaymentMethod
from app.domain.wording import Said
from app.loans.lifecycle.position import terms_of
from app.loans.models import ContractSequence, Instalment, Loan


def _move(loan: Loan, to: LoanStatus) -> None:
    """A loan's status changes only along LoanStatus's transitions (app/domain/loan_status.py);
    anything else is a bug, answered 409 rather than written."""
    current = LoanStatus(loan.status)
    if not current.may_become(to):
        raise InvalidTransitionError(
            Said(
                f"{label(current)}的贷款不能转为{label(to)}",
                f"A {current.value} loan cannot become {to.value}",
            )
        )
    loan.status = to


@dataclass(frozen=True, slots=True)
class Contract:
    """A signed contract's terms, fixed for the loan's life (5.2)."""

    household_id: uuid.UUID
    borrower_member_id: uuid.UUID
    region_code: str
    policy_version: str
    principal: Decimal
    annual_rate: Decimal
    term_months: int
    repayment_method: str
    purpose: str
    large_production: bool
    terms: subsidy.SubsidyTerms
    roster_household: str | None
    signed_on: date
    contracted_by: str
    officer: str | None = None  # who looks after the loan; default: who contracted it
    application_id: uuid.UUID | None = None
    external_ref: str | None = None
    # renewals and loans brought over: where the loan sits in its chain (2.3)
    chain_id: uuid.UUID | None = None
    renewed_from_id: uuid.UUID | None = None
    chain_actions: int = 0
    risk_class: RiskClass = RiskClass.normal
    risk_class_override: RiskClass | None = None


def next_contract_number(session: Session, region_code: str, year: int) -> str:
    """合同编号: the county's six digits, the year and the next of that county-year's
    sequence, e.g. `520102-2027-000123`."""
    county = region_code[:6]
    first = insert(ContractSequence).values(county=county, year=year, last_number=1)
    taken = first.on_conflict_do_update(
        index_elements=[ContractSequence.county, ContractSequence.year],
        set_={"last_number": ContractSequence.last_number + 1},
    ).returning(ContractSequence.last_number)
    number = session.execute(taken).scalar_one()
    return f"{county}-{year}-{number:06d}"


def contract(session: Session, signed: Contract) -> Loan:
    """A new loan, contracted, with its contract number. Penalty markups are the settings' at
    signing (银发〔2003〕251号)."""
    settings = get_settings()
    loan = Loan(
        id=uuid.uuid4(),
        contract_number=next_contract_number(session, signed.region_code, signed.signed_on.year),
        application_id=signed.application_id,
        household_id=signed.household_id,
        borrower_member_id=signed.borrower_member_id,
        region_code=signed.region_code,
        status=LoanStatus.contracted,
        policy_version=signed.policy_version,
        document_template=CURRENT_TEMPLATE.code,
        principal=signed.principal,
        annual_rate=signed.annual_rate,
        term_months=signed.term_months,
        repayment_method=signed.repayment_method,
        purpose=signed.purpose,
        large_production=signed.large_production,
        central_subsidy_rate=signed.terms.central_rate,
        local_subsidy_rate=signed.terms.local_rate,
        subsidised_principal=signed.terms.subsidised_principal,
        local_subsidised_principal=signed.terms.local_principal,
        penalty_markup=settings.overdue_penalty_markup,
        misuse_markup=settings.misuse_penalty_markup,
        roster_household=signed.roster_household,
        signed_on=signed.signed_on,
        contracted_by=signed.contracted_by,
        officer=signed.officer or signed.contracted_by,
        external_ref=signed.external_ref,
        chain_id=signed.chain_id,
        renewed_from_id=signed.renewed_from_id,
        chain_actions=signed.chain_actions,
        risk_class=signed.risk_class.value,
        risk_class_override=(
            signed.risk_class_override.value if signed.risk_class_override else None
        ),
    )
    session.add(loan)
    return loan


def start_disbursing(loan: Loan) -> None:
    _move(loan, LoanStatus.disbursing)


def return_to_contracted(loan: Loan) -> None:
    """Core banking answered that the payment failed, or the disbursement was cancelled."""
    _move(loan, LoanStatus.contracted)


def activate(session: Session, loan: Loan, value_date: date) -> None:
    """Fix the schedule from the value date and make the loan active."""
    plan = schedule.build(
        loan.principal,
        loan.annual_rate,
        loan.term_months,
        RepaymentMethod(loan.repayment_method),
        value_date,
    )
    terms = terms_of(loan)
    for row in plan.instalments:
        shares = subsidy.shares(row.interest, terms)
        session.add(
            Instalment(
                loan_id=loan.id,
                number=row.number,
                period_start=row.period_start,
                due_date=row.due_date,
                principal_due=row.principal,
                interest_due=row.interest,
                prepaid_interest=ZERO,
                central_share=shares.central,
                local_share=shares.local,
                accrual_start=row.period_start,
                accrued_interest_before=ZERO,
                accrued_central_before=ZERO,
                accrued_local_before=ZERO,
                principal_paid=ZERO,
                interest_paid=ZERO,
            )
        )
    _move(loan, LoanStatus.active)
    loan.value_date = value_date
    loan.maturity_date = plan.maturity_date
    loan.principal_outstanding = loan.principal
    loan.current_instalment = 1
    loan.current_due_date = plan.instalments[0].due_date


def _end(session: Session, loan: Loan, to: LoanStatus) -> None:
    """The loan leaves its outstanding life (paid off, renewed, written off): what still waits
    on it for a second person's decision is withdrawn, with the reason."""
    _move(loan, to)
    decisions.withdraw_pending(
        session, loan.id, Said(f"贷款已转为{label(to)}", f"The loan became {to.value}")
    )


def _close(session: Session, loan: Loan, day: date) -> None:
    _end(session, loan, LoanStatus.closed)
    # a written-off loan left the book on its write-off date; its last recovery keeps that
    # (month-end totals, and the subsidy claims made of them, must not count it again)
    loan.closed_on = loan.closed_on or day
    loan.current_instalment = None
    loan.current_due_date = None
    loan.days_past_due = 0


def reassign_officer(
    session: Session,
    from_officer: str,
    to_officer: str,
    regions: list[str],
    loan_ids: list[uuid.UUID] | None,
) -> list[tuple[uuid.UUID, str]]:
    """Move the outstanding loans `from_officer` looks after, within `regions` (all of them,
    or those of `loan_ids`), to `to_officer`. Returns each moved loan and its region."""
    query = update(Loan).where(
        Loan.officer == from_officer,
        Loan.status.in_(LoanStatus.outstanding()),
        prefixes_filter(regions, Loan.region_code),
    )
    if loan_ids is not None:
        query = query.where(Loan.id.in_(loan_ids))
    moved = session.execute(
        query.values(officer=to_officer).returning(Loan.id, Loan.region_code)
    ).all()
    return [(loan_id, region) for loan_id, region in moved]
