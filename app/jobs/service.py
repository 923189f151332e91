"""Starting a job, running it, and what it shows.

A job is started in the caller's transaction: its row and its place in procrastinate's queue
(`procrastinate_defer_jobs_v1`, the function procrastinate's own `defer` calls) commit together
with the request, or neither does. A worker then calls `execute`, which runs the kind's handler
with the starter's principal and records the outcome.

Handlers are idempotent (an import re-sent changes nothing; a closed business day is not closed
again), so a job whose worker died mid-way is simply run again (`queue.retry_stalled`).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Select,
    String,
    any_,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    text,
    true,
    update,
)
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.core import clock
from app.core.auth import NATIONAL_SCOPE, Principal, Role
from app.core.crypto import get_cipher
from app.core.db import get_sessionmaker
from app.core.i18n import DEFAULT_LANGUAGE, Said, language_var
from app.core.problems import Problem, not_found
from app.core.uploads import CHUNK, Upload, holding
from app.jobs.models import FINISHED, Job, JobKind, JobPayloadPart, JobStatus

log = structlog.get_logger()

QUEUE = "bangfu"
TASK_NAME = "bangfu.run_job"
# Row errors kept on the job (the counts are always whole); a file with more errors than this
# has a deeper problem than its rows.
MAX_ROW_ERRORS = 1000
# How often a running job writes its progress (and always at the end).
PROGRESS_EVERY_SECONDS = 0.5

# The same statement procrastinate's `defer` runs (procrastinate/sql/queries.sql, defer_jobs),
# here in the caller's own transaction.
_DEFER = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, 0, :lock, NULL,"
    " CAST(:args AS jsonb), NULL)::procrastinate_job_to_defer_v1]))"
)


@dataclass
class Outcome:
    """What a handler gives back: the result, the row errors (at most MAX_ROW_ERRORS kept,
    all counted), and optionally a file to download."""

    result: dict[str, Any]
    row_errors: list[dict[str, Any]] = field(default_factory=list)
    row_error_count: int | None = None
    output: tuple[str, str, bytes] | None = None  # (file name, media type, content)


class Run:
    """What a handler is given: the job's parameters, the uploaded file if any (`upload()`),
    the starter's principal, and `progress(done, total)`."""

    def __init__(self, job: Job) -> None:
        self.job_id = job.id
        self.kind = JobKind(job.kind)
        self.params = dict(job.params)
        self.parts = job.payload_parts
        self.principal = principal_of(job)
        self._written_at = 0.0

    @contextmanager
    def upload(self) -> Iterator[Upload]:
        """The uploaded file, unsealed part by part into a temporary file (never held whole),
        removed when the handler is done with it."""
        if self.parts is None:
            raise LookupError(f"job {self.job_id} has no file")
        with holding(Upload()) as upload, get_sessionmaker()() as session:
            cipher = get_cipher()
            for part in range(self.parts):  # a part at a time: never the whole file in memory
                sealed = session.scalar(
                    select(JobPayloadPart.sealed).where(
                        JobPayloadPart.job_id == self.job_id, JobPayloadPart.part == part
                    )
                )
                if sealed is None:
                    raise LookupError(f"job {self.job_id} lacks part {part} of its file")
                upload.write(cipher.decrypt_bytes(sealed, _sealed(self.job_id, part)))
            session.close()  # the connection goes back before the handler's long work
            yield upload.ready()

    def progress(self, done: int, total: int | None = None) -> None:
        now = time.monotonic()
        if now - self._written_at < PROGRESS_EVERY_SECONDS and done != total:
            return
        self._written_at = now
        values: dict[str, Any] = {"done": done, "progressed_at": func.now()}
        if total is not None:
            values["total"] = total
        with get_sessionmaker().begin() as session:
            session.execute(update(Job).where(Job.id == self.job_id).values(**values))


Handler = Callable[[Run], Outcome]
_HANDLERS: dict[JobKind, Handler] = {}


def handles(kind: JobKind) -> Callable[[Handler], Handler]:
    """Register the function that does a kind of job (each feature registers its own)."""

    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn

    return register


