"""Applications: submission, pre-loan investigation, maker-checker decision, contract.

Every transition is audited; an impossible one is 409. Eligibility is evaluated with the
database's own facts (roster, outstanding loans, rating, region status) on submission and again
at decision, and each evaluation is stored with its policy version.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.applications import schemas
from app.applications.models import (
    Application,
    ApplicationEvaluation,
    Investigation,
    NewApplication,
)
from app.audit import service as audit
from app.audit.models import AuditEvent
from app.batch import calendar
from app.core.auth import Principal, Role
from app.core.db import Base, CompiledStatement, jsonb, slot
from app.core.i18n import Said
from app.core.problems import Problem, conflict, not_found
from app.core.scoping import get_scoped
from app.core.settings import get_settings
from app.decisions import service as decisions
from app.decisions.models import Decision
from app.domain import diversion, pricing, subsidy
from app.domain import eligibility as rules
from app.domain import rules as rules_
from app.domain.decisions import DecisionKind
from app.domain.labels import label, labelled
from app.domain.policy import Purpose, policy_for
from app.domain.rules import RuleResult, rule
from app.eligibility import facts
from app.eligibility.facts import refuse_if_suspended
from app.households.service import latest_rating
from app.policy.service import rule_failures, rule_json
from app.regions import service as regions

S = schemas.ApplicationStatus


def _refuse(detail: Said, failed: list[RuleResult]) -> Problem:
    return conflict(detail, rule_failures(failed), slug="policy-refusal")


@dataclass(frozen=True)
class _Terms:
    amount: Decimal
    term_months: int


def _loan_request(application: Application, terms: _Terms) -> rules.LoanRequest:
    return rules.LoanRequest(
        amount=terms.amount,
        term_months=terms.term_months,
        purpose=Purpose(application.purpose),
        large_production=application.large_production,
        guarantee_required=False,
    )


def _evaluation(
    application_id: uuid.UUID, stage: str, on: date, result: rules.Eligibility
) -> dict[str, Any]:
    return {  # keys: _EVALUATION_COLUMNS
        "application_id": application_id,
        "stage": stage,
        "evaluated_on": on,
        "policy_version": result.policy_version,
        "eligible": result.eligible,
        "rules": [rule_json(r) for r in result.rules],
    }


def applicant_facts(session: Session, application: Application) -> facts.HouseholdState:
    """The facts of the application's household; its applicant is one of the members."""
    state = facts.load(session, application.household_id)
    if state is None or application.applicant_member_id not in state.members:
        raise not_found("Household member")
    return state


def evaluate(
    session: Session,
    application: Application,
    state: facts.HouseholdState,
    on: date,
    terms: _Terms,
    stage: str,
) -> rules.Eligibility:
    """Eligibility from the database's facts, stored with its policy version."""
    result = rules.evaluate(
        state.eligibility_input(
            application.applicant_member_id, on, _loan_request(application, terms)
        )
    )
    session.add(ApplicationEvaluation(**_evaluation(application.id, stage, on, result)))
    return result


def _insert_submission() -> CompiledStatement:
    """The application, its evaluation and its audit event in one statement (each table's
    parameters are named `<table>_<column>`)."""

    def slots(model: type[Base], prefix: str, *names: str) -> dict[Any, Any]:
        return {model.__table__.c[n]: slot(f"{prefix}_{n}") for n in names}

    new = (
        insert(Application)
        .values(slots(Application, "application", *_SUBMITTED_COLUMNS))
        .returning(Application.submitted_at)
        .cte("new")
    )
    evaluation = insert(ApplicationEvaluation).values(
        slots(ApplicationEvaluation, "evaluation", *_EVALUATION_COLUMNS)
    )
    event = insert(AuditEvent).values(slots(AuditEvent, "audit", *audit.EVENT_COLUMNS))
    request = insert(Decision).values(slots(Decision, "decision", *decisions.DECISION_COLUMNS))
    return CompiledStatement(
        select(new.c.submitted_at).add_cte(
            evaluation.cte("evaluation"), event.cte("audit"), request.cte("decision")
        )
    )


_SUBMITTED_COLUMNS = (
    "id",
    "household_id",
    "applicant_member_id",
    "region_code",
    "status",
    "application_date",
    "amount",
    "term_months",
    "purpose",
    "purpose_detail",
    "large_production",
    "large_production_reason",
    "large_production_category",
    "repayment_method",
    "submitted_by",
    "officer",
)
_EVALUATION_COLUMNS = (
    "application_id",
    "stage",
    "evaluated_on",
    "policy_version",
    "eligible",
    "rules",
)
_INSERT_SUBMISSION = _insert_submission()


