"""Repayments: core banking posts and reverses them; readers see a loan's history."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from app.core.auth import LoanReader, Principal, Role, require
from app.core.deps import DbSession
from app.core.problems import problem_responses
from app.servicing import schemas, service

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
) -> schemas.RepaymentOut:
    """Reverse (冲正) the repayment core banking posted under `core_transaction_id`: a new
    entry undoes its allocation, the schedule, days past due and class are recomputed as of the
    county's business date, and the subsidy effect shows as an adjustment in the next claim.
    Latest first: a repayment with a later one standing on it, or one followed by an extension
    or renewal, is 409; so is a reversal of a reversal. The same reversal again returns the
    first result (200)."""
    reversal, new = service.reverse(session, principal, loan_id, core_transaction_id, body)
    if not new:
        response.status_code = 200
    return schemas.RepaymentOut.model_validate(reversal)


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
