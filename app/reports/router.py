"""Reports: subsidy claims, portfolio quality (with an SVG chart), risk compensation."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from app.core import sheets, tables, workbook
from app.core.auth import Principal, Role, require
from app.core.deps import DbSession
from app.core.i18n import Said
from app.core.identity import region_name
from app.core.problems import Problem, problem_responses
from app.core.settings import get_settings
from app.core.types import Day, Rate
from app.domain import portfolio
from app.domain.classification import RiskClass
from app.domain.labels import labelled
from app.domain.money import ZERO
from app.domain.regional import ratio
from app.jobs import service as jobs
from app.jobs.models import JobKind
from app.jobs.router import ACCEPTED, accepted
from app.jobs.schemas import JobOut
from app.loans.service import contract_numbers
from app.regions.models import RegionDailyStat
from app.reports import chart, form, periods, schemas, service, xlsx
from app.reports import quality as quality_service
from app.reports.readers import ReportReader

router = APIRouter(prefix="/v1/reports", tags=["reports"])

Reader = Annotated[Principal, Depends(require(Role.risk_manager, Role.auditor, Role.admin))]


Manager = Annotated[Principal, Depends(require(Role.risk_manager, Role.admin))]
Period = Annotated[str, Query(pattern=periods.PERIOD_PATTERN, examples=["2026Q3"])]
RegionPrefix = Annotated[str | None, Query(pattern=r"^\d{2,12}$")]
BankNpl = Annotated[Rate | None, Query(description="bank-wide NPL ratio, e.g. 0.0125")]


def _claim_out(claim: service.CountyClaim, with_lines: bool) -> schemas.CountyClaimOut:
    central = claim.central_subsidy + claim.central_adjustment
    local = claim.local_subsidy + claim.local_adjustment
    return schemas.CountyClaimOut(
        region_code=claim.region_code,
        status=claim.status,
        claim_id=claim.claim_id,
        loans=claim.loans,
        central_subsidy=claim.central_subsidy,
        local_subsidy=claim.local_subsidy,
        central_adjustment=claim.central_adjustment,
        local_adjustment=claim.local_adjustment,
        central_claimed=central,
        local_claimed=local,
        paid_central=claim.paid_central,
        paid_local=claim.paid_local,
        paid_on=claim.paid_on,
        difference_central=None if claim.paid_central is None else claim.paid_central - central,
        difference_local=None if claim.paid_local is None else claim.paid_local - local,
        lines=[
            schemas.ClaimLineOut(**{k: getattr(x, k) for k in schemas.ClaimLineOut.model_fields})
            for x in claim.lines
        ]
        if with_lines
        else [],
    )


@router.get(
    "/subsidy-claims",
    response_model=schemas.SubsidyClaimsOut,
    responses={**tables.FILE_RESPONSES, **problem_responses(403, 409)},
)
def subsidy_claims(
    request: Request,
    session: DbSession,
    principal: ReportReader,
    period: Period,
    region: RegionPrefix = None,
    lines: Annotated[bool, Query(description="include per-loan lines")] = True,
    format: Annotated[tables.Format | None, Query(description=tables.FORMAT_HELP)] = None,
) -> schemas.SubsidyClaimsOut | Response:
    """Per county: the central and local subsidy accrued in the period with per-loan lines
    (borrower masked). Draft until submitted; submitted claims are frozen. Overdue and penalty
    interest and the unsubsidised principal's interest never enter. CSV gives the lines; xlsx
    a workbook with a sheet of county totals (汇总) and one of lines (明细), in Chinese, or with
    `lines=false` the form alone (汇总). 409 until every county has closed the period's last
    day. A department reads the form alone (JSON or xlsx): no lines, no CSV of them."""
    period_ = periods.parse(period)
    wanted = tables.wanted(request, format)
    if principal.is_department:
        lines = False
        if wanted == "csv":
            raise _aggregates_only()
    claims = service.subsidy_claims(
        session,
        principal,
        period_,
        region,
        with_lines=lines and wanted == "json",
        # a draft's totals where they are shown: the JSON, the form alone (with its lines the
        # form sums them from its lines; CSV has only lines)
        drafts_summed=wanted == "json" or (wanted == "xlsx" and not lines),
    )
    name = f"subsidy-claims-{period}"
    if wanted == "csv":
        return Response(
            service.lines_csv(session, claims, period_),
            media_type=f"{tables.CSV_MEDIA_TYPE}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if wanted == "xlsx":
        facts = service.county_facts(session, [c.region_code for c in claims], period_)
        sheet = form.sheet_lines(session, claims, period_) if lines else None
        sums = None if lines else form.claimed_sums(session, claims, period_)
        try:
            book = xlsx.claims_workbook(
                claims, period_, facts, get_settings().filing_bank, sums, sheet
            )
        except workbook.TooManyRows:
            raise _too_many_lines() from None
        finally:
            if sheet is not None:
                sheet.close()  # a stream left early is cancelled now, not when collected
        return Response(
            book,
            media_type=sheets.XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    counties = [_claim_out(c, lines) for c in claims]
    return schemas.SubsidyClaimsOut(
        period=period,
        period_start=period_.start,
        period_end=period_.end,
        counties=counties,
        central_claimed=sum((c.central_claimed for c in counties), ZERO),
        local_claimed=sum((c.local_claimed for c in counties), ZERO),
    )


@router.post(
    "/subsidy-claims/exports",
    status_code=202,
    response_model=JobOut,
    responses={**ACCEPTED, **problem_responses(403, 409)},
)
def export_claims(body: schemas.ClaimExportIn, session: DbSession, principal: Reader) -> Response:
    """A period's claim lines for a province (or any region prefix) as a CSV file, made by a
    job: 202 and the job's URL, which shows counties done of total and, at the end, the totals
    and `output_url` for the file. 409 if a county has not closed the period's last day."""
    period_ = periods.parse(body.period)
    codes = service.counties(session, principal, body.region)
    if not codes:
        raise Problem(
            409,
            Said("这些地区没有在管贷款", "No serviced loans in these regions"),
            slug="nothing-serviced",
        )
    service.require_closed(session, codes, period_.end)
    job = jobs.start(
        session,
        principal,
        JobKind.claim_export,
        {"period": period_.code, "region": body.region},
        total=len(codes),
    )
    return accepted(job)


