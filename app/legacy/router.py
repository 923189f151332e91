"""POST /v1/legacy-loans/imports: contracts from the bank's earlier system (clause 5.2)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse

from app.background import service as jobs
from app.background.models import JobKind
from app.background.router import ACCEPTED, PREFER_HELP, accepted, wants_async
from app.core.auth import Principal, Role, require
from app.core.deps import DbSession
from app.core.problems import problem_responses
from app.legacy import schemas, service

router = APIRouter(prefix="/v1/legacy-loans", tags=["legacy"])
lpr_router = APIRouter(prefix="/v1/lpr-rates", tags=["legacy"])


@router.post(
    "/imports",
    response_model=schemas.LegacyImportOut,
    status_code=201,
    responses={**ACCEPTED, **problem_responses(403)},
)
def import_legacy_loans(
    body: schemas.LegacyImportIn,
    session: DbSession,
    principal: Annotated[Principal, Depends(require(Role.admin))],
    prefer: Annotated[str | None, Header(description=PREFER_HELP)] = None,
) -> schemas.LegacyImportOut | JSONResponse:
    """脱贫人口小额信贷 contracts signed before 2026-02-24, serviced under their own terms
    (amount, rate, recorded subsidy shares, dates, schedule state, renewal/extension used).
    Each contract is accepted or rejected with its reasons; re-sending one changes nothing.
    With `Prefer: respond-async` the import runs as a job: 202 and the job's URL (contracts
    done of total; at the end this answer, the rejections as row errors)."""
    if wants_async(prefer):
        service.require_within_regions(principal, body)
        job = jobs.start(
            session,
            principal,
            JobKind.legacy_import,
            {"contracts": len(body.loans), "as_of": body.as_of and str(body.as_of)},
            payload=body.model_dump_json().encode(),
            total=len(body.loans),
            lock="legacy-import",
        )
        return accepted(job)
    return service.import_loans(session, principal, body)


@lpr_router.get("", response_model=list[schemas.LprRateOut], responses=problem_responses(403))
def list_lpr_rates(
    session: DbSession,
    principal: Annotated[
        Principal,
        Depends(
            require(
                Role.loan_officer,
                Role.credit_reviewer,
                Role.risk_manager,
                Role.auditor,
                Role.admin,
            )
        ),
    ],
) -> list[schemas.LprRateOut]:
    """The loan prime rates by publication date: a legacy contract's rate is at most the 1-year
    LPR (terms up to a year) or the 5-year LPR (longer) in force when it was signed."""
    return [schemas.LprRateOut.model_validate(r) for r in service.lpr_rows(session)]


@lpr_router.post(
    "", response_model=schemas.LprRateOut, status_code=201, responses=problem_responses(403, 409)
)
def record_lpr_rate(
    body: schemas.LprRateIn,
    session: DbSession,
    principal: Annotated[Principal, Depends(require(Role.admin))],
) -> schemas.LprRateOut:
    """Record a new LPR publication (admin). A date already recorded is 409: published rates
    are not edited."""
    return schemas.LprRateOut.model_validate(service.record_lpr(session, principal, body))
