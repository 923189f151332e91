"""The subsidy claim as the finance departments' form (issue 18): an Excel workbook written a
row at a time to a temporary file (app/core/workbook.py), the lines as one long table.

- 汇总: a row per county (its name from GB/T 2260), with the period's loan count, new and
  closed loans, balances at the period's start and end, interest accrued and collected, the
  central and local subsidy and adjustments, the total row, and the signature block.
- 明细: a row per claimed loan: the borrower (masked ID), the household's county, amount,
  disbursement date, term, rate, balances, interest, subsidy and adjustments.

Amounts are numbers to the fen, formatted as money, so the sheet's own sums agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.core.identity import region_name
from app.core.workbook import Book, Cells, Format, Sheet
from app.domain.money import ZERO
from app.reports.form import ClaimedSums, SheetLine, Tally
from app.reports.periods import Period
from app.reports.service import CountyClaim, CountyFacts

STATUS_ZH = {"draft": "草稿", "submitted": "已提交", "paid": "已拨付"}

_TOTAL_HEADERS = (
    "县级区划代码",
    "县（市、区）",
    "状态",
    "申领贷款笔数",
    "本期新发放笔数",
    "本期结清笔数",
    "期初贷款余额",
    "期末贷款余额",
    "本期应计利息",
    "本期实收利息",
    "中央贴息",
    "地方贴息",
    "中央调整",
    "地方调整",
    "中央申领合计",
    "地方申领合计",
)
_LINE_HEADERS = (
    "县级区划代码",
    "户籍所在县",
    "状态",
    "合同编号",
    "借款人（身份证号脱敏）",
    "政策版本",
    "贷款金额（元）",
    "放款日期",
    "期限（月）",
    "年利率",
    "期初余额",
    "期末余额",
    "本期应计利息",
    "本期实收利息",
    "中央贴息",
    "地方贴息",
    "中央调整",
    "地方调整",
)
SIGNATURES = ("填报人：", "复核人：", "负责人：", "联系电话：", "填报日期：")


def _county(code: str) -> str:
    return region_name(code) or ""


@dataclass(frozen=True, slots=True)
class _Styles:
    bold: Format
    title: Format
    money: Format
    money_bold: Format
    rate: Format


def claims_workbook(
    claims: Iterable[CountyClaim],
    period: Period,
    counties: dict[str, CountyFacts],
    bank_name: str,
    sums: dict[str, ClaimedSums] | None,
    lines: Iterable[SheetLine] | None = None,
) -> bytes:
    """The claim form: the counties' totals with the signature blocks, then, given them, the
    loans' lines (app/reports/form.py). The lines are written first, as they come, and the
    counties' sums, and a draft claim's loans and subsidy, are then theirs; without lines, the
    claims' and the sums given."""
    claims = list(claims)
    book = Book()
    styles = _Styles(
        bold=book.style(bold=True),
        title=book.style(bold=True, font_size=14),
        money=book.style(num_format="#,##0.00"),
        money_bold=book.style(num_format="#,##0.00", bold=True),
        rate=book.style(num_format="0.0000%"),
    )
    totals = book.sheet("汇总")
    if lines is not None:
        tally = Tally()
        _lines_sheet(book.sheet("明细"), styles, lines, tally)
        sums = tally.sums()
        claims = [tally.claimed(c) if c.claim_id is None else c for c in claims]
    _totals_sheet(totals, styles, claims, period, sums or {}, counties, bank_name)
    return book.bytes()


def _county_values(
    claim: CountyClaim, county: CountyFacts, claimed: ClaimedSums
) -> Sequence[Decimal | int]:
    """A county's row from its loan count on: counts, balances, interest, subsidy, claims."""
    return (
        claim.loans,
        county.new_loans,
        county.closed_loans,
        claimed.balance_start,
        claimed.balance_end,
        claimed.interest_due,
        claimed.interest_paid,
        claim.central_subsidy,
        claim.local_subsidy,
        claim.central_adjustment,
        claim.local_adjustment,
        claim.central_subsidy + claim.central_adjustment,
        claim.local_subsidy + claim.local_adjustment,
    )


def _totals_sheet(
    totals: Sheet,
    styles: _Styles,
    claims: list[CountyClaim],
    period: Period,
    sums: dict[str, ClaimedSums],
    counties: dict[str, CountyFacts],
    bank_name: str,
) -> None:
    """汇总: a row per county, the total row, and the signature blocks."""
    totals.line(0, f"帮扶小额信贷贴息资金申领表（{period.code}）", styles.title)
    totals.line(
        1, f"申领期间：{period.start} 至 {period.end}    填报银行：{bank_name}    金额单位：元"
    )
    totals.header(2, _TOTAL_HEADERS, styles.bold)
    row = 3
    total: list[Decimal] = [ZERO] * 13
    for claim in claims:
        county = counties.get(claim.region_code, CountyFacts(0, 0))
        claimed = sums.get(claim.region_code, ClaimedSums())
        totals.row(
            row,
            0,
            [claim.region_code, _county(claim.region_code), STATUS_ZH.get(claim.status, "")],
        )
        for col, value in enumerate(_county_values(claim, county, claimed)):
            totals.cell(row, col + 3, value, styles.money if col >= 3 else None)
            total[col] += Decimal(value)
        row += 1
    totals.end_table(row - 1)
    totals.cell(row, 0, "合计", styles.bold)
    for col, summed in enumerate(total):
        totals.cell(row, col + 3, summed, styles.money_bold if col >= 3 else styles.bold)
    _signatures(totals, row + 2, bank_name, styles)


def _signatures(totals: Sheet, row: int, bank_name: str, styles: _Styles) -> None:
    totals.line(row, f"填报单位（盖章）：{bank_name}", styles.bold)
    row += 1
    totals.line(row, "　　　　".join(SIGNATURES))
    row += 2
    totals.line(row, "财政部门审核意见：", styles.bold)
    totals.line(row + 1, "审核人：　　　　　　　　审核日期：")


def _lines_sheet(sheet: Sheet, styles: _Styles, lines: Iterable[SheetLine], tally: Tally) -> None:
    """明细: a row per claimed loan, its cells the line's (form.SheetLine) in their order, the
    household's county by name and the claim's status in Chinese; each chunk tallied as it is
    written."""
    sheet.header(0, _LINE_HEADERS, styles.bold)
    money = Cells("number", styles.money)
    columns = (
        Cells(),
        Cells(shown=_household_county),
        Cells(shown=_status),
        *[Cells()] * 3,
        money,
        Cells("date"),
        Cells("number"),
        Cells("number", styles.rate),
        *[money] * 8,
    )
    sheet.end_table(sheet.rows(1, columns, lines, seen=tally.seen))


def _household_county(code: str | None) -> str:
    return _county(code or "")  # region_name keeps the names it has read


def _status(status: str) -> str:
    return STATUS_ZH.get(status, status)