@router.post(
    "/subsidy-claims/submissions",
    response_model=schemas.CountyClaimOut,
    status_code=201,
    responses=problem_responses(403, 404, 409),
)
def submit_claim(
    body: schemas.SubmitClaimIn, session: DbSession, principal: Manager
) -> schemas.CountyClaimOut:
    """Submit (freeze) a county's claim for a period."""
    period_ = periods.parse(body.period)
    row = service.submit_claim(session, principal, period_, body.region_code)
    (claim,) = service.subsidy_claims(session, principal, period_, body.region_code)
    assert claim.claim_id == row.id
    return _claim_out(claim, True)


@router.post(
    "/subsidy-claims/{claim_id}/payment",
    response_model=schemas.CountyClaimOut,
    responses=problem_responses(403, 404, 409),
)
def record_payment(
    claim_id: uuid.UUID, body: schemas.ClaimPaymentIn, session: DbSession, principal: Manager
) -> schemas.CountyClaimOut:
    """What the finance department paid; the answer shows the difference to the claim."""
    row = service.record_payment(
        session,
        principal,
        claim_id,
        body.paid_central,
        body.paid_local,
        body.paid_on,
        body.reference,
    )
    (claim,) = service.subsidy_claims(
        session, principal, periods.parse(row.period), row.region_code
    )
    return _claim_out(claim, False)


