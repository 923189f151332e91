"""A document as blocks, and the blocks as an A4 PDF with its Chinese font embedded.

The same blocks give the same bytes: ReportLab's invariant mode fixes the creation date and
the file's identifier, and the font is subset the same way each time, so a document's SHA-256
can stand in the audit trail for the paper handed over. The font is the one the browser tests
use (WenQuanYi Micro Hei, Debian's fonts-wqy-microhei, installed by the image and by `make`);
its file is an input like the text, and its digest is reported beside the document's.
"""

from __future__ import annotations

import functools
import hashlib
import io
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FONT = "BangfuCJK"


@dataclass(frozen=True, slots=True)
class Title:
    text: str


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    small: bool = False


@dataclass(frozen=True, slots=True)
class Grid:
    """A table: a header row, then rows; `widths` are shares of the page's width."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Signatures:
    """Signature blocks: one line each to sign and date."""

    signers: tuple[str, ...]


Block = Title | Text | Grid | Signatures


@dataclass(frozen=True, slots=True)
class Document:
    title: str
    blocks: tuple[Block, ...]
    footer: str  # every page's foot, before its page number


class FontMissingError(RuntimeError):
    """The configured font file is not there (answered 503: the host needs it installed)."""


@dataclass(frozen=True, slots=True)
class Font:
    path: Path
    sha256: str


# ReportLab's font registry and its invariant switch are process-wide.
_LOCK = threading.Lock()


@functools.cache
def font(path: str) -> Font:
    """The font file, registered once (its digest read once too)."""
    file = Path(path)
    if not file.is_file():
        raise FontMissingError(path)
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(FONT, str(file), subfontIndex=0))
    # one face for every style: Paragraph maps a font name to its family first
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT, italic=FONT, boldItalic=FONT)
    return Font(file, hashlib.sha256(file.read_bytes()).hexdigest())


def render(document: Document, font_path: str) -> bytes:
    """The document as PDF bytes: A4, 20 mm margins, the font embedded (subset)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    out = io.BytesIO()
    pdf = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=22 * mm,
        title=document.title,
        author="Bangfu",
        creator="Bangfu",
        producer="Bangfu",
        subject=document.footer,
        invariant=1,
    )
    width = A4[0] - 40 * mm

    def foot(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawCentredString(A4[0] / 2, 12 * mm, f"{document.footer}  第 {doc.page} 页")
        canvas.restoreState()

    with _LOCK:
        font(font_path)  # registered before a paragraph names it
        flowables = [f for block in document.blocks for f in _flowables(block, width)]
        pdf.build(flowables, onFirstPage=foot, onLaterPages=foot)
    return out.getvalue()


@functools.cache
def _styles() -> dict[str, Any]:
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.styles import ParagraphStyle

    body = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=17, wordWrap="CJK")
    return {
        "title": ParagraphStyle(
            "title", parent=body, fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=10
        ),
        "body": ParagraphStyle("text", parent=body, spaceAfter=5),
        "small": ParagraphStyle("small", parent=body, fontSize=9, leading=14, spaceAfter=4),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=12),
    }


def _paragraph(text: str, style: str) -> Any:
    from xml.sax.saxutils import escape

    from reportlab.platypus import Paragraph

    return Paragraph(escape(text), _styles()[style])


def _flowables(block: Block, width: float) -> list[Any]:
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer, Table, TableStyle

    if isinstance(block, Title):
        return [_paragraph(block.text, "title")]
    if isinstance(block, Text):
        return [_paragraph(block.text, "small" if block.small else "body")]
    if isinstance(block, Grid):
        rows = [block.header, *block.rows]
        table = Table(
            [[_paragraph(cell, "cell") for cell in row] for row in rows],
            colWidths=[width * share for share in block.widths],
            repeatRows=1,
        )
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        return [table, Spacer(1, 4 * mm)]
    blank = "____________________    日期：______年____月____日"
    lines = [f"{signer}（签字）：{blank}" for signer in block.signers]
    return [Spacer(1, 6 * mm), *(_paragraph(line, "body") for line in lines)]
