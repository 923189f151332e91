"""Households, their members and their credit ratings."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from app.core.auth import Principal, Reader, Role, require
from app.core.deps import DbSession
from app.core.problems import problem_responses
from app.households import schemas, service

router = APIRouter(prefix="/v1/households", tags=["households"])

Officer = Annotated[Principal, Depends(require(Role.loan_officer))]
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


@router.get("", response_model=schemas.HouseholdPage, responses=problem_responses(403))
def search_households(
    session: DbSession,
    principal: Reader,
    id_number: Annotated[str | None, Query(pattern=schemas.ID_NUMBER)] = None,
    name: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    household_number: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    region: Annotated[str | None, Query(pattern=r"^\d{2,12}$")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> schemas.HouseholdPage:
    """Find a household: by a member's ID number (exact; through its keyed hash, so the number
    is neither stored nor logged), a member's name (its beginning, e.g. 张), the roster
    household number, or a region; within your regions, newest first, with the total."""
    found, total = service.search(
        session,
        principal,
        id_number=id_number,
        name=name,
        household_number=household_number,
        region=region,
        limit=limit,
        offset=offset,
    )
    return schemas.HouseholdPage(items=[service.to_out(session, h) for h in found], total=total)


@router.get(
    "/{household_id}", response_model=schemas.HouseholdOut, responses=problem_responses(403, 404)
)
def get_household(
    household_id: uuid.UUID, session: DbSession, principal: Reader
) -> schemas.HouseholdOut:
    """The household: its members (ID numbers and phones masked) with their roster status, the
    roster household it is, and its address and account (masked)."""
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


@router.get(
    "/{household_id}/ratings",
    response_model=list[schemas.RatingOut],
    responses=problem_responses(403, 404),
)
def list_ratings(
    household_id: uuid.UUID, session: DbSession, principal: Reader
) -> list[schemas.RatingOut]:
    """信用评级记录: the household's ratings, newest first, each with its grade, limit, validity
    and every reason (code, Chinese label, points won of the most, and what was found)."""
    household = service.get_household(session, principal, household_id)
    return [
        schemas.RatingOut.model_validate(r, from_attributes=True)
        for r in service.ratings(session, household.id)
    ]


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
