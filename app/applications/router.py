"""Loan applications: submit, investigate, decide (maker-checker), withdraw, contract."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.orm import Session

from app.applications import contract, officers, reads, schemas, service
from app.applications.models import (
    Application,
    ApplicationEvaluation,
    Investigation,
    NewApplication,
)
from app.core.auth import Principal, Reader, Role, require
from app.core.deps import DbSession, on_the_loop
from app.core.i18n import Said
from app.core.problems import Problem, problem_responses
from app.domain import subsidy
from app.domain.policy import Purpose, RepaymentMethod
from app.households.service import borrower_names, name_as_shown
from app.loans.schemas import LoanSummaryOut
from app.policy.schemas import EligibilityOut, RuleOut, TrialInstalmentOut
from app.policy.service import rule_out

router = APIRouter(prefix="/v1/applications", tags=["applications"])

Officer = Annotated[Principal, Depends(require(Role.loan_officer))]
Reviewer = Annotated[Principal, Depends(require(Role.credit_reviewer))]


def to_out(
    session: Session,
    application: Application,
    principal: Principal,
    names: Mapping[uuid.UUID, str] | None = None,
) -> schemas.ApplicationOut:
    """The application, its applicant's name beside it (from `names` when a list read them
    all at once)."""
    if names is None:
        names = borrower_names(session, principal, [application.applicant_member_id])
    out = application_out(
        application,
        reads.latest_evaluation(session, application.id),
        service.investigations(session, application.id),
        reads.loan_id_of(session, application.id),
    )
    out.borrower_name = names.get(application.applicant_member_id)
    return out


def application_out(
    application: Application | NewApplication,
    evaluation: ApplicationEvaluation | None,
    investigations: list[Investigation],
    loan_id: uuid.UUID | None,
) -> schemas.ApplicationOut:
    decision = None
    if isinstance(application, Application) and application.decided_by and application.decided_at:
        approved = application.status in (
            schemas.ApplicationStatus.approved,
            schemas.ApplicationStatus.contracted,
        )
        decision = schemas.DecisionOut(
            outcome="approve" if approved else "decline",
            decided_by=application.decided_by,
            decided_at=application.decided_at,
            amount=application.approved_amount,
            term_months=application.approved_term_months,
            annual_rate=application.annual_rate,
            repayment_method=RepaymentMethod(application.approved_method)
            if application.approved_method
            else None,
            local_subsidy_rate=application.local_subsidy_rate,
            suggested_rate=application.suggested_rate,
            rate_reason=application.rate_reason,
            large_production_confirmed=application.large_production_confirmed,
            reason_codes=application.decline_reasons,
            note=application.decision_note,
        )
    return schemas.ApplicationOut(
        id=application.id,
        household_id=application.household_id,
        applicant_member_id=application.applicant_member_id,
        region_code=application.region_code,
        status=schemas.ApplicationStatus(application.status),
        application_date=application.application_date,
        amount=application.amount,
        term_months=application.term_months,
        purpose=Purpose(application.purpose),
        purpose_detail=application.purpose_detail,
        large_production=application.large_production,
        large_production_reason=application.large_production_reason,
        large_production_category=subsidy.LargeProductionCategory(
            application.large_production_category
        )
        if application.large_production_category
        else None,
        repayment_method=RepaymentMethod(application.repayment_method),
        submitted_by=application.submitted_by,
        officer=application.officer,
        submitted_at=application.submitted_at,
        eligibility=schemas.EvaluationOut(
            stage=evaluation.stage,
            evaluated_on=evaluation.evaluated_on,
            policy_version=evaluation.policy_version,
            eligible=evaluation.eligible,
            rules=[RuleOut.stored(r) for r in evaluation.rules],
        )
        if evaluation
        else None,
        investigations=[schemas.InvestigationOut.model_validate(i) for i in investigations],
        warnings=[rule_out(service.wording(application, investigations))],
        decision=decision,
        loan_id=loan_id,
    )


def _location(response: Response, application: Application | NewApplication) -> None:
    response.headers["Location"] = f"/v1/applications/{application.id}"


@router.post(
    "",
    response_model=schemas.ApplicationOut,
    status_code=201,
    responses=problem_responses(403, 404, 409),
)
@on_the_loop
def submit_application(
    body: schemas.ApplicationIn, session: DbSession, principal: Officer, response: Response
) -> schemas.ApplicationOut:
    """Submit an application; its eligibility is evaluated at once (every rule, with its
    clause) and stored. A suspended region (4.3) refuses new applications with 409."""
    submitted = service.submit(session, principal, body)
    _location(response, submitted.application)
    out = application_out(submitted.application, submitted.evaluation, [], None)
    out.borrower_name = name_as_shown(principal, submitted.applicant_name)
    return out


@router.post("/trials", response_model=EligibilityOut, responses=problem_responses(403, 404))
def application_trial(
    body: schemas.ApplicationTrialIn, session: DbSession, principal: Officer
) -> EligibilityOut:
    """What submitting these terms for this household would find today, rule by rule with
    its clause, from the same facts a submission reads (roster, rating, outstanding loans,
    the region's status); nothing is stored. The console shows it as the officer types."""
    result = service.trial(session, principal, body)
    return EligibilityOut(
        eligible=result.eligible,
        policy_version=result.policy_version,
        rules=[rule_out(r) for r in result.rules],
    )


@router.get("", response_model=schemas.ApplicationPage, responses=problem_responses(403))
def list_applications(
    session: DbSession,
    principal: Reader,
    status: schemas.ApplicationStatus | None = None,
    region: Annotated[
        str | None, Query(pattern=r"^\d{2,12}$", description="region code prefix")
    ] = None,
    officer: Annotated[
        str | None, Query(max_length=200, description="the loan officer who looks after it")
    ] = None,
    household_id: Annotated[
        uuid.UUID | None, Query(description="one household's applications")
    ] = None,
    id: Annotated[
        list[uuid.UUID] | None,
        Query(max_length=200, description="these applications (a reviewer's inbox names them)"),
    ] = None,
    sort: Annotated[
        Literal[reads.SORT_CHOICES],  # type: ignore[valid-type]
        Query(description="a field to order by, `-` first for descending; then by id"),
    ] = "-submitted_at",
    cursor: Annotated[str | None, Query(max_length=300)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> schemas.ApplicationPage:
    """Newest first (or as `sort` asks), within the caller's regions, with the total that
    match; pass `next_cursor` back as `cursor`."""
    items, next_cursor, total = reads.list_page(
        session,
        principal,
        status=status,
        region=region,
        officer=officer,
        cursor=cursor,
        limit=limit,
        sort=sort,
        household_id=household_id,
        ids=id,
    )
    names = borrower_names(session, principal, (a.applicant_member_id for a in items))
    return schemas.ApplicationPage(
        items=[to_out(session, a, principal, names) for a in items],
        next_cursor=next_cursor,
        total=total,
    )


@router.get(
    "/{application_id}",
    response_model=schemas.ApplicationOut,
    responses=problem_responses(403, 404),
)
def get_application(
    application_id: uuid.UUID, session: DbSession, principal: Reader
) -> schemas.ApplicationOut:
    """The application with its eligibility evaluations (every rule with its clause), the
    investigation and the decision."""
    return to_out(session, service.get(session, principal, application_id), principal)


@router.post(
    "/{application_id}/investigations",
    response_model=schemas.InvestigationOut,
    status_code=201,
    responses=problem_responses(403, 404, 409),
)
def investigate(
    application_id: uuid.UUID, body: schemas.InvestigationIn, session: DbSession, principal: Officer
) -> schemas.InvestigationOut:
    """Record the pre-loan investigation (clause 4.1); a decision needs one that confirms a
    real need and a lawful project. It is part of the due-diligence (尽职免责) evidence."""
    row = service.record_investigation(session, principal, application_id, body)
    return schemas.InvestigationOut.model_validate(row)


@router.post(
    "/{application_id}/eligibility",
    response_model=schemas.EvaluationOut,
    responses=problem_responses(403, 404, 409),
)
def re_evaluate(
    application_id: uuid.UUID,
    session: DbSession,
    principal: Annotated[Principal, Depends(require(Role.loan_officer, Role.credit_reviewer))],
) -> schemas.EvaluationOut:
    """Evaluate the application's eligibility again with today's facts, and store it (an
    officer's or reviewer's action, before the decision: 409 after; audited)."""
    result, on = service.re_evaluate(session, principal, application_id)
    return schemas.EvaluationOut(
        stage="re-evaluation",
        evaluated_on=on,
        policy_version=result.policy_version,
        eligible=result.eligible,
        rules=[rule_out(r) for r in result.rules],
    )


@router.post(
    "/{application_id}/decision",
    response_model=schemas.ApplicationOut,
    responses=problem_responses(403, 404, 409),
)
def decide_application(
    application_id: uuid.UUID,
    body: schemas.DecisionIn,
    session: DbSession,
    principal: Reviewer,
    response: Response,
) -> schemas.ApplicationOut:
    """Approve (amount ≤ requested and ≤ the credit line, term, rate fixed for the contract's
    life, method, local subsidy rate) or decline with reason codes. Not by the officer who
    submitted it (403). An ineligible application, one without a pre-loan investigation, or
    one in a suspended region cannot be approved (409 listing the failing rules)."""
    application, warnings = service.decide(session, principal, application_id, body)
    if warnings:
        response.headers["X-Subsidy-Warnings"] = "; ".join(w.split(":")[0] for w in warnings)
    return to_out(session, application, principal)


@router.post(
    "/{application_id}/withdrawal",
    response_model=schemas.ApplicationOut,
    responses=problem_responses(403, 404, 409),
)
def withdraw_application(
    application_id: uuid.UUID, session: DbSession, principal: Officer
) -> schemas.ApplicationOut:
    """Withdraw an application not yet decided (the applicant's wish or the officer's);
    audited. 409 once it is decided."""
    return to_out(session, service.withdraw(session, principal, application_id), principal)


@router.post(
    "/{application_id}/contract",
    response_model=schemas.ContractOut,
    status_code=201,
    responses=problem_responses(403, 404, 409),
)
def sign_contract(
    application_id: uuid.UUID,
    body: schemas.ContractIn,
    session: DbSession,
    principal: Officer,
    response: Response,
) -> schemas.ContractOut:
    """Sign the contract: the loan is created with its policy version, rate and subsidy split
    fixed for life. At most one outstanding assistance loan per household (1.1), enforced by
    the database."""
    signed = contract.sign_contract(session, principal, application_id, body)
    response.headers["Location"] = f"/v1/loans/{signed.loan.id}"
    preview = []
    for row in signed.preview.instalments:
        share = subsidy.shares(row.interest, signed.terms)
        preview.append(
            TrialInstalmentOut(
                number=row.number,
                due_date=row.due_date,
                principal=row.principal,
                interest=row.interest,
                payment=row.payment,
                remaining_principal=row.remaining_principal,
                central_subsidy=share.central,
                local_subsidy=share.local,
                borrower_interest=share.borrower,
            )
        )
    return schemas.ContractOut(
        loan=LoanSummaryOut.model_validate(signed.loan).model_copy(
            update={
                "borrower_name": borrower_names(
                    session, principal, [signed.loan.borrower_member_id]
                ).get(signed.loan.borrower_member_id)
            }
        ),
        subsidy_warnings=signed.warnings,
        schedule_preview=preview,
    )


@router.get(
    "/{application_id}/rate-guidance",
    response_model=schemas.RateGuidanceOut,
    responses=problem_responses(403, 404, 409),
)
def rate_guidance(
    application_id: uuid.UUID, session: DbSession, principal: Reader
) -> schemas.RateGuidanceOut:
    """The suggested contract rate for the household's rating grade, and what it is made of:
    cost of funds, less the internal transfer-pricing discount, plus operating cost and the
    grade's risk premium (1.4). Nothing is taken off for the subsidy: the rate is the bank's.
    At decision a rate outside the band needs `rate_reason`. 409 while the household has no
    rating."""
    application = service.get(session, principal, application_id)
    found = service.rate_guidance(session, application)
    if found is None:
        raise Problem(
            409,
            Said("该户尚无信用评级", "The household has no credit rating yet"),
            slug="no-rating",
        )
    return schemas.RateGuidanceOut(
        grade=found.grade,
        suggested_rate=found.rate,
        parts=[
            schemas.RatePartOut(code=p.code, label_zh=p.label_zh, rate=p.rate) for p in found.parts
        ],
        lowest=found.lowest,
        highest=found.highest,
    )


# --- loan officers: who looks after what, and moving it (issue 17) ---------------------------

officers_router = APIRouter(prefix="/v1/officer-reassignments", tags=["officers"])
Supervisor = Annotated[
    Principal, Depends(require(Role.credit_reviewer, Role.risk_manager, Role.admin))
]
Decider = Annotated[Principal, Depends(require(Role.risk_manager, Role.admin))]


@officers_router.post(
    "",
    response_model=schemas.ReassignmentOut,
    status_code=201,
    responses=problem_responses(403, 409),
)
def request_reassignment(
    body: schemas.ReassignmentIn, session: DbSession, principal: Supervisor
) -> schemas.ReassignmentOut:
    """Ask to move an officer's open applications and outstanding loans (within your regions;
    or only `loan_ids`) to another officer. Nothing moves until a second person approves."""
    row = officers.request(
        session,
        principal,
        from_officer=body.from_officer,
        to_officer=body.to_officer,
        loan_ids=body.loan_ids,
        reason=body.reason,
    )
    return schemas.ReassignmentOut.model_validate(row)


@officers_router.get(
    "", response_model=list[schemas.ReassignmentOut], responses=problem_responses(403)
)
def list_reassignments(
    session: DbSession,
    principal: Supervisor,
    status: Literal["requested", "approved", "declined"] | None = None,
) -> list[schemas.ReassignmentOut]:
    """Newest first (the latest 500), those within your regions."""
    return [
        schemas.ReassignmentOut.model_validate(r)
        for r in officers.listed(session, principal, status)
    ]


@officers_router.get(
    "/{reassignment_id}",
    response_model=schemas.ReassignmentOut,
    responses=problem_responses(403, 404),
)
def get_reassignment(
    reassignment_id: uuid.UUID, session: DbSession, principal: Supervisor
) -> schemas.ReassignmentOut:
    """A request to move an officer's work: who asked, the regions, and the decision with the
    counts moved."""
    return schemas.ReassignmentOut.model_validate(officers.get(session, principal, reassignment_id))


@officers_router.post(
    "/{reassignment_id}/decision",
    response_model=schemas.ReassignmentOut,
    responses=problem_responses(403, 404, 409),
)
def decide_reassignment(
    reassignment_id: uuid.UUID,
    body: schemas.ReassignmentDecisionIn,
    session: DbSession,
    principal: Decider,
) -> schemas.ReassignmentOut:
    """Approve (the move happens now: what the officer holds now, within the asker's regions)
    or decline. Never by the person who asked (409 `maker-checker`)."""
    row = officers.decide(
        session, principal, reassignment_id, approve=body.outcome == "approve", note=body.note
    )
    return schemas.ReassignmentOut.model_validate(row)