def _quality_out(
    session: DbSession, quality: quality_service.Quality
) -> schemas.PortfolioQualityOut:
    stats = quality.stats
    balance = sum((s.balance for s in stats), ZERO)
    overdue = sum((s.overdue_balance for s in stats), ZERO)
    npl = sum((s.npl_balance for s in stats), ZERO)
    flags = quality_service.region_flags(session, [s.region_code for s in stats])
    tolerance = quality.tolerance
    return schemas.PortfolioQualityOut(
        as_of=quality.as_of,
        active_loans=sum(s.active_loans for s in stats),
        balance=balance,
        overdue_balance=overdue,
        npl_balance=npl,
        overdue_ratio=ratio(overdue, balance),
        npl_ratio=ratio(npl, balance),
        by_class=[
            schemas.ClassOut(
                risk_class=c.value,
                loans=sum(getattr(s, f"{c.value}_loans") for s in stats),
                balance=sum((getattr(s, f"{c.value}_balance") for s in stats), ZERO),
            )
            for c in RiskClass
        ],
        tolerance=_tolerance_out(tolerance) if tolerance else None,
        regions=[
            schemas.RegionQualityOut(
                region_code=s.region_code,
                active_loans=s.active_loans,
                balance=s.balance,
                overdue_ratio=ratio(s.overdue_balance, s.balance),
                npl_ratio=ratio(s.npl_balance, s.balance),
                alert=flags[s.region_code][0],
                suspension_recommended=flags[s.region_code][1],
                lending_status=flags[s.region_code][2],
            )
            for s in stats
        ],
        regions_in_alert=[c for c, f in flags.items() if f[0]],
        regions_suspended=[c for c, f in flags.items() if f[2] == "suspended"],
        regions_not_closed=quality.not_closed,
    )


def _percent(value: Decimal) -> str:
    return f"{value:.2%}"


def _tolerance_lines(tolerance: schemas.ToleranceOut | None) -> list[str]:
    """The 3.1 tolerance test in words: the product's NPL ratio against the bank's plus the
    points the notice allows."""
    if tolerance is None:
        return ["不良容忍度测试（3.1）：未提供全行不良率，无法测试"]
    verdict = "在容忍度以内" if tolerance.within else "超出容忍度"
    return [
        f"不良容忍度测试（{tolerance.clause}）："
        f"本产品不良率 {_percent(tolerance.product_npl_ratio)}，"
        f"全行不良率 {_percent(tolerance.bank_npl_ratio)}，"
        f"容忍上限 {_percent(tolerance.limit)}，{verdict}",
    ]


def _filing_notes(as_of: object) -> tuple[str, ...]:
    return (f"填报银行：{get_settings().filing_bank}    截至：{as_of}    金额单位：元",)


_SIGNATURE_LINES = ("填报人：　　　　　　复核人：　　　　　　负责人：　　　　　　填报日期：",)


def _quality_tables(out: schemas.PortfolioQualityOut) -> tuple[tables.Table, tables.Table]:
    """资产质量 (a row per county and the total) and 五级分类 (the five classes, with the
    overdue and non-performing balances), as the JSON has them."""
    yes_no = {True: "是", False: "否"}
    counties = tables.Table(
        "资产质量",
        [
            tables.Column("县级区划代码"),
            tables.Column("县（市、区）"),
            tables.Column("在贷笔数", "whole", summed=True),
            tables.Column("贷款余额（元）", "money"),
            tables.Column("逾期率", "percent"),
            tables.Column("不良率", "percent"),
            tables.Column("预警"),
            tables.Column("建议暂停"),
            tables.Column("放款状态"),
        ],
        [
            [
                r.region_code,
                region_name(r.region_code) or "",
                r.active_loans,
                r.balance,
                r.overdue_ratio,
                r.npl_ratio,
                yes_no[r.alert],
                yes_no[r.suspension_recommended],
                labelled("LendingStatus", r.lending_status),
            ]
            for r in out.regions
        ],
        title=f"帮扶小额信贷资产质量（截至 {out.as_of}）",
        notes=_filing_notes(out.as_of),
        totals=True,
        after=[
            f"全部在贷 {out.active_loans} 笔，余额 {out.balance:,.2f} 元，"
            f"逾期余额 {out.overdue_balance:,.2f} 元（逾期率 {_percent(out.overdue_ratio)}），"
            f"不良余额 {out.npl_balance:,.2f} 元（不良率 {_percent(out.npl_ratio)}）",
            *_tolerance_lines(out.tolerance),
            *_SIGNATURE_LINES,
        ],
    )
    classes = tables.Table(
        "五级分类",
        [
            tables.Column("风险分类"),
            tables.Column("笔数", "whole", summed=True),
            tables.Column("余额（元）", "money"),
            tables.Column("占比", "percent"),
        ],
        [
            [
                labelled("RiskClass", c.risk_class),
                c.loans,
                c.balance,
                c.balance / out.balance if out.balance else Decimal(0),
            ]
            for c in out.by_class
        ]
        + [
            ["其中：逾期贷款", "", out.overdue_balance, out.overdue_ratio],
            ["其中：不良贷款（次级、可疑、损失）", "", out.npl_balance, out.npl_ratio],
        ],
        title=f"帮扶小额信贷五级分类（截至 {out.as_of}）",
        notes=_filing_notes(out.as_of),
    )
    return counties, classes


