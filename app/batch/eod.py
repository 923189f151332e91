"""End-of-day batch: set-based SQL per region and business date.

For each region whose open business date is on or before the requested date, each date in
turn, in one transaction per (region, date):

1. one statement that writes each loan row once (HOT: no index on loans covers a column it
   writes, `BATCH_WRITES`): accrue the day's scheduled interest (split into central, local and
   borrower shares) and the penalty on overdue principal; set days past due and the risk class
   (with its history); move the instalment falling due today (its unpaid amounts overdue
   tomorrow, the next one current); open a case for a loan newly past due; and write the
   region's figures for the day.
2. the collection cases due for a look (their bucket moves, their loan changed) and the
   promises whose date has come.
3. the county's loan counts take in its changes, and its open date moves to the next day.

Every statement is in app/batch/day.py; this module plans the run, locks and closes counties
(as many at a time as EOD_WORKERS) and records it.

A crash rolls back the (region, date) in hand; a re-run resumes there, so the result equals an
uninterrupted run. A date already closed is skipped. Regions are locked with an advisory lock:
several workers share a date, and repayments on a region wait while its batch runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta

import structlog
from sqlalchemy import false, func, or_, select, text
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.batch import calendar
from app.batch.day import close_day
from app.batch.models import RegionBusinessDate
from app.core import clock, idempotency
from app.core.auth import SYSTEM, Principal
from app.core.db import get_sessionmaker
from app.core.i18n import Said, said_of
from app.core.metrics import BATCH_SECONDS
from app.core.problems import Problem
from app.core.scoping import readable, within
from app.core.settings import get_settings
from app.domain.accrual import daily_detail_from
from app.jobs.models import JobKind
from app.jobs.service import Outcome, Run, handles

log = structlog.get_logger("bangfu.eod")


class FutureDateError(ValueError):
    pass


# The months of daily accrual rows (partitions, migration 0014): created before the batch
# writes into them, dropped once no county keeps their detail.
_MONTHS = text("SELECT bangfu_accrual_months(:first, :last, :drop_before)")


def _accrual_months(
    session_factory: Callable[[], Session], first: date, last: date, drop_before: date | None
) -> None:
    with session_factory() as session, session.begin():
        session.execute(
            _MONTHS, {"first": first, "last": last, "drop_before": drop_before or date.min}
        )


@dataclass
class EodResult:
    business_date: date
    regions: int = 0
    region_days: int = 0
    skipped_locked: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _regions_due(
    session: Session, day: date, prefixes: list[str] | None, principal: Principal
) -> list[str]:
    """Regions with days to close, within the caller's regions and the prefixes asked for."""
    query = (
        select(RegionBusinessDate.region_code)
        .where(RegionBusinessDate.open_date <= day)
        .order_by(RegionBusinessDate.region_code)
    )
    if prefixes is not None:
        query = query.where(
            or_(
                false(),
                *(within(RegionBusinessDate.region_code, p) for p in prefixes),
            )
        )
    return list(session.scalars(readable(query, principal, RegionBusinessDate.region_code)))


def _close_region(
    session_factory: Callable[[], Session], region: str, business_date: date
) -> tuple[int, bool]:
    """Close `region` day by day up to `business_date`: (days closed, whether it was busy)."""
    closed = 0
    started = time.perf_counter()
    try:
        while True:
            with session_factory() as session, session.begin():
                if not calendar.try_lock_region_exclusive(session, region):
                    return closed, True
                day = clock.open_date(session, region)
                if day is None or day > business_date:
                    return closed, False
                close_day(session, region, day)
                closed += 1
            log.debug("eod_region_day", region=region, business_date=str(day))
    finally:
        if closed:
            BATCH_SECONDS.labels(region).set(time.perf_counter() - started)


def refuse_future(business_date: date) -> None:
    """A business date that has not come yet is not closed (unless configured for tests)."""
    if business_date > clock.today() and not get_settings().allow_future_business_dates:
        raise FutureDateError(
            Said(f"{business_date} 尚未到来", f"{business_date} has not come yet")
        )


def run(
    session_factory: Callable[[], Session],
    business_date: date,
    prefixes: list[str] | None = None,
    workers: int = 1,
    principal: Principal = SYSTEM,
    on_progress: Callable[[int, int], None] | None = None,
) -> EodResult:
    """Close every region within the caller's regions (and `prefixes`) up to and including
    `business_date`, one (region, date) per transaction, dates in order with no gaps; `workers`
    regions at a time; `on_progress(counties done, counties)` after each county. The run is
    audited: who, which regions, the dates closed, the counts."""
    refuse_future(business_date)
    started = time.perf_counter()
    opened = _plan(session_factory, business_date, prefixes, principal)
    regions = list(opened)
    outcomes = _close_all(session_factory, regions, business_date, workers, on_progress)
    result = EodResult(
        business_date=business_date,
        regions=len(regions),
        region_days=sum(days for days, _ in outcomes),
        skipped_locked=[r for r, (_, busy) in zip(regions, outcomes, strict=True) if busy],
        seconds=time.perf_counter() - started,
    )
    _drop_old_daily_rows(session_factory, business_date, result)
    closed = {
        r: [str(opened[r]), str(opened[r] + timedelta(days=days - 1))]
        for r, (days, _) in zip(regions, outcomes, strict=True)
        if days
    }
    _record(session_factory, principal, prefixes, result, closed)
    return result


