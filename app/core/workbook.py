"""Workbooks the service writes (issue 26): one way to open one and one way to write a cell,
for every sheet (lists, claims, reports, row errors).

A text is always a text cell, whatever it starts with: a member named `=HYPERLINK(...)` is that
name on the form a finance department signs, never a formula, a number or a link, and a name
that looks like XML is that text, never markup. Numbers are number cells and dates date cells.
Sheets a clerk prints (issue 28): widths from the content, a frozen and filtered header row
repeated on each page, A4 landscape, a footer with page numbers.

XlsxWriter writes the book (its styles, layout, print settings and package); this module writes
the cells' XML itself, a row at a time into the sheet's stream of rows (XlsxWriter's
constant-memory mode, through a temporary file). XlsxWriter's own cell path wrote a text that
starts with `<r>` and ends with `</r>` unescaped, as rich-text markup, which broke the file; and a
long table (a claim's 10,000 lines, 180,000 cells) took it about a second, where `Sheet.rows`,
its cells made a column at a time, takes about 0.11 s (the book 0.15 s in all, its zip
deflated at zlib's level 1). Numbers are written as XlsxWriter wrote them. The internals used
are pinned with XlsxWriter's version: the sheet's stream (`fh`), its dimensions
(`_check_dimensions`), a style's index (`_get_xf_index`) and the module's `ZipFile`.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import islice, repeat
from operator import is_
from typing import IO, Any, Literal

import xlsxwriter
import xlsxwriter.workbook
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

__all__ = ["Book", "Cells", "Format", "Sheet", "TooManyRows"]

_OPTIONS = {
    "constant_memory": True,
    "in_memory": False,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


class _QuickZip(zipfile.ZipFile):
    """The book's package deflated at zlib's level 1, not its default 6: a claim form's 10,000
    lines (7.8 MB of sheet XML) deflate in 25 ms rather than 77 ms, into 0.91 MB rather than
    0.70 MB. XlsxWriter has no setting for the level; its module's `ZipFile` is this one."""

    def __init__(
        self, file: IO[bytes], mode: Literal["w"], *, compression: int, allowZip64: bool
    ) -> None:  # as XlsxWriter's book opens its package
        super().__init__(file, mode, compression, allowZip64, compresslevel=1)


xlsxwriter.workbook.ZipFile = _QuickZip


def shown_width(value: Any) -> int:
    """About how many character widths a cell's text takes (a Chinese character two)."""
    if isinstance(value, Decimal | float):
        text = f"{value:,.2f}"
    elif isinstance(value, datetime | date):
        text = "2027-03-10"
    else:
        text = str(value)
    return len(text) if text.isascii() else len(text.translate(_WIDTHS))


class _Widths(dict[int, str]):
    """A character's width on screen as that many spaces, for `str.translate`: a wide or
    full-width character (a Chinese one) two, any other one; the first 65,536 characters
    seen are kept."""

    def __missing__(self, char: int) -> str:
        shown = "  " if unicodedata.east_asian_width(chr(char)) in "WF" else " "
        if len(self) < 65_536:
            self[char] = shown
        return shown


_WIDTHS = _Widths()


Kind = Literal["text", "number", "date"]


@dataclass(frozen=True, slots=True)
class Cells:
    """What a long table's column holds (`Sheet.rows`), its cells' style, and what a cell
    shows of its row's value (`shown`, given the column's values a chunk at a time)."""

    kind: Kind = "text"
    style: Format | None = None
    shown: Callable[[Any], Any] | None = None


class TooManyRows(ValueError):
    """Rows past the sheet's last (Excel's limit): never cut silently."""


ROW_LIMIT, COLUMN_LIMIT = 1_048_576, 16_384  # a sheet's rows and columns in Excel
_TEXT_LIMIT = 32_767  # a cell's characters (UTF-16 units) in Excel
# Rows formatted and measured at a time: a streamed table's first chunk is written while the
# rest still come (a claim form waited 47–63 ms for its first 2,000 lines, 26–36 for 500).
_CHUNK = 500
_EPOCH_DAY = date(1899, 12, 30).toordinal()  # Excel's day 0 (past February 1900)
# What a text needs beyond the plain path: XML's three, the characters XML does not allow
# (control characters and U+FFFE, U+FFFF), which Excel writes as _xHHHH_, a literal _xHHHH_
# (whose underscore Excel escapes, as XlsxWriter did), and a lone surrogate (written "?").
_CARE = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_LITERAL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f\ufffe\uffff])")  # not allowed in XML


