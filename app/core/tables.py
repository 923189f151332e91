"""Lists people take into Excel (issue 18): one table, answered as JSON, CSV (UTF-8 with a
byte-order mark, so Excel on Chinese Windows reads it) or an .xlsx workbook, by a `format`
parameter or the `Accept` header. Column headers are Chinese; the codes stay in their own
columns beside their labels. Workbooks are written by XlsxWriter in constant-memory mode.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import Response

from app.core import csvsafe
from app.core.sheets import XLSX_MEDIA_TYPE
from app.core.workbook import Book

CSV_MEDIA_TYPE = "text/csv"
Format = Literal["json", "csv", "xlsx"]
FORMAT_HELP = "json, csv (UTF-8 with a byte-order mark) or xlsx; by default from `Accept`"
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {CSV_MEDIA_TYPE: {}, XLSX_MEDIA_TYPE: {}}}
}


def wanted(request: Request, format: Format | None) -> Format:
    """The answer's form: `format` if given, else by `Accept`; JSON by default."""
    if format is not None:
        return format
    accept = request.headers.get("accept", "")
    if XLSX_MEDIA_TYPE in accept:
        return "xlsx"
    return "csv" if CSV_MEDIA_TYPE in accept else "json"


@dataclass(frozen=True, slots=True)
class Column:
    header: str  # Chinese, as the sheet shows it
    money: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    sheet: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    title: str | None = None  # a first line above the headers (xlsx)


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def csv_bytes(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in table.columns])
    for row in table.rows:
        writer.writerow([csvsafe.cell(_plain(v)) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(*tables: Table) -> bytes:
    """One sheet per table: the title, bold headers, money as numbers formatted to the fen."""
    book = Book()
    bold = book.style(bold=True)
    money = book.style(num_format="#,##0.00")
    for table in tables:
        sheet = book.sheet(table.sheet)
        row = 0
        if table.title:
            sheet.cell(row, 0, table.title, bold)
            row += 1
        sheet.row(row, 0, [c.header for c in table.columns], bold)
        sheet.widths(0, len(table.columns) - 1, 14)
        for values in table.rows:
            row += 1
            for col, (column, value) in enumerate(zip(table.columns, values, strict=True)):
                sheet.cell(row, col, _plain(value), money if column.money else None)
    return book.bytes()


def file_response(table: Table, form: Format, name: str) -> Response:
    """The table as a download named `name` (without extension)."""
    if form == "xlsx":
        body, media_type, ext = xlsx_bytes(table), XLSX_MEDIA_TYPE, "xlsx"
    else:
        body, media_type, ext = csv_bytes(table), CSV_MEDIA_TYPE + "; charset=utf-8", "csv"
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}.{ext}"'},
    )
