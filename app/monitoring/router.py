"""Post-loan monitoring: visits, and loans due for one."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.core import clock
from app.core.auth import Principal, Reader, Role, require
from app.core.deps import DbSession
from app.core.problems import problem_responses
from app.core.settings import get_settings
from app.core.types import Day
from app.loans import service as loans
from app.monitoring import schemas, service

router = APIRouter(prefix="/v1", tags=["monitoring"])

Officer = Annotated[Principal, Depends(require(Role.loan_officer))]


@router.post(
    "/loans/{loan_id}/monitoring-visits",
    response_model=schemas.VisitOut,
    status_code=201,
    responses=problem_responses(403, 404, 409),
)
def record_visit(
    loan_id: uuid.UUID, body: schemas.VisitIn, session: DbSession, principal: Officer
) -> schemas.VisitOut:
    """Diversion to an enterprise or non-productive use raises an alert on the loan, charges
    the misuse rate (contract rate + MISUSE_PENALTY_MARKUP) until a later as_declared visit
    records it corrected, and blocks renewal and extension (4.2)."""
    return schemas.VisitOut.model_validate(service.record(session, principal, loan_id, body))


@router.get(
    "/loans/{loan_id}/monitoring-visits",
    response_model=list[schemas.VisitOut],
    responses=problem_responses(403, 404),
)
def list_visits(
    loan_id: uuid.UUID, session: DbSession, principal: Reader
) -> list[schemas.VisitOut]:
    """The loan's post-loan visits (4.2), newest first, with each finding on fund use."""
    loan = loans.get(session, principal, loan_id)
    return [schemas.VisitOut.model_validate(v) for v in service.visits(session, loan.id)]


@router.get(
    "/monitoring/due-visits", response_model=schemas.DueVisitPage, responses=problem_responses(403)
)
def due_visits(
    session: DbSession,
    principal: Reader,
    as_of: Annotated[Day | None, Query()] = None,
    region: Annotated[str | None, Query(pattern=r"^\d{2,12}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> schemas.DueVisitPage:
    """Active loans not visited within MONITORING_VISIT_INTERVAL_DAYS (default 180)."""
    day = as_of or clock.today()
    interval = get_settings().monitoring_visit_interval_days
    rows = service.due_for_visit(session, principal, day, interval, region, limit)
    return schemas.DueVisitPage(
        as_of=day,
        interval_days=interval,
        items=[
            schemas.DueVisitOut(
                loan_id=loan.id,
                region_code=loan.region_code,
                last_visit_on=loan.last_visit_on,
                next_visit_due=due,
            )
            for loan, due in rows
        ],
    )
