from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.jobs.models import Job, JobKind, JobStatus


class Progress(BaseModel):
    done: int
    total: int | None = Field(description="unknown until the job has counted its work")
    unit: str = Field(description="rows, contracts or counties")
    percent: float | None


class JobOut(BaseModel):
    id: uuid.UUID
    kind: JobKind
    status: JobStatus
    started_by: str
    created_at: datetime
    started_at: datetime | None
    progressed_at: datetime | None
    finished_at: datetime | None
    waited_seconds: float | None = Field(description="from queued to started")
    ran_seconds: float | None = Field(description="from started to finished (or to now)")
    attempts: int = Field(description="more than 1 when a worker stopped and another took over")
    progress: Progress
    params: dict[str, Any]
    result: dict[str, Any] | None
    row_errors: list[dict[str, Any]] = Field(description="the first 1,000 row errors")
    row_error_count: int
    failure: str | None
    url: str
    output_url: str | None = Field(description="the file the job made, once it has")


class JobPage(BaseModel):
    items: list[JobOut]
    next_before: datetime | None = Field(description="pass back as `before` for older jobs")


def job_out(job: Job, now: datetime) -> JobOut:
    end = job.finished_at or (now if job.started_at else None)
    percent = (
        round(100 * job.done / job.total, 1) if job.total else (100.0 if job.total == 0 else None)
    )
    return JobOut(
        id=job.id,
        kind=JobKind(job.kind),
        status=JobStatus(job.status),
        started_by=job.started_by,
        created_at=job.created_at,
        started_at=job.started_at,
        progressed_at=job.progressed_at,
        finished_at=job.finished_at,
        waited_seconds=round((job.started_at - job.created_at).total_seconds(), 3)
        if job.started_at
        else None,
        ran_seconds=round((end - job.started_at).total_seconds(), 3)
        if end and job.started_at
        else None,
        attempts=job.attempts,
        progress=Progress(done=job.done, total=job.total, unit=job.unit, percent=percent),
        params=job.params,
        result=job.result,
        row_errors=job.row_errors,
        row_error_count=job.row_error_count,
        failure=job.failure,
        url=f"/v1/jobs/{job.id}",
        output_url=f"/v1/jobs/{job.id}/output" if job.output_name else None,
    )
