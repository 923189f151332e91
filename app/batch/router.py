"""POST /v1/batches/eod: run the end-of-day batch for a business date."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from app.batch import eod
from app.core.auth import Principal, Role, require
from app.core.db import get_sessionmaker
from app.core.deps import DbSession
from app.core.i18n import Said, said_of
from app.core.problems import Problem, problem_responses
from app.core.types import Day
from app.jobs import service as jobs
from app.jobs.models import JobKind
from app.jobs.router import ACCEPTED, PREFER_HELP, accepted, wants_async

router = APIRouter(prefix="/v1/batches", tags=["batches"])


class EodIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"business_date": "2026-06-30", "regions": ["5201"]}]},
    )

    business_date: Day
    regions: list[Annotated[str, Field(pattern=r"^\d{1,12}$")]] | None = Field(
        default=None,
        max_length=500,
        description="region code prefixes to run (default: all); lets workers share a date",
    )


class EodOut(BaseModel):
    business_date: date
    regions: int
    region_days: int
    skipped_locked: list[str]
    seconds: float


@router.post(
    "/eod",
    response_model=EodOut,
    responses={**ACCEPTED, **problem_responses(403, 409)},
)
async def run_eod(
    body: EodIn,
    session: DbSession,
    principal: Annotated[Principal, Depends(require(Role.admin))],
    prefer: Annotated[str | None, Header(description=PREFER_HELP)] = None,
) -> EodOut | JSONResponse:
    """Close every region within the caller's regions up to and including the date, each
    (region, date) in its own transaction, dates in order; dates already closed are skipped.
    A prefix outside the caller's regions is 403; a future date 409. Each run is audited.
    With `Prefer: respond-async` the batch runs as a job: 202 and the job's URL (counties
    done of total; at the end this answer)."""
    for prefix in body.regions or []:
        if not prefix.isdigit() or len(prefix) > 12:
            raise Problem(
                422,
                Said("地区应为区划代码前缀（数字）", "regions are code prefixes (digits)"),
                slug="validation-error",
            )
        if not principal.sees_region(prefix):
            raise Problem(
                403,
                Said(
                    f"地区 {prefix} 不在您的管辖范围内", f"Region {prefix} is outside your regions"
                ),
                slug="forbidden",
            )
    if wants_async(prefer):
        try:
            eod.refuse_future(body.business_date)
        except eod.FutureDateError as exc:
            raise Problem(409, said_of(exc), slug="future-business-date") from exc
        job = await run_in_threadpool(
            jobs.start,
            session,
            principal,
            JobKind.eod,
            {"business_date": str(body.business_date), "regions": body.regions},
            lock="eod",
        )
        return accepted(job)
    try:
        result = await run_in_threadpool(
            eod.run, get_sessionmaker(), body.business_date, body.regions, 2, principal
        )
    except eod.FutureDateError as exc:
        raise Problem(409, said_of(exc), slug="future-business-date") from exc
    return EodOut(
        business_date=result.business_date,
        regions=result.regions,
        region_days=result.region_days,
        skipped_locked=result.skipped_locked,
        seconds=round(result.seconds, 3),
    )
