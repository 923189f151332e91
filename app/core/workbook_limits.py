"""A workbook checked before it is read (issue 26). The reader (python-calamine) allocates a
sheet's whole grid, rows x columns from the first to the last cell, and holds every shared
string and every cell's text: a 2 KB file naming cell XFD1048576 asks it for 512 GB, and a zip
inflates a megabyte into a gigabyte. So, with the file on disk and read as a stream:

- the zip directory: at most `MAX_PARTS` parts, no zip64, no encryption;
- every part: its inflated size (declared and actual) and its inflation ratio;
- every XML part: no DTD (entities), and for a sheet its declared dimension and the grid its
  cells actually span, and its number of cells; for the shared strings their number and length;
- the text all cells refer to, a shared string counted once per cell that uses it.

Beyond a limit the answer is 413, as soon as it is crossed; a file that is not a workbook is
UnreadableFileError (422). The limits are settings (docs/security.md)."""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any
from xml.parsers import expat

from app.core.i18n import Said
from app.core.problems import Problem
from app.core.settings import get_settings

MAX_PARTS = 1_000
_SMALL_PART = 1 << 20  # a part this small may inflate by any ratio: it costs nothing
_EOCD = b"PK\x05\x06"
_RANGE = re.compile(r"([A-Z]{1,3})(\d{1,7})(?::([A-Z]{1,3})(\d{1,7}))?$")
_READ = 1 << 16


class NotAWorkbookError(ValueError):
    """Not a workbook at all (the callers' UnreadableFileError)."""


@dataclass(frozen=True, slots=True)
class Limits:
    cells: int
    part_bytes: int
    ratio: int
    shared_strings: int
    text_chars: int

    @classmethod
    def from_settings(cls) -> Limits:
        s = get_settings()
        return cls(
            s.xlsx_max_cells,
            s.xlsx_max_part_bytes,
            s.xlsx_max_ratio,
            s.xlsx_max_shared_strings,
            s.xlsx_max_text_chars,
        )


def too_large(zh: str, en: str) -> Problem:
    return Problem(413, Said(zh, en), slug="file-too-large")


