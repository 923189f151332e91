"""POST /v1/roster/imports: the agriculture departments' roster, CSV or JSON lines."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from app.background import service as jobs
from app.background.models import JobKind
from app.background.router import ACCEPTED, PREFER_HELP, accepted, wants_async
from app.core.auth import Principal, Role, require
from app.core.deps import DbSession
from app.core.problems import Problem, problem_responses
from app.roster import service
from app.roster.schemas import RosterImportOut

router = APIRouter(prefix="/v1/roster", tags=["roster"])

_FORMATS = {"text/csv": "csv", "application/x-ndjson": "jsonl", "application/jsonl": "jsonl"}
_EXAMPLE_CSV = (
    "id_number,name,household_number,region_code,category,listed_date,removed_date\n"
    "52010219900101123X,张三,5201020001,520102,monitoring_target,2025-03-01,\n"
)


@router.post(
    "/imports",
    response_model=RosterImportOut,
    status_code=201,
    responses={**ACCEPTED, **problem_responses(403, 413, 415)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}, "example": _EXAMPLE_CSV},
                "application/x-ndjson": {"schema": {"type": "string"}},
                # what generated clients send a file as: its format in `format`
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def import_roster(
    request: Request,
    session: DbSession,
    principal: Annotated[Principal, Depends(require(Role.risk_manager, Role.admin))],
    prefer: Annotated[str | None, Header(description=PREFER_HELP)] = None,
    format: Annotated[
        Literal["csv", "jsonl"],
        Query(description="with `application/octet-stream`: the file's format"),
    ] = "csv",
) -> RosterImportOut | JSONResponse:
    """One row per person: id_number, name, household_number, region_code, category
    (`monitoring_target` / `continued_support`), listed_date, removed_date (for removals).
    Bad rows are rejected with their line and reason; the rest are merged. Re-sending the same
    file changes nothing. With `Prefer: respond-async` the import runs as a job: 202 and the
    job's URL, which shows rows done of total and, at the end, this answer and the row errors."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = format if media_type == "application/octet-stream" else _FORMATS.get(media_type)
    if fmt is None:
        raise Problem(
            415,
            "Send the roster as text/csv, application/x-ndjson or application/octet-stream",
            slug="unsupported-media-type",
        )
    body = await request.body()
    if wants_async(prefer):
        job = await run_in_threadpool(
            jobs.start,
            session,
            principal,
            JobKind.roster_import,
            {"format": fmt, "bytes": len(body)},
            payload=body,
            total=service.estimated_rows(body, fmt),
            lock="roster-import",
        )
        return accepted(job)
    try:
        result = await run_in_threadpool(service.import_roster, session, principal, body, fmt)
    except service.UnsupportedFormatError as exc:
        raise Problem(422, str(exc), slug="validation-error") from exc
    return RosterImportOut.model_validate(result, from_attributes=True)
