"""The workbook module writes its cells' XML itself (app/core/workbook.py): a cell at a time
(`Sheet.cell`) or a long table from a row template (`Sheet.rows`). Both must give the same
file a reader sees, whatever the text holds. Read back with python-calamine, the reader the
service itself uses for uploads, and from the sheet's own XML."""

from __future__ import annotations

import io
import zipfile
import zlib
from datetime import date
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from app.core import workbook
from app.core.workbook import Book, Cells

HOSTILE = [
    "<r>bad</r>",  # XlsxWriter wrote this unescaped, as rich-text markup: a broken file
    "<r><t>x</t></r>",
    "_x0041_",  # a literal escape, kept literal
    "a\x01b\x1fc\rd",  # control characters, written as _xHHHH_
    " leading",
    "trailing ",
    "&amp; <t> \"quoted\" 'single'",
    '=HYPERLINK("http://x")',
    "欧阳长名字　全角空格",
    "",
]
KINDS: list[workbook.Kind] = ["text", "number", "date", "number", "text"]
texts = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(exclude_categories=("Cs", "Cn")), max_size=12),
)
numbers = st.one_of(
    st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False),
    st.integers(min_value=-(10**6), max_value=10**6),
)
dates = st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31))
VALUES = {"text": texts, "number": numbers, "date": dates}
full = st.tuples(*[VALUES[kind] for kind in KINDS])  # written from the template
gappy = st.tuples(*[st.one_of(st.none(), VALUES[kind]) for kind in KINDS])  # cell by cell
rows = st.lists(st.one_of(full, full, gappy), min_size=0, max_size=30)


def _two_ways(table: list[tuple[Any, ...]], chunk: int) -> bytes:
    """The same header and table on sheet `cells` a cell at a time and on `rows` from the
    template, with a line under each."""
    book = Book()
    money = book.style(num_format="#,##0.00")
    columns = [Cells(kind, money if kind == "number" else None) for kind in KINDS]
    headers = [f"列{i}" for i in range(len(KINDS))]
    by_cell, by_rows = book.sheet("cells"), book.sheet("rows")
    for sheet in (by_cell, by_rows):
        sheet.header(0, headers)
    for row, values in enumerate(table, start=1):
        for col, (cells, value) in enumerate(zip(columns, values, strict=True)):
            by_cell.cell(row, col, value, cells.style)
    workbook._CHUNK, kept = chunk, workbook._CHUNK
    try:
        last = by_rows.rows(1, columns, table)
    finally:
        workbook._CHUNK = kept
    assert last == len(table)
    for sheet in (by_cell, by_rows):
        sheet.end_table(last)
        sheet.line(last + 2, "填报人：")
    return book.bytes()


def _sheet_xml(book: bytes, number: int) -> ElementTree.Element:
    with zipfile.ZipFile(io.BytesIO(book)) as z:
        return ElementTree.fromstring(z.read(f"xl/worksheets/sheet{number}.xml"))


def _cells(root: ElementTree.Element) -> dict[str, tuple[str | None, str | None]]:
    """Each cell's reference: its style and type."""
    return {c.attrib["r"]: (c.get("s"), c.get("t")) for c in root.iter() if c.tag.endswith("}c")}


def _expected(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Decimal | int):
        return float(value)
    return value


@settings(max_examples=60, deadline=None)
@given(table=rows, chunk=st.integers(min_value=1, max_value=7))
def test_a_long_table_reads_back_as_written_cell_by_cell(
    table: list[tuple[Any, ...]], chunk: int
) -> None:
    book = _two_ways(table, chunk)
    read = CalamineWorkbook.from_filelike(io.BytesIO(book))
    by_cell = read.get_sheet_by_name("cells").to_python()
    by_rows = read.get_sheet_by_name("rows").to_python()
    assert by_rows == by_cell
    for values, got in zip(table, by_rows[1:], strict=False):
        assert [_expected(v) for v in values] == list(got) + [""] * (len(values) - len(got))
    cell_xml, rows_xml = _sheet_xml(book, 1), _sheet_xml(book, 2)
    assert _cells(rows_xml) == _cells(cell_xml)  # same cells, styles and types
    widths = [
        [col.attrib for col in root.iter() if col.tag.endswith("}col")]
        for root in (cell_xml, rows_xml)
    ]
    assert widths[0] == widths[1]
    dimension = [
        next(e.attrib["ref"] for e in root.iter() if e.tag.endswith("}dimension"))
        for root in (cell_xml, rows_xml)
    ]
    assert dimension[0] == dimension[1]


