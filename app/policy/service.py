"""Policy trials: translate the wire shapes to the domain and back. Nothing is stored."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.core.problems import Problem, RuleFailure
from app.domain import eligibility, schedule, subsidy
from app.domain.policy import PolicyVersion, policy_for
from app.domain.rules import RuleResult
from app.policy import schemas


def rule_out(result: RuleResult) -> schemas.RuleOut:
    return schemas.RuleOut(
        code=result.code,
        clause=result.clause,
        passed=result.passed,
        message=result.message_en,
        message_zh=result.message_zh,
    )


def rule_failures(results: list[RuleResult]) -> list[RuleFailure]:
    """The failing rules, as listed in a 409 problem."""
    return [
        RuleFailure(code=r.code, clause=r.clause, message=r.message_en)
        for r in results
        if not r.passed
    ]


def refuse_unless_passed(result: RuleResult, *, slug: str = "policy-refusal") -> None:
    """A single rule that failed is a 409 naming it, its clause and its message."""
    if not result.passed:
        raise Problem(409, result.message_en, slug=slug, rules=rule_failures([result]))


def governing_policy(on: date) -> PolicyVersion:
    try:
        return policy_for(on)
    except ValueError as exc:
        raise Problem(
            409,
            str(exc),
            slug="no-policy-in-force",
            rules=[RuleFailure(code="policy_in_force", clause="5.2", message=str(exc))],
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
        raise Problem(
            409,
            str(exc),
            slug="legacy-terms",
            rules=[RuleFailure(code="legacy_terms", clause="5.2", message=str(exc))],
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
    for row in plan.installments:
        share = subsidy.shares(row.interest, terms) if terms is not None else None
        rows.append(
            schemas.InstallmentOut(
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
        installments=rows,
        total_principal=plan.total_principal,
        total_interest=plan.total_interest,
        maturity_date=plan.maturity_date,
    )
