"""`bangfu scheduler`: each county's business day is closed at EOD_LOCAL_TIME (China Standard
Time), and days a stopped scheduler missed are caught up in order.

Every tick closes every county whose open business date is due: today's once the local time has
passed EOD_LOCAL_TIME, else up to yesterday. A long gap is closed in steps of
EOD_MAX_DAYS_PER_RUN. Several schedulers (replicas, or a scheduler beside an operator's
`bangfu eod`) never close a county twice at once: each (county, day) takes the county's
advisory lock and a day already closed is skipped (app/batch/eod.py). How far each county is
behind shows in /metrics (`bangfu_eod_lag_days`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import structlog
from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session

from app.batch import eod
from app.batch.models import RegionBusinessDate
from app.core import clock
from app.core.scoping import within
from app.core.settings import get_settings

log = structlog.get_logger("bangfu.scheduler")


def due_through(now: datetime, at: time, today: date) -> date:
    """The last business date that should be closed at `now` (local time)."""
    return today if now.astimezone(clock.SHANGHAI).time() >= at else today - timedelta(days=1)


def tick(
    session_factory: Callable[[], Session],
    through: date,
    prefixes: list[str] | None = None,
) -> int:
    """Close every due county through `through`, in steps; the region-days closed."""
    settings = get_settings()
    closed = 0
    while True:
        with session_factory() as session:
            query = select(func.min(RegionBusinessDate.open_date)).where(
                RegionBusinessDate.open_date <= through
            )
            if prefixes is not None:
                query = query.where(
                    or_(
                        false(),
                        *(within(RegionBusinessDate.region_code, p) for p in prefixes),
                    )
                )
            earliest = session.scalar(query)
        if earliest is None:
            return closed
        step = min(through, earliest + timedelta(days=settings.eod_max_days_per_run - 1))
        result = eod.run(session_factory, step, prefixes, workers=settings.eod_workers)
        closed += result.region_days
        log.info(
            "eod_scheduled",
            through=str(step),
            region_days=result.region_days,
            busy=result.skipped_locked,
            seconds=round(result.seconds, 2),
        )
        if result.region_days == 0:
            return closed  # the rest is being closed elsewhere (busy) right now


def run(
    session_factory: Callable[[], Session],
    *,
    prefixes: list[str] | None = None,
    stop: threading.Event | None = None,
    poll_seconds: float = 30,
) -> None:
    stop = stop or threading.Event()
    settings = get_settings()
    while not stop.is_set():
        try:
            through = due_through(clock.now(), settings.eod_local_time, clock.today())
            tick(session_factory, through, prefixes)
        except Exception:  # the database may be restarting: try again next tick
            log.exception("scheduler_tick_failed")
        stop.wait(poll_seconds)