def _careful_text(text: str) -> str:
    if len(text) > _TEXT_LIMIT // 2:  # at most 32,767 UTF-16 units, as Excel holds
        text = text.encode("utf-16-le", "replace")[: 2 * _TEXT_LIMIT].decode("utf-16-le", "ignore")
    text = text.encode("utf-8", "replace").decode("utf-8")  # a lone surrogate: "?"
    text = _LITERAL_ESCAPE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text(value: Any) -> str:
    text = str(value)
    if _CARE.search(text) is None and len(text) <= _TEXT_LIMIT // 2:
        return text
    return _careful_text(text)


# A number as Excel reads it, a double, written to 16 significant digits as XlsxWriter wrote it;
# a decimal or an integer of up to 15 digits (an amount) is that double's text as it is, and is
# written so, five times faster.
_NUMBER_TEXT = "{:.16G}".format
_EXACT = frozenset({Decimal, int})
# NaN, sNaN, Infinity (a decimal's text), NAN, INF (a float's): not a number cell
_NOT_FINITE = re.compile("[NnIi]")


def _number(value: Any) -> str:
    if isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"not a number for a number cell: {value!r}")
    return _NUMBER_TEXT(float(value))


def _date(value: date) -> str:
    days = value.toordinal() - _EPOCH_DAY  # a moment's wall-clock date and time, as written
    if isinstance(value, datetime):
        seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
        return repr(days + seconds / 86_400)
    return str(days)


_CONVERT: dict[str, Callable[[Any], str]] = {"text": _text, "number": _number, "date": _date}
_TYPES: dict[str, frozenset[type]] = {  # what a column of each kind takes, or None (empty)
    "text": frozenset({str, type(None)}),
    "number": frozenset({Decimal, int, float, type(None)}),
    "date": frozenset({date, datetime, type(None)}),
}


def _column_xml(kind: Kind, values: Sequence[Any]) -> list[str] | None:
    """A chunk of one column's values as its cells' XML text, a column at a time, texts escaped
    only where one needs it ("" for an empty cell); None if a value is not of the column's kind
    (a text a string, a number a finite number, a date a date) or empty."""
    types = set(map(type, values))
    if not types <= _TYPES[kind]:
        return None
    present = [v for v in values if v is not None]
    if kind == "number":
        texts = list(map(str, values)) if types <= _EXACT else []
        if not texts or max(map(len, texts)) > 16:  # 15 digits at most: the double's own
            texts = [_NUMBER_TEXT(float(v)) if v is not None else "" for v in values]
        return None if _NOT_FINITE.search("".join(texts)) else texts
    if kind == "date":
        return [_date(v) if v is not None else "" for v in values]
    if _CARE.search("".join(present)) or max(map(len, present), default=0) > _TEXT_LIMIT // 2:
        return [_text(v) if v is not None else "" for v in values]
    return list(values) if len(present) == len(values) else [v or "" for v in values]


def _column_cells(
    kind: Kind,
    letter: str,
    style: str,
    numbers: list[str],
    texts: list[str],
    empty: list[bool] | None,
) -> list[str]:
    """A column's cells in a chunk, each with its row's number ("" for an empty cell, where
    `empty` says which are); an inline text that starts or ends with a space keeps it in every
    cell of the chunk."""
    spaced = kind == "text" and list(map(str.strip, texts)) != texts  # any `_spaced`
    before, rest = _cell_xml(kind, f"{letter}\x00", style, "\x01", spaced).split("\x00")
    middle, after = rest.split("\x01")
    if empty is not None:
        return [
            "" if gap else f"{before}{n}{middle}{t}{after}"
            for n, t, gap in zip(numbers, texts, empty, strict=True)
        ]
    return [f"{before}{n}{middle}{t}{after}" for n, t in zip(numbers, texts, strict=True)]


