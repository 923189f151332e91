"""Stateless policy trials for officers pre-screening a household: nothing is stored."""

from __future__ import annotations

from fastapi import APIRouter

from app.core.auth import AnyRole
from app.core.deps import DbSession
from app.core.problems import problem_responses
from app.policy import schemas, service
from app.regions import service as regions

router = APIRouter(prefix="/v1/policy", tags=["policy"])


@router.post(
    "/eligibility", response_model=schemas.EligibilityOut, responses=problem_responses(409)
)
def eligibility_trial(body: schemas.EligibilityTrialIn, _: AnyRole) -> schemas.EligibilityOut:
    """Every eligibility rule for a described applicant, each with its clause (no short-circuit).
    409 only when no assistance-loan policy was in force on the application date."""
    return service.eligibility_trial(body)


@router.post("/subsidy", response_model=schemas.SubsidyOut, responses=problem_responses(409))
def subsidy_trial(
    body: schemas.SubsidyTrialIn, session: DbSession, _: AnyRole
) -> schemas.SubsidyOut:
    """Clause 1.6 subsidy split. With `region_code` the local subsidy is the region's
    programme in force on the contract date (as a contract gets it); without, the
    `local_subsidy_rate` sent. A legacy contract date → 409: legacy loans keep the subsidy
    terms recorded on their contract (5.2)."""
    programme = (
        regions.local_programme(session, body.region_code, body.contract_date)
        if body.region_code
        else None
    )
    return service.subsidy_trial(body, programme)


@router.post("/schedule", response_model=schemas.TrialScheduleOut, responses=problem_responses(409))
def schedule_trial(body: schemas.ScheduleTrialIn, _: AnyRole) -> schemas.TrialScheduleOut:
    """Repayment schedule with each instalment's central, local and borrower interest shares."""
    return service.schedule_trial(body)