def _too_many_lines() -> Problem:
    return Problem(
        422,
        Said(
            f"明细超过 Excel 单表上限 {workbook.ROW_LIMIT - 1:,} 行：请按县查看，或以 CSV 导出明细",
            f"The lines are more than a sheet holds ({workbook.ROW_LIMIT - 1:,}):"
            " ask by county, or export the lines as CSV",
        ),
        slug="too-many-lines",
    )


def _aggregates_only() -> Problem:
    return Problem(
        403,
        Said(
            "部门查阅汇总数据：请以 JSON 或 Excel（xlsx）查看贴息申报汇总表",
            "A department reads aggregates: the claim's form as JSON or xlsx",
        ),
        slug="aggregates-only",
    )


@router.get(
    "/portfolio-quality",
    response_model=schemas.PortfolioQualityOut,
    responses={**tables.FILE_RESPONSES, **problem_responses(403)},
)
def portfolio_quality(
    request: Request,
    session: DbSession,
    principal: ReportReader,
    as_of: Annotated[Day, Query()],
    bank_npl_ratio: BankNpl = None,
    region: RegionPrefix = None,
    format: Annotated[tables.Format | None, Query(description=tables.FORMAT_HELP)] = None,
) -> schemas.PortfolioQualityOut | Response:
    """资产质量. Balances and counts by risk class, NPL and overdue ratios overall and per
    county, the 3.1 tolerance test against the bank-wide NPL ratio (query or
    BANK_NPL_RATIOS), and the counties in alert or suspended, as of an end of day. As csv or
    xlsx: a row per county (with its name) and the total."""
    quality = quality_service.portfolio_quality(session, principal, as_of, bank_npl_ratio, region)
    out = _quality_out(session, quality)
    form = tables.wanted(request, format)
    if form != "json":
        return tables.file_response(_quality_tables(out), form, f"portfolio-quality-{as_of}")
    return out


@router.get(
    "/portfolio-quality/chart.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}, **problem_responses(403)},
)
def portfolio_chart(
    session: DbSession,
    principal: ReportReader,
    regions: Annotated[
        str, Query(pattern=r"^\d{6}(,\d{6}){0,19}$", description="county codes, comma-separated")
    ],
    start: Annotated[Day, Query(alias="from")],
    end: Annotated[Day, Query(alias="to")],
    bank_npl_ratio: BankNpl = None,
) -> Response:
    """Overdue (solid) and NPL (dotted) ratio per county over time, one series per county
    asked, and the tolerance line (bank NPL + 3 points) when the bank ratio is known."""
    codes = [c for c in regions.split(",") if principal.sees_region(c)]
    if end < start:
        raise Problem(
            422,
            Said("结束日期（to）早于开始日期（from）", "`to` is before `from`"),
            slug="validation-error",
        )
    rows = session.scalars(
        select(RegionDailyStat)
        .where(
            RegionDailyStat.region_code.in_(codes),
            RegionDailyStat.business_date.between(start, end),
        )
        .order_by(RegionDailyStat.business_date)
    )
    series: dict[str, list[tuple[date, Decimal, Decimal]]] = {c: [] for c in codes}
    for s in rows:
        series[s.region_code].append(
            (s.business_date, ratio(s.overdue_balance, s.balance), ratio(s.npl_balance, s.balance))
        )
    bank = quality_service.bank_npl_ratio(end, bank_npl_ratio)
    tolerance = bank + portfolio.NPL_TOLERANCE_POINTS if bank is not None else None
    title = f"帮扶小额信贷逾期率与不良率走势（{start} 至 {end}）"
    svg = chart.render(series, tolerance, title, (start, end))
    return Response(svg, media_type="image/svg+xml")