def _chunk_rows(
    first: int,
    columns: Sequence[tuple[Kind, str, str]],
    values: list[tuple[Any, ...]],
    gaps: list[bool],
) -> list[str] | None:
    """A chunk's rows (given by column: its kind, letter and style, and whether it has an
    empty cell) from row `first` on, made a column at a time ("" for a row whose every cell is
    empty, which is not written); None if a value does not fit its column."""
    texts = []
    for (kind, _, _), column in zip(columns, values, strict=True):
        xml = _column_xml(kind, column)
        if xml is None:
            return None
        texts.append(xml)
    numbers = list(map(str, range(first + 1, first + 1 + len(values[0]))))
    empty = [
        [value is None for value in column] if gap else None
        for column, gap in zip(values, gaps, strict=True)
    ]
    cells = [
        _column_cells(kind, letter, style, numbers, xml, gaps)
        for (kind, letter, style), xml, gaps in zip(columns, texts, empty, strict=True)
    ]
    rows = zip(numbers, map("".join, zip(*cells, strict=True)), strict=True)
    if not any(gaps):
        return [f'<row r="{n}">{row}</row>' for n, row in rows]
    return [f'<row r="{n}">{row}</row>' if row else "" for n, row in rows]


def _spaced(text: str) -> bool:
    """Whether a text starts or ends with a space, which XML keeps only if told to."""
    return text != text.strip()


def _kind(value: Any) -> Kind:
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return "number"
    return "date" if isinstance(value, date) else "text"


def _cell_xml(kind: str, ref: str, style: str, value: str, spaced: bool = False) -> str:
    """One cell; an inline text that starts or ends with a space keeps it (`xml:space`)."""
    if kind == "text":
        space = ' xml:space="preserve"' if spaced else ""
        return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{value}</t></is></c>'
    return f'<c r="{ref}"{style}><v>{value}</v></c>'


