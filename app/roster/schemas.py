from __future__ import annotations

import uuid

from pydantic import BaseModel


class Rejection(BaseModel):
    line: int
    reason: str


class ImportWarning(BaseModel):
    line: int
    warning: str


class RosterImportOut(BaseModel):
    import_id: uuid.UUID
    lines: int
    accepted: int
    updated: int
    removed: int
    unchanged: int
    rejected: int
    rejections: list[Rejection]
    warnings: list[ImportWarning]
