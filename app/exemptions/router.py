"""Due-diligence exemption (尽职免责): the catalogue, the cases and their steps, the report."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.core import tables
from app.core.auth import LoanReader, Principal, Role, require
from app.core.deps import DbSession
from app.core.identity import region_name
from app.core.problems import problem_responses
from app.domain.exemption import CaseStatus
from app.domain.labels import labelled
from app.exemptions import schemas, service

router = APIRouter(prefix="/v1", tags=["exemption"])
Committee = Annotated[Principal, Depends(require(Role.exemption_committee))]
Staff = Annotated[
    Principal, Depends(require(Role.loan_officer, Role.credit_reviewer, Role.risk_manager))
]
Admin = Annotated[Principal, Depends(require(Role.admin))]
Reader = Annotated[
    Principal,
    Depends(require(Role.exemption_committee, Role.risk_manager, Role.auditor, Role.admin)),
]


def _out(case: object) -> schemas.ExemptionCaseOut:
    return schemas.ExemptionCaseOut.model_validate(case)


@router.get(
    "/exemption-catalogue",
    response_model=list[schemas.CatalogueEntryOut],
    responses=problem_responses(403),
)
def exemption_catalogue(
    session: DbSession, principal: LoanReader
) -> list[schemas.CatalogueEntryOut]:
    """Exemption situations (可免责情形) and aggravating findings (不得免责或从重情形)."""
    return [schemas.CatalogueEntryOut.model_validate(e) for e in service.catalogue(session)]


@router.post(
    "/exemption-catalogue",
    response_model=schemas.CatalogueEntryOut,
    status_code=201,
    responses=problem_responses(403, 409),
)
def add_to_catalogue(
    body: schemas.CatalogueEntryIn, session: DbSession, principal: Admin
) -> schemas.CatalogueEntryOut:
    """Add a situation or an aggravating finding (administrator; audited)."""
    return schemas.CatalogueEntryOut.model_validate(service.add_entry(session, principal, body))


@router.post(
    "/loans/{loan_id}/exemption-cases",
    response_model=schemas.ExemptionCaseOut,
    status_code=201,
    responses=problem_responses(403, 404, 409),
)
def open_exemption_case(
    loan_id: uuid.UUID, body: schemas.OpenIn, session: DbSession, principal: Staff
) -> schemas.ExemptionCaseOut:
    """Open a case on a non-performing or written-off loan, citing the situations relied on.
    The evidence file is gathered now: the application and its decision with who made it,
    evaluations, investigation, rating with its reasons, the contract, visits and misuse
    findings, collection actions and promises, write-offs, and the audit trail; with everyone
    who took part, none of whom may review or decide."""
    return _out(service.open_case(session, principal, loan_id, body))


@router.get(
    "/exemption-cases",
    response_model=list[schemas.ExemptionCaseOut],
    responses=problem_responses(403),
)
def list_exemption_cases(
    session: DbSession, principal: Reader, status: CaseStatus | None = None
) -> list[schemas.ExemptionCaseOut]:
    """Newest first (the latest 500), within your regions."""
    return [_out(c) for c in service.listed(session, principal, status)]


@router.get(
    "/exemption-cases/{case_id}",
    response_model=schemas.ExemptionCaseOut,
    responses=problem_responses(403, 404),
)
def get_exemption_case(
    case_id: uuid.UUID, session: DbSession, principal: LoanReader
) -> schemas.ExemptionCaseOut:
    """The case with its evidence file, the people involved, and each step taken (review,
    decision, appeal, final decision). The file's `attachments` are read now: the photos and
    scans of the loan's records and of the case, including any added since it opened."""
    case = service.get(session, principal, case_id)
    out = _out(case)
    out.evidence = {**out.evidence, "attachments": service.attachments(session, case)}
    return out


@router.post(
    "/exemption-cases/{case_id}/review",
    response_model=schemas.ExemptionCaseOut,
    responses=problem_responses(403, 404, 409),
)
def review_exemption_case(
    case_id: uuid.UUID, body: schemas.ReviewIn, session: DbSession, principal: Committee
) -> schemas.ExemptionCaseOut:
    """The committee has reviewed the evidence (a member with no part in the loan)."""
    return _out(service.review(session, principal, case_id, body))


@router.post(
    "/exemption-cases/{case_id}/decision",
    response_model=schemas.ExemptionCaseOut,
    responses=problem_responses(403, 404, 409),
)
def decide_exemption(
    case_id: uuid.UUID, body: schemas.ExemptionDecisionIn, session: DbSession, principal: Committee
) -> schemas.ExemptionCaseOut:
    """Exempt, partly exempt or not, with the catalogued situations and aggravating findings
    and the reasons. An exemption needs a situation; no full exemption over an aggravating
    finding; never by anyone who took part in the loan."""
    return _out(service.decide(session, principal, case_id, body))


@router.post(
    "/exemption-cases/{case_id}/appeal",
    response_model=schemas.ExemptionCaseOut,
    responses=problem_responses(403, 404, 409),
)
def appeal_exemption_case(
    case_id: uuid.UUID, body: schemas.AppealIn, session: DbSession, principal: Staff
) -> schemas.ExemptionCaseOut:
    """One appeal, by the staff concerned. Without one, the decision stands."""
    return _out(service.appeal(session, principal, case_id, body))


@router.post(
    "/exemption-cases/{case_id}/final-decision",
    response_model=schemas.ExemptionCaseOut,
    responses=problem_responses(403, 404, 409),
)
def final_exemption_decision(
    case_id: uuid.UUID, body: schemas.ExemptionDecisionIn, session: DbSession, principal: Committee
) -> schemas.ExemptionCaseOut:
    """The appeal's decision, final: by a committee member other than the first decider, with
    no part in the loan."""
    return _out(service.finalise(session, principal, case_id, body))


@router.get(
    "/reports/exemption-cases",
    response_model=schemas.ReportOut,
    responses={**tables.FILE_RESPONSES, **problem_responses(403)},
)
def exemption_report(
    request: Request,
    session: DbSession,
    principal: Reader,
    region: Annotated[str | None, Query(pattern=r"^\d{2,12}$")] = None,
    format: Annotated[tables.Format | None, Query(description=tables.FORMAT_HELP)] = None,
) -> schemas.ReportOut | Response:
    """Due-diligence exemption cases by county, step and outcome, within the caller's regions;
    as csv or xlsx, the same rows with Chinese headers and labels, and their total."""
    rows = service.report(session, principal, region)
    form = tables.wanted(request, format)
    if form == "json":
        return schemas.ReportOut(rows=rows)
    table = tables.Table(
        "尽职免责",
        [
            tables.Column("县级区划代码"),
            tables.Column("县（市、区）"),
            tables.Column("办理阶段"),
            tables.Column("认定结果"),
            tables.Column("案件数", "whole", summed=True),
        ],
        [
            [
                r.region_code,
                region_name(r.region_code) or "",
                labelled("CaseStatus", r.status),
                labelled("Outcome", r.outcome) if r.outcome else "",
                r.cases,
            ]
            for r in rows
        ],
        title="尽职免责案件统计",
        totals=True,
    )
    return tables.file_response(table, form, "exemption-cases")


tables.file_twins(router, "/reports/exemption-cases", exemption_report)