@dataclass(frozen=True)
class Submitted:
    application: NewApplication
    evaluation: ApplicationEvaluation
    applicant_name: str  # as registered (the facts read it)


def _applicants_household(
    session: Session, principal: Principal, household_id: uuid.UUID, applicant_id: uuid.UUID
) -> facts.HouseholdState:
    """The household's eligibility facts (one read), within the caller's regions, with the
    applicant among its members."""
    state = facts.load(session, household_id)
    if state is None:
        raise not_found("Household")
    principal.ensure_region(state.region_code, "Household")
    if applicant_id not in state.members:
        raise Problem(
            422,
            Said(
                "借款人（applicant_member_id）不是该户成员",
                "applicant_member_id is not a member of the household",
            ),
            slug="validation-error",
        )
    return state


def trial(
    session: Session, principal: Principal, body: schemas.ApplicationTrialIn
) -> rules.Eligibility:
    """What submitting these terms for the household would find today: the same facts and
    rules as a submission; nothing is stored (a suspended region is a failing rule here, not a
    refusal)."""
    state = _applicants_household(session, principal, body.household_id, body.applicant_member_id)
    return rules.evaluate(
        state.eligibility_input(body.applicant_member_id, state.business_date, _asked(body))
    )


def _asked(body: schemas.ApplicationIn | schemas.ApplicationTrialIn) -> rules.LoanRequest:
    """The loan the officer asks for, as eligibility sees it: without a guarantee (1.5, 免担保)."""
    return rules.LoanRequest(
        amount=body.amount,
        term_months=body.term_months,
        purpose=body.purpose,
        large_production=body.large_production,
        guarantee_required=False,
    )


def submit(session: Session, principal: Principal, body: schemas.ApplicationIn) -> Submitted:
    """Two statements: the facts (one read), then the application, its evaluation and its
    audit event (one write, the last: on the event loop it commits as it runs,
    `db.STATEMENT_WRITES`). The objects returned are not in the session: the request ends."""
    state = _applicants_household(session, principal, body.household_id, body.applicant_member_id)
    today = state.business_date
    refuse_if_suspended(state, body.applicant_member_id, today)
    values: dict[str, Any] = {  # keys: _SUBMITTED_COLUMNS
        "id": uuid.uuid4(),
        "household_id": state.household_id,
        "applicant_member_id": body.applicant_member_id,
        "region_code": state.region_code,
        "status": S.submitted.value,
        "application_date": today,
        "amount": body.amount,
        "term_months": body.term_months,
        "purpose": body.purpose.value,
        "purpose_detail": body.purpose_detail,
        "large_production": body.large_production,
        "large_production_reason": body.large_production_reason,
        "large_production_category": body.large_production_category.value
        if body.large_production_category
        else None,
        "repayment_method": body.repayment_method.value,
        "submitted_by": principal.subject,
        "officer": principal.subject,
    }
    application_id: uuid.UUID = values["id"]
    result = rules.evaluate(state.eligibility_input(body.applicant_member_id, today, _asked(body)))
    evaluation = _evaluation(application_id, "submission", today, result)
    event = audit.event_values(
        principal,
        "application.submit",
        "application",
        application_id,
        region_code=state.region_code,
        after={
            "status": S.submitted.value,
            "amount": str(body.amount),
            "eligible": result.eligible,
        },
    )
    # the reviewer's decision is asked for in the same statement (the one decision mechanism)
    request = decisions.ask_values(
        principal,
        DecisionKind.application,
        application_id,
        asked_state=S.submitted.value,
        region_code=state.region_code,
        application_id=application_id,
    )
    submitted_at = _INSERT_SUBMISSION.execute(
        session,
        {
            **{f"application_{k}": v for k, v in values.items()},
            **{f"evaluation_{k}": v for k, v in evaluation.items()},
            "evaluation_rules": jsonb(evaluation["rules"]),
            **{f"audit_{k}": v for k, v in event.items()},
            "audit_before": jsonb(event["before"]),
            "audit_after": jsonb(event["after"]),
            **{f"decision_{k}": v for k, v in request.items()},
            "decision_summary": jsonb(request["summary"]),
        },
    ).scalar_one()
    return Submitted(
        NewApplication(**values, submitted_at=submitted_at),
        ApplicationEvaluation(**evaluation),
        state.members[body.applicant_member_id].name,
    )


