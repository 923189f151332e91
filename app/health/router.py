"""Liveness, readiness and metrics."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import func, select, text

from app.batch.models import RegionBusinessDate
from app.core.auth import metrics_reader
from app.core.db import get_engine, get_sessionmaker
from app.core.i18n import Said
from app.core.metrics import Figures, render
from app.core.migrations import head_revision
from app.core.problems import problem_response, problem_responses
from app.integrations.models import OutboxMessage
from app.jobs import service as job_queue

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    database: str | None = None
    migration: str | None = None


@router.get("/health/live", response_model=Health)
def live() -> Health:
    """The process is up and answering; it says nothing of the database (see /health/ready)."""
    return Health(status="ok")


def _database_revision() -> str | None:
    with get_engine().connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()


@router.get("/health/ready", response_model=Health, responses=problem_responses(503))
async def ready(request: Request) -> Health | JSONResponse:
    """Ready to serve: the database answers and its schema is at the code's migration head."""
    try:
        with anyio.fail_after(3):
            revision = await anyio.to_thread.run_sync(_database_revision)
    except Exception:
        return problem_response(
            request, 503, Said("无法连接数据库", "The database is not reachable"), slug="not-ready"
        )
    if revision != head_revision():
        return problem_response(
            request,
            503,
            Said(
                f"数据库结构版本为 {revision}，程序需要 {head_revision()}",
                f"Schema at {revision}, code expects {head_revision()}",
            ),
            slug="not-ready",
        )
    return Health(status="ready", database="ok", migration=revision)


def _database_figures() -> Figures:
    with get_sessionmaker()() as session:
        pending, oldest = session.execute(
            select(
                func.count(),
                func.extract("epoch", func.now() - func.min(OutboxMessage.created_at)),
            ).where(OutboxMessage.status == "pending")
        ).one()
        open_dates = session.execute(
            select(RegionBusinessDate.region_code, RegionBusinessDate.open_date)
        ).all()
        jobs = job_queue.counts_by_state(session)
    return Figures(
        outbox_pending=int(pending),
        outbox_oldest_age=float(oldest) if oldest is not None else None,
        open_dates=[(code, day) for code, day in open_dates],
        jobs=jobs,
    )


@router.get(
    "/metrics",
    response_class=Response,
    dependencies=[Depends(metrics_reader)],
    responses={200: {"content": {"text/plain": {}}}, **problem_responses(401, 403)},
)
def metrics() -> Response:
    """Prometheus exposition format, added up over the worker processes; with the outbox's
    backlog and each county's batch lag read from the database. Bearer METRICS_TOKEN, or an
    admin's token."""
    body, content_type = render(_database_figures)
    return Response(body, media_type=content_type)