class Sheet:
    """A worksheet that writes values, never formulas, a row at a time and downwards. It keeps
    each column's widest text, so the book sets widths from the content when it closes; a
    table's header row is frozen, filtered and repeated on every printed page."""

    MIN_WIDTH, MAX_WIDTH = 6, 60

    def __init__(self, sheet: Worksheet, date_style: Format) -> None:
        self._sheet = sheet
        self._date = date_style
        self._widths: dict[int, int] = {}
        self._header: tuple[int, int] | None = None  # (row, last column)
        self._row = -1  # the row being written (its cells in `_cells`), or the last written
        self._cells: dict[int, str] = {}
        self._wide_cells: set[tuple[int, int]] = set()

    def cell(self, row: int, col: int, value: Any, style: Format | None = None) -> None:
        if value is None:
            return
        if not (0 <= row < ROW_LIMIT and 0 <= col < COLUMN_LIMIT):
            raise ValueError(f"no cell ({row}, {col}) in a sheet")
        if row != self._row:
            if row < self._row:
                raise ValueError(f"row {row} is above row {self._row}, already written")
            self._write_row()
            self._row = row
        if (row, col) not in self._wide_cells:
            self._widths[col] = max(self._widths.get(col, 0), shown_width(value))
        kind = _kind(value)
        ref, spaced = f"{xl_col_to_name(col)}{row + 1}", kind == "text" and _spaced(str(value))
        xml = _CONVERT[kind](value)
        self._cells[col] = _cell_xml(kind, ref, self._style(kind, style), xml, spaced)

    def _write_row(self) -> None:
        if not self._cells:
            return
        self._sheet._check_dimensions(self._row, min(self._cells))
        self._sheet._check_dimensions(self._row, max(self._cells))
        cells = "".join(self._cells[col] for col in sorted(self._cells))
        self._sheet.fh.write(f'<row r="{self._row + 1}">{cells}</row>')
        self._cells = {}

    def _style(self, kind: Kind, style: Format | None) -> str:
        style = style or (self._date if kind == "date" else None)
        return "" if style is None else f' s="{style._get_xf_index()}"'

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

    def rows(
        self,
        first_row: int,
        columns: Sequence[Cells],
        rows: Iterable[Sequence[Any]],
        seen: Callable[[list[tuple[Any, ...]]], None] | None = None,
    ) -> int:
        """A long table's rows from `first_row` on, column A on, below all that is written (its
        header), a chunk of rows at a time. A chunk whose every cell is empty (None) or of its
        column's kind (a text a string, a number a finite number, a date a date) is written a
        column at a time, each column's cells made at once; any other chunk (a number in a
        text column, say) cell by cell, as `cell` writes it. `seen`, given, is shown each
        chunk's values by column as given, once written (a reader tallying them). Rows past
        the sheet's last raise `TooManyRows`. Returns the last row written."""
        if first_row <= self._row:
            raise ValueError(f"row {first_row} is not below row {self._row}, already written")
        kinds = [
            (c.kind, xl_col_to_name(col), self._style(c.kind, c.style))
            for col, c in enumerate(columns)
        ]
        row, source = first_row - 1, iter(rows)
        while chunk := list(islice(source, _CHUNK)):
            if row + len(chunk) >= ROW_LIMIT:
                raise TooManyRows(f"more than {ROW_LIMIT:,} rows for one sheet")
            given = list(zip(*chunk, strict=True))
            if len(given) != len(columns):
                raise ValueError(f"rows of {len(given)} cells for {len(columns)} columns")
            values = [
                v if c.shown is None else tuple(map(c.shown, v))
                for c, v in zip(columns, given, strict=True)
            ]
            gaps = [any(map(is_, column, repeat(None))) for column in values]
            xml = _chunk_rows(row + 1, kinds, values, gaps)
            if xml is not None:
                self._write_row()
                self._sheet.fh.write("".join(xml))
                self._measure(columns, values, gaps)
                self._dimensions([n for n, x in enumerate(xml, row + 1) if x], values, gaps)
            else:
                for n, cells in enumerate(zip(*values, strict=True), start=row + 1):
                    for col, (column, value) in enumerate(zip(columns, cells, strict=True)):
                        self.cell(n, col, value, column.style)
            if seen is not None:
                seen(given)
            row += len(chunk)
        return row

    def _dimensions(
        self, written: list[int], values: list[tuple[Any, ...]], gaps: list[bool]
    ) -> None:
        """The sheet's used range takes in the rows written and the columns with a cell."""
        filled = [
            col
            for col, (column, gap) in enumerate(zip(values, gaps, strict=True))
            if not gap or not all(map(is_, column, repeat(None)))
        ]
        if written:
            self._sheet._check_dimensions(written[0], filled[0])
            self._sheet._check_dimensions(written[-1], filled[-1])
            self._row = written[-1]

    def _measure(
        self, columns: Sequence[Cells], chunk: list[tuple[Any, ...]], gaps: list[bool]
    ) -> None:
        """Each column's widest text in a chunk (given by column, with whether it has an empty
        cell; every value of its column's kind): numbers of one type from their largest and
        smallest, ASCII texts from their lengths at once (as `shown_width` counts them)."""
        for col, (cells, values, gap) in enumerate(zip(columns, chunk, gaps, strict=True)):
            present = [v for v in values if v is not None] if gap else values
            if not present:
                continue
            if cells.kind == "number" and len(set(map(type, present))) == 1:
                widest = max(shown_width(max(present)), shown_width(min(present)))
            elif cells.kind == "text" and "".join(present).isascii():
                widest = max(map(len, present))
            else:
                widest = max(map(shown_width, set(present)))
            self._widths[col] = max(self._widths.get(col, 0), widest)

    def widths(self, first: int, last: int, width: float) -> None:
        """At least this wide (the content may make a column wider)."""
        for col in range(first, last + 1):
            self._widths[col] = max(self._widths.get(col, 0), int(width))

    def finish(self) -> None:
        """The last row; widths from the content; A4 landscape, a page wide, the footer
        numbering pages."""
        self._write_row()
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
