"""Households, their members and their credit ratings."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from app.core.auth import Principal, Role, require
from app.core.deps import DbSession
from app.core.problems import problem_responses
from app.households import schemas, service

router = APIRouter(prefix="/v1/households", tags=["households"])

Officer = Annotated[Principal, Depends(require(Role.loan_officer))]
Reader = Annotated[
    Principal,
    Depends(require(Role.loan_officer, Role.credit_reviewer, Role.risk_manager, Role.auditor)),
]
Rater = Annotated[Principal, Depends(require(Role.loan_officer, Role.credit_reviewer))]


@router.post(
    "", response_model=schemas.HouseholdOut, status_code=201, responses=problem_responses(403, 409)
)
def create_household(
    body: schemas.HouseholdIn, session: DbSession, principal: Officer, response: Response
) -> schemas.HouseholdOut:
    """Register a household and its members. ID numbers and phones are encrypted at rest and
    only ever shown masked; the roster status is derived from the imported roster."""
    household = service.create_household(session, principal, body)
    response.headers["Location"] = f"/v1/households/{household.id}"
    return service.to_out(session, household)


@router.get(
    "/{household_id}", response_model=schemas.HouseholdOut, responses=problem_responses(403, 404)
)
def get_household(
    household_id: uuid.UUID, session: DbSession, principal: Reader
) -> schemas.HouseholdOut:
    return service.to_out(session, service.get_household(session, principal, household_id))


@router.patch(
    "/{household_id}/members/{member_id}",
    response_model=schemas.HouseholdOut,
    responses=problem_responses(403, 404),
)
def record_member_facts(
    household_id: uuid.UUID,
    member_id: uuid.UUID,
    body: schemas.MemberFactsIn,
    session: DbSession,
    principal: Officer,
) -> schemas.HouseholdOut:
    """Record facts about a member an officer verified (clause 1.9: full civil capacity,
    labour skills), e.g. those a legacy import left unknown and a renewal asks for. Audited."""
    household = service.get_household(session, principal, household_id)
    service.record_member_facts(session, principal, household, member_id, body)
    return service.to_out(session, household)


@router.post(
    "/{household_id}/ratings",
    response_model=schemas.RatingOut,
    status_code=201,
    responses=problem_responses(403, 404),
)
def rate_household(
    household_id: uuid.UUID, body: schemas.RatingIn, session: DbSession, principal: Rater
) -> schemas.RatingOut:
    """Score the household with the current scorecard (clause 2.2); every point won or lost
    has a reason code. Ratings are kept, never overwritten."""
    household = service.get_household(session, principal, household_id)
    rating = service.rate_household(session, principal, household, body)
    return schemas.RatingOut.model_validate(rating, from_attributes=True)