def missing_handlers() -> list[JobKind]:
    return [kind for kind in JobKind if kind not in _HANDLERS]


def _sealed(job_id: uuid.UUID, part: int) -> str:
    """What a part is sealed with: its job and its place (part 0 as a whole file was)."""
    return f"job-payload:{job_id}" + (f":{part}" if part else "")


def _store(session: Session, job_id: uuid.UUID, upload: Upload) -> int:
    """The file in sealed parts of a megabyte, written one at a time; how many."""
    cipher = get_cipher()
    parts = 0
    for chunk in upload.chunks(CHUNK):
        session.execute(
            insert(JobPayloadPart).values(
                job_id=job_id,
                part=parts,
                sealed=cipher.encrypt_bytes(chunk, _sealed(job_id, parts)),
            )
        )
        parts += 1
    return parts


def _drop_payload(session: Session, job_id: uuid.UUID) -> None:
    session.execute(delete(JobPayloadPart).where(JobPayloadPart.job_id == job_id))


def principal_of(job: Job) -> Principal:
    return Principal(
        subject=job.started_by,
        roles=frozenset(Role(r) for r in job.roles),
        regions=tuple(job.regions),
    )


def start(
    session: Session,
    principal: Principal,
    kind: JobKind,
    params: dict[str, Any],
    *,
    payload: Upload | None = None,
    total: int | None = None,
    lock: str | None = None,
) -> Job:
    """Record the job and queue it, in the caller's transaction. `lock`: jobs sharing one run
    one at a time (procrastinate's lock). The job speaks the starter's language (its failure
    and row errors): `language` joins its parameters."""
    job_id = uuid.uuid4()
    params = {**params, "language": language_var.get()}
    job = Job(
        id=job_id,
        kind=kind,
        status=JobStatus.queued,
        started_by=principal.subject,
        roles=sorted(principal.roles),
        regions=list(principal.regions),
        params=params,
        unit=kind.unit,
        done=0,
        total=total,
        attempts=0,
        row_errors=[],
        row_error_count=0,
    )
    session.add(job)
    session.flush()
    if payload is not None:
        # Uploaded files carry ID numbers: sealed at rest, and dropped when the job ends.
        job.payload_parts = _store(session, job_id, payload)
    job.queue_job_id = session.execute(
        _DEFER,
        {
            "queue": QUEUE,
            "task": TASK_NAME,
            "lock": lock,
            "args": json.dumps({"job_id": str(job.id)}),
        },
    ).scalar_one()
    audit.record(
        session, principal, "job.start", "job", job.id, after={"kind": kind, "params": params}
    )
    return job


def _visible(principal: Principal) -> Callable[[Select[Any]], Select[Any]]:
    """Who sees a job, by the token presented now (issue 26): whoever started it, while their
    token still holds every role and covers every region the job was started with; auditors
    and administrators see the jobs of everyone whose regions all lie within theirs."""

    def where(query: Select[Any]) -> Select[Any]:
        covered = _regions_within(principal)
        held = literal(sorted(principal.roles), ARRAY(String))
        mine = (Job.started_by == principal.subject) & Job.roles.op("<@")(held) & covered
        if not principal.roles & {Role.auditor, Role.admin}:
            return query.where(mine)
        return query.where(covered)

    return where


def _regions_within(principal: Principal) -> ColumnElement[bool]:
    """A job's regions all lie within the caller's (national scope only within national)."""
    if NATIONAL_SCOPE in principal.regions:
        return true()
    region = func.unnest(Job.regions).table_valued("code").render_derived(name="region")
    patterns = literal([f"{p}%" for p in principal.regions], ARRAY(String))
    beyond = exists(select(1).select_from(region).where(~region.c.code.like(any_(patterns))))
    return ~beyond


def get(session: Session, principal: Principal, job_id: uuid.UUID) -> Job:
    job: Job | None = session.scalar(_visible(principal)(select(Job).where(Job.id == job_id)))
    if job is None:
        raise not_found("Job")
    return job


