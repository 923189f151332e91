"""GET /v1/regions/{code}, PUT /v1/regions/{code}/lending-status (clause 4.3)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from sqlalchemy.orm import Session

from app.core.auth import Principal, Role, require
from app.core.deps import DbSession
from app.core.problems import problem_responses
from app.regions import schemas, service

router = APIRouter(prefix="/v1/regions", tags=["regions"])

RegionCode = Annotated[str, Path(pattern=r"^\d{6}$", description="GB/T 2260 county code")]
Reader = Annotated[
    Principal,
    Depends(
        require(
            Role.loan_officer, Role.credit_reviewer, Role.risk_manager, Role.auditor, Role.admin
        )
    ),
]
RiskManager = Annotated[Principal, Depends(require(Role.risk_manager))]


def _out(session: Session, code: str) -> schemas.RegionOut:
    region = service.get_or_default(session, code)
    stat, found = service.assess(session, code)
    figures = None
    if stat is not None and found is not None:
        figures = schemas.RegionFiguresOut(
            business_date=stat.business_date,
            active_loans=stat.active_loans,
            overdue_loans=stat.overdue_loans,
            npl_loans=stat.npl_loans,
            balance=stat.balance,
            overdue_balance=stat.overdue_balance,
            npl_balance=stat.npl_balance,
            overdue_ratio=found.overdue_ratio,
            npl_ratio=found.npl_ratio,
            overdue_ratio_change_month=found.overdue_growth,
            npl_ratio_change_month=found.npl_growth,
        )
    return schemas.RegionOut(
        code=code,
        lending_status=schemas.LendingStatus(region.lending_status),
        status_reason=region.status_reason,
        figures=figures,
        alert=bool(found and found.alert),
        suspension_recommended=bool(found and found.suspension_recommended),
        reasons=found.reasons if found else [],
        history=[schemas.StatusChangeOut.model_validate(h) for h in service.history(session, code)],
    )


@router.get("/{code}", response_model=schemas.RegionOut, responses=problem_responses(403, 404))
def get_region(code: RegionCode, session: DbSession, principal: Reader) -> schemas.RegionOut:
    principal.ensure_region(code, "Region")
    return _out(session, code)


@router.put(
    "/{code}/lending-status",
    response_model=schemas.RegionOut,
    responses=problem_responses(403, 404),
)
def set_lending_status(
    code: RegionCode, body: schemas.LendingStatusIn, session: DbSession, principal: RiskManager
) -> schemas.RegionOut:
    """A risk manager suspends new assistance lending in a county, or lifts it, with a reason.
    Loans already there are serviced as usual."""
    principal.ensure_region(code, "Region")
    service.set_lending_status(session, principal, code, body)
    return _out(session, code)
