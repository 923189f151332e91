"""Renewal and extension: requested by an officer, decided by a credit reviewer."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from app.core.auth import Principal, Reader, Role, require
from app.core.deps import DbSession
from app.core.problems import problem_responses
from app.decisions import service as decisions
from app.renewals import schemas, service

router = APIRouter(prefix="/v1/loans", tags=["renewals"])

Officer = Annotated[Principal, Depends(require(Role.loan_officer))]
Reviewer = Annotated[Principal, Depends(require(Role.credit_reviewer))]
ANSWERS = problem_responses(403, 404, 409)


@router.post(
    "/{loan_id}/renewal", response_model=schemas.ChainRequestOut, status_code=201, responses=ANSWERS
)
def request_renewal(
    loan_id: uuid.UUID, body: schemas.RenewalRequestIn, session: DbSession, principal: Officer
) -> schemas.ChainRequestOut:
    """Request a renewal (续贷) at maturity: once per loan chain (2.3, with the legacy
    allowance), eligibility re-checked under the 2026 terms, interest settled first. A borrower
    who left the roster is refused (4.2) and pointed to an ordinary farmer loan."""
    row = service.request(
        session,
        principal,
        loan_id,
        service.Kind.renewal,
        body.term_months,
        body.reason,
        body.repayment_method,
    )
    return service.to_out(row)


@router.post(
    "/{loan_id}/renewal/decision", response_model=schemas.ChainRequestOut, responses=ANSWERS
)
def decide_renewal(
    loan_id: uuid.UUID, body: schemas.RenewalDecisionIn, session: DbSession, principal: Reviewer
) -> schemas.ChainRequestOut:
    """Approve (the old loan closes as `renewed`, a new loan linked to it takes its principal
    under the 2026 terms, keeping its risk class) or decline."""
    return service.to_out(service.decide(session, principal, loan_id, service.Kind.renewal, body))


@router.post(
    "/{loan_id}/extension",
    response_model=schemas.ChainRequestOut,
    status_code=201,
    responses=ANSWERS,
)
def request_extension(
    loan_id: uuid.UUID, body: schemas.ExtensionRequestIn, session: DbSession, principal: Officer
) -> schemas.ChainRequestOut:
    """Request an extension (展期) before maturity: once per chain, at most the original term
    (≤ 12 months) or half of it (13–36 months)."""
    row = service.request(
        session, principal, loan_id, service.Kind.extension, body.months, body.reason, None
    )
    return service.to_out(row)


@router.post(
    "/{loan_id}/extension/decision", response_model=schemas.ChainRequestOut, responses=ANSWERS
)
def decide_extension(
    loan_id: uuid.UUID, body: schemas.ChainDecisionIn, session: DbSession, principal: Reviewer
) -> schemas.ChainRequestOut:
    """Approve (the unpaid principal is rescheduled over the longer term; with anything
    overdue it is a restructuring: class at least special mention for a year) or decline."""
    return service.to_out(service.decide(session, principal, loan_id, service.Kind.extension, body))


queue_router = APIRouter(prefix="/v1/chain-requests", tags=["renewals"])


@queue_router.get("", response_model=schemas.ChainRequestPage, responses=problem_responses(403))
def reviewer_queue(
    session: DbSession,
    principal: Reader,
    status: Annotated[
        Literal["requested", "approved", "declined", "withdrawn", "any"],
        Query(description="waiting ones by default; `any` for all"),
    ] = "requested",
    kind: service.Kind | None = None,
    region: Annotated[str | None, Query(pattern=r"^\d{2,12}$")] = None,
    loan_id: Annotated[uuid.UUID | None, Query(description="one loan's requests")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> schemas.ChainRequestPage:
    """续贷和展期待审批队列. Renewal and extension requests within the caller's regions, waiting
    ones by default, oldest first: what a credit reviewer works through, each with its loan's
    balance and days past due, and whether the caller may decide it (not their own request)."""
    rows, total = service.queue(
        session,
        principal,
        status=status,
        kind=kind,
        region=region,
        limit=limit,
        offset=offset,
        loan_id=loan_id,
    )
    return schemas.ChainRequestPage(
        items=[
            schemas.QueuedRequestOut(
                **service.to_out(row).model_dump(),
                region_code=row.region_code,
                officer=loan.officer,
                principal_outstanding=loan.principal_outstanding,
                days_past_due=loan.days_past_due,
                maturity_date=loan.maturity_date,
                may_decide=row.decision is not None
                and decisions.may_decide(session, principal, row.decision),
            )
            for row, loan in rows
        ],
        total=total,
    )
