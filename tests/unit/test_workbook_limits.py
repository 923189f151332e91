"""The workbook check (issue 26) on files built by hand: what a reader would be asked to
allocate is refused whatever part it hides in, and an ordinary workbook passes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import xlsxwriter

from app.core import workbook_limits
from app.core.problems import Problem
from tests import hostile_files

LIMITS = workbook_limits.Limits(
    cells=1_000, part_bytes=1 << 20, ratio=100, shared_strings=500, text_chars=10_000
)


def _check(tmp_path: Path, body: bytes) -> workbook_limits.Shape:
    path = tmp_path / "book.xlsx"
    path.write_bytes(body)
    return workbook_limits.check_workbook(str(path), LIMITS)


def _refused(tmp_path: Path, body: bytes) -> str:
    with pytest.raises(Problem) as refused:
        _check(tmp_path, body)
    assert refused.value.status == 413
    return refused.value.detail.zh


def test_an_ordinary_workbook_passes_and_gives_its_rows(tmp_path: Path) -> None:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    for row in range(100):
        sheet.write_row(row, 0, [f"第{row}行", row, "张三"])
    book.close()
    assert _check(tmp_path, out.getvalue()).rows == 99


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (hostile_files.far_cell("B1000"), "单元格区域达 2,000 个"),
        (hostile_files.declared("A1:AA100"), "声明的单元格区域达 2,700 个"),
        (hostile_files.disguised_sheet("XFD1048576"), "单元格区域"),
        (hostile_files.shared_string_bomb(200, 100), "单元格文字合计超过 10,000"),
        (hostile_files.two_string_tables(200, 100), "单元格文字合计超过 10,000"),
        (hostile_files.whitespace_bomb(2), "解压后超过"),
    ],
)
def test_what_a_reader_would_be_asked_for_is_refused(
    tmp_path: Path, body: bytes, said: str
) -> None:
    assert said in _refused(tmp_path, body)


def test_more_cells_than_the_limit_are_refused(tmp_path: Path) -> None:
    rows = b"".join(
        f'<row r="{n}"><c r="A{n}"><v>1</v></c></row>'.encode() for n in range(1, 1_002)
    )
    assert "单元格达 1,001 个" in _refused(tmp_path, hostile_files.workbook(rows))


def test_a_doctype_or_a_file_that_is_not_a_workbook_is_unreadable(tmp_path: Path) -> None:
    for body in (hostile_files.with_doctype(), b"PK\x05\x06not a zip", b"id_number\n"):
        with pytest.raises(workbook_limits.NotAWorkbookError):
            _check(tmp_path, body)


def test_more_shared_strings_than_the_limit_are_refused(tmp_path: Path) -> None:
    body = hostile_files.workbook(hostile_files.HEADER, strings=[str(n) for n in range(501)])
    assert "共享字符串超过 500 个" in _refused(tmp_path, body)
