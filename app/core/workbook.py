"""Workbooks the service writes (issue 26): one way to open one and one way to write a cell,
for every sheet (lists, claims, reports, row errors).

A text is always a string cell, whatever it starts with: a member named `=HYPERLINK(...)` is
that name on the form a finance department signs, never a formula, a number or a link (the
book is opened with XlsxWriter's conversions off, and text goes through `write_string` only).
Numbers are number cells and dates date cells. Sheets a clerk prints (issue 28): widths from
the content, a frozen and filtered header row repeated on each page, A4 landscape, a footer
with page numbers. Books are written in constant-memory mode, a row at a time, through a
temporary file.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

__all__ = ["Book", "Format", "Sheet"]

_OPTIONS = {
    "constant_memory": True,
    "in_memory": False,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


def shown_width(value: Any) -> int:
    """About how many character widths a cell's text takes (a Chinese character two)."""
    if isinstance(value, Decimal | float):
        text = f"{value:,.2f}"
    elif isinstance(value, datetime | date):
        text = "2027-03-10"
    else:
        text = str(value)
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


class Sheet:
    """A worksheet that writes values, never formulas. It keeps each column's widest text, so
    the book sets widths from the content when it closes; a table's header row is frozen,
    filtered and repeated on every printed page."""

    MIN_WIDTH, MAX_WIDTH = 6, 60

    def __init__(self, sheet: Worksheet, date_style: Format) -> None:
        self._sheet = sheet
        self._date = date_style
        self._widths: dict[int, int] = {}
        self._header: tuple[int, int] | None = None  # (row, last column)
        self._last_row = 0
        self._wide_cells: set[tuple[int, int]] = set()

    def cell(self, row: int, col: int, value: Any, style: Format | None = None) -> None:
        if value is None:
            return
        self._last_row = max(self._last_row, row)
        if (row, col) not in self._wide_cells:
            self._widths[col] = max(self._widths.get(col, 0), shown_width(value))
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            self._sheet.write_number(row, col, float(value), style)
        elif isinstance(value, datetime | date):
            moment = value if isinstance(value, datetime) else datetime.combine(value, time())
            self._sheet.write_datetime(row, col, moment.replace(tzinfo=None), style or self._date)
        else:
            self._sheet.write_string(row, col, str(value), style)

    def line(self, row: int, text: str, style: Format | None = None) -> None:
        """A line of text across the sheet (a title, a note, a signature): it spills over the
        columns to its right and leaves their widths alone."""
        self._wide_cells.add((row, 0))
        self.cell(row, 0, text, style)

    def row(self, row: int, col: int, values: Iterable[Any], style: Format | None = None) -> None:
        for offset, value in enumerate(values):
            self.cell(row, col + offset, value, style)

    def header(self, row: int, headers: Sequence[str], style: Format | None = None) -> None:
        """A table's header row: frozen below it, filtered, repeated on each printed page."""
        self.row(row, 0, headers, style)
        self._header = (row, len(headers) - 1)
        self._sheet.freeze_panes(row + 1, 0)
        self._sheet.repeat_rows(row)

    def end_table(self, last_row: int) -> None:
        """The filter over the header and the rows below it, up to `last_row`."""
        if self._header is not None:
            first, last_col = self._header
            self._sheet.autofilter(first, 0, max(first, last_row), last_col)

    def widths(self, first: int, last: int, width: float) -> None:
        """At least this wide (the content may make a column wider)."""
        for col in range(first, last + 1):
            self._widths[col] = max(self._widths.get(col, 0), int(width))

    def finish(self) -> None:
        """Widths from the content; A4 landscape, a page wide, the footer numbering pages."""
        for col, width in self._widths.items():
            self._sheet.set_column(col, col, min(max(width + 2, self.MIN_WIDTH), self.MAX_WIDTH))
        self._sheet.set_landscape()
        self._sheet.set_paper(9)  # A4
        self._sheet.fit_to_pages(1, 0)
        self._sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
        self._sheet.set_footer("&C第 &P 页，共 &N 页")


class Book:
    """A workbook being written; `bytes()` finishes its sheets, closes it and gives the file.
    Dates are date cells (yyyy-mm-dd); `styles` has the formats every report uses."""

    def __init__(self) -> None:
        self._out = io.BytesIO()
        self._book = xlsxwriter.Workbook(self._out, _OPTIONS)
        self._sheets: list[Sheet] = []
        self._date = self.style(num_format="yyyy-mm-dd")

    def style(self, **properties: Any) -> Format:
        return self._book.add_format(properties)

    def sheet(self, name: str) -> Sheet:
        sheet = Sheet(self._book.add_worksheet(name), self._date)
        self._sheets.append(sheet)
        return sheet

    def bytes(self) -> bytes:
        for sheet in self._sheets:
            sheet.finish()
        self._book.close()
        return self._out.getvalue()
