"""GET /v1/regions/{code}, PUT /v1/regions/{code}/lending-status (clause 4.3)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from sqlalchemy.orm import Session

from app.core.auth import Principal, Role, require
from app.core.deps import DbSession
from app.core.i18n import language_var
from app.core.problems import problem_responses
from app.decisions.models import Decision
from app.regions import schemas, service

router = APIRouter(prefix="/v1/regions", tags=["regions"])

RegionCode = Annotated[str, Path(pattern=r"^\d{6}$", description="GB/T 2260 county code")]
RegionQuery = Annotated[
    str | None, Query(pattern=r"^\d{6}$", description="the programmes governing this county")
]
Reader = Annotated[
    Principal,
    Depends(
        require(
            Role.loan_officer, Role.credit_reviewer, Role.risk_manager, Role.auditor, Role.admin
        )
    ),
]
RiskManager = Annotated[Principal, Depends(require(Role.risk_manager))]

programmes_router = APIRouter(prefix="/v1/subsidy-programmes", tags=["regions"])


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
        subsidise_overdue_days=bool(region.subsidise_overdue_days),
        figures=figures,
        alert=bool(found and found.alert),
        suspension_recommended=bool(found and found.suspension_recommended),
        reasons=[r.in_(language_var.get()) for r in found.reasons] if found else [],
        history=[schemas.StatusChangeOut.model_validate(h) for h in service.history(session, code)],
    )


@router.get("/{code}", response_model=schemas.RegionOut, responses=problem_responses(403, 404))
def get_region(code: RegionCode, session: DbSession, principal: Reader) -> schemas.RegionOut:
    """The region's lending status (open or suspended, 4.3) and its history, its latest overdue
    and NPL figures with the alert tests and their reasons, and whether overdue days are
    subsidised (1.6)."""
    principal.ensure_region(code, "Region")
    return _out(session, code)


@router.put(
    "/{code}/lending-status",
    response_model=schemas.RegionOut,
    responses={
        202: {"model": schemas.RegionOut, "description": "asked: a second risk manager decides"},
        **problem_responses(403, 404),
    },
)
def set_lending_status(
    code: RegionCode,
    body: schemas.LendingStatusIn,
    session: DbSession,
    principal: RiskManager,
    response: Response,
) -> schemas.RegionOut:
    """A risk manager suspends new assistance lending in a county at once, with a reason.
    Lifting a suspension lets money out again: it is asked (202, the region unchanged,
    `Location` naming the request) and takes effect once a second risk manager approves it at
    POST /v1/decisions/{id}/decision. Loans already there are serviced as usual."""
    principal.ensure_region(code, "Region")
    _asked(response, service.set_lending_status(session, principal, code, body))
    return _out(session, code)


@router.put(
    "/{code}/subsidy-settings",
    response_model=schemas.RegionOut,
    status_code=202,
    responses=problem_responses(403, 404),
)
def set_subsidy_settings(
    code: RegionCode,
    body: schemas.SubsidySettingsIn,
    session: DbSession,
    principal: RiskManager,
    response: Response,
) -> schemas.RegionOut:
    """Ask to change the county's subsidy settings (1.6): by default a day on which a loan has
    an instalment overdue is not subsidised (逾期期间不予贴息). 202, the region unchanged, with
    `Location` naming the request a second risk manager decides; audited, with a reason."""
    principal.ensure_region(code, "Region")
    _asked(response, service.set_subsidy_settings(session, principal, code, body))
    return _out(session, code)


def _asked(response: Response, request: Decision | None) -> None:
    if request is not None:
        response.status_code = 202
        response.headers["Location"] = f"/v1/decisions/{request.id}"


@programmes_router.post(
    "",
    response_model=schemas.SubsidyProgrammeOut,
    status_code=201,
    responses=problem_responses(403, 404, 409),
)
def create_programme(
    body: schemas.SubsidyProgrammeIn, session: DbSession, principal: RiskManager
) -> schemas.SubsidyProgrammeOut:
    """Record a local subsidy programme (1.6) for a province, city or county prefix within the
    caller's regions, on the day it takes effect (409 `date-out-of-range` otherwise). It is
    `pending` and governs nothing until a second risk manager approves it (GET /v1/decisions).
    Contracts take the programme in force on their date (the most specific prefix, then the
    latest); a programme is never edited: a change is a new one."""
    principal.ensure_region(body.region_prefix, "Region")
    return schemas.SubsidyProgrammeOut.model_validate(
        service.create_programme(session, principal, body)
    )


@programmes_router.get(
    "", response_model=list[schemas.SubsidyProgrammeOut], responses=problem_responses(403)
)
def list_programmes(
    session: DbSession, principal: Reader, region: RegionQuery = None
) -> list[schemas.SubsidyProgrammeOut]:
    """The programmes that govern the caller's regions (or `region`), newest first."""
    return [
        schemas.SubsidyProgrammeOut.model_validate(p)
        for p in service.programmes_for_caller(session, principal, region)
    ]
