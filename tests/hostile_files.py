"""Workbooks a red team sends (issue 26), built by hand as a zip: a few kilobytes each that ask
a naive reader for gigabytes. `sheet` is the worksheet's XML inside <sheetData>."""

from __future__ import annotations

import io
import struct
import zipfile

_CONTENT_TYPES = b"""<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>"""
_RELS = b"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
 Target="xl/workbook.xml"/>
</Relationships>"""
_WORKBOOK = b"""<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"""
_WORKBOOK_RELS = b"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
 Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
 Target="sharedStrings.xml"/>
</Relationships>"""
_NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def workbook(sheet: bytes, *, dimension: str = "", strings: list[str] | None = None) -> bytes:
    head = b'<?xml version="1.0" encoding="UTF-8"?><worksheet ' + _NS + b">"
    if dimension:
        head += f'<dimension ref="{dimension}"/>'.encode()
    shared = "".join(f"<si><t>{s}</t></si>" for s in strings or [])
    return _zipped(
        head + b"<sheetData>" + sheet + b"</sheetData></worksheet>",
        b'<?xml version="1.0" encoding="UTF-8"?><sst ' + _NS + b">" + shared.encode() + b"</sst>",
    )


def _zipped(sheet_part: bytes, shared_part: bytes | None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        if shared_part is not None:
            book.writestr("xl/sharedStrings.xml", shared_part)
        book.writestr("xl/worksheets/sheet1.xml", sheet_part)
    return out.getvalue()


def _row(number: int, cells: str) -> bytes:
    return f'<row r="{number}">{cells}</row>'.encode()


HEADER = _row(1, '<c r="A1" t="inlineStr"><is><t>id_number</t></is></c>')


def far_cell(ref: str) -> bytes:
    """A header and one cell at `ref` (XFD1048576: the sheet's last cell)."""
    digits = "".join(ch for ch in ref if ch.isdigit())
    return workbook(HEADER + _row(int(digits), f'<c r="{ref}"><v>1</v></c>'))


def declared(dimension: str) -> bytes:
    """A small sheet that declares a vast one."""
    return workbook(HEADER, dimension=dimension)


def whitespace_bomb(megabytes: int) -> bytes:
    """A sheet of a few cells padded with `megabytes` of blanks: a zip shrinks them ~1000:1."""
    return workbook(HEADER + b" " * (megabytes << 20))


def shared_string_bomb(cells: int, length: int) -> bytes:
    """One long shared string that every one of `cells` cells refers to: the reader copies it
    into each."""
    rows = b"".join(_row(n, f'<c r="A{n}" t="s"><v>0</v></c>') for n in range(2, cells + 2))
    return workbook(HEADER + rows, strings=["x" * length])


def with_doctype() -> bytes:
    """An entity expansion (billion laughs) in the sheet."""
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    return _zipped(
        bomb + b"<worksheet " + _NS + b"><sheetData>&lol2;</sheetData></worksheet>", None
    )


def lying_sizes(megabytes: int) -> bytes:
    """`whitespace_bomb` whose zip directory says the sheet inflates to 100 bytes: a reader that
    trusts the directory sees a small part, one that inflates the data sees it all."""
    data = bytearray(whitespace_bomb(megabytes))
    name = b"xl/worksheets/sheet1.xml"
    local = data.find(name) - 30
    central = data.rfind(name) - 46
    assert data[local : local + 4] == b"PK\x03\x04" and data[central : central + 4] == b"PK\x01\x02"
    data[local + 22 : local + 26] = struct.pack("<I", 100)
    data[central + 24 : central + 28] = struct.pack("<I", 100)
    return bytes(data)


def disguised_sheet(ref: str) -> bytes:
    """A sheet part whose root is not `worksheet`: a reader that looks for `sheetData` anywhere
    still finds the cell at `ref`."""
    digits = "".join(ch for ch in ref if ch.isdigit())
    cells = f'<row r="{digits}"><c r="{ref}"><v>1</v></c></row>'.encode()
    sheet = b"<chartsheet " + _NS + b"><sheetData>" + HEADER + cells + b"</sheetData></chartsheet>"
    return _zipped(sheet, None)


def two_string_tables(cells: int, length: int) -> bytes:
    """Cells that use string 0, and two tables of shared strings: the first short, the second
    (in another part) long. Whichever the reader takes, the check must weigh the long one."""
    rows = b"".join(_row(n, f'<c r="A{n}" t="s"><v>0</v></c>') for n in range(2, cells + 2))
    book = io.BytesIO(workbook(HEADER + rows, strings=["x"]))
    with zipfile.ZipFile(book, "a", zipfile.ZIP_DEFLATED) as more:
        more.writestr(
            "xl/strings2.xml",
            b"<sst " + _NS + b"><si><t>" + b"y" * length + b"</t></si></sst>",
        )
    return book.getvalue()
