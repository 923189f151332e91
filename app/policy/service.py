"""Policy trials: translate the wire shapes to the domain and back. Nothing is stored."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from app.core.i18n import said_of
from app.core.problems import Problem
from app.domain import eligibility, schedule, subsidy
from app.domain.policy import PolicyVersion, policy_for
from app.domain.rules import RuleResult, rule
from app.policy import schemas


def rule_out(result: RuleResult) -> schemas.RuleOut:
    """A verdict for a response, in the language asked for."""
    return schemas.RuleOut.of(
        result.code,
        result.clause,
        result.passed,
        result.message_zh,
        result.message_en,
        level=result.level,
    )


def rule_json(result: RuleResult) -> dict[str, Any]:
    """A verdict as kept with a decision, in both languages (read back by RuleOut.stored)."""
    return {
        "code": result.code,
        "clause": result.clause,
        "passed": result.passed,
        "message": result.message_en,
        "message_zh": result.message_zh,
        "level": result.level,
    }


def rule_failures(results: list[RuleResult]) -> list[RuleResult]:
    """The failing rules, as listed in a 409 problem."""
    return [r for r in results if not r.passed]


def governing_policy(on: date) -> PolicyVersion:
    try:
        return policy_for(on)
    except ValueError as exc:
        said = said_of(exc)
        raise Problem(
            409,
            said,
            slug="no-policy-in-force",
            rules=[rule("policy_in_force", "5.2", False, said.zh, said.en)],
        ) from exc


def eligibility_trial(body: schemas.EligibilityTrialIn) -> schemas.EligibilityOut:
    governing_policy(body.application_date)
    facts = eligibility.EligibilityInput(
        application_date=body.application_date,
        applicant=eligibility.Applicant(**body.applicant.model_dump()),
        household=eligibility.HouseholdFacts(**body.household.model_dump()),
        rating=eligibility.RatingFacts(**body.rating.model_dump()) if body.rating else None,
        loan=eligibility.LoanRequest(**body.loan.model_dump()),
    )
    result = eligibility.evaluate(facts)
    return schemas.EligibilityOut(
        eligible=result.eligible,
        policy_version=result.policy_version,
        rules=[rule_out(r) for r in result.rules],
    )


def _split(
    policy: PolicyVersion,
    annual_rate: Decimal,
    amount: Decimal,
    large: bool,
    local: Decimal,
    local_principal_cap: Decimal | None = None,
) -> subsidy.SubsidySplit:
    try:
        return subsidy.split(annual_rate, amount, large, local, policy, local_principal_cap)
    except subsidy.LegacySubsidyError as exc:
        said = said_of(exc)
        raise Problem(
            409,
            said,
            slug="legacy-terms",
            rules=[rule("legacy_terms", "5.2", False, said.zh, said.en)],
        ) from exc


def subsidy_trial(
    body: schemas.SubsidyTrialIn, programme: subsidy.LocalProgramme | None
) -> schemas.SubsidyOut:
    """With `region_code`, the local subsidy is the region's programme in force on the contract
    date (`programme`, None: the region has none), as a contract would get it; without it, the
    `local_subsidy_rate` given (a what-if)."""
    policy = governing_policy(body.contract_date)
    local, cap, notes = body.local_subsidy_rate, None, []
    if body.region_code is not None:
        local = programme.rate_for(body.annual_rate) if programme else Decimal(0)
        cap = programme.principal_cap if programme else None
        if local != body.local_subsidy_rate and "local_subsidy_rate" in body.model_fields_set:
            notes.append(
                f"local_rate_from_programme: region {body.region_code}'s programme gives"
                f" {local}, not the {body.local_subsidy_rate} sent (1.6)"
            )
    result = _split(policy, body.annual_rate, body.amount, body.large_production, local, cap)
    terms = result.terms
    return schemas.SubsidyOut(
        policy_version=policy.code,
        central_subsidy_rate=terms.central_rate,
        local_subsidy_rate=terms.local_rate,
        borrower_rate_on_subsidised=terms.borrower_rate_on_subsidised,
        subsidised_principal=terms.subsidised_principal,
        unsubsidised_principal=result.unsubsidised_principal,
        warnings=[*notes, *result.warnings],
    )


def schedule_trial(body: schemas.ScheduleTrialIn) -> schemas.TrialScheduleOut:
    policy = governing_policy(body.start_date)
    plan = schedule.build(
        body.principal, body.annual_rate, body.term_months, body.method, body.start_date
    )
    terms = None
    if policy.central_subsidy is not None:
        terms = _split(
            policy, body.annual_rate, body.principal, body.large_production, body.local_subsidy_rate
        ).terms
    rows = []
    for row in plan.instalments:
        share = subsidy.shares(row.interest, terms) if terms is not None else None
        rows.append(
            schemas.TrialInstalmentOut(
                number=row.number,
                due_date=row.due_date,
                principal=row.principal,
                interest=row.interest,
                payment=row.payment,
                remaining_principal=row.remaining_principal,
                central_subsidy=share.central if share else None,
                local_subsidy=share.local if share else None,
                borrower_interest=share.borrower if share else None,
            )
        )
    return schemas.TrialScheduleOut(
        policy_version=policy.code,
        instalments=rows,
        total_principal=plan.total_principal,
        total_interest=plan.total_interest,
        maturity_date=plan.maturity_date,
    )