def _plan(
    session_factory: Callable[[], Session],
    business_date: date,
    prefixes: list[str] | None,
    principal: Principal,
) -> dict[str, date]:
    """The regions due and each one's open date (in region order); the months their accruals
    will post to are made ready. Too many days at once is refused (EOD_MAX_DAYS_PER_RUN)."""
    settings = get_settings()
    with session_factory() as session:
        regions = _regions_due(session, business_date, prefixes, principal)
        found: dict[str, date] = {
            code: day
            for code, day in session.execute(
                select(RegionBusinessDate.region_code, RegionBusinessDate.open_date).where(
                    RegionBusinessDate.region_code.in_(regions)
                )
            )
        }
    opened = {code: found[code] for code in regions}
    earliest = min(opened.values(), default=None)
    if earliest is not None and (business_date - earliest).days >= settings.eod_max_days_per_run:
        raise FutureDateError(
            Said(
                f"从 {earliest} 日终到 {business_date} 超过了 EOD_MAX_DAYS_PER_RUN"
                f"（{settings.eod_max_days_per_run} 天），请分步运行",
                f"closing {earliest} to {business_date} exceeds EOD_MAX_DAYS_PER_RUN"
                f" ({settings.eod_max_days_per_run}); run it in steps",
            )
        )
    if earliest is not None:
        _accrual_months(session_factory, earliest, business_date, drop_before=None)
    return opened


def _close_all(
    session_factory: Callable[[], Session],
    regions: list[str],
    business_date: date,
    workers: int,
    on_progress: Callable[[int, int], None] | None,
) -> list[tuple[int, bool]]:
    """Each region closed by `_close_region`, `workers` at a time: (days closed, busy)."""
    done = 0
    progress_lock = threading.Lock()

    def close(region: str) -> tuple[int, bool]:
        nonlocal done
        outcome = _close_region(session_factory, region, business_date)
        with progress_lock:
            done += 1
            if on_progress is not None:
                on_progress(done, len(regions))
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(close, regions))


def _drop_old_daily_rows(
    session_factory: Callable[[], Session], business_date: date, result: EodResult
) -> None:
    """A month of daily accrual rows no county keeps any longer goes whole."""
    months = get_settings().accrual_daily_retention_months
    if not (months and result.region_days):
        return
    with session_factory() as session:
        slowest = session.scalar(select(func.min(RegionBusinessDate.open_date)))
    if slowest is not None:
        horizon = daily_detail_from(slowest, months)
        _accrual_months(session_factory, business_date, business_date, drop_before=horizon)


def _record(
    session_factory: Callable[[], Session],
    principal: Principal,
    prefixes: list[str] | None,
    result: EodResult,
    closed: dict[str, list[str]],
) -> None:
    """The run's audit event, and housekeeping: answers kept for replay beyond their time."""
    with session_factory() as session, session.begin():
        ttl = timedelta(hours=get_settings().idempotency_ttl_hours)
        idempotency.purge_expired(session, ttl)
        audit.record(
            session,
            principal,
            "batch.eod",
            "batch",
            f"eod:{result.business_date}",
            after={
                "business_date": str(result.business_date),
                "prefixes": prefixes,
                "scope": list(principal.regions),
                "regions": result.regions,
                "region_days": result.region_days,
                "closed": closed,
                "skipped_locked": result.skipped_locked,
            },
        )


@handles(JobKind.eod)
def run_eod_job(run_: Run) -> Outcome:
    """The batch started with `Prefer: respond-async`: the same run, in a worker."""
    try:
        result = run(
            get_sessionmaker(),
            date.fromisoformat(run_.params["business_date"]),
            run_.params.get("regions"),
            workers=get_settings().eod_workers,
            principal=run_.principal,
            on_progress=run_.progress,
        )
    except FutureDateError as exc:
        raise Problem(409, said_of(exc), slug="future-business-date") from exc
    return Outcome(
        result={
            "business_date": str(result.business_date),
            "regions": result.regions,
            "region_days": result.region_days,
            "skipped_locked": result.skipped_locked,
            "seconds": round(result.seconds, 3),
        }
    )
