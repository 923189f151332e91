"""Excel workbooks for finance departments (issue 18): written with XlsxWriter in
constant-memory mode (a row at a time, to a temporary file: a province's lines are never a
sheet held in memory). Column headers and status labels in Chinese; amounts as numbers to the
fen, formatted as money."""

from __future__ import annotations

import io
from collections.abc import Iterable

import xlsxwriter

from app.domain.money import ZERO
from app.reports.periods import Period
from app.reports.service import CountyClaim

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS_ZH = {"draft": "草稿", "submitted": "已提交", "paid": "已拨付"}

_LINE_HEADERS = (
    "县级区划代码",
    "状态",
    "贷款编号",
    "借款人（脱敏）",
    "政策版本",
    "中央贴息",
    "地方贴息",
    "中央调整",
    "地方调整",
)
_TOTAL_HEADERS = (
    "县级区划代码",
    "状态",
    "贷款笔数",
    "中央贴息",
    "地方贴息",
    "中央调整",
    "地方调整",
    "中央申领合计",
    "地方申领合计",
)


def claims_workbook(claims: Iterable[CountyClaim], period: Period) -> bytes:
    """Two sheets: 汇总 (a row per county and the total) and 明细 (a row per loan)."""
    claims = list(claims)
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True})
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0.00"})
    money_bold = book.add_format({"num_format": "#,##0.00", "bold": True})

    totals = book.add_worksheet("汇总")
    totals.write_row(0, 0, [f"贴息资金申领 {period.code}（{period.start} 至 {period.end}）"], bold)
    totals.write_row(1, 0, _TOTAL_HEADERS, bold)
    row = 2
    for claim in claims:
        central = claim.central_subsidy + claim.central_adjustment
        local = claim.local_subsidy + claim.local_adjustment
        totals.write_row(row, 0, [claim.region_code, STATUS_ZH.get(claim.status, claim.status)])
        totals.write_number(row, 2, claim.loans)
        for col, value in enumerate(
            (
                claim.central_subsidy,
                claim.local_subsidy,
                claim.central_adjustment,
                claim.local_adjustment,
                central,
                local,
            ),
            start=3,
        ):
            totals.write_number(row, col, float(value), money)
        row += 1
    totals.write(row, 0, "合计", bold)
    totals.write_number(row, 2, sum(c.loans for c in claims), bold)
    sums = (
        sum((c.central_subsidy for c in claims), start=ZERO),
        sum((c.local_subsidy for c in claims), start=ZERO),
        sum((c.central_adjustment for c in claims), start=ZERO),
        sum((c.local_adjustment for c in claims), start=ZERO),
        sum((c.central_subsidy + c.central_adjustment for c in claims), start=ZERO),
        sum((c.local_subsidy + c.local_adjustment for c in claims), start=ZERO),
    )
    for col, value in enumerate(sums, start=3):
        totals.write_number(row, col, float(value), money_bold)

    lines = book.add_worksheet("明细")
    lines.write_row(0, 0, _LINE_HEADERS, bold)
    row = 1
    for claim in claims:
        status = STATUS_ZH.get(claim.status, claim.status)
        for line in claim.lines:
            lines.write_row(
                row,
                0,
                [line.region_code, status, str(line.loan_id), line.borrower, line.policy_version],
            )
            for col, value in enumerate(
                (
                    line.central_subsidy,
                    line.local_subsidy,
                    line.central_adjustment,
                    line.local_adjustment,
                ),
                start=5,
            ):
                lines.write_number(row, col, float(value), money)
            row += 1
    book.close()
    return out.getvalue()
