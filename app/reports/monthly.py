"""The monthly monitoring report (帮扶小额信贷监测月报, issue 30; 5.3, 3.4): produced for each
county once its month's last day is closed (scheduled work, `monitoring_report`), kept as
revisions (produced again after a correction, a county whose figures changed gets the next
revision), read per county and in total with the change on the month and on the year, as JSON
or a workbook. The figures are the domain's (app/domain/monitoring_report.py)."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.batch.models import RegionBusinessDate
from app.batch.scheduler import scheduled
from app.core.auth import Principal
from app.core.scoping import prefixes_filter, readable
from app.domain import monitoring_report as report
from app.domain.loan_status import LoanStatus
from app.domain.money import fen
from app.reports.models import MonitoringReport

# One county's month, from what the batch and the loans keep: the stats of its last day, the
# loans paid out, closed, renewed and written off in the month, its subsidy accrued day by day.
_FIGURES = text("""
WITH day AS (
    SELECT * FROM region_daily_stats WHERE region_code = :r AND business_date = :end
), month AS (
    SELECT COALESCE(sum(central_subsidy_accrued), 0) AS central,
           COALESCE(sum(local_subsidy_accrued), 0) AS local
    FROM region_daily_stats WHERE region_code = :r AND business_date BETWEEN :start AND :end
), lent AS (
    SELECT count(*) AS loans, COALESCE(sum(principal), 0) AS amount,
           COALESCE(sum(principal * annual_rate), 0) AS rate_weighted
    FROM loans WHERE region_code = :r AND value_date BETWEEN :start AND :end
), served AS (
    SELECT count(DISTINCT household_id) AS households FROM loans
    WHERE region_code = :r AND value_date <= :end AND (closed_on IS NULL OR closed_on > :end)
      AND status <> :written_off
), ended AS (
    SELECT count(*) FILTER (WHERE status = :closed) AS closed,
           count(*) FILTER (WHERE status = :renewed) AS renewed
    FROM loans WHERE region_code = :r AND closed_on BETWEEN :start AND :end
), extended AS (
    SELECT count(*) AS extensions FROM chain_requests
    WHERE region_code = :r AND kind = 'extension' AND status = 'approved'
      AND requested_on BETWEEN :start AND :end
), written AS (
    SELECT count(*) AS loans, COALESCE(sum(principal), 0) AS principal FROM write_offs
    WHERE region_code = :r AND status = 'approved' AND written_off_on BETWEEN :start AND :end
), suspended AS (
    SELECT count(*) AS changes FROM region_status_changes
    WHERE region_code = :r AND status = 'suspended'
      AND (changed_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN :start AND :end
)
SELECT served.households, COALESCE(day.active_loans, 0), lent.loans, lent.amount,
       lent.rate_weighted, ended.closed, ended.renewed, extended.extensions,
       COALESCE(day.overdue_loans, 0), COALESCE(day.npl_loans, 0), COALESCE(day.balance, 0),
       COALESCE(day.overdue_balance, 0), COALESCE(day.npl_balance, 0), month.central,
       month.local, written.loans, written.principal, suspended.changes
FROM served, lent, ended, extended, written, suspended, month LEFT JOIN day ON true
""")


def month_end_of(period: str) -> date:
    """`2027-03` → 2027-03-31."""
    year, month = int(period[:4]), int(period[5:7])
    return date(year, month, calendar.monthrange(year, month)[1])


def _start(month_end: date) -> date:
    return month_end.replace(day=1)


def figures(session: Session, region_code: str, month_end: date) -> dict[str, Any]:
    """One county's figures at a month's end (aggregates only)."""
    row = session.execute(
        _FIGURES,
        {
            "r": region_code,
            "start": _start(month_end),
            "end": month_end,
            "written_off": LoanStatus.written_off.value,
            "closed": LoanStatus.closed.value,
            "renewed": LoanStatus.renewed.value,
        },
    ).one()
    (
        households, active, new_loans, new_amount, weighted, closed, renewed, extensions,
        overdue_loans, npl_loans, balance, overdue_balance, npl_balance, central, local,
        write_offs, written_off, suspensions,
    ) = row  # fmt: skip
    counted: dict[str, Any] = {
        "households_served": households,
        "active_loans": active,
        "new_loans": new_loans,
        "closed_loans": closed,
        "overdue_loans": overdue_loans,
        "npl_loans": npl_loans,
        "renewals": renewed,
        "extensions": extensions,
        "write_offs": write_offs,
        "suspensions": suspensions,
        "balance": str(fen(balance)),
        "new_amount": str(fen(new_amount)),
        "central_subsidy": str(fen(central)),
        "local_subsidy": str(fen(local)),
        "overdue_balance": str(fen(overdue_balance)),
        "npl_balance": str(fen(npl_balance)),
        "written_off_principal": str(fen(written_off)),
    }
    return counted | report.derived(counted, weighted)


def closed_counties(session: Session, month_end: date, prefixes: list[str] | None) -> list[str]:
    """The counties (within `prefixes`; None: all) whose month's last day is closed."""
    closed = select(RegionBusinessDate.region_code).where(RegionBusinessDate.open_date > month_end)
    if prefixes is not None:
        closed = closed.where(prefixes_filter(prefixes, RegionBusinessDate.region_code))
    return list(session.scalars(closed.order_by(RegionBusinessDate.region_code)))


def produce(session: Session, month_end: date, counties: list[str], *, by: str) -> int:
    """Each of these counties (their month closed): its figures, kept as the next revision
    where they differ from its latest (the first where it has none). How many were kept."""
    kept = 0
    for region_code in counties:
        now = figures(session, region_code, month_end)
        latest = _latest(session, region_code, month_end)
        if latest is not None and latest.figures == now:
            continue
        session.add(
            MonitoringReport(
                month_end=month_end,
                region_code=region_code,
                revision=(latest.revision + 1) if latest else 1,
                figures=now,
                produced_by=by,
            )
        )
        session.flush()
        kept += 1
    return kept


def _latest(session: Session, region_code: str, month_end: date) -> MonitoringReport | None:
    return session.scalar(
        select(MonitoringReport)
        .where(MonitoringReport.region_code == region_code, MonitoringReport.month_end == month_end)
        .order_by(MonitoringReport.revision.desc())
        .limit(1)
    )


def read(
    session: Session, principal: Principal, month_end: date, region: str | None
) -> dict[str, Any]:
    """The month's report within the caller's regions (and `region`, a prefix): each county's
    latest revision with its earlier ones, the total, and the changes on the month and year."""
    counties = _latest_of_month(session, principal, month_end, region)
    previous = _latest_of_month(session, principal, _month_before(month_end), region)
    a_year_ago = _latest_of_month(session, principal, _year_before(month_end), region)
    rows: list[dict[str, Any]] = []
    for code, kept in counties.items():
        latest = kept[-1]
        rows.append(
            {
                "region_code": code,
                "revision": latest.revision,
                "produced_at": latest.produced_at,
                "figures": latest.figures,
                "month_on_month": report.changes(latest.figures, _figures(previous.get(code))),
                "year_on_year": report.changes(latest.figures, _figures(a_year_ago.get(code))),
                "revisions": [
                    {"revision": r.revision, "produced_at": r.produced_at, "figures": r.figures}
                    for r in kept[:-1]
                ],
            }
        )
    total = report.total([r["figures"] for r in rows]) if rows else None
    return {
        "month_end": month_end,
        "counties": rows,
        "total": total,
        "total_month_on_month": _total_change(total, previous),
        "total_year_on_year": _total_change(total, a_year_ago),
    }


def _latest_of_month(
    session: Session, principal: Principal, month_end: date, region: str | None
) -> dict[str, list[MonitoringReport]]:
    query = select(MonitoringReport).where(MonitoringReport.month_end == month_end)
    if region:
        query = query.where(func.starts_with(MonitoringReport.region_code, region))
    found: dict[str, list[MonitoringReport]] = {}
    for kept in session.scalars(
        readable(query, principal, MonitoringReport.region_code).order_by(
            MonitoringReport.region_code, MonitoringReport.revision
        )
    ):
        found.setdefault(kept.region_code, []).append(kept)
    return found


def _figures(kept: list[MonitoringReport] | None) -> dict[str, Any] | None:
    return kept[-1].figures if kept else None


def _total_change(
    total: dict[str, Any] | None, before: dict[str, list[MonitoringReport]]
) -> dict[str, str | None] | None:
    if total is None:
        return None
    figures_before = [k[-1].figures for k in before.values()]
    return report.changes(total, report.total(figures_before) if figures_before else None)


def _month_before(month_end: date) -> date:
    first = _start(month_end)
    return date.fromordinal(first.toordinal() - 1)


def _year_before(month_end: date) -> date:
    year = month_end.year - 1
    return date(year, month_end.month, calendar.monthrange(year, month_end.month)[1])


@scheduled("monitoring_report", at=lambda settings: settings.eod_local_time)
def produce_due(
    session_factory: Callable[[], Session], through: date, prefixes: list[str] | None
) -> int:
    """Scheduled: the last month's report of each county whose month is closed and has none
    yet (cheap on every tick after: those kept are skipped unread). A correction afterwards
    is produced on purpose (`POST /v1/reports/monitoring/revisions`)."""
    month_end = last_month_end(through)
    with session_factory() as session, session.begin():
        missing = select(RegionBusinessDate.region_code).where(
            RegionBusinessDate.open_date > month_end,
            ~select(MonitoringReport.id)
            .where(
                MonitoringReport.month_end == month_end,
                MonitoringReport.region_code == RegionBusinessDate.region_code,
            )
            .exists(),
        )
        if prefixes is not None:
            missing = missing.where(prefixes_filter(prefixes, RegionBusinessDate.region_code))
        counties = list(session.scalars(missing.order_by(RegionBusinessDate.region_code)))
        return produce(session, month_end, counties, by="scheduler")


def last_month_end(day: date) -> date:
    """The last month's end on or before `day`."""
    end = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return end if day == end else _month_before(end)
