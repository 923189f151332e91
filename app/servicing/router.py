"""Repayments: core banking posts and reverses them; readers see a loan's history."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import JSONResponse

from app.core.auth import LoanReader, Principal, Role, require
from app.core.deps import DbSession
from app.core.problems import problem_responses
from app.servicing import schemas, service
from app.servicing.models import ReversalCase

router = APIRouter(prefix="/v1", tags=["repayments"])

CoreBanking = Annotated[Principal, Depends(require(Role.core_banking))]
Reader = LoanReader


@router.post(
    "/loans/{loan_id}/repayments",
    response_model=schemas.RepaymentOut,
    status_code=201,
    responses={
        200: {"description": "a repeat: the first result", "model": schemas.RepaymentOut},
        **problem_responses(403, 404, 409),
    },
)
def post_repayment(
    loan_id: uuid.UUID,
    body: schemas.RepaymentIn,
    session: DbSession,
    principal: CoreBanking,
    response: Response,
) -> schemas.RepaymentOut:
    """Allocated to penalty, overdue interest, overdue principal, interest due, principal due,
    then prepayment (re-amortised over the same term). More than is owed → 409, nothing
    posted. A repeated core transaction id returns the first result (200)."""
    repayment, new = service.post(session, principal, loan_id, body)
    if not new:
        response.status_code = 200
    return schemas.RepaymentOut.model_validate(repayment)


@router.post(
    "/loans/{loan_id}/repayments/{core_transaction_id}/reversal",
    response_model=schemas.RepaymentOut,
    status_code=201,
    responses={
        200: {"description": "a repeat: the first reversal", "model": schemas.RepaymentOut},
        202: {
            "description": "kept for a person: the paid-off loan cannot reopen",
            "model": schemas.ReversalCaseOut,
        },
        **problem_responses(403, 404, 409),
    },
)
def reverse_repayment(
    loan_id: uuid.UUID,
    core_transaction_id: Annotated[str, Path(min_length=1, max_length=100)],
    body: schemas.ReversalIn,
    session: DbSession,
    principal: CoreBanking,
    response: Response,
) -> schemas.RepaymentOut | JSONResponse:
    """Reverse (冲正) the repayment core banking posted under `core_transaction_id`: a new
    entry undoes its allocation, the schedule, days past due and class are recomputed as of the
    county's business date, and the subsidy effect shows as an adjustment in the next claim.
    Latest first: a repayment with a later one standing on it, or one followed by an extension
    or renewal, is 409; so is a reversal of a reversal. A pay-off whose household has borrowed
    again cannot reopen its loan (1.1): the reversal is kept as a case for a person (202, the
    case; listed at GET /v1/reversal-cases), never lost. The same reversal again returns the
    first result (200, or the case again)."""
    reversal, new = service.reverse(session, principal, loan_id, core_transaction_id, body)
    if isinstance(reversal, ReversalCase):
        case = schemas.ReversalCaseOut.model_validate(reversal)
        return JSONResponse(case.model_dump(mode="json"), status_code=202)
    if not new:
        response.status_code = 200
    return schemas.RepaymentOut.model_validate(reversal)


@router.get(
    "/reversal-cases",
    response_model=list[schemas.ReversalCaseOut],
    responses=problem_responses(403),
)
def list_reversal_cases(
    session: DbSession,
    principal: Annotated[Principal, Depends(require(Role.risk_manager, Role.auditor, Role.admin))],
    status: Annotated[str, Query(pattern="^(open|all)$")] = "open",
) -> list[schemas.ReversalCaseOut]:
    """Reversals core banking made that could not be applied, oldest first (the latest 500),
    within your regions: open ones unless `status=all`."""
    return [
        schemas.ReversalCaseOut.model_validate(c)
        for c in service.reversal_cases(session, principal, open_only=status == "open")
    ]


@router.post(
    "/reversal-cases/{case_id}/settlement",
    response_model=schemas.ReversalCaseOut,
    responses=problem_responses(403, 404, 409),
)
def settle_reversal_case(
    case_id: uuid.UUID,
    body: schemas.SettlementIn,
    session: DbSession,
    principal: Annotated[Principal, Depends(require(Role.risk_manager, Role.admin))],
) -> schemas.ReversalCaseOut:
    """Record how the reversal was settled outside the loan (once; 409 if settled already)."""
    return schemas.ReversalCaseOut.model_validate(
        service.settle_case(session, principal, case_id, body)
    )


@router.get(
    "/loans/{loan_id}/repayments",
    response_model=schemas.RepaymentHistoryOut,
    responses=problem_responses(403, 404),
)
def list_repayments(
    loan_id: uuid.UUID, session: DbSession, principal: Reader
) -> schemas.RepaymentHistoryOut:
    """The loan's postings and reversals, oldest first."""
    return service.history(session, principal, loan_id)
