"""Workbooks the service writes (issue 26): one way to open one and one way to write a cell,
for every sheet (lists, claims, reports, row errors).

A text is always a string cell, whatever it starts with: a member named `=HYPERLINK(...)` is
that name on the form a finance department signs, never a formula, a number or a link (the
book is opened with XlsxWriter's conversions off, and text goes through `write_string` only).
Numbers are number cells; dates are written as their ISO text, as the CSV exports write them.
Books are written in constant-memory mode, a row at a time, through a temporary file.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime
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


class Sheet:
    """A worksheet that writes values, never formulas."""

    def __init__(self, sheet: Worksheet) -> None:
        self._sheet = sheet

    def cell(self, row: int, col: int, value: Any, style: Format | None = None) -> None:
        if value is None:
            return
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            self._sheet.write_number(row, col, float(value), style)
        elif isinstance(value, datetime | date):
            self._sheet.write_string(row, col, value.isoformat(), style)
        else:
            self._sheet.write_string(row, col, str(value), style)

    def row(self, row: int, col: int, values: Iterable[Any], style: Format | None = None) -> None:
        for offset, value in enumerate(values):
            self.cell(row, col + offset, value, style)

    def widths(self, first: int, last: int, width: float) -> None:
        self._sheet.set_column(first, last, width)


class Book:
    """A workbook being written; `bytes()` closes it and gives the file."""

    def __init__(self) -> None:
        self._out = io.BytesIO()
        self._book = xlsxwriter.Workbook(self._out, _OPTIONS)

    def style(self, **properties: Any) -> Format:
        return self._book.add_format(properties)

    def sheet(self, name: str) -> Sheet:
        return Sheet(self._book.add_worksheet(name))

    def bytes(self) -> bytes:
        self._book.close()
        return self._out.getvalue()
