"""`bangfu scheduler`: the scheduled work of every feature, each at its own local time of day,
per county; the first is the end of day, which closes each county's business day at
EOD_LOCAL_TIME (China Standard Time) and catches up days a stopped scheduler missed, in order.

A feature declares its work with `@scheduled(name, at=...)` (a reminder before each due date, a
retention sweep): a function of (session factory, the business date it is due through, the
county prefixes) that answers how much it did. The scheduler runs each work whose time of day
has come, every tick; the work itself makes a second run harmless (as the end of day does).

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
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import structlog
from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session

from app.batch import eod
from app.batch.models import RegionBusinessDate
from app.core import clock
from app.core.scoping import within
from app.core.settings import Settings, get_settings

log = structlog.get_logger("bangfu.scheduler")

Work = Callable[[Callable[[], Session], date, list[str] | None], int]


@dataclass(frozen=True, slots=True)
class ScheduledWork:
    name: str
    at: Callable[[Settings], time]  # the local time of day it is due (a setting, usually)
    run: Work


_SCHEDULED: dict[str, ScheduledWork] = {}


def scheduled(name: str, *, at: Callable[[Settings], time]) -> Callable[[Work], Work]:
    """Declare a feature's daily work, due at `at(settings)` local time (China Standard Time)."""

    def register(work: Work) -> Work:
        _SCHEDULED[name] = ScheduledWork(name, at, work)
        return work

    return register


def scheduled_work() -> list[ScheduledWork]:
    """Every work declared, the end of day first."""
    return sorted(_SCHEDULED.values(), key=lambda w: (w.name != "eod", w.name))


def run_due(
    session_factory: Callable[[], Session],
    now: datetime,
    today: date,
    prefixes: list[str] | None = None,
) -> dict[str, int]:
    """One tick: each work through the business date its time of day makes due; what each did.
    One work failing does not stop the others (it is tried again next tick)."""
    done: dict[str, int] = {}
    settings = get_settings()
    for work in scheduled_work():
        try:
            done[work.name] = work.run(
                session_factory, due_through(now, work.at(settings), today), prefixes
            )
        except Exception:  # the database may be restarting: next tick
            log.exception("scheduled_work_failed", work=work.name)
    return done


def due_through(now: datetime, at: time, today: date) -> date:
    """The last business date that should be closed at `now` (local time)."""
    return today if now.astimezone(clock.SHANGHAI).time() >= at else today - timedelta(days=1)


@scheduled("eod", at=lambda settings: settings.eod_local_time)
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
    while not stop.is_set():
        run_due(
            session_factory, clock.now(), clock.today(), prefixes
        )  # each work's failure: its own
        stop.wait(poll_seconds)
