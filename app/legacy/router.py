"""POST /v1/legacy-loans/imports: contracts from the bank's earlier system (clause 5.2)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from app.core.auth import Principal, Role, require
from app.core.deps import DbSession
from app.core.problems import problem_responses
from app.legacy import schemas, service

router = APIRouter(prefix="/v1/legacy-loans", tags=["legacy"])


@router.post(
    "/imports",
    response_model=schemas.LegacyImportOut,
    status_code=201,
    responses=problem_responses(403),
)
def import_legacy_loans(
    body: schemas.LegacyImportIn,
    session: DbSession,
    principal: Annotated[Principal, Depends(require(Role.admin))],
) -> schemas.LegacyImportOut:
    """脱贫人口小额信贷 contracts signed before 2026-02-24, serviced under their own terms
    (amount, rate, recorded subsidy shares, dates, schedule state, renewal/extension used).
    Each contract is accepted or rejected with its reasons; re-sending one changes nothing."""
    return service.import_loans(session, principal, body)