def _column(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


@dataclass(slots=True)
class Shape:
    """What a check found: the most data rows of any sheet (a progress bar's total)."""

    rows: int = 0


def check_workbook(path: str, limits: Limits | None = None) -> Shape:
    """Check the workbook at `path`; 413 beyond a limit, NotAWorkbookError if unreadable."""
    limits = limits or Limits.from_settings()
    with open(path, "rb") as raw:
        _check_directory(raw)
        try:
            book = zipfile.ZipFile(raw)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise NotAWorkbookError from exc
        with book:
            return _check_parts(book, raw, limits)


def _check_directory(raw: IO[bytes]) -> None:
    """The end-of-directory record, before the directory is read: how many parts it lists."""
    raw.seek(0, 2)
    size = raw.tell()
    raw.seek(max(0, size - 65_557))
    tail = raw.read()
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        raise NotAWorkbookError
    entries, directory_size = struct.unpack("<HI", tail[at + 10 : at + 16])
    if entries == 0xFFFF or directory_size == 0xFFFFFFFF:
        raise too_large("工作簿过大（zip64）", "The workbook is too large (zip64)")
    if entries > MAX_PARTS:
        raise too_large(
            f"工作簿包含 {entries:,} 个部件，超过上限 {MAX_PARTS:,}",
            f"The workbook has {entries:,} parts, more than {MAX_PARTS:,}",
        )


def _inflated(raw: IO[bytes], info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A part as the reader will see it: all its compressed bytes inflated, a bounded piece at
    a time, whatever size the directory declares (a reader may not stop where it says)."""
    raw.seek(info.header_offset)
    header = raw.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise NotAWorkbookError
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    raw.seek(info.header_offset + 30 + name_length + extra_length)
    if info.compress_type == zipfile.ZIP_STORED:
        inflate = None
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        inflate = zlib.decompressobj(-15)
    else:
        raise NotAWorkbookError  # the reader takes stored and deflated parts only
    left = info.compress_size
    try:
        while left > 0:
            data = raw.read(min(_READ, left))
            if not data:
                raise NotAWorkbookError  # the file ends inside the part
            left -= len(data)
            if inflate is None:
                yield data
                continue
            while data:
                out = inflate.decompress(data, _READ)
                data = inflate.unconsumed_tail
                if out:
                    yield out
    except zlib.error as exc:
        raise NotAWorkbookError from exc


def _check_parts(book: zipfile.ZipFile, raw: IO[bytes], limits: Limits) -> Shape:
    infos = book.infolist()
    for info in infos:
        if info.flag_bits & 0x1:
            raise NotAWorkbookError  # encrypted
        _check_size(info.filename, info.file_size, info.compress_size, limits)
    text = _Text(limits)
    shape = Shape()
    # Shared strings first, so that a sheet's references can be weighed as they are read.
    ordered = sorted(infos, key=lambda i: not i.filename.lower().endswith("sharedstrings.xml"))
    for info in ordered:
        name = info.filename
        if name.endswith("/"):
            continue
        parser = _Part(name, text, limits) if name.endswith((".xml", ".rels")) else None
        inflated = 0
        for chunk in _inflated(raw, info):
            inflated += len(chunk)
            _check_size(name, inflated, info.compress_size, limits)
            if parser is not None:
                parser.feed(chunk)
        _check_size(name, inflated, info.compress_size, limits)
        if parser is not None:
            parser.close()
            shape.rows = max(shape.rows, parser.data_rows)
    text.check_references()
    return shape


def _check_size(name: str, inflated: int, compressed: int, limits: Limits) -> None:
    """Declared, while inflating, and once inflated: the same limits."""
    if inflated > limits.part_bytes:
        raise too_large(
            f"工作簿部件 {name} 解压后超过 {limits.part_bytes:,} 字节",
            f"The workbook's part {name} inflates beyond {limits.part_bytes:,} bytes",
        )
    if inflated > _SMALL_PART and inflated > limits.ratio * max(compressed, 1):
        raise too_large(
            f"工作簿部件 {name} 的压缩比超过 {limits.ratio}:1（疑似压缩炸弹）",
            f"The workbook's part {name} inflates more than {limits.ratio}:1",
        )


class _Text:
    """The shared strings' lengths (per table: a file may hold more than one), and how often
    the cells, in whichever part, use each index. A reference is weighed by the longest string
    of that index in any table, whichever one the reader takes."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.tables: list[array[int]] = []
        self.strings = 0
        self.uses: array[int] | None = None
        self.inline = 0

    def new_table(self) -> None:
        self.tables.append(array("I"))

    def add_string(self, length: int) -> None:
        self.strings += 1
        if self.strings > self.limits.shared_strings:
            raise too_large(
                f"共享字符串超过 {self.limits.shared_strings:,} 个",
                f"More than {self.limits.shared_strings:,} shared strings",
            )
        self.tables[-1].append(min(length, 0xFFFFFFFF))

    def use(self, index: int) -> None:
        if not 0 <= index < self.limits.shared_strings:
            return  # beyond any table the limits allow: a reference to nothing
        if self.uses is None:
            self.uses = array("I", bytes(4 * self.limits.shared_strings))
        self.uses[index] += 1

    def check_references(self) -> None:
        total = self.inline
        if self.uses is not None and self.tables:
            longest = max(self.tables, key=len)
            if len(self.tables) > 1:
                longest = array("I", longest)
                for table in self.tables:
                    for i, n in enumerate(table):
                        longest[i] = max(longest[i], n)
            total += sum(u * n for u, n in zip(self.uses, longest, strict=False) if u)
        if total > self.limits.text_chars:
            raise too_large(
                f"单元格文字合计超过 {self.limits.text_chars:,} 个字符",
                f"The cells hold more than {self.limits.text_chars:,} characters of text",
            )


class _Part:
    """One XML part through expat, counting as it goes; a DTD is refused outright. Cells are
    counted in every part, whatever its root or name (a superset of what the reader may take
    for a sheet); shared strings in every part whose root is `sst`. The cell handlers are the
    hot path (a million cells): they do as little as they can."""

    def __init__(self, name: str, text: _Text, limits: Limits) -> None:
        self.name = name
        self.text = text
        self.limits = limits
        self.parser = expat.ParserCreate()  # names as written: a prefix is cut off below
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._doctype
        self.parser.StartElementHandler = self._first
        self.parser.CharacterDataHandler = self._chars
        self.parser.buffer_text = True
        self.row = 0
        self.col = 0
        self.cells = 0
        self.top = self.left = 1 << 30
        self.bottom = self.right = 0
        self.string_chars = 0  # in a shared string (<si>)
        self.in_string = False
        self.shared_cell = False  # the current cell's value is a shared string's index
        self.want_index = False
        self.data_rows = 0

    def feed(self, chunk: bytes) -> None:
        try:
            self.parser.Parse(chunk, False)
        except expat.ExpatError as exc:
            raise NotAWorkbookError from exc

    def close(self) -> None:
        try:
            self.parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise NotAWorkbookError from exc
        if self.cells:
            self.data_rows = max(self.bottom - self.top, 0)

    def _doctype(self, *_: Any) -> None:
        raise NotAWorkbookError("a DTD in " + self.name)

    def _first(self, tag: str, attrs: dict[str, str]) -> None:
        """A shared-string table is known by its root; every part is read for cells."""
        if tag.rpartition(":")[2] == "sst":
            self.text.new_table()
            self.parser.EndElementHandler = self._end
        self.parser.StartElementHandler = self._start
        self._start(tag, attrs)

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        local = tag if ":" not in tag else tag.rpartition(":")[2]
        if local == "c":
            self._cell(attrs)
        elif local == "v":
            self.want_index = self.shared_cell
        elif local == "row":
            given = attrs.get("r")
            self.row = int(given) if given and given.isdigit() else self.row + 1
            self.col = 0
        elif local == "si" and self.parser.EndElementHandler is not None:
            self.in_string = True
            self.string_chars = 0
        elif local == "dimension":
            self._dimension(attrs.get("ref", ""))

    def _end(self, tag: str) -> None:
        if self.in_string and tag.rpartition(":")[2] == "si":
            self.text.add_string(self.string_chars)
            self.in_string = False

    def _chars(self, data: str) -> None:
        if self.in_string:
            self.string_chars += len(data)
        elif self.want_index:
            self.want_index = False
            number = data.strip()
            if number.isdigit() and len(number) < 10:
                self.text.use(int(number))
        else:
            self.text.inline += len(data)  # inline strings and values

    def _cell(self, attrs: dict[str, str]) -> None:
        self.cells += 1
        if self.cells > self.limits.cells:
            raise self._too_many("单元格", "cells", self.cells)
        self.shared_cell = attrs.get("t") == "s"
        ref = attrs.get("r")
        if ref:
            letters = ref.rstrip("0123456789")
            if len(letters) < len(ref):
                self.row = int(ref[len(letters) :])
            self.col = _COLUMNS.get(letters) or _column_of(letters, self.col)
        else:
            self.col += 1
        row, col = self.row or 1, self.col
        if row > self.bottom or row < self.top or col > self.right or col < self.left:
            self.top, self.bottom = min(self.top, row), max(self.bottom, row)
            self.left, self.right = min(self.left, col), max(self.right, col)
            grid = (self.bottom - self.top + 1) * (self.right - self.left + 1)
            if grid > self.limits.cells:
                raise self._too_many("单元格区域", "cells in its grid", grid)

    def _dimension(self, ref: str) -> None:
        found = _RANGE.match(ref.upper())
        if not found:
            return
        first_col, first_row, last_col, last_row = found.groups()
        rows = int(last_row or first_row) - int(first_row) + 1
        cols = _column(last_col or first_col) - _column(first_col) + 1
        grid = abs(rows) * abs(cols)
        if grid > self.limits.cells:
            raise self._too_many("声明的单元格区域", "declared cells", grid)

    def _too_many(self, zh: str, en: str, count: int) -> Problem:
        return too_large(
            f"工作表 {self.name} 的{zh}达 {count:,} 个，超过上限 {self.limits.cells:,}",
            f"The sheet {self.name} has {count:,} {en}, more than {self.limits.cells:,}",
        )


_COLUMNS: dict[str, int] = {}


def _column_of(letters: str, previous: int) -> int:
    """A cell reference's column (remembered: a sheet names the same few again and again);
    the next column if the reference has none the reader would take."""
    if not letters:
        return previous + 1
    if not (len(letters) <= 3 and letters.isalpha() and letters.isupper() and letters.isascii()):
        raise NotAWorkbookError("a cell reference " + letters[:20])
    number = _COLUMNS[letters] = _column(letters)
    return number
