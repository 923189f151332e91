"""GET /v1/jobs: long work and how it is going. Jobs are started where the work belongs
(`Prefer: respond-async` on an import or the batch; a claim export), and answer 202 with the
job's URL."""

from __future__ import annotations

import uuid
from datetime import UTC
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from app.core import clock, tables
from app.core.auth import Principal, Role, require
from app.core.deps import DbSession
from app.core.problems import problem_responses
from app.core.types import Instant
from app.jobs import service
from app.jobs.models import Job, JobKind, JobStatus
from app.jobs.schemas import JobOut, JobPage, job_out

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

# Whoever may start a job may follow it; auditors follow everyone's within their regions.
Follower = Annotated[
    Principal, Depends(require(Role.risk_manager, Role.auditor, Role.admin, Role.loan_officer))
]
ASYNC_PREFERENCE = "respond-async"
PREFER_HELP = "`respond-async`: run as a job and answer 202 with its URL (RFC 7240)"


def wants_async(prefer: str | None) -> bool:
    """RFC 7240: `Prefer: respond-async` (among other preferences, any case)."""
    if not prefer:
        return False
    return any(part.split(";")[0].strip().lower() == ASYNC_PREFERENCE for part in prefer.split(","))


def accepted(job: Job) -> JSONResponse:
    """202 Accepted: the job's state now, where to follow it, and when to look again."""
    body = job_out(job, clock.now(UTC)).model_dump(mode="json")
    return JSONResponse(
        body,
        status_code=202,
        headers={
            "Location": body["url"],
            "Retry-After": "2",
            "Preference-Applied": ASYNC_PREFERENCE,
        },
    )


ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {
        "model": JobOut,
        "description": "Started as a job (with `Prefer: respond-async`, or always for exports):"
        " follow `Location`",
    }
}


@router.get("", response_model=JobPage, responses=problem_responses(403))
def list_jobs(
    session: DbSession,
    principal: Follower,
    status: JobStatus | None = None,
    kind: JobKind | None = None,
    before: Annotated[Instant | None, Query(description="created before (paging)")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> JobPage:
    """Newest first: your own jobs; an auditor's or administrator's view also has the jobs of
    everyone whose regions lie within theirs."""
    jobs = service.list_jobs(
        session, principal, status=status, kind=kind, before=before, limit=limit
    )
    now = clock.now(UTC)
    return JobPage(
        items=[job_out(j, now) for j in jobs],
        next_before=jobs[-1].created_at if len(jobs) == limit else None,
    )


@router.get("/{job_id}", response_model=JobOut, responses=problem_responses(403, 404))
def get_job(job_id: uuid.UUID, session: DbSession, principal: Follower) -> JobOut:
    """Status, progress, timings, the result or the failure, and the first row errors."""
    return job_out(service.get(session, principal, job_id), clock.now(UTC))


# The row errors' fields as a sheet names them.
_ERROR_HEADERS = {
    "line": "行号",
    "index": "序号",
    "external_ref": "合同编号",
    "loc": "位置",
    "reason": "原因",
    "reasons": "原因",
    "msg": "原因",
    "type": "类型",
}


@router.get(
    "/{job_id}/row-errors",
    response_class=Response,
    responses={**tables.FILE_RESPONSES, **problem_responses(403, 404)},
)
def row_errors_file(
    request: Request,
    job_id: uuid.UUID,
    session: DbSession,
    principal: Follower,
    format: Annotated[
        Literal["csv", "xlsx"] | None,
        Query(description="csv (UTF-8 with a byte-order mark) or xlsx; by default from `Accept`"),
    ] = None,
) -> Response:
    """导入错误清单: the row errors as a sheet to fix the file by, one line per error with the
    row's place in the file and the reason (CSV by default, or an Excel workbook)."""
    job = service.get(session, principal, job_id)
    keys = sorted(
        {k for e in job.row_errors for k in e} or {"line", "reason"},
        key=lambda k: (list(_ERROR_HEADERS).index(k) if k in _ERROR_HEADERS else 99, k),
    )
    table = tables.Table(
        "导入错误",
        [tables.Column(_ERROR_HEADERS.get(k, k)) for k in keys],
        ([_flat(error.get(k)) for k in keys] for error in job.row_errors),
    )
    form = tables.wanted(request, format)
    return tables.file_response(
        table, "csv" if form == "json" else form, f"job-{job.id}-row-errors"
    )


def _flat(value: object) -> object:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return value


@router.get(
    "/{job_id}/output",
    response_class=Response,
    responses={**tables.FILE_RESPONSES, **problem_responses(403, 404, 409)},
)
def job_output(job_id: uuid.UUID, session: DbSession, principal: Follower) -> Response:
    """The file the job made (a claim export); 409 until it has made one."""
    job = service.output_of(session, principal, job_id)
    return Response(
        job.output or b"",
        media_type=job.output_type or "application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{job.output_name}"'},
    )
