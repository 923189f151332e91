"""Evidence attachments (issue 30; 2.1 尽职免责, 4.1 贷前调查, 4.2 贷后管理): the records a photo
or scan may be kept for, the kinds of file taken, and a file's name as it is kept."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class EvidenceSubject(StrEnum):
    investigation = "investigation"  # 贷前调查 (4.1)
    monitoring_visit = "monitoring_visit"  # 贷后走访 (4.2)
    collection_action = "collection_action"  # 催收记录 (4.3)
    write_off = "write_off"  # 核销申请 (2.1)
    exemption_case = "exemption_case"  # 尽职免责 (2.1)


# What a file begins with, for the kinds kept: a phone's photo, a scanner's PNG or PDF. The
# declared Content-Type is not trusted; anything else is refused.
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
MEDIA_TYPES = tuple(media for _, media in _SIGNATURES)
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}


def media_type_of(head: bytes) -> str | None:
    """The file's kind from its first bytes, or None for a kind not kept."""
    return next((media for magic, media in _SIGNATURES if head.startswith(magic)), None)


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def kept_name(name: str, media_type: str, limit: int = 200) -> str:
    """A file name to show and to offer for download: no path, no control or reserved
    characters, NFC, at most `limit` characters, ending in its kind's extension."""
    base = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip(" .") or "evidence"
    extension = EXTENSIONS[media_type]
    if not base.lower().endswith(extension) and not (
        extension == ".jpg" and base.lower().endswith(".jpeg")
    ):
        base += extension
    return base[-limit:]
