"""Tabular files as people send them (issue 18): CSV in UTF-8 (with or without a byte-order
mark) or GB18030 (what Excel on Chinese Windows saves), and Excel workbooks (.xlsx, read with
python-calamine). Each yields (line number, row) with the header's names mapped through
`aliases`, every value as text: a workbook's dates as YYYY-MM-DD and whole numbers without
".0", so one validation serves every format.

Files are uploads on disk (app/core/uploads.py), read as streams within limits (issue 26): a
line and a CSV field have a most length, and a workbook passes app/core/workbook_limits.py
before the reader sees it.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from app.core import workbook_limits
from app.core.i18n import Said
from app.core.problems import Problem
from app.core.settings import get_settings
from app.core.uploads import Upload

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel holds a number in a double: beyond 15 digits it has lost the rest (an ID number typed
# into a number cell). Such a cell is refused rather than read wrong.
_EXACT_DIGITS = 15


class UnreadableFileError(ValueError):
    """The file as a whole cannot be read (encoding, header, not a workbook)."""


def encoding_of(upload: Upload) -> str:
    """UTF-8 (with or without a byte-order mark), else GB18030, which covers GBK and GB2312:
    each tried over the whole file as a stream, a megabyte at a time."""
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for chunk in upload.chunks():
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return "utf-8-sig" if encoding == "utf-8" else encoding
    raise UnreadableFileError(
        Said("文件既不是 UTF-8 也不是 GB18030 编码", "the file is neither UTF-8 nor GB18030")
    )


def text_lines(upload: Upload) -> Iterator[str]:
    """The file's lines as text (line ends kept, as `csv` wants them), each at most
    UPLOAD_MAX_LINE_CHARS long: a longer one refuses the file (413) before it is held."""
    limit = get_settings().upload_max_line_chars
    with io.TextIOWrapper(upload.reader(), encoding=encoding_of(upload), newline="") as stream:
        number = 0
        while line := stream.readline(limit + 1):
            number += 1
            if len(line) > limit:
                raise workbook_limits.too_large(
                    f"第 {number:,} 行超过 {limit:,} 个字符",
                    f"Line {number:,} is longer than {limit:,} characters",
                )
            yield line


def chinese_name(field: str, aliases: Mapping[str, str]) -> str:
    """A column's first Chinese name among the aliases (the one a template writes)."""
    return next((name for name, canon in aliases.items() if canon == field), field)


def _header(
    names: list[str],
    aliases: Mapping[str, str],
    required: set[str],
    named: dict[str, str] | None = None,
) -> list[str]:
    """The columns by their fields. `named` is filled with each field's header as the file
    wrote it, so a row's errors name the column as the file does; a missing column is named in
    the language of the file's headers (Chinese if any header is)."""
    stripped = [name.strip() for name in names]
    mapped = [aliases.get(name, name) for name in stripped]
    if named is not None:
        named.update({field: name for field, name in zip(mapped, stripped, strict=True) if name})
    missing = sorted(required - set(mapped))
    if missing:
        chinese = any(not name.isascii() for name in stripped)
        shown = [chinese_name(m, aliases) for m in missing] if chinese else missing
        raise UnreadableFileError(
            Said("表头缺少：" + "、".join(shown), "the header lacks: " + ", ".join(shown))
        )
    return mapped


def csv_rows(
    upload: Upload,
    aliases: Mapping[str, str],
    required: set[str],
    named: dict[str, str] | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Decoded as a stream: a million-row file is never held as one string. A field longer
    than UPLOAD_MAX_FIELD_CHARS, or a line that is not CSV, refuses the file naming its line."""
    limit = get_settings().upload_max_field_chars
    csv.field_size_limit(limit)  # the module's one setting: every reader here uses this limit
    reader = csv.DictReader(text_lines(upload))
    try:
        reader.fieldnames = _header(list(reader.fieldnames or ()), aliases, required, named)
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:
        too_long = "field larger than field limit" in str(exc)
        raise UnreadableFileError(
            Said(
                f"第 {reader.line_num + 1:,} 行"
                + (f"有字段超过 {limit:,} 个字符" if too_long else "不是有效的 CSV"),
                f"Line {reader.line_num + 1:,} "
                + (f"has a field longer than {limit:,} characters" if too_long else "is not CSV"),
            )
        ) from exc


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


_NOT_A_WORKBOOK = Said(
    "不是可读取的 Excel 工作簿（.xlsx）", "not a readable Excel workbook (.xlsx)"
)


def checked_workbook(upload: Upload) -> workbook_limits.Shape:
    """The workbook within the limits (413 beyond them), or UnreadableFileError."""
    try:
        return workbook_limits.check_workbook(upload.path)
    except workbook_limits.NotAWorkbookError as exc:
        raise UnreadableFileError(_NOT_A_WORKBOOK) from exc


def xlsx_rows(
    upload: Upload,
    aliases: Mapping[str, str],
    required: set[str],
    named: dict[str, str] | None = None,
) -> Iterator[tuple[int, dict[str, Any] | Said]]:
    """The first sheet: its first row names the columns; a blank row is skipped. A row with a
    cell that cannot be read is (line, reason). The workbook is checked first."""
    checked_workbook(upload)
    try:
        sheet = CalamineWorkbook.from_path(upload.path).get_sheet_by_index(0)
        rows = sheet.iter_rows()
        first = next(rows, None)
    except (CalamineError, ValueError, OSError) as exc:
        raise UnreadableFileError(_NOT_A_WORKBOOK) from exc
    if first is None:
        raise UnreadableFileError(Said("工作表是空的", "the sheet is empty"))
    names = _header([str(v) if v is not None else "" for v in first], aliases, required, named)
    for line, values in enumerate(rows, start=2):
        try:
            cells = [_text(v) for v in values]
        except CellError as exc:
            yield line, exc.args[0]
            continue
        if all(c is None for c in cells):
            continue
        yield line, {n: c for n, c in zip(names, cells, strict=False) if n}


def xlsx_data_rows(upload: Upload) -> int:
    """Rows under a sheet's header, for a progress bar; the workbook checked as `xlsx_rows`
    checks it, so that no job is started for a file it would refuse."""
    return checked_workbook(upload).rows


def line_count(upload: Upload) -> int:
    """Lines in a text file, for a progress bar (a quoted field may span lines: an estimate)."""
    lines = 0
    last = b""
    for chunk in upload.chunks():
        lines += chunk.count(b"\n")
        last = chunk
    return lines + (0 if not last or last.endswith(b"\n") else 1)


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
