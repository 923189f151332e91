"""Collections (4.3): cases, the officer's actions and promises, and the day's work queue."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from app.collections import schemas, service, writeoffs
from app.core.auth import LoanReader, Principal, Role, require
from app.core.deps import DbSession
from app.core.problems import problem_responses

router = APIRouter(prefix="/v1", tags=["collections"])
Officer = Annotated[Principal, Depends(require(Role.loan_officer))]


@router.get(
    "/collection-cases", response_model=schemas.CollectionCasePage, responses=problem_responses(403)
)
def list_collection_cases(
    session: DbSession,
    principal: LoanReader,
    status: Annotated[str, Query(pattern="^(open|all)$")] = "open",
    officer: Annotated[str | None, Query(max_length=200)] = None,
    bucket: Annotated[str | None, Query(pattern=r"^\d{1,4}(-\d{1,4}|\+)$")] = None,
    region: Annotated[str | None, Query(pattern=r"^\d{2,12}$")] = None,
    loan_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> schemas.CollectionCasePage:
    """Cases within your regions, most days past due first; open ones unless `status=all`."""
    return schemas.CollectionCasePage(
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
    response_model=schemas.CollectionCaseOut,
    responses=problem_responses(403, 404),
)
def get_collection_case(
    case_id: uuid.UUID, session: DbSession, principal: LoanReader
) -> schemas.CollectionCaseOut:
    """The case with the loan's overdue amounts, its bucket and what it calls for, every
    action and every promise."""
    return service.get(session, principal, case_id)


@router.post(
    "/collection-cases/{case_id}/actions",
    response_model=schemas.CollectionCaseOut,
    status_code=201,
    responses=problem_responses(403, 404, 409),
)
def record_action(
    case_id: uuid.UUID, body: schemas.CollectionActionIn, session: DbSession, principal: Officer
) -> schemas.CollectionCaseOut:
    """A phone call, a home visit, or a meeting with the village committee (村两委), the first
    secretary (驻村第一书记) or the work team (工作队): who took part, what was found, the next
    step. 409 once the case is closed."""
    return service.record_action(session, principal, case_id, body)


@router.post(
    "/collection-cases/{case_id}/promises",
    response_model=schemas.CollectionCaseOut,
    status_code=201,
    responses=problem_responses(403, 404, 409),
)
def record_promise(
    case_id: uuid.UUID, body: schemas.PromiseIn, session: DbSession, principal: Officer
) -> schemas.CollectionCaseOut:
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
    limit: Annotated[int, Query(ge=1, le=2000, description="the first this many")] = 2000,
) -> schemas.WorkQueue:
    """Today's work on an officer's open cases, each with why: a broken promise, a promise or a
    planned step due, an escalation not yet followed up, a case never acted on; `total` says
    how many in all when `limit` shows the first."""
    return service.work_queue(session, principal, officer or principal.subject, limit)


@router.get(
    "/collections/counties/{code}",
    response_model=schemas.CountyCollectionsOut,
    responses=problem_responses(403, 404),
)
def county_collections(
    code: Annotated[str, Path(pattern=r"^\d{6}$")], session: DbSession, principal: LoanReader
) -> schemas.CountyCollectionsOut:
    """A county's overdue ratio and its growth month on month (逾期率偏高或增速过快, 4.3), from
    the same figures and rule as its regional alert, with its open cases by bucket, cases never
    acted on and promises broken in the last 30 days."""
    return service.county(session, principal, code)


# --- write-off and recovery (2.1 核销, 账销案存) ------------------------------------------------

Proposer = Annotated[Principal, Depends(require(Role.loan_officer, Role.risk_manager))]
Decider = Annotated[Principal, Depends(require(Role.risk_manager, Role.admin))]
CoreBanking = Annotated[Principal, Depends(require(Role.core_banking))]


@router.post(
    "/loans/{loan_id}/write-offs",
    response_model=schemas.WriteOffOut,
    status_code=201,
    responses=problem_responses(403, 404, 409),
)
def propose_write_off(
    loan_id: uuid.UUID, body: schemas.WriteOffIn, session: DbSession, principal: Proposer
) -> schemas.WriteOffOut:
    """Propose writing the loan off: `loss_class` (the loan is classified loss), or
    `collection_exhausted` (WRITE_OFF_MIN_DAYS_PAST_DUE past due, WRITE_OFF_MIN_ACTIONS actions
    on record, the village organisations involved), with the evidence on file. Grounds not met
    are 409 with the rules that failed. Nothing changes until a second person approves."""
    return writeoffs.out(session, writeoffs.propose(session, principal, loan_id, body))


@router.get(
    "/loans/{loan_id}/write-offs",
    response_model=list[schemas.WriteOffOut],
    responses=problem_responses(403, 404),
)
def loan_write_offs(
    loan_id: uuid.UUID, session: DbSession, principal: LoanReader
) -> list[schemas.WriteOffOut]:
    """The loan's write-off proposals, newest first: amounts written off, the claim kept,
    recoveries, what remains (empty if none was ever proposed)."""
    return [writeoffs.out(session, row) for row in writeoffs.of_loan(session, principal, loan_id)]


@router.get(
    "/write-offs", response_model=list[schemas.WriteOffOut], responses=problem_responses(403)
)
def list_write_offs(
    session: DbSession,
    principal: LoanReader,
    status: Annotated[str | None, Query(pattern="^(proposed|approved|declined|withdrawn)$")] = None,
) -> list[schemas.WriteOffOut]:
    """Newest first (the latest 500), within your regions."""
    return [writeoffs.out(session, row) for row in writeoffs.listed(session, principal, status)]


@router.post(
    "/write-offs/{write_off_id}/decision",
    response_model=schemas.WriteOffOut,
    responses=problem_responses(403, 404, 409),
)
def decide_write_off(
    write_off_id: uuid.UUID,
    body: schemas.WriteOffDecisionIn,
    session: DbSession,
    principal: Decider,
) -> schemas.WriteOffOut:
    """Approve or decline; never by the proposer (409 `maker-checker`). Approved, the loan is
    `written_off` on its county's business date: off the balance sheet (portfolio, NPL ratio,
    the batch), its claim fixed (principal, interest to date, penalty), its collection case
    closed."""
    return writeoffs.out(session, writeoffs.decide(session, principal, write_off_id, body))


@router.post(
    "/loans/{loan_id}/recoveries",
    response_model=schemas.WriteOffOut,
    status_code=201,
    responses={200: {"model": schemas.WriteOffOut}, **problem_responses(403, 404, 409)},
)
def post_recovery(
    loan_id: uuid.UUID,
    body: schemas.RecoveryIn,
    session: DbSession,
    principal: CoreBanking,
    response: Response,
) -> schemas.WriteOffOut:
    """Money recovered on a written-off loan (core banking; idempotent on its transaction id:
    a repeat answers 200 as before, other details under the same id 409). More than remains is
    409. The recovery that completes the claim closes the loan."""
    row, created = writeoffs.recover(session, principal, loan_id, body)
    if not created:
        response.status_code = 200
    return writeoffs.out(session, row)
