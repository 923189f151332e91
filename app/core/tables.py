"""Lists people take into Excel (issue 18): one table, answered as JSON, CSV (UTF-8 with a
byte-order mark, so Excel on Chinese Windows reads it) or an .xlsx workbook, by a `format`
parameter or the `Accept` header. Column headers are Chinese; the codes stay in their own
columns beside their labels. Workbooks are written by app/core/workbook.py, a row at a time.
"""

from __future__ import annotations

import csv
import inspect
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, get_type_hints

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.core import csvsafe, workbook
from app.core.sheets import XLSX_MEDIA_TYPE
from app.core.workbook import Book, Cells

CSV_MEDIA_TYPE = "text/csv"
Format = Literal["json", "csv", "xlsx"]
FORMAT_HELP = "json, csv (UTF-8 with a byte-order mark) or xlsx; by default from `Accept`"
# Declared as binary, so a client generated from the API document saves the file rather than
# parse it as JSON.
_BINARY = {"schema": {"type": "string", "format": "binary"}}
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {CSV_MEDIA_TYPE: _BINARY, XLSX_MEDIA_TYPE: _BINARY}}
}


def wanted(request: Request, format: Format | None) -> Format:
    """The answer's form: `format` if given, else by `Accept`; JSON by default."""
    if format is not None:
        return format
    accept = request.headers.get("accept", "")
    if XLSX_MEDIA_TYPE in accept:
        return "xlsx"
    return "csv" if CSV_MEDIA_TYPE in accept else "json"


Kind = Literal["text", "money", "date", "percent", "whole"]


@dataclass(frozen=True, slots=True)
class Column:
    header: str  # Chinese, as the sheet shows it (元 for amounts, as the bank writes it)
    kind: Kind = "text"
    summed: bool | None = None  # in the totals row; by default the money columns are

    @property
    def in_totals(self) -> bool:
        return self.kind == "money" if self.summed is None else self.summed


@dataclass(frozen=True, slots=True)
class Table:
    sheet: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    title: str | None = None  # a first line above the headers (xlsx)
    notes: Sequence[str] = ()  # lines under the title: the bank, the date, the scope
    totals: bool = False  # a 合计 row under the rows, summing the columns `in_totals`
    after: Sequence[str] = ()  # lines under the table: tests, signature blocks