def load_for_update(
    session: Session, principal: Principal, application_id: uuid.UUID
) -> Application:
    return get_scoped(
        session, Application, application_id, principal, "Application", for_update=True
    )


def get(session: Session, principal: Principal, application_id: uuid.UUID) -> Application:
    return get_scoped(session, Application, application_id, principal, "Application")


def _require_status(application: Application, *allowed: S) -> None:
    if application.status not in allowed:
        raise conflict(
            Said(
                f"申请当前为{labelled('ApplicationStatus', application.status)}，此操作要求"
                + "或".join(label(a) for a in allowed),
                f"The application is {application.status}; this needs "
                + " or ".join(a.value for a in allowed),
            ),
            slug="invalid-transition",
        )


def _transition(
    session: Session,
    principal: Principal,
    application: Application,
    to: S,
    action: str,
    **after: Any,
) -> None:
    before = application.status
    application.status = to
    audit.record(
        session,
        principal,
        action,
        "application",
        application.id,
        region_code=application.region_code,
        before={"status": before},
        after={"status": to.value, **after},
    )


def record_investigation(
    session: Session, principal: Principal, application_id: uuid.UUID, body: schemas.InvestigationIn
) -> Investigation:
    application = load_for_update(session, principal, application_id)
    _require_status(application, S.submitted)
    calendar.refuse_unless_recent(
        session, application.region_code, body.visited_on, Said("走访日期", "visit date")
    )
    row = Investigation(
        id=uuid.uuid4(),
        application_id=application.id,
        recorded_by=principal.subject,
        **body.model_dump(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        principal,
        "application.investigate",
        "application",
        application.id,
        region_code=application.region_code,
        after={
            "investigation_id": str(row.id),
            "need_is_genuine": body.need_is_genuine,
            "project_is_lawful": body.project_is_lawful,
        },
    )
    return row


def investigations(session: Session, application_id: uuid.UUID) -> list[Investigation]:
    return list(
        session.scalars(
            select(Investigation)
            .where(Investigation.application_id == application_id)
            .order_by(Investigation.created_at)
        )
    )


def re_evaluate(
    session: Session, principal: Principal, application_id: uuid.UUID
) -> tuple[rules.Eligibility, date]:
    """Evaluate again with today's facts (e.g. after a new rating), and store it: an officer's
    or reviewer's action before the decision, audited."""
    application = load_for_update(session, principal, application_id)
    _require_status(application, S.submitted)
    state = applicant_facts(session, application)
    today = state.business_date
    result = evaluate(
        session,
        application,
        state,
        today,
        _Terms(application.amount, application.term_months),
        "re-evaluation",
    )
    audit.record(
        session,
        principal,
        "application.re_evaluate",
        "application",
        application.id,
        region_code=application.region_code,
        after={
            "eligible": result.eligible,
            "failed": [r.code for r in result.rules if not r.passed],
        },
    )
    return result, today


def withdraw(session: Session, principal: Principal, application_id: uuid.UUID) -> Application:
    application = load_for_update(session, principal, application_id)
    _require_status(application, S.submitted)
    _transition(session, principal, application, S.withdrawn, "application.withdraw")
    decisions.withdraw_subject(
        session,
        DecisionKind.application,
        application.id,
        Said("申请已撤回", "The application was withdrawn"),
    )
    return application


def decide(
    session: Session, principal: Principal, application_id: uuid.UUID, body: schemas.DecisionIn
) -> tuple[Application, list[str]]:
    application = get(session, principal, application_id)
    decision = body.decision
    _, warnings = decisions.decide_subject(
        session,
        principal,
        DecisionKind.application,
        application.id,
        approve=isinstance(decision, schemas.Approve),
        note=decision.note,
        body=decision,
        acknowledged=decision.acknowledged if isinstance(decision, schemas.Approve) else (),
    )
    session.refresh(application)
    return application, warnings or []


def wording(
    application: Application | NewApplication, found: list[Investigation]
) -> rules_.RuleResult:
    """1.8: the purpose and the investigations' findings and notes, screened for wording of
    diversion (a warning the reviewer acknowledges)."""
    return diversion.check_diversion_wording(
        application.purpose_detail,
        *(i.project_findings for i in found),
        *(i.notes for i in found),
    )


def _warnings(session: Session, request: Decision) -> list[rules_.RuleResult]:
    application = session.get(Application, request.subject_id)
    assert application is not None
    return [wording(application, investigations(session, application.id))]


def _declined(session: Session, principal: Principal, request: Decision, decision: Any) -> None:
    application = session.get(Application, request.subject_id, with_for_update=True)
    assert application is not None
    if isinstance(decision, schemas.Decline):
        application.decline_reasons = decision.reason_codes
        _transition(
            session,
            principal,
            application,
            S.declined,
            "application.decline",
            reason_codes=decision.reason_codes,
        )


def _approved(
    session: Session, principal: Principal, request: Decision, decision: Any
) -> list[str]:
    application = session.get(Application, request.subject_id, with_for_update=True)
    assert application is not None and isinstance(decision, schemas.Approve)
    return _approve(session, principal, application, decision)


decisions.handles(
    decisions.Handler(
        kind=DecisionKind.application,
        requesters=frozenset({Role.loan_officer}),
        deciders=frozenset({Role.credit_reviewer}),
        state=decisions.status_of(Application, decisions.the_subject),
        approve=_approved,
        settle=_declined,
        warnings=_warnings,
        generic=False,  # an approval fixes the contract's terms: at the application's endpoint
    )
)


def _approve(
    session: Session, principal: Principal, application: Application, decision: schemas.Approve
) -> list[str]:
    state = applicant_facts(session, application)
    today = state.business_date
    refuse_if_suspended(state, application.applicant_member_id, today)
    large = application.large_production and decision.large_production_confirmed
    found = [
        rules.check_investigation(
            any(
                i.need_is_genuine and i.project_is_lawful
                for i in investigations(session, application.id)
            )
        ),
        rules.check_within_requested(decision.amount, application.amount),
        subsidy.check_large_production(
            application.large_production,
            _category(application),
            decision.large_production_confirmed,
        ),
    ]
    result = evaluate(
        session,
        application,
        state,
        today,
        _Terms(decision.amount, decision.term_months),
        "decision",
    )
    split = regions.subsidy_split(
        session,
        application.region_code,
        today,
        decision.annual_rate,
        decision.amount,
        large,
        policy_for(today),
    )
    found += [
        subsidy.check_local_rate_from_programme(
            decision.local_subsidy_rate, split.terms.local_rate
        ),
        subsidy.check_borrower_share(split.terms, get_settings().borrower_rate_floor),
    ]
    guidance = rate_guidance(session, application)
    if guidance is not None:
        found.append(pricing.check_rate(guidance, decision.annual_rate, decision.rate_reason))
    failed = [r for r in [*found, *result.rules] if not r.passed]
    if failed:
        raise _refuse(Said("该申请不能批准", "The application cannot be approved"), failed)
    application.approved_amount = decision.amount
    application.approved_term_months = decision.term_months
    application.approved_method = decision.repayment_method.value
    application.annual_rate = decision.annual_rate
    application.local_subsidy_rate = split.terms.local_rate
    application.suggested_rate = guidance.rate if guidance else None
    application.rate_reason = decision.rate_reason
    application.large_production_confirmed = large
    _transition(
        session,
        principal,
        application,
        S.approved,
        "application.approve",
        amount=str(decision.amount),
        annual_rate=str(decision.annual_rate),
        term_months=decision.term_months,
        local_subsidy_rate=str(split.terms.local_rate),
        large_production_confirmed=large,
    )
    return split.warnings


def _category(application: Application) -> subsidy.LargeProductionCategory | None:
    category = application.large_production_category
    return subsidy.LargeProductionCategory(category) if category else None


def _one_loan_problem() -> Problem:
    return conflict(
        Said(
            "该户已有未结清的帮扶小额信贷",
            "The household already has an outstanding assistance loan",
        ),
        [
            rule(
                "one_loan_per_household",
                "1.1",
                False,
                "每户只能有一笔未结清的帮扶小额信贷",
                "One outstanding assistance loan per household",
            )
        ],
        slug="policy-refusal",
    )


def rate_guidance(session: Session, application: Application) -> pricing.Suggestion | None:
    """The suggested rate for the household's latest rating grade (1.4); None without one."""
    rating = latest_rating(session, application.household_id)
    if rating is None:
        return None
    return pricing.suggest(get_settings().rate_components(), rating.grade)
