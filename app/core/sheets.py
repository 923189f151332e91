"""Tabular files as people send them (issue 18): CSV in UTF-8 (with or without a byte-order
mark) or GB18030 (what Excel on Chinese Windows saves), and Excel workbooks (.xlsx, read with
python-calamine). Each yields (line number, row) with the header's names mapped through
`aliases`, every value as text: a workbook's dates as YYYY-MM-DD and whole numbers without
".0", so one validation serves every format.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from app.core.i18n import Said
from app.core.problems import Problem

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel holds a number in a double: beyond 15 digits it has lost the rest (an ID number typed
# into a number cell). Such a cell is refused rather than read wrong.
_EXACT_DIGITS = 15


class UnreadableFileError(ValueError):
    """The file as a whole cannot be read (encoding, header, not a workbook)."""


def encoding_of(body: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), else GB18030, which covers GBK and GB2312."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        try:
            body.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise UnreadableFileError(
                Said(
                    "文件既不是 UTF-8 也不是 GB18030 编码", "the file is neither UTF-8 nor GB18030"
                )
            ) from exc
        return "gb18030"
    return "utf-8-sig"


def _header(names: list[str], aliases: Mapping[str, str], required: set[str]) -> list[str]:
    mapped = [aliases.get(name.strip(), name.strip()) for name in names]
    missing = sorted(required - set(mapped))
    if missing:
        raise UnreadableFileError(
            Said("表头缺少：" + "、".join(missing), "the header lacks: " + ", ".join(missing))
        )
    return mapped


def csv_rows(
    body: bytes, aliases: Mapping[str, str], required: set[str]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Decoded as a stream: a million-row file is never held as one string."""
    stream = io.TextIOWrapper(io.BytesIO(body), encoding=encoding_of(body), newline="")
    reader = csv.DictReader(stream)
    reader.fieldnames = _header(list(reader.fieldnames or ()), aliases, required)
    for row in reader:
        yield reader.line_num, row


class CellError(ValueError):
    pass


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer():
            if abs(value) >= 10**_EXACT_DIGITS:
                raise CellError(
                    Said(
                        "数字超过 15 位，Excel 已丢失末尾数字：请把该列设为文本格式后重新录入",
                        "a number of more than 15 digits has lost its last digits in Excel:"
                        " format the column as text and enter it again",
                    )
                )
            return str(int(value))
        return repr(value)
    return str(value).strip()


def xlsx_rows(
    body: bytes, aliases: Mapping[str, str], required: set[str]
) -> Iterator[tuple[int, dict[str, Any] | Said]]:
    """The first sheet: its first row names the columns; a blank row is skipped. A row with a
    cell that cannot be read is (line, reason)."""
    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0)
        rows = sheet.iter_rows()
        first = next(rows, None)
    except CalamineError as exc:
        raise UnreadableFileError(
            Said("不是可读取的 Excel 工作簿（.xlsx）", "not a readable Excel workbook (.xlsx)")
        ) from exc
    if first is None:
        raise UnreadableFileError(Said("工作表是空的", "the sheet is empty"))
    names = _header([str(v) if v is not None else "" for v in first], aliases, required)
    for line, values in enumerate(rows, start=2):
        try:
            cells = [_text(v) for v in values]
        except CellError as exc:
            yield line, exc.args[0]
            continue
        if all(c is None for c in cells):
            continue
        yield line, {n: c for n, c in zip(names, cells, strict=False) if n}


def xlsx_data_rows(body: bytes) -> int:
    """Rows under the header of the first sheet, for a progress bar (0 if unreadable)."""
    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0)
    except CalamineError:
        return 0
    return max(sheet.height - 1, 0)


ON_ERRORS_HELP = (
    "A file with a row in error writes nothing (`refuse`, 422 listing each row and reason),"
    " unless sent with `import_valid`: the valid rows are then written and the others listed."
)


def format_of(content_type: str, given: str, formats: Mapping[str, str], what: Said) -> str:
    """A file's format from its media type (`formats`), or from `given` (`?format=`) when it is
    sent as application/octet-stream, as generated clients send files; 415 naming `what`
    the endpoint takes otherwise."""
    media_type = content_type.split(";")[0].strip().lower()
    found = given if media_type == "application/octet-stream" else formats.get(media_type)
    if found is None:
        raise Problem(415, what, slug="unsupported-media-type")
    return found