def _plain(value: Any, kind: Kind = "text") -> Any:
    if value is None:
        return ""
    if kind == "percent" and isinstance(value, Decimal | float | int):
        return f"{Decimal(str(value)):.2%}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def csv_bytes(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in table.columns])
    for row in table.rows:
        writer.writerow(
            [csvsafe.cell(_plain(v, c.kind)) for c, v in zip(table.columns, row, strict=True)]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


_CELLS: dict[str, workbook.Kind] = {
    "text": "text",
    "money": "number",
    "percent": "number",
    "whole": "number",
    "date": "date",
}


def _shown(table: Table, sums: list[Decimal]) -> Iterator[tuple[Any, ...]]:
    """The table's rows as its sheet shows them (an empty text an empty cell), adding up the
    columns `in_totals` into `sums` on the way."""
    totalled = [col for col, column in enumerate(table.columns) if column.in_totals]
    for values in table.rows:
        for col in totalled:
            if isinstance(values[col], Decimal | int):
                sums[col] += values[col]
        yield tuple(None if value is None or value == "" else value for value in values)


def xlsx_bytes(*tables: Table) -> bytes:
    """One sheet per table, as a clerk prints it: the title and notes, a frozen, filtered
    header row, amounts as numbers to the fen with thousands separators, dates as dates,
    rates as percents, the totals row and the lines after (workbook.Book sets widths from the
    content, A4 landscape and the page footer)."""
    book = Book()
    bold = book.style(bold=True)
    title = book.style(bold=True, font_size=14)
    header = book.style(bold=True, bg_color="#EEEEEE", border=1, text_wrap=True)
    styles: dict[str, Any] = {
        "money": book.style(num_format="#,##0.00"),
        "percent": book.style(num_format="0.00%"),
        "whole": book.style(num_format="0"),
    }
    total_styles = {
        "money": book.style(num_format="#,##0.00", bold=True),
        "whole": book.style(num_format="0", bold=True),
    }
    for table in tables:
        sheet = book.sheet(table.sheet)
        row = 0
        if table.title:
            sheet.line(row, table.title, title)
            row += 1
        for note in table.notes:
            sheet.line(row, note)
            row += 1
        sheet.header(row, [c.header for c in table.columns], header)
        sums = [Decimal(0) for _ in table.columns]
        cells = [Cells(_CELLS[c.kind], styles.get(c.kind)) for c in table.columns]
        row = sheet.rows(row + 1, cells, _shown(table, sums))
        sheet.end_table(row)
        if table.totals:
            row += 1
            sheet.cell(row, 0, "合计", bold)
            for col, column in enumerate(table.columns):
                if column.in_totals:
                    sheet.cell(row, col, sums[col], total_styles.get(column.kind, bold))
        row += 1
        for line in table.after:
            row += 1
            sheet.line(row, line, bold if line.endswith("：") else None)
    return book.bytes()


def file_response(table: Table | tuple[Table, ...], form: Format, name: str) -> Response:
    """The table as a download named `name` (without extension): a workbook has a sheet per
    table, a CSV the first."""
    every = table if isinstance(table, tuple) else (table,)
    if form == "xlsx":
        body, media_type, ext = xlsx_bytes(*every), XLSX_MEDIA_TYPE, "xlsx"
    else:
        body, media_type, ext = csv_bytes(every[0]), CSV_MEDIA_TYPE + "; charset=utf-8", "csv"
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}.{ext}"'},
    )


# What a file twin leaves out of its list's parameters: the form is its path's, and a file
# holds the whole list, not a page.
_NOT_FOR_FILES = ("format", "cursor", "limit", "totals")
FILE_FORMS: dict[str, str] = {"xlsx": XLSX_MEDIA_TYPE, "csv": CSV_MEDIA_TYPE}
# The twins registered, as `(operation, form)`: app/apidoc.py names them after their list.
TWINS: list[tuple[str, str]] = []


def file_twins(router: APIRouter, path: str, endpoint: Callable[..., Any]) -> None:
    """`{path}.xlsx` and `{path}.csv` beside a list that answers JSON by default: the same
    filters and roles, but declared as nothing but a file (binary), so a client generated from
    the API document saves it rather than parse it as the list's JSON (which a generator, taking
    an operation's first content type, would). Operation ids `{list}_xlsx`, `{list}_csv`."""
    hints = get_type_hints(endpoint, include_extras=True)
    signature = inspect.signature(endpoint)
    kept = [
        parameter.replace(annotation=hints.get(name, parameter.annotation))
        for name, parameter in signature.parameters.items()
        if name not in _NOT_FOR_FILES
    ]
    name = endpoint.__name__
    for form, media_type in FILE_FORMS.items():

        def twin(*args: Any, _form: str = form, **kwargs: Any) -> Any:
            return endpoint(*args, format=_form, **kwargs)

        twin.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=kept, return_annotation=Response
        )
        twin.__name__ = f"{name}_{form}"
        twin.__doc__ = (endpoint.__doc__ or "") + f"\n\nThe whole list as one {form} file."
        route = next(r for r in router.routes if getattr(r, "endpoint", None) is endpoint)
        router.add_api_route(
            f"{path}.{form}",
            twin,
            methods=["GET"],
            response_class=Response,
            operation_id=twin.__name__,
            tags=list(getattr(route, "tags", []) or []),
            dependencies=list(getattr(route, "dependencies", []) or []),
            responses={
                200: {"content": {media_type: _BINARY}, "description": "the file"},
                **{k: v for k, v in getattr(route, "responses", {}).items() if k != 200},
            },
        )
        TWINS.append((name, form))
