"""Collections (4.3): cases, the officer's actions and promises, and the day's work queue."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.collections import schemas, service
from app.core.auth import LoanReader, Principal, Role, require
from app.core.deps import DbSession
from app.core.problems import problem_responses

router = APIRouter(prefix="/v1", tags=["collections"])
Officer = Annotated[Principal, Depends(require(Role.loan_officer))]


@router.get("/collection-cases", response_model=schemas.CasePage, responses=problem_responses(403))
def list_cases(
    session: DbSession,
    principal: LoanReader,
    status: Annotated[str, Query(pattern="^(open|all)$")] = "open",
    officer: Annotated[str | None, Query(max_length=200)] = None,
    bucket: Annotated[str | None, Query(pattern=r"^\d{1,4}(-\d{1,4}|\+)$")] = None,
    region: Annotated[str | None, Query(pattern=r"^\d{2,12}$")] = None,
    loan_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> schemas.CasePage:
    """Cases within your regions, most days past due first; open ones unless `status=all`."""
    return schemas.CasePage(
        items=service.listed(
            session,
            principal,
            open_only=status == "open",
            officer=officer,
            bucket=bucket,
            region=region,
            loan_id=loan_id,
            limit=limit,
        )
    )


@router.get(
    "/collection-cases/{case_id}",
    response_model=schemas.CaseOut,
    responses=problem_responses(403, 404),
)
def get_case(case_id: uuid.UUID, session: DbSession, principal: LoanReader) -> schemas.CaseOut:
    """The case with the loan's overdue amounts, its bucket and what it calls for, every
    action and every promise."""
    return service.get(session, principal, case_id)


@router.post(
    "/collection-cases/{case_id}/actions",
    response_model=schemas.CaseOut,
    status_code=201,
    responses=problem_responses(403, 404, 409),
)
def record_action(
    case_id: uuid.UUID, body: schemas.ActionIn, session: DbSession, principal: Officer
) -> schemas.CaseOut:
    """A phone call, a home visit, or a meeting with the village committee (村两委), the first
    secretary (驻村第一书记) or the work team (工作队): who took part, what was found, the next
    step. 409 once the case is closed."""
    return service.record_action(session, principal, case_id, body)


@router.post(
    "/collection-cases/{case_id}/promises",
    response_model=schemas.CaseOut,
    status_code=201,
    responses=problem_responses(403, 404, 409),
)
def record_promise(
    case_id: uuid.UUID, body: schemas.PromiseIn, session: DbSession, principal: Officer
) -> schemas.CaseOut:
    """A promise to pay an amount by a date (within 90 days). The batch judges it at the end of
    that date: kept if what was paid since it was made reaches the amount, else broken."""
    return service.record_promise(session, principal, case_id, body)


@router.get(
    "/collections/work-queue", response_model=schemas.WorkQueue, responses=problem_responses(403)
)
def work_queue(
    session: DbSession,
    principal: LoanReader,
    officer: Annotated[str | None, Query(max_length=200, description="default: yourself")] = None,
) -> schemas.WorkQueue:
    """Today's work on an officer's open cases, each with why: a broken promise, a promise or a
    planned step due, an escalation not yet followed up, a case never acted on."""
    return service.work_queue(session, principal, officer or principal.subject)
