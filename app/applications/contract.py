"""Signing an approved application's contract (1.1–1.9, 4.1): the signing date allowed, every
eligibility rule judged again on the day claimed and today, the subsidy terms in force, and the
loan made through its owner (app/loans/lifecycle/)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.applications import schemas
from app.applications.models import Application, ApplicationEvaluation
from app.applications.service import (
    _one_loan_problem,
    _refuse,
    _require_status,
    _Terms,
    _transition,
    applicant_facts,
    evaluate,
    load_for_update,
)
from app.audit import service as audit
from app.batch import calendar
from app.core import clock
from app.core.auth import Principal
from app.core.i18n import Said
from app.core.problems import conflict
from app.core.settings import get_settings
from app.decisions import service as decisions
from app.domain import schedule, subsidy
from app.domain.policy import CURRENT, PolicyVersion, RepaymentMethod, policy_for
from app.eligibility import facts
from app.eligibility.facts import refuse_if_suspended
from app.loans import lifecycle
from app.loans.models import Loan
from app.regions import service as regions

S = schemas.ApplicationStatus


@dataclass
class Contracted:
    loan: Loan
    warnings: list[str]
    preview: schedule.Schedule
    terms: subsidy.SubsidyTerms


def sign_contract(
    session: Session, principal: Principal, application_id: uuid.UUID, body: schemas.ContractIn
) -> Contracted:
    """Every eligibility rule is evaluated again as of the signing date (roster, age, region,
    outstanding loan, rating validity …) and stored; the subsidy terms are those in force then.
    The steps: the signing date allowed, the rules again, the loan made, recorded."""
    application = load_for_update(session, principal, application_id)
    _require_status(application, S.approved)
    decisions.refuse_if_decider(principal, application.decision)
    state = applicant_facts(session, application)
    signed_on = _signing_date(session, application, body.signed_on or state.business_date)
    policy = policy_for(signed_on)
    if policy is not CURRENT:  # pragma: no cover (decisions are never before the notice)
        raise conflict(
            Said(
                "新合同按现行政策签订（5.2）",
                "New contracts are signed under the current terms (5.2)",
            )
        )
    split = _judged_for_signing(session, application, state, signed_on, policy)
    loan = _made(session, principal, application, state, signed_on, policy, split.terms)
    _transition(
        session, principal, application, S.contracted, "application.contract", loan_id=str(loan.id)
    )
    audit.record(
        session,
        principal,
        "loan.contract",
        "loan",
        loan.id,
        region_code=loan.region_code,
        after={
            "principal": str(loan.principal),
            "annual_rate": str(loan.annual_rate),
            "policy_version": loan.policy_version,
            "local_subsidy_rate": str(loan.local_subsidy_rate),
            "roster_household": loan.roster_household,
        },
    )
    preview = schedule.build(
        loan.principal,
        loan.annual_rate,
        loan.term_months,
        RepaymentMethod(loan.repayment_method),
        signed_on,
    )
    return Contracted(loan, split.warnings, preview, split.terms)


def _signing_date(session: Session, application: Application, signed_on: date) -> date:
    """The signing date, if allowed: on or before the county's business date, at most
    BACKDATING_DAYS before it, and not before the decision (its stored evaluation's business
    date, not the wall clock's)."""
    decided_on = session.scalar(
        select(ApplicationEvaluation.evaluated_on)
        .where(
            ApplicationEvaluation.application_id == application.id,
            ApplicationEvaluation.stage == "decision",
        )
        .order_by(ApplicationEvaluation.id.desc())
        .limit(1)
    )
    calendar.refuse_unless_recent(
        session,
        application.region_code,
        signed_on,
        Said("签约日期（不早于审批日）", "signing date (not before the decision)"),
        earliest=decided_on or clock.today(session, application.region_code),
    )
    return signed_on


def _judged_for_signing(
    session: Session,
    application: Application,
    state: facts.HouseholdState,
    signed_on: date,
    policy: PolicyVersion,
) -> subsidy.SubsidySplit:
    """Every rule as of the day claimed and as of today (a borrower who left the roster,
    turned 66 or was suspended since is not signed by dating the contract earlier), and the
    borrower's share of the rate; the subsidy split in force on the signing date."""
    assert application.approved_amount is not None and application.annual_rate is not None
    assert application.approved_term_months is not None
    judged_on = sorted({signed_on, state.business_date})
    for day in judged_on:
        refuse_if_suspended(state, application.applicant_member_id, day)
    terms = _Terms(application.approved_amount, application.approved_term_months)
    results = [evaluate(session, application, state, day, terms, "contract") for day in judged_on]
    split = regions.subsidy_split(
        session,
        application.region_code,
        signed_on,
        application.annual_rate,
        application.approved_amount,
        bool(application.large_production_confirmed),
        policy,
    )
    failed = [
        r
        for r in [
            # a rule failing on both days is named once
            *{r.code: r for result in results for r in result.rules if not r.passed}.values(),
            subsidy.check_borrower_share(split.terms, get_settings().borrower_rate_floor),
        ]
        if not r.passed
    ]
    if failed:
        raise _refuse(Said("该合同不能签订", "The contract cannot be signed"), failed)
    return split


def _made(
    session: Session,
    principal: Principal,
    application: Application,
    state: facts.HouseholdState,
    signed_on: date,
    policy: PolicyVersion,
    terms: subsidy.SubsidyTerms,
) -> Loan:
    """The loan, through its owner (one outstanding loan per household: 409 otherwise)."""
    assert application.approved_amount is not None and application.annual_rate is not None
    assert application.approved_term_months is not None and application.approved_method
    try:
        with session.begin_nested():
            return lifecycle.contract(
                session,
                lifecycle.Contract(
                    application_id=application.id,
                    household_id=application.household_id,
                    borrower_member_id=application.applicant_member_id,
                    region_code=application.region_code,
                    policy_version=policy.code,
                    principal=application.approved_amount,
                    annual_rate=application.annual_rate,
                    term_months=application.approved_term_months,
                    repayment_method=application.approved_method,
                    purpose=application.purpose,
                    large_production=bool(application.large_production_confirmed),
                    terms=terms,
                    roster_household=state.roster_household,
                    signed_on=signed_on,
                    contracted_by=principal.subject,
                    officer=application.officer,
                ),
            )
    except IntegrityError as exc:
        if "one_outstanding_per" in str(exc.orig):
            raise _one_loan_problem() from exc
        raise
