"""Loans: the loan view, lists, the schedule, its disbursements, and a risk manager's class
override."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from app.core.auth import LoanReader, Principal, Role, require
from app.core.deps import DbSession
from app.core.problems import problem_responses
from app.domain.classification import RiskClass
from app.domain.loan_status import LoanStatus
from app.domain.money import ZERO
from app.loans import lifecycle, schemas, service
from app.loans.models import Instalment, Loan

router = APIRouter(prefix="/v1", tags=["loans"])

Reader = LoanReader


def loan_out(session: Session, loan: Loan, *, with_roster: bool = False) -> schemas.LoanOut:
    """The loan; `with_roster` (the single loan view): its borrower's roster status and its
    current disbursement too."""
    position = service.position(session, loan)
    roster = service.borrower_roster_status(session, loan) if with_roster else None
    return schemas.LoanOut(
        **schemas.LoanSummaryOut.model_validate(loan).model_dump(),
        value_date=loan.value_date,
        maturity_date=loan.maturity_date,
        closed_on=loan.closed_on,
        business_date=position.as_of,
        principal_outstanding=loan.principal_outstanding,
        overdue_principal=position.overdue_principal,
        overdue_interest=position.overdue_interest,
        penalty_outstanding=position.penalty,
        next_due_date=position.next_due_date,
        days_past_due=loan.days_past_due,
        risk_class=RiskClass(loan.risk_class),
        interest_accrued=loan.interest_accrued,
        central_subsidy_to_date=loan.central_accrued,
        local_subsidy_to_date=loan.local_accrued,
        penalty_accrued=loan.penalty_accrued,
        renewals_or_extensions_used=loan.chain_actions,
        renewed_from_id=loan.renewed_from_id,
        extension_months=loan.extension_months,
        external_ref=loan.external_ref,
        last_visit_on=loan.last_visit_on,
        misuse_since=loan.misuse_since,
        subsidy_forfeited_from=loan.subsidy_forfeited_from,
        restructured_on=loan.restructured_on,
        observation_end=loan.observation_end,
        borrower_roster_status=roster,
        alerts=service.alerts(loan, position.as_of, roster),
        disbursement=service.current_disbursement(session, loan.id) if with_roster else None,
    )


def _instalment_out(row: Instalment, business_date: object) -> schemas.InstalmentOut:
    outstanding = row.principal_due - row.principal_paid + row.interest_due - row.interest_paid
    if outstanding == ZERO:
        status = "paid"
    elif business_date is not None and row.due_date < business_date:  # type: ignore[operator]
        status = "overdue"
    elif business_date == row.due_date:
        status = "due"
    else:
        status = "scheduled"
    return schemas.InstalmentOut(
        number=row.number,
        period_start=row.period_start,
        due_date=row.due_date,
        principal_due=row.principal_due,
        interest_due=row.interest_due,
        prepaid_interest=row.prepaid_interest,
        central_subsidy=row.central_share,
        local_subsidy=row.local_share,
        principal_paid=row.principal_paid,
        interest_paid=row.interest_paid,
        outstanding=outstanding,
        status=status,
    )


@router.get("/loans", response_model=schemas.LoanPage, responses=problem_responses(403))
def list_loans(
    session: DbSession,
    principal: Reader,
    status: LoanStatus | None = None,
    region: Annotated[str | None, Query(pattern=r"^\d{2,12}$")] = None,
    risk_class: RiskClass | None = None,
    officer: Annotated[
        str | None, Query(max_length=200, description="the loan officer who looks after it")
    ] = None,
    external_ref: Annotated[
        str | None, Query(max_length=60, description="the earlier system's contract number")
    ] = None,
    core_transaction_id: Annotated[
        str | None, Query(max_length=100, description="core banking's disbursement reference")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> schemas.LoanPage:
    """Loans within the caller's regions, by id; filter by status, region, class, officer, or
    the references the bank's other systems know them by."""
    items, next_cursor = service.list_page(
        session,
        principal,
        status=status,
        region=region,
        risk_class=risk_class.value if risk_class else None,
        cursor=cursor,
        limit=limit,
        external_ref=external_ref,
        core_transaction_id=core_transaction_id,
        officer=officer,
    )
    return schemas.LoanPage(
        items=[loan_out(session, loan) for loan in items], next_cursor=next_cursor
    )


@router.get(
    "/loans/{loan_id}", response_model=schemas.LoanOut, responses=problem_responses(403, 404)
)
def get_loan(loan_id: uuid.UUID, session: DbSession, principal: Reader) -> schemas.LoanOut:
    """Balances, days past due, risk class and subsidy to date."""
    return loan_out(session, service.get(session, principal, loan_id), with_roster=True)


@router.get(
    "/loans/{loan_id}/schedule",
    response_model=schemas.ScheduleOut,
    responses=problem_responses(403, 404),
)
def get_schedule(loan_id: uuid.UUID, session: DbSession, principal: Reader) -> schemas.ScheduleOut:
    """What is due, paid and overdue per instalment, as of the region's open business date."""
    loan = service.get(session, principal, loan_id)
    as_of = service.position(session, loan).as_of
    rows = lifecycle.instalments(session, loan.id)
    return schemas.ScheduleOut(
        loan_id=loan.id,
        business_date=as_of,
        instalments=[_instalment_out(r, as_of) for r in rows],
        total_principal=sum((r.principal_due for r in rows), ZERO),
        total_interest=sum((r.interest_due + r.prepaid_interest for r in rows), ZERO),
    )


@router.put(
    "/loans/{loan_id}/risk-class",
    response_model=schemas.LoanOut,
    responses=problem_responses(403, 404, 409),
)
def worsen_risk_class(
    loan_id: uuid.UUID,
    body: schemas.RiskClassIn,
    session: DbSession,
    principal: Annotated[Principal, Depends(require(Role.risk_manager))],
) -> schemas.LoanOut:
    """A risk manager sets the loan's class worse than the rules give, with a reason (kept as
    an override, audited). A better class is 409: only days past due and a completed
    restructuring observation improve a class (3.1)."""
    return loan_out(session, service.worsen_risk_class(session, principal, loan_id, body))


@router.get(
    "/loans/{loan_id}/disbursements",
    response_model=list[schemas.DisbursementStateOut],
    responses=problem_responses(403, 404),
)
def list_disbursements(
    loan_id: uuid.UUID, session: DbSession, principal: Reader
) -> list[schemas.DisbursementStateOut]:
    """The loan's disbursements, newest first."""
    return service.disbursements_of(session, principal, loan_id)
