"""The monthly monitoring report over HTTP (帮扶小额信贷监测月报, issue 30): read per county and
in total, as JSON or a workbook, by the report readers and the departments (each department
read audited); produced again after a correction by a risk manager (a county whose figures
changed gets its next revision; nothing is rewritten)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from app.audit import service as audit
from app.core import tables
from app.core.auth import Principal, Role, require
from app.core.deps import DbSession
from app.core.i18n import Said
from app.core.identity import region_name
from app.core.problems import Problem, problem_responses
from app.reports import monthly
from app.reports.readers import ReportReader

router = APIRouter(prefix="/v1/reports", tags=["reports"])

# A month, as the periods of the claims write it (their century range).
MONTH_PATTERN = r"^(19|20|21)\d{2}-(0[1-9]|1[0-2])$"
Month = Annotated[str, Query(pattern=MONTH_PATTERN, examples=["2027-03"])]
Figures = dict[str, Any]


class RevisionOut(BaseModel):
    revision: int
    produced_at: datetime
    figures: Figures


class CountyReportOut(BaseModel):
    region_code: str
    revision: int = Field(description="the latest; earlier ones under `revisions`")
    produced_at: datetime
    figures: Figures
    month_on_month: dict[str, str | None]
    year_on_year: dict[str, str | None]
    revisions: list[RevisionOut]


class MonitoringReportOut(BaseModel):
    month_end: date
    counties: list[CountyReportOut]
    total: Figures | None
    total_month_on_month: dict[str, str | None] | None
    total_year_on_year: dict[str, str | None] | None


class ProduceIn(BaseModel):
    period: str = Field(pattern=MONTH_PATTERN, examples=["2027-03"])


class ProducedOut(BaseModel):
    month_end: date
    revisions_kept: int = Field(description="counties whose figures changed (or were new)")


@router.get(
    "/monitoring",
    response_model=MonitoringReportOut,
    responses={**tables.FILE_RESPONSES, **problem_responses(403, 422)},
)
def monitoring_report(
    request: Request,
    session: DbSession,
    principal: ReportReader,
    period: Month,
    region: Annotated[str | None, Query(pattern=r"^\d{2,12}$")] = None,
    format: Annotated[tables.Format | None, Query(description=tables.FORMAT_HELP)] = None,
) -> MonitoringReportOut | Response:
    """帮扶小额信贷监测月报: per county and in total, households served, loans and balance, new
    and closed in the month, average amount and rate, subsidy accrued, overdue and NPL ratios,
    renewals, extensions, write-offs and suspensions, with the change on the month and on the
    year; each county's latest revision and the earlier ones. Aggregates only."""
    month_end = monthly.month_end_of(period)
    found = monthly.read(session, principal, month_end, region)
    form = tables.wanted(request, format)
    if form != "json":
        return tables.file_response(_table(found), form, f"monitoring-{period}")
    return MonitoringReportOut.model_validate(found)


@router.post(
    "/monitoring/revisions",
    response_model=ProducedOut,
    responses=problem_responses(403, 409, 422),
)
def produce_monitoring_report(
    body: ProduceIn,
    session: DbSession,
    principal: Annotated[Principal, Depends(require(Role.risk_manager, Role.admin))],
) -> ProducedOut:
    """The month produced again after a correction (a reversal, a late posting): each county
    of the caller's whose figures changed gets its next revision, the others none."""
    month_end = monthly.month_end_of(body.period)
    counties = monthly.closed_counties(session, month_end, principal.region_prefixes())
    if not counties:
        raise Problem(
            409,
            Said("该月尚无县区完成月末日终", "No county has closed that month's last day"),
            slug="month-not-closed",
        )
    kept = monthly.produce(session, month_end, counties, by=principal.subject)
    audit.record(
        session,
        principal,
        "monitoring_report.produce",
        "report",
        f"monitoring/{body.period}",
        after={"revisions_kept": kept},
    )
    return ProducedOut(month_end=month_end, revisions_kept=kept)


_COLUMNS = (
    ("households_served", "服务农户（户）", "whole"),
    ("active_loans", "在贷笔数", "whole"),
    ("balance", "贷款余额（元）", "money"),
    ("new_loans", "当月新发放（笔）", "whole"),
    ("new_amount", "当月新发放（元）", "money"),
    ("average_amount", "户均新发放（元）", "money"),
    ("average_rate", "新发放加权平均利率", "percent"),
    ("closed_loans", "当月结清（笔）", "whole"),
    ("central_subsidy", "当月中央贴息（元）", "money"),
    ("local_subsidy", "当月地方贴息（元）", "money"),
    ("overdue_ratio", "逾期率", "percent"),
    ("npl_ratio", "不良率", "percent"),
    ("renewals", "续贷（笔）", "whole"),
    ("extensions", "展期（笔）", "whole"),
    ("write_offs", "核销（笔）", "whole"),
    ("written_off_principal", "核销本金（元）", "money"),
    ("suspensions", "暂停放贷（次）", "whole"),
)


def _table(found: dict[str, Any]) -> tables.Table:
    rows = [
        (
            f"{region_name(c['region_code']) or ''}（{c['region_code']}）",
            c["revision"],
            *(figures_value(c["figures"][k], kind) for k, _, kind in _COLUMNS),
        )
        for c in found["counties"]
    ]
    if found["total"] is not None:
        rows.append(
            ("合计", "", *(figures_value(found["total"][k], kind) for k, _, kind in _COLUMNS))
        )
    return tables.Table(
        sheet="监测月报",
        columns=[
            tables.Column("县（区）"),
            tables.Column("版本", "whole", summed=False),
            *(tables.Column(header, kind, summed=False) for _, header, kind in _COLUMNS),  # type: ignore[arg-type]
        ],
        rows=rows,
        title=f"帮扶小额信贷监测月报（截至 {found['month_end']}）",
        notes=("汇总数据，不含个人信息；各县取最新版本，更正后的版本号递增。",),
    )


def figures_value(value: Any, kind: str) -> Any:
    """A figure as the workbook writes it: numbers as numbers."""
    return int(value) if kind == "whole" else Decimal(str(value))
