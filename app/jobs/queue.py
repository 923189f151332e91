"""The job worker (`bangfu jobs`, or a thread of `bangfu serve` in development): procrastinate
fetches queued jobs (LISTEN/NOTIFY, with polling as a fallback) and runs each in a thread.

A worker that dies mid-job (killed, its machine lost) stops sending heartbeats; any worker
notices within JOBS_STALLED_SECONDS and puts the job back in the queue (`retry_stalled`), and
the job runs again from the start: every handler is idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid

import procrastinate
import structlog

from app.core.db import database_url
from app.core.settings import get_settings
from app.jobs import service

log = structlog.get_logger("bangfu.jobs")

# Tasks are registered at import; the connection is given when a worker opens the app.
queue = procrastinate.App(connector=procrastinate.PsycopgConnector())


@queue.task(name=service.TASK_NAME, queue=service.QUEUE)
def run_job(job_id: str) -> None:
    service.execute(uuid.UUID(job_id))


def _conninfo() -> str:
    url = database_url()
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


async def retry_stalled(app: procrastinate.App, stalled_seconds: float) -> int:
    """Queue again the jobs whose worker stopped sending heartbeats."""
    stalled = list(
        await app.job_manager.get_stalled_jobs(
            queue=service.QUEUE, seconds_since_heartbeat=stalled_seconds
        )
    )
    for job in stalled:
        log.warning("job.stalled", queue_job_id=job.id, args=job.task_kwargs)
        await app.job_manager.retry_job(job)
    return len(stalled)


def work(
    *,
    concurrency: int = 2,
    until_idle: bool = False,
    stop: threading.Event | None = None,
    install_signal_handlers: bool = True,
) -> None:
    """Run jobs until stopped (a signal, or `stop`); with until_idle, until none is queued."""
    missing = service.missing_handlers()
    if missing:
        raise RuntimeError(f"no handler registered for job kinds: {', '.join(missing)}")
    settings = get_settings()
    app = queue.with_connector(
        procrastinate.PsycopgConnector(
            conninfo=_conninfo(), kwargs={"application_name": "bangfu-jobs"}
        )
    )

    async def watch_stalled() -> None:
        while True:
            await asyncio.sleep(settings.jobs_stalled_seconds / 2)
            with contextlib.suppress(Exception):
                await retry_stalled(app, settings.jobs_stalled_seconds)

    async def stopped(event: threading.Event) -> None:
        while not event.is_set():
            await asyncio.sleep(0.2)

    async def main() -> None:
        async with app.open_async():
            await retry_stalled(app, settings.jobs_stalled_seconds)
            worker = asyncio.create_task(
                app.run_worker_async(
                    queues=[service.QUEUE],
                    concurrency=concurrency,
                    wait=not until_idle,
                    install_signal_handlers=install_signal_handlers,
                    update_heartbeat_interval=settings.jobs_heartbeat_seconds,
                    stalled_worker_timeout=settings.jobs_stalled_seconds,
                    delete_jobs="successful",
                )
            )
            watcher = asyncio.create_task(watch_stalled())
            waiting = {worker} | ({asyncio.create_task(stopped(stop))} if stop else set())
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            for task in waiting - {worker} | {watcher}:
                task.cancel()
            if not worker.done():
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker

    asyncio.run(main())
