from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, deferred, mapped_column

from app.core.db import Base, CreatedAt


class JobKind(StrEnum):
    roster_import = "roster_import"
    legacy_import = "legacy_import"
    eod = "eod"
    claim_export = "claim_export"

    @property
    def unit(self) -> str:
        """What its progress counts."""
        return _UNITS[self]


_UNITS = {
    JobKind.roster_import: "rows",
    JobKind.legacy_import: "contracts",
    JobKind.eod: "counties",
    JobKind.claim_export: "counties",
}


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


UNFINISHED = frozenset({JobStatus.queued, JobStatus.running})
FINISHED = frozenset(JobStatus) - UNFINISHED


class Job(CreatedAt, Base):
    """One piece of long work and what it shows. The caller's principal is kept (subject,
    roles, regions) so the work runs with exactly the scope of whoever started it."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed')", name="status_known"
        ),
        CheckConstraint("done >= 0 AND (total IS NULL OR done <= total)", name="progress"),
        Index("ix_jobs_started_by_created", "started_by", "created_at"),
        Index(
            "ix_jobs_unfinished", "status", postgresql_where=text("status IN ('queued', 'running')")
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=JobStatus.queued)
    started_by: Mapped[str] = mapped_column(String(200), nullable=False)
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(30)), nullable=False)
    regions: Mapped[list[str]] = mapped_column(ARRAY(String(12)), nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    # The uploaded file, if any: this many sealed parts in job_payload_parts until it ends.
    payload_parts: Mapped[int | None] = mapped_column(Integer, nullable=True)
    unit: Mapped[str] = mapped_column(String(12), nullable=False)
    done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attempts: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=0)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    progressed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    row_errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    row_error_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failure: Mapped[str | None] = mapped_column(Text, nullable=True)
    output_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    output_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    output: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))
    queue_job_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class JobPayloadPart(Base):
    """A megabyte of a job's uploaded file, sealed with the job and its place (issue 26)."""

    __tablename__ = "job_payload_parts"
    __table_args__ = (CheckConstraint("part >= 0", name="part_from_zero"),)

    job_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True
    )
    part: Mapped[int] = mapped_column(Integer, primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