@router.get(
    "/risk-compensation",
    response_model=schemas.RiskCompensationOut,
    responses={**tables.FILE_RESPONSES, **problem_responses(403, 409)},
)
def risk_compensation(
    request: Request,
    session: DbSession,
    principal: Reader,
    period: Period,
    bank_npl_ratio: BankNpl = None,
    format: Annotated[tables.Format | None, Query(description=tables.FORMAT_HELP)] = None,
) -> schemas.RiskCompensationOut | Response:
    """风险补偿. NPL loans at the period's end in counties with a compensation fund
    (RISK_COMPENSATION_FUNDS), claimable by the fund's share when the product's NPL ratio is
    within the 3.1 tolerance (4.4); otherwise nothing is claimable. As csv or xlsx: a row per
    loan (borrower masked) and the total."""
    period_ = periods.parse(period)
    quality, funds, lines = quality_service.risk_compensation(
        session, principal, period_, bank_npl_ratio
    )
    assert quality.tolerance is not None
    out = [schemas.CompensationLineOut(**line) for line in lines]
    answer = schemas.RiskCompensationOut(
        period=period,
        as_of=period_.end,
        tolerance=_tolerance_out(quality.tolerance),
        funds=[
            schemas.CompensationFundOut(
                region_code=f.region_code,
                fund_share=f.fund_share,
                tolerance=_tolerance_out(f.tolerance),
                npl_principal=f.npl_principal,
                claimable=f.claimable,
            )
            for f in funds
        ],
        lines=out,
        claimable=sum((x.claimable for x in out), ZERO),
    )
    form = tables.wanted(request, format)
    if form == "json":
        return answer
    names = contract_numbers(session, [line.loan_id for line in out])
    table = tables.Table(
        "风险补偿",
        [
            tables.Column("县级区划代码"),
            tables.Column("县（市、区）"),
            tables.Column("合同编号"),
            tables.Column("借款人（身份证号脱敏）"),
            tables.Column("风险分类"),
            tables.Column("本金余额（元）", "money"),
            tables.Column("补偿比例", "percent"),
            tables.Column("可申请补偿（元）", "money"),
        ],
        [
            [
                line.region_code,
                region_name(line.region_code) or "",
                names.get(line.loan_id, str(line.loan_id)),
                line.borrower,
                labelled("RiskClass", line.risk_class),
                line.principal_outstanding,
                line.fund_share,
                line.claimable,
            ]
            for line in out
        ],
        title=f"风险补偿金申请（{period}，截至 {period_.end}）",
        notes=_filing_notes(period_.end),
        totals=True,
        after=[
            *(
                f"{region_name(f.region_code) or f.region_code}（{f.region_code}）：补偿比例 "
                f"{_percent(f.fund_share)}，不良本金 {f.npl_principal:,.2f} 元，"
                f"可申请 {f.claimable:,.2f} 元；" + _tolerance_lines(f.tolerance)[0]
                for f in answer.funds
            ),
            *([] if answer.funds else ["所辖地区未设立风险补偿金"]),
            *_tolerance_lines(answer.tolerance),
            *_SIGNATURE_LINES,
        ],
    )
    return tables.file_response(table, form, f"risk-compensation-{period}")


def _tolerance_out(tolerance: portfolio.Tolerance) -> schemas.ToleranceOut:
    return schemas.ToleranceOut(
        clause=tolerance.clause,
        product_npl_ratio=tolerance.product_npl_ratio,
        bank_npl_ratio=tolerance.bank_npl_ratio,
        limit=tolerance.limit,
        within=tolerance.within,
    )


# GET /v1/reports/….xlsx and .csv: the files alone, for generated clients
for _path, _list in (
    ("/subsidy-claims", subsidy_claims),
    ("/portfolio-quality", portfolio_quality),
    ("/risk-compensation", risk_compensation),
):
    tables.file_twins(router, _path, _list)