def list_jobs(
    session: Session,
    principal: Principal,
    *,
    status: JobStatus | None,
    kind: JobKind | None,
    before: datetime | None,
    limit: int,
) -> list[Job]:
    query = _visible(principal)(select(Job))
    if status is not None:
        query = query.where(Job.status == status)
    if kind is not None:
        query = query.where(Job.kind == kind)
    if before is not None:
        query = query.where(Job.created_at < before)
    return list(session.scalars(query.order_by(Job.created_at.desc()).limit(limit)))


def output_of(session: Session, principal: Principal, job_id: uuid.UUID) -> Job:
    job = get(session, principal, job_id)
    if job.output_name is None:
        raise Problem(
            409, Said("该任务（尚）无输出文件", "This job has no file (yet)"), slug="no-job-output"
        )
    return job


def execute(job_id: uuid.UUID) -> None:
    """Run a queued job (the worker calls this). A finished job is not run again."""
    sessions = get_sessionmaker()
    with sessions.begin() as session:
        job = session.get(Job, job_id, with_for_update=True)
        if job is None or job.status in FINISHED:
            return
        job.status = JobStatus.running
        job.attempts += 1
        job.started_at = clock.now(UTC)
        job.done = 0
        run = Run(job)
    log.info("job.started", job_id=str(job_id), kind=run.kind, attempt=job.attempts)
    language = str(run.params.get("language", DEFAULT_LANGUAGE))
    token = language_var.set(language)
    try:
        _run(run, language)
    finally:
        language_var.reset(token)


def _run(run: Run, language: str) -> None:
    job_id = run.job_id
    began = time.monotonic()
    try:
        outcome = _HANDLERS[run.kind](run)
    except Problem as exc:
        errors = [
            {"loc": list(e.loc), "msg": e.msg.in_(language), "type": e.type}
            for e in exc.errors or []
        ]
        _fail(job_id, exc.detail.in_(language), errors)
        log.info("job.refused", job_id=str(job_id), kind=run.kind, detail=exc.detail.en)
        return
    except Exception as exc:
        # Anything else is ours to look into: the log has the trace, the job a plain reason.
        log.exception("job.failed", job_id=str(job_id), kind=run.kind)
        name = type(exc).__name__
        said = Said(
            f"任务因内部错误（{name}）中止", f"The job stopped on an internal error ({name})"
        )
        _fail(job_id, said.in_(language), [])
        return
    errors = outcome.row_errors[:MAX_ROW_ERRORS]
    values: dict[str, Any] = {
        "status": JobStatus.succeeded,
        "finished_at": func.now(),
        # a finished job has done all it counted
        "done": func.coalesce(Job.total, Job.done),
        "total": func.coalesce(Job.total, Job.done),
        "payload_parts": None,
        "result": outcome.result,
        "row_errors": errors,
        "row_error_count": outcome.row_error_count
        if outcome.row_error_count is not None
        else len(outcome.row_errors),
    }
    if outcome.output is not None:
        values["output_name"], values["output_type"], values["output"] = outcome.output
    with get_sessionmaker().begin() as session:
        session.execute(update(Job).where(Job.id == job_id).values(**values))
        _drop_payload(session, job_id)
    log.info(
        "job.succeeded",
        job_id=str(job_id),
        kind=run.kind,
        seconds=round(time.monotonic() - began, 3),
    )


def _fail(job_id: uuid.UUID, reason: str, errors: list[dict[str, Any]]) -> None:
    with get_sessionmaker().begin() as session:
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                status=JobStatus.failed,
                finished_at=func.now(),
                payload_parts=None,
                failure=reason,
                row_errors=errors[:MAX_ROW_ERRORS],
                row_error_count=len(errors),
            )
        )
        _drop_payload(session, job_id)


def counts_by_state(session: Session) -> list[tuple[str, str, int]]:
    """(kind, status, jobs) for the metrics."""
    rows = session.execute(
        select(Job.kind, Job.status, func.count()).group_by(Job.kind, Job.status)
    ).all()
    return [(k, s, int(n)) for k, s, n in rows]