def test_a_chunk_that_fits_its_columns_is_written_from_the_template(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sheet = Book().sheet("t")
    sheet.header(0, ["文本", "金额", "日期"])

    def by_cell(*_: object) -> None:
        raise AssertionError("written cell by cell")

    monkeypatch.setattr(sheet, "cell", by_cell)
    table = [("中", Decimal("1.00"), date(2027, 3, 1))] * 4 + [("空", None, None)]
    assert sheet.rows(1, [Cells(), Cells("number"), Cells("date")], table) == 5


def test_a_text_that_looks_like_markup_is_that_text_in_a_well_formed_sheet() -> None:
    book = Book()
    sheet = book.sheet("名单")
    sheet.cell(0, 0, "<r>bad</r>")
    sheet.cell(0, 1, "<r><t>injected</t></r>")
    data = book.bytes()
    root = _sheet_xml(data, 1)  # parses: the file is not broken
    assert [t.text for t in root.iter() if t.tag.endswith("}t")] == [
        "<r>bad</r>",
        "<r><t>injected</t></r>",
    ]
    assert not [r for r in root.iter() if r.tag.endswith("}r")]  # no rich-text run
    read = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("名单")
    assert read.to_python() == [["<r>bad</r>", "<r><t>injected</t></r>"]]


def test_what_xml_cannot_hold_is_escaped_as_excel_does() -> None:
    book = Book()
    book.sheet("t").rows(0, [Cells()], [("a\ufffeb\x00c",), ("x\ud800y",)])
    data = book.bytes()
    texts = [t.text for t in _sheet_xml(data, 1).iter() if t.tag.endswith("}t")]
    assert texts == ["a_xFFFE_b_x0000_c", "x?y"]


def test_a_cell_not_of_its_column_s_kind_is_written_as_cell_writes_it() -> None:
    """A text in a number column, a number in a text column, True: the chunk goes cell by
    cell, each written by its value (a bool as its text); a number that is not finite is
    refused wherever it is."""
    book = Book()
    sheet = book.sheet("t")
    table = [(Decimal("1.50"), "a"), ("12.00", 7), (True, date(2027, 3, 1))]
    assert sheet.rows(0, [Cells("number"), Cells()], table) == 2
    read = CalamineWorkbook.from_filelike(io.BytesIO(book.bytes())).get_sheet_by_name("t")
    assert read.to_python() == [[1.5, "a"], ["12.00", 7.0], ["True", date(2027, 3, 1)]]
    for value in (Decimal("NaN"), float("inf")):
        with pytest.raises(ValueError, match="not a number"):
            Book().sheet("t").rows(0, [Cells("number")], [(Decimal("1.00"),), (value,)])


def test_a_reader_is_shown_each_chunk_as_given_once_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`seen` gets every chunk's values by column, before `shown` and whichever way the chunk
    was written (the second chunk has a number in a text column: cell by cell)."""
    monkeypatch.setattr(workbook, "_CHUNK", 2)
    table = [("a", 1), ("b", 2), (3, 3), ("d", None), ("e", 5)]
    chunks: list[list[tuple[Any, ...]]] = []
    sheet = Book().sheet("t")
    columns = [Cells(shown=lambda v: str(v).upper()), Cells("number")]
    sheet.rows(0, columns, table, seen=chunks.append)
    assert chunks == [[("a", "b"), (1, 2)], [(3, "d"), (3, None)], [("e",), (5,)]]


def test_rows_go_down_and_stay_within_a_sheet(monkeypatch: pytest.MonkeyPatch) -> None:
    sheet = Book().sheet("t")
    sheet.cell(3, 0, "表头")
    with pytest.raises(ValueError, match="already written"):
        sheet.rows(3, [Cells()], [("x",)])
    with pytest.raises(ValueError, match="already written"):
        sheet.cell(2, 0, "above")
    with pytest.raises(ValueError, match="cells for 1 columns"):
        sheet.rows(4, [Cells()], [("x", "y")])
    monkeypatch.setattr(workbook, "ROW_LIMIT", 10)
    with pytest.raises(workbook.TooManyRows, match="more than 10 rows"):
        Book().sheet("t").rows(1, [Cells()], [("x",)] * 10)
    with pytest.raises(ValueError, match="no cell"):
        Book().sheet("t").cell(10, 0, "x")


def test_a_long_text_is_cut_at_excel_s_limit_as_before() -> None:
    book = Book()
    book.sheet("t").rows(0, [Cells()], [("中" * 40_000,)])
    read = CalamineWorkbook.from_filelike(io.BytesIO(book.bytes())).get_sheet_by_name("t")
    assert read.to_python() == [["中" * 32_767]]


def test_widths_count_a_chinese_character_twice() -> None:
    assert workbook.shown_width("张三 4201**1234") == 15
    assert workbook.shown_width("ｱé") == 2  # half-width katakana and a Latin letter: one each
    assert workbook.shown_width(Decimal("-1234567.891")) == len("-1,234,567.89")
    assert workbook.shown_width(date(2027, 3, 10)) == len("2027-03-10")


def test_numbers_are_written_as_the_doubles_excel_reads_to_16_digits() -> None:
    """An amount as it is; a ratio of 28 digits, a float or a large integer to 16 significant
    digits, as XlsxWriter wrote them (the files are the same as before the module wrote cells)."""
    book = Book()
    values = [Decimal("41234.56"), Decimal("0.0026389110088892963"), 0.1 + 0.2, 10**17 + 1]
    book.sheet("rows").rows(0, [Cells("number")], [(v,) for v in values])
    sheet = book.sheet("cells")
    for row, value in enumerate(values):
        sheet.cell(row, 0, value)
    data = book.bytes()
    for number in (1, 2):
        written = [v.text for v in _sheet_xml(data, number).iter() if v.tag.endswith("}v")]
        assert written == ["41234.56", "0.002638911008889296", "0.3", "1E+17"]


def test_the_package_is_deflated_at_zlib_s_fastest_level() -> None:
    """Level 1, not XlsxWriter's default 6 (the book's zip writes a long sheet three times
    faster): each part's compressed size is what raw deflate at level 1 gives its bytes."""
    book = Book()
    book.sheet("t").rows(0, [Cells(), Cells("number")], [(f"第{n}行", n) for n in range(3_000)])
    with zipfile.ZipFile(io.BytesIO(book.bytes())) as package:
        for part in package.infolist():
            data = package.read(part)
            deflate = zlib.compressobj(1, zlib.DEFLATED, -15)
            assert part.compress_type == zipfile.ZIP_DEFLATED
            assert part.compress_size == len(deflate.compress(data) + deflate.flush()), part
