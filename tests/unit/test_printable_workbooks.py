"""Workbooks a clerk can print (issue 28): widths from the content, a frozen, filtered header
row repeated on each page, A4 landscape with numbered pages, dates as date cells, rates as
percent cells, and the totals row. Read back from the file's own XML."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from decimal import Decimal

from python_calamine import CalamineWorkbook

from app.core import tables


def _parts(book: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(book)) as z:
        return {n: z.read(n).decode() for n in z.namelist() if n.endswith(".xml")}


TABLE = tables.Table(
    "贷款清单",
    [
        tables.Column("合同编号"),
        tables.Column("借款人"),
        tables.Column("合同金额（元）", "money"),
        tables.Column("年利率", "percent"),
        tables.Column("签约日", "date"),
        tables.Column("期限（月）", "whole"),
    ],
    [
        [
            "520102-2027-000001",
            "张三",
            Decimal("58000.00"),
            Decimal("0.0345"),
            date(2027, 3, 1),
            24,
        ],
        [
            "520102-2027-000002",
            "欧阳长名字",
            Decimal("1234.56"),
            Decimal("0.04"),
            date(2027, 3, 2),
            12,
        ],
    ],
    title="帮扶小额信贷贷款清单",
    notes=("填报银行：某县农商行",),
    totals=True,
    after=("填报人：",),
)


def test_the_header_is_frozen_filtered_and_repeated_and_the_page_is_a4_landscape() -> None:
    parts = _parts(tables.xlsx_bytes(TABLE))
    sheet = parts["xl/worksheets/sheet1.xml"]
    # frozen below the header (row 3: title, note, header)
    assert re.search(r'<pane ySplit="3" topLeftCell="A4"', sheet), sheet[:2000]
    assert '<autoFilter ref="A3:F5"/>' in sheet
    assert 'orientation="landscape"' in sheet and 'paperSize="9"' in sheet
    assert "&amp;P" in sheet and "&amp;N" in sheet  # the footer numbers the pages
    assert "_xlnm.Print_Titles" in parts["xl/workbook.xml"]
    assert "贷款清单!$3:$3" in parts["xl/workbook.xml"]
    widths: dict[int, float] = {}
    for low, high, width in re.findall(r'<col min="(\d+)" max="(\d+)" width="([\d.]+)"', sheet):
        widths |= {col: float(width) for col in range(int(low), int(high) + 1)}
    # the contract number (18 characters) is wider than the rate, the name (two characters a
    # Chinese one) wider than the short ones
    assert widths[1] >= 18 and widths[2] >= 10 and widths[4] < widths[1]
    assert len(set(widths.values())) > 2  # not every column the same width


def test_dates_are_dates_rates_are_percents_and_the_totals_sum() -> None:
    book = tables.xlsx_bytes(TABLE)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(book)).get_sheet_by_index(0).to_python()
    *_, first, _second, total, _, signature = rows
    assert first[4] == date(2027, 3, 1)  # a date cell, read back as a date
    assert first[3] == 0.0345  # a number, shown as a percent by its format
    assert total[0] == "合计" and total[2] == 59234.56 and total[5] == ""
    assert signature[0] == "填报人："
    styles = _parts(book)["xl/styles.xml"]
    assert 'formatCode="0.00%"' in styles and "yyyy" in styles
    assert 'formatCode="#,##0.00"' in styles


def test_a_csv_shows_rates_as_percents_and_dates_as_iso() -> None:
    text = tables.csv_bytes(TABLE).decode("utf-8-sig")
    assert "520102-2027-000001,张三,58000.00,3.45%,2027-03-01,24" in text
